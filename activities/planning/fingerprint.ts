import { createHash } from 'node:crypto';

/** A stable hash of a profile: SHA-256 of its JSON with keys sorted, so attribute order never matters. */
export function fingerprint(profile: Record<string, string | undefined>): string {
  const canonical = Object.keys(profile)
    .filter((k) => profile[k] !== undefined)
    .sort()
    .map((k) => [k, profile[k]]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url');
}
