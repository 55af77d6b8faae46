// The single-record user endpoints: POST /users, GET/PUT/PATCH/DELETE /users/{externalId}. Unlike an import, each
// is checked and applied at once, and a bad profile is answered 400 instead of listed in a session's failures.
import { validationFailed } from './errors.ts';
import { newUser } from './import-processing.ts';
import { touchUser, type IdentitySource, type UserRecord } from './directory.ts';
import type { Org } from './org.ts';
import { mergeProfile, USER_BASE_ATTRIBUTES, userProfileErrors } from './profile.ts';
import type { NullInBulkUpsert } from './options.ts';
import {
  checkSameExternalId,
  iso,
  jsonObject,
  profileInvalid,
  recordNotFound,
  refuseDuringImport,
  requireExternalId,
  requireObject,
  type SingleRecordAnswer,
  type SingleRecordRequest,
} from './single-record-rules.ts';
import type { Profile } from './uploads.ts';

/** The request schema allows 512 characters, as bulk upsert does (the response schema says 255: not enforced). */
const MAX_EXTERNAL_ID = 512;

export function createUser({ org, route, body, now }: SingleRecordRequest): SingleRecordAnswer {
  const source = org.source(route.identitySourceId ?? '');
  const request = jsonObject(body);
  const externalId = requireExternalId(request.externalId, 'externalId', MAX_EXTERNAL_ID);
  const profile = checkedProfile(source, request.profile, 'clears');
  refuseDuringImport(org, source.id, now);
  return { status: 200, body: userBody(source, storeCreated(org, source, externalId, profile, now)) };
}

export function getUser({ org, route, now }: SingleRecordRequest): SingleRecordAnswer {
  const { source, user } = presentUser(org, route.identitySourceId, route.externalId, now);
  return { status: 200, body: userBody(source, user) };
}

/** PUT: the profile is replaced; attributes left out are cleared. */
export function replaceUser({ org, route, body, now }: SingleRecordRequest): SingleRecordAnswer {
  const { source, user } = presentUser(org, route.identitySourceId, route.externalId, now);
  const request = jsonObject(body);
  checkSameExternalId(request.externalId, user.externalId);
  const profile = checkedProfile(source, request.profile, 'clears');
  refuseDuringImport(org, source.id, now);
  write(org, user, mergeProfile(undefined, profile), now);
  return { status: 200, body: userBody(source, user) };
}

/** PATCH: the profile is merged; email and userName are still required. */
export function updateUser({ org, route, body, now }: SingleRecordRequest): SingleRecordAnswer {
  const { source, user } = presentUser(org, route.identitySourceId, route.externalId, now);
  const nulls = org.singleRecord.nullInPatch;
  const profile = checkedProfile(source, jsonObject(body).profile, nulls);
  refuseDuringImport(org, source.id, now);
  write(org, user, mergeProfile(user.profile, profile, nulls), now);
  return { status: 200, body: userBody(source, user) };
}

/** DELETE: deactivates the Okta user, as bulk-delete does. */
export function deleteUser({ org, route, now }: SingleRecordRequest): SingleRecordAnswer {
  const { source, user } = presentUser(org, route.identitySourceId, route.externalId, now);
  refuseDuringImport(org, source.id, now);
  if (user.status !== 'DEACTIVATED') {
    touchUser(user, 'DEACTIVATED', now);
    org.version++;
  }
  return { status: org.singleRecord.deleteStatus };
}

/** The user as the single-record endpoints answer it: every base and declared attribute, null when unset. */
export function userBody(source: IdentitySource, user: UserRecord) {
  const profile: Record<string, string | null> = {};
  for (const name of [...Object.keys(USER_BASE_ATTRIBUTES), ...source.customAttributes]) profile[name] = null;
  Object.assign(profile, user.profile);
  return {
    id: user.appUserId,
    externalId: user.externalId,
    created: iso(user.created),
    lastUpdated: iso(user.lastUpdated),
    profile,
  };
}

/** A deactivated user is gone from the identity source, unless `deletedUsers: 'kept'`. */
export function isPresent(org: Org, user: UserRecord): boolean {
  return user.status === 'ACTIVE' || org.singleRecord.deletedUsers === 'kept';
}

function presentUser(org: Org, sourceId = '', externalId = '', now: number) {
  const source = org.source(sourceId);
  org.advance(now);
  const user = source.users.get(externalId);
  if (!user || !isPresent(org, user)) throw recordNotFound(externalId, 'IdentitySourceUser');
  return { source, user };
}

function checkedProfile(source: IdentitySource, value: unknown, nulls: NullInBulkUpsert): Profile {
  const profile = requireObject(value, 'profile');
  // Checked against the request itself: email and userName must be in every create, replace and update.
  const errors = userProfileErrors(profile, profile, new Set(source.customAttributes), nulls);
  if (errors.length > 0) throw profileInvalid(errors);
  return profile;
}

/** A create: a new user, a deleted one back, or (`createExisting: 'upsert'`) an update of a present one. */
function storeCreated(org: Org, source: IdentitySource, externalId: string, profile: Profile, now: number): UserRecord {
  const existing = source.users.get(externalId);
  if (!existing) {
    const user = newUser(externalId, mergeProfile(undefined, profile), now);
    source.users.set(externalId, user);
    org.version++;
    return user;
  }
  if (!isPresent(org, existing)) {
    // The Okta user of a deleted identity-source user comes back, reactivated, as an import would bring it back.
    write(org, existing, mergeProfile(undefined, profile), now);
  } else if (org.singleRecord.createExisting === 'upsert') {
    write(org, existing, mergeProfile(existing.profile, profile), now);
  } else {
    throw validationFailed(
      'externalId',
      'externalId: a user with this externalId already exists in the identity source',
    );
  }
  return existing;
}

/** Stores a new profile; a write to a deactivated user (`deletedUsers: 'kept'`) reactivates it, as an upsert does. */
function write(org: Org, user: UserRecord, profile: Record<string, string>, now: number): void {
  user.profile = profile;
  touchUser(user, 'ACTIVE', now);
  org.version++;
}
