import { hash } from 'node:crypto';

/**
 * A stable hash of a profile: SHA-256 of its JSON with keys sorted, so attribute order never matters. The store
 * holds fingerprints computed this way: changing the function would make every person look changed once.
 */
export function fingerprint(profile: Record<string, string | undefined>): string {
  const canonical: [string, string][] = [];
  for (const key of sortedKeys(Object.keys(profile))) {
    const value = profile[key];
    if (value !== undefined) canonical.push([key, value]);
  }
  // The one-shot hash: same digest as createHash().update().digest(), without a Hash object per profile.
  return hash('sha256', JSON.stringify(canonical), 'base64url');
}

/**
 * The last few key lists seen, each with its sorted order: the profiles of one mapping have a handful of key lists
 * (an optional attribute present or not), and sorting each profile's keys was a third of the fingerprint's cost.
 */
const recent: { keys: string[]; sorted: string[] }[] = [];
const RECENT = 8;

function sortedKeys(keys: string[]): string[] {
  for (const known of recent) {
    if (known.keys.length !== keys.length) continue;
    let same = true;
    for (let i = 0; same && i < keys.length; i++) same = known.keys[i] === keys[i];
    if (same) return known.sorted;
  }
  const sorted = [...keys].sort();
  if (recent.unshift({ keys, sorted }) > RECENT) recent.pop();
  return sorted;
}
