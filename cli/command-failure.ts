/** A command's outcome that is not a crash: printed as one line (and a hint) without a stack trace, exit code 1. */
export class CommandFailure extends Error {
  /** What to do about it, when there is something to do. */
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'CommandFailure';
    this.hint = hint;
  }
}
