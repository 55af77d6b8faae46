import type { OktaUserProfile } from './records.ts';

/**
 * The attributes whose values Okta does not hold as expected: a value that differs, or one expected cleared (null)
 * that Okta still holds. Names only, in the expected profile's order; attributes the expected profile does not name
 * are not compared (they are not this tool's).
 */
export function driftedAttributes(expected: OktaUserProfile, held: OktaUserProfile): string[] {
  return Object.entries(expected)
    .filter(([name, value]) => (held[name] ?? null) !== value)
    .map(([name]) => name);
}

/** Whether every drifted attribute was one to clear: Okta applied the values and ignored the nulls. */
export function onlyClearingIgnored(expected: OktaUserProfile, drifted: string[]): boolean {
  return drifted.length > 0 && drifted.every((name) => expected[name] === null);
}

/**
 * The profile a single-record replace (PUT) sends to clear what Okta ignored: what Okta holds, with the expected
 * values over it and the attributes to clear left out (a replace clears what it omits). Attributes the expected profile
 * does not name keep Okta's values, so the replace changes nothing but the clearing.
 */
export function clearingReplacement(expected: OktaUserProfile, held: OktaUserProfile): OktaUserProfile {
  const profile: OktaUserProfile = {};
  for (const [name, value] of Object.entries({ ...held, ...expected })) {
    if (value !== null && value !== undefined) profile[name] = value;
  }
  return profile;
}
