import type { Profile } from '../store/state-store.ts';

/** A reason a profile would be refused by Okta, naming the attribute. */
export interface ProfileProblem {
  field: string;
  reason: string;
}

// Okta's email check is stricter than "has an @"; this is the shape Okta accepts for identity source profiles.
const EMAIL = /^[^\s@"(),:;<>[\\\]]+@[^\s@"(),:;<>[\\\]]+\.[^\s@"(),:;<>[\\\]]+$/u;

const rules: Record<string, { min?: number; max: number; email?: boolean }> = {
  userName: { min: 1, max: 100 },
  email: { min: 5, max: 100, email: true },
  firstName: { min: 1, max: 50 },
  lastName: { min: 1, max: 50 },
  secondEmail: { min: 5, max: 100, email: true },
  mobilePhone: { max: 100 },
  homeAddress: { max: 4096 },
};

/** Custom attributes are strings too; Okta's string attributes default to this maximum length. */
const CUSTOM_MAX = 4096;

/**
 * Checks a mapped profile against the Identity Sources API's rules (okta-identity-sources.md): userName and email
 * present (needed to create), lengths, email formats, strings only, and custom attributes declared in config.
 */
export function profileProblems(profile: Profile, customAttributes: readonly string[]): ProfileProblem[] {
  const problems: ProfileProblem[] = [];
  for (const required of ['userName', 'email']) {
    if (profile[required] === undefined)
      problems.push({ field: required, reason: 'is empty; Okta needs it to create the user' });
  }
  for (const field of Object.keys(profile)) {
    const value = profile[field];
    if (typeof value !== 'string') {
      problems.push({ field, reason: 'is not a string' });
      continue;
    }
    const rule = rules[field];
    if (!rule && !customAttributes.includes(field)) {
      problems.push({ field, reason: 'is not a declared attribute of the identity source' });
      continue;
    }
    const max = rule?.max ?? CUSTOM_MAX;
    const min = rule?.min;
    // A string has between half its UTF-16 length and its UTF-16 length in code points: most values need no count.
    const length = value.length > max || (min !== undefined && value.length < 2 * min) ? codePoints(value) : undefined;
    if (length !== undefined && length > max) {
      problems.push({ field, reason: `is ${length} characters long; at most ${max} allowed` });
    } else if (length !== undefined && min !== undefined && length < min) {
      problems.push({ field, reason: `is ${length} characters long; at least ${min} required` });
    } else if (rule?.email && !EMAIL.test(value)) problems.push({ field, reason: 'is not an email address' });
    else if (CONTROL.test(value)) problems.push({ field, reason: 'contains control characters' });
  }
  return problems;
}

// Control characters (other than tab and line breaks) are never meant and break what reads them.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/u;

/** The length in code points, as `[...value].length` counts it, without making an array of the characters. */
function codePoints(value: string): number {
  let length = value.length;
  for (let i = 0; i < value.length - 1; i++) {
    const c = value.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) continue;
    const next = value.charCodeAt(i + 1);
    if (next >= 0xdc00 && next <= 0xdfff) {
      length--;
      i++;
    }
  }
  return length;
}

/** Okta's limit on externalId. */
export const EXTERNAL_ID_MAX = 512;
