import { ConfigError } from '../config/service-config.ts';
import { SecretUnavailableError } from '../config/secret-ref.ts';
import { CommandFailure } from './command-failure.ts';

export interface ExplainedError {
  message: string;
  hint?: string;
}

const DEBUG_VARIABLE = 'HR_OKTA_SYNC_DEBUG';

/**
 * A command's error in a person's words: what went wrong in one line (a config's problems one per line) and what to
 * do. Never a stack trace; HR_OKTA_SYNC_DEBUG=1 prints one for the developers.
 */
export function explainCommandError(error: unknown): ExplainedError {
  if (error instanceof CommandFailure) return { message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  if (error instanceof ConfigError && isSyncConfig(error)) {
    return {
      message: `${error.message.split(':')[0]!.replace('Invalid configuration in ', '')} is a sync config (HR source, mapping), not a service config`,
      hint: 'a service config names it under `sync:`; inside the project, `npm start` writes one the CLI finds',
    };
  }
  if (error instanceof ConfigError) {
    return { message: error.message, hint: 'fix the lines named above; `hr-okta-sync config check` checks a config' };
  }
  if (error instanceof SecretUnavailableError) {
    return {
      message: error.message,
      hint: 'set the variable or mount the file the service config names; `hr-okta-sync config check` lists them',
    };
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = firstLine(error instanceof Error ? error.message : String(error));
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
    const path = (error as NodeJS.ErrnoException).path;
    return { message: `Cannot read ${path ?? 'a file'} (${code})`, hint: 'check the path (relative to this folder)' };
  }
  if (error instanceof SyntaxError && /JSON/.test(message)) {
    return { message: `Not valid JSON: ${message}`, hint: 'check the file you passed' };
  }
  if (isConnectionFailure(error)) {
    return {
      message: `Cannot reach the Temporal server: ${message}`,
      hint: 'is it running at temporal.address of the service config? `npm start` runs a local one',
    };
  }
  return { message, hint: `${DEBUG_VARIABLE}=1 prints the stack trace` };
}

/** Prints an error as explainCommandError words it and sets exit code 1. */
export function reportCommandError(error: unknown): void {
  const { message, hint } = explainCommandError(error);
  console.error(`error: ${message}`);
  if (hint) console.error(`hint: ${hint}`);
  if (process.env[DEBUG_VARIABLE] === '1') console.error(error);
  process.exitCode = 1;
}

/** A sync config (source, mapping, …) passed where a service config belongs. */
function isSyncConfig(error: ConfigError): boolean {
  return ['source', 'mapping'].every((key) =>
    error.problems.some((problem) => problem.startsWith(`${key} `) && problem.endsWith('not a setting (misspelt?)')),
  );
}

function isConnectionFailure(error: unknown): boolean {
  const text = `${(error as Error | undefined)?.name ?? ''} ${(error as Error | undefined)?.message ?? ''}`;
  return /TransportError|Failed to connect|ECONNREFUSED|tcp connect error|Connection refused/i.test(text);
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
