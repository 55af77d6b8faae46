import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../activities/planning/fingerprint.ts';

/** The definition the store's fingerprints were computed with: SHA-256 of the JSON of the sorted pairs. */
function defined(profile: Record<string, string | undefined>): string {
  const pairs = Object.keys(profile)
    .sort()
    .filter((key) => profile[key] !== undefined)
    .map((key) => [key, profile[key]]);
  return createHash('sha256').update(JSON.stringify(pairs)).digest('base64url');
}

const KEYS = ['userName', 'email', 'firstName', 'lastName', 'title', 'managerEmail', 'zeta', 'Alpha', 'é', '10'];

describe('profile fingerprints stay what the store holds', () => {
  it('is the value stored fingerprints were computed with', () => {
    const profile = {
      userName: 'zoë.søndergård@example.com',
      email: 'zoë.søndergård@example.com',
      firstName: 'Zoë',
      lastName: 'Søndergård',
      title: 'Engineer "II"',
      managerEmail: undefined,
      department: 'R&D\\Ops',
    };
    expect(fingerprint(profile)).toBe('3mNQiou4Qxap3uxApL7CGLjzw3khnfE9HtxK2vDaMWk');
  });

  it('matches the definition for profiles of any keys, in any order, one after another', () => {
    const profileArb = fc
      .tuple(
        fc.shuffledSubarray(KEYS),
        fc.array(fc.option(fc.string({ unit: 'grapheme', maxLength: 8 }), { nil: undefined }), {
          minLength: KEYS.length,
          maxLength: KEYS.length,
        }),
      )
      .map(([keys, values]) => Object.fromEntries(keys.map((key, i) => [key, values[i]])));
    fc.assert(
      fc.property(fc.array(profileArb, { minLength: 1, maxLength: 30 }), (profiles) => {
        for (const profile of profiles) expect(fingerprint(profile)).toBe(defined(profile));
      }),
      { numRuns: 500 },
    );
  });
});
