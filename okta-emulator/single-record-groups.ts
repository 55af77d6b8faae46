// The single-record group endpoints: POST /groups, GET, POST (update) and DELETE /groups/{groupOrExternalId}.
// A group is addressed by its Okta id or its externalId; answers carry a flat profile, as recorded traffic shows.
import type { GroupRecord, IdentitySource } from './directory.ts';
import { validationFailed } from './errors.ts';
import { oktaId } from './ids.ts';
import { deleteGroup as removeGroup } from './import-processing.ts';
import type { Org } from './org.ts';
import { groupProfileErrors, mergeProfile } from './profile.ts';
import {
  checkSameExternalId,
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

const MAX_EXTERNAL_ID = 255;

export function createGroup({ org, route, body, now }: SingleRecordRequest): SingleRecordAnswer {
  const source = org.source(route.identitySourceId ?? '');
  const request = jsonObject(body);
  const externalId = requireExternalId(request.externalId, 'externalId', MAX_EXTERNAL_ID);
  const profile = requireObject(request.profile, 'profile');
  const existing = source.groups.get(externalId);
  const merged = checkedProfile(profile, mergeProfile(existing?.profile, profile));
  refuseDuringImport(org, source.id, now);
  if (existing && org.singleRecord.createExisting === 'conflict') {
    throw validationFailed(
      'externalId',
      'externalId: a group with this externalId already exists in the identity source',
    );
  }
  const group = existing ?? { id: oktaId('00g'), externalId, profile: merged, created: now, lastUpdated: now };
  write(org, source, group, merged, now);
  return { status: 200, body: groupBody(group) };
}

export function getGroup({ org, route, now }: SingleRecordRequest): SingleRecordAnswer {
  const { group } = findGroup(org, route.identitySourceId, route.groupOrExternalId, now);
  return { status: 200, body: groupBody(group) };
}

export function updateGroup({ org, route, body, now }: SingleRecordRequest): SingleRecordAnswer {
  const { source, group } = findGroup(org, route.identitySourceId, route.groupOrExternalId, now);
  const request = jsonObject(body);
  checkSameExternalId(request.externalId, group.externalId);
  const profile = requireObject(request.profile, 'profile');
  const base = org.singleRecord.groupUpdate === 'merge' ? group.profile : undefined;
  const merged = checkedProfile(profile, mergeProfile(base, profile));
  refuseDuringImport(org, source.id, now);
  write(org, source, group, merged, now);
  return { status: 200, body: groupBody(group) };
}

/** Removes the group and its memberships, as bulk-groups-delete does. */
export function deleteGroup({ org, route, now }: SingleRecordRequest): SingleRecordAnswer {
  const { source, group } = findGroup(org, route.identitySourceId, route.groupOrExternalId, now);
  refuseDuringImport(org, source.id, now);
  removeGroup(source, group.externalId);
  org.version++;
  return { status: org.singleRecord.deleteStatus };
}

/** A group of the source by Okta id or externalId, or 404 E0000007. */
export function findGroup(org: Org, sourceId = '', idOrExternalId = '', now: number) {
  const source = org.source(sourceId);
  org.advance(now);
  const group = source.groups.get(idOrExternalId) ?? [...source.groups.values()].find((g) => g.id === idOrExternalId);
  if (!group) throw recordNotFound(idOrExternalId, 'IdentitySourceGroup');
  return { source, group };
}

function groupBody(group: GroupRecord) {
  return {
    id: group.id,
    externalId: group.externalId,
    profile: { displayName: group.profile.displayName ?? null, description: group.profile.description ?? null },
  };
}

function checkedProfile(request: Profile, merged: Record<string, string>): Record<string, string> {
  const errors = groupProfileErrors(request, merged);
  if (errors.length > 0) throw profileInvalid(errors);
  return merged;
}

function write(org: Org, source: IdentitySource, group: GroupRecord, profile: Record<string, string>, now: number) {
  group.profile = profile;
  group.lastUpdated = now;
  source.groups.set(group.externalId, group);
  org.version++;
}
