import { hash } from 'node:crypto';

/**
 * A stable hash of a profile: SHA-256 of its JSON with keys sorted, so attribute order never matters. The store
 * holds fingerprints computed this way: changing the function would make every person look changed once.
 */
export function fingerprint(profile: Record<string, string | undefined>): string {
  const canonical: [string, string][] = [];
  for (const key of Object.keys(profile).sort()) {
    const value = profile[key];
    if (value !== undefined) canonical.push([key, value]);
  }
  // The one-shot hash: same digest as createHash().update().digest(), without a Hash object per profile.
  return hash('sha256', JSON.stringify(canonical), 'base64url');
}
