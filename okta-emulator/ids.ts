import { randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** An id shaped like Okta's: a three-character type prefix ("0oa", "aps", "00u", …) and 17 base62 characters. */
export function oktaId(prefix: string): string {
  const bytes = randomBytes(17);
  let id = prefix;
  for (const byte of bytes) id += ALPHABET[byte % ALPHABET.length];
  return id;
}

/** Okta request ids are 27 URL-safe characters. */
export function requestId(): string {
  return randomBytes(20).toString('base64url');
}

export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
