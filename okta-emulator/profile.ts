// Okta's checks on a user or group profile, run when a session is processed. A failing record is skipped and
// reported, as Okta's import monitoring reports it; the rest of the session still applies.
import type { NullInBulkUpsert } from './options.ts';
import type { Profile } from './uploads.ts';

export interface AttributeRule {
  min?: number;
  max: number;
  email?: boolean;
  /** The bulk-upsert profile schema marks it nullable: `null` passes; for the others it fails. */
  nullable?: boolean;
}

export const USER_BASE_ATTRIBUTES: Record<string, AttributeRule> = {
  userName: { min: 1, max: 100 },
  email: { min: 5, max: 100, email: true },
  firstName: { min: 1, max: 50, nullable: true },
  lastName: { min: 1, max: 50, nullable: true },
  secondEmail: { min: 5, max: 100, email: true },
  mobilePhone: { max: 100, nullable: true },
  homeAddress: { max: 4096, nullable: true },
};
const USER_REQUIRED_TO_CREATE = ['userName', 'email'];

const GROUP_ATTRIBUTES: Record<string, AttributeRule> = {
  displayName: { min: 1, max: 255 },
  description: { max: 1024, nullable: true },
};

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Problems with a user profile; `merged` is the profile after the update (what must hold the required attributes). */
export function userProfileErrors(
  profile: Profile,
  merged: Profile,
  customAttributes: ReadonlySet<string>,
  nulls: NullInBulkUpsert = 'clears',
): string[] {
  const errors: string[] = [];
  for (const [name, value] of Object.entries(profile)) {
    if (value === null && nulls === 'ignored') continue;
    const rule = USER_BASE_ATTRIBUTES[name];
    if (rule) {
      const problem = valueProblem(value, rule);
      if (problem) errors.push(`${name}: ${problem}`);
    } else if (customAttributes.has(name)) {
      if (value !== null && typeof value !== 'string') errors.push(`${name}: must be a string${arrayNote(value)}`);
    } else {
      errors.push(`${name}: is not an attribute of the identity source's user schema`);
    }
  }
  for (const name of USER_REQUIRED_TO_CREATE) {
    if (merged[name] === undefined || merged[name] === null) errors.push(`${name}: is required`);
  }
  return errors;
}

export function groupProfileErrors(profile: Profile, merged: Profile): string[] {
  const errors: string[] = [];
  for (const [name, value] of Object.entries(profile)) {
    const rule = GROUP_ATTRIBUTES[name];
    if (!rule) {
      errors.push(`${name}: is not an attribute of a group profile`);
      continue;
    }
    const problem = valueProblem(value, rule);
    if (problem) errors.push(`${name}: ${problem}`);
  }
  if (merged.displayName === undefined || merged.displayName === null) errors.push('displayName: is required');
  return errors;
}

/** Applies an update: given attributes replace the stored ones; null clears one, unless nulls are `ignored`. */
export function mergeProfile(
  current: Profile | undefined,
  update: Profile,
  nulls: NullInBulkUpsert = 'clears',
): Record<string, string> {
  const merged: Record<string, unknown> = { ...current };
  for (const [name, value] of Object.entries(update)) {
    if (value !== null) merged[name] = value;
    else if (nulls === 'clears') delete merged[name];
  }
  return merged as Record<string, string>;
}

function valueProblem(value: unknown, rule: AttributeRule): string | undefined {
  if (value === null) return rule.nullable ? undefined : 'is not nullable';
  if (typeof value !== 'string') return `must be a string${arrayNote(value)}`;
  if (rule.min !== undefined && value.length < rule.min) return `must be at least ${rule.min} characters`;
  if (value.length > rule.max) return `must be at most ${rule.max} characters`;
  if (rule.email && !EMAIL.test(value)) return 'does not match the email format';
  return undefined;
}

function arrayNote(value: unknown): string {
  return Array.isArray(value) ? ' (arrays are not supported)' : '';
}
