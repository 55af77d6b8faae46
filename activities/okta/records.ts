/**
 * The records of Okta's single-record Identity Sources API (users, groups, memberships), as this client sends and
 * reads them. Profiles are strings; `null` is an attribute Okta holds no value for.
 */

/** A user profile as Okta answers it: real answers carry explicit nulls for attributes without a value. */
export type OktaUserProfile = Record<string, string | null>;

/** A user of the identity source, as GET/PUT/PATCH /users/{externalId} answer it. */
export interface IdentitySourceUser {
  /** Okta's id of the identity-source user ("0ua…"). */
  id: string;
  externalId: string;
  created?: string;
  lastUpdated?: string;
  profile: OktaUserProfile;
}

/**
 * A user as written. PUT replaces the profile, so an attribute left out is cleared (the documented way to clear);
 * PATCH merges, so one left out keeps its value. email and userName are required by both.
 */
export interface UserRecord {
  externalId: string;
  profile: OktaUserProfile;
}

export interface GroupProfile {
  displayName: string;
  description?: string | null;
}

/** A group of the identity source; Okta answers a flat profile although its spec declares a nested one. */
export interface IdentitySourceGroup {
  /** Okta's group id ("00g…"). */
  id: string;
  externalId: string;
  profile: GroupProfile;
}

export interface GroupRecord {
  externalId: string;
  profile: GroupProfile;
}

/** What a DELETE did: removed it, or Okta did not have it (deleting what Okta does not have is done too). */
export type DeleteResult = 'deleted' | 'not found';

/**
 * Text with every profile value in it replaced by "…": Okta's error causes may quote what was sent, and failure
 * messages carry record ids and attribute names only. Single characters are left alone: they say nothing of a person,
 * and replacing each would make the text unreadable.
 */
export function withoutValues(text: string, profile: object | undefined): string {
  if (!profile) return text;
  const values = Object.values(profile)
    .filter((value): value is string => typeof value === 'string' && value.length > 1)
    .sort((a, b) => b.length - a.length);
  let redacted = text;
  for (const value of values) redacted = redacted.split(value).join('…');
  return redacted;
}
