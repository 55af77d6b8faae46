// What processing a COMPLETED session does to the directory: its requests applied in the order they arrived.
// A record that fails Okta's checks (or that a test made Okta refuse) is skipped and listed in the result.
import { oktaId } from './ids.ts';
import type { NullInBulkUpsert } from './options.ts';
import { touchUser, type IdentitySource, type ImportResult, type RecordFailure } from './directory.ts';
import { groupProfileErrors, mergeProfile, userProfileErrors } from './profile.ts';
import type { Membership, Operation, Profile } from './uploads.ts';

/** Why Okta refuses one record of this source at import (a test's choice), or undefined. */
export type Refusal = (entityType: 'USER' | 'GROUP', externalId: string) => string | undefined;

interface Import {
  source: IdentitySource;
  at: number;
  nulls: NullInBulkUpsert;
  refusal: Refusal;
  result: ImportResult;
}

export function applyOperations(
  source: IdentitySource,
  operations: Operation[],
  at: number,
  nulls: NullInBulkUpsert,
  refusal: Refusal,
): ImportResult {
  const result: ImportResult = {
    usersCreated: 0,
    usersUpdated: 0,
    usersDeactivated: 0,
    groupsCreated: 0,
    groupsUpdated: 0,
    groupsDeleted: 0,
    membershipsAdded: 0,
    membershipsRemoved: 0,
    failures: [],
  };
  const run: Import = { source, at, nulls, refusal, result };
  for (const operation of operations) applyOperation(run, operation);
  return result;
}

function applyOperation(run: Import, operation: Operation): void {
  switch (operation.kind) {
    case 'upsert-users':
      for (const { externalId, profile } of operation.profiles) {
        if (!refused(run, 'USER', externalId, 'UPSERT')) upsertUser(run, externalId, profile);
      }
      break;
    case 'delete-users':
      for (const externalId of operation.externalIds) {
        if (!refused(run, 'USER', externalId, 'DELETE')) deactivateUser(run, externalId);
      }
      break;
    case 'upsert-groups':
      for (const { externalId, profile } of operation.profiles) {
        if (!refused(run, 'GROUP', externalId, 'UPSERT')) upsertGroup(run, externalId, profile);
      }
      break;
    case 'delete-groups':
      for (const externalId of operation.externalIds) {
        if (!refused(run, 'GROUP', externalId, 'DELETE') && deleteGroup(run.source, externalId)) {
          run.result.groupsDeleted++;
        }
      }
      break;
    case 'upsert-memberships':
      for (const membership of operation.memberships) addMembers(run, membership);
      break;
    case 'delete-memberships':
      for (const { groupExternalId, memberExternalIds } of operation.memberships) {
        const members = run.source.memberships.get(groupExternalId);
        for (const member of memberExternalIds) if (members?.delete(member)) run.result.membershipsRemoved++;
      }
      break;
  }
}

function refused(
  run: Import,
  entityType: 'USER' | 'GROUP',
  externalId: string,
  operation: RecordFailure['operation'],
): boolean {
  const reason = run.refusal(entityType, externalId);
  if (reason !== undefined) run.result.failures.push({ entityType, externalId, operation, errors: [reason] });
  return reason !== undefined;
}

function upsertUser(run: Import, externalId: string, profile: Profile): void {
  const { source, at, nulls, result } = run;
  const existing = source.users.get(externalId);
  const merged = mergeProfile(existing?.profile, profile, nulls);
  const errors = userProfileErrors(profile, merged, new Set(source.customAttributes), nulls);
  if (errors.length > 0) {
    result.failures.push({ entityType: 'USER', externalId, operation: 'UPSERT', errors });
    return;
  }
  if (existing) {
    existing.profile = merged;
    // A user who comes back from the source is reactivated.
    touchUser(existing, 'ACTIVE', at);
    result.usersUpdated++;
  } else {
    source.users.set(externalId, newUser(externalId, merged, at));
    result.usersCreated++;
  }
}

/** Okta's "delete" deactivates; unknown externalIds are ignored. */
function deactivateUser(run: Import, externalId: string): void {
  const user = run.source.users.get(externalId);
  if (user && user.status !== 'DEACTIVATED') {
    touchUser(user, 'DEACTIVATED', run.at);
    run.result.usersDeactivated++;
  }
}

function upsertGroup(run: Import, externalId: string, profile: Profile): void {
  const { source, at, result } = run;
  const existing = source.groups.get(externalId);
  const merged = mergeProfile(existing?.profile, profile);
  const errors = groupProfileErrors(profile, merged);
  if (errors.length > 0) {
    result.failures.push({ entityType: 'GROUP', externalId, operation: 'UPSERT', errors });
    return;
  }
  if (existing) {
    existing.profile = merged;
    existing.lastUpdated = at;
    result.groupsUpdated++;
  } else {
    source.groups.set(externalId, { id: oktaId('00g'), externalId, profile: merged, created: at, lastUpdated: at });
    result.groupsCreated++;
  }
}

function addMembers(run: Import, { groupExternalId, memberExternalIds }: Membership): void {
  const { source, result } = run;
  const failure = (error: string) =>
    result.failures.push({
      entityType: 'MEMBERSHIP',
      externalId: groupExternalId,
      operation: 'UPSERT',
      errors: [error],
    });
  if (!source.groups.has(groupExternalId)) {
    failure(`group ${groupExternalId} does not exist in this identity source`);
    return;
  }
  const members = source.memberships.get(groupExternalId) ?? new Set<string>();
  source.memberships.set(groupExternalId, members);
  for (const member of memberExternalIds) {
    if (!source.users.has(member)) {
      failure(`user ${member} does not exist in this identity source`);
    } else if (!members.has(member)) {
      members.add(member);
      result.membershipsAdded++;
    }
  }
}

/** Removes a group and its memberships; false when there was none. */
export function deleteGroup(source: IdentitySource, externalId: string): boolean {
  if (!source.groups.delete(externalId)) return false;
  source.memberships.delete(externalId);
  return true;
}

export function newUser(externalId: string, profile: Record<string, string>, at: number) {
  return {
    id: oktaId('00u'),
    appUserId: oktaId('0ua'),
    externalId,
    status: 'ACTIVE' as const,
    profile,
    created: at,
    lastUpdated: at,
  };
}
