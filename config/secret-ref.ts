import { access, constants, readFile } from 'node:fs/promises';
import { z } from 'zod';

const INLINE_REFUSED =
  'inline secrets are refused: write { env: NAME } (an environment variable) or { file: PATH } (e.g. a mounted secret)';

/**
 * A secret is named, never written: the worker reads it from an environment variable or a file when it starts, so
 * config files can be committed and printed, and no secret travels through Temporal.
 */
export const SecretRef = z
  .union([z.object({ env: z.string().min(1) }).strict(), z.object({ file: z.string().min(1) }).strict()], {
    error: (issue) =>
      typeof issue.input === 'string' || typeof issue.input === 'number'
        ? INLINE_REFUSED
        : 'expected a secret reference: { env: NAME } or { file: PATH }',
  })
  .describe('A reference to a secret: `{ env: NAME }` or `{ file: PATH }`. Inline secrets are refused.');
export type SecretRef = z.infer<typeof SecretRef>;

/** A referenced secret that is not there: an unset variable or a file that cannot be read. */
export class SecretUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecretUnavailableError';
  }
}

/** Reads a referenced secret. The error names the reference, never a value. */
export async function readSecret(ref: SecretRef): Promise<string> {
  if ('env' in ref) {
    const value = process.env[ref.env];
    if (!value) throw new SecretUnavailableError(`Secret environment variable ${ref.env} is not set`);
    return value;
  }
  try {
    return (await readFile(ref.file, 'utf8')).trim();
  } catch (error) {
    throw new SecretUnavailableError(
      `Secret file ${ref.file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      {
        cause: error,
      },
    );
  }
}

/** How a reference reads in output: where the secret comes from, never what it is. */
export function describeSecretRef(ref: SecretRef): string {
  return 'env' in ref ? `env:${ref.env}` : `file:${ref.file}`;
}

/** Whether the referenced secret is there, without reading it into anything that could be printed. */
export async function checkSecretRef(ref: SecretRef): Promise<string | undefined> {
  if ('env' in ref) return process.env[ref.env] ? undefined : `environment variable ${ref.env} is not set`;
  try {
    await access(ref.file, constants.R_OK);
    return undefined;
  } catch (error) {
    return `file ${ref.file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
  }
}
