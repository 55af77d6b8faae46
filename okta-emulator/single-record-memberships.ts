// The single-record membership endpoints: GET /groups/{g}/membership (paged by an opaque cursor and a Link header),
// POST one member, DELETE /groups/{g}/membership/{memberExternalId}.
import { validationFailed } from './errors.ts';
import { findGroup } from './single-record-groups.ts';
import {
  jsonObject,
  refuseDuringImport,
  requireExternalId,
  type SingleRecordAnswer,
  type SingleRecordRequest,
} from './single-record-rules.ts';
import { isPresent } from './single-record-users.ts';

export const MAX_MEMBERSHIP_PAGE = 1000;
/** Okta documents no default page size; 200 is what Okta's other lists use and what Terraform asks for. */
export const DEFAULT_MEMBERSHIP_PAGE = 200;

/** Members in externalId order; the cursor is the last externalId of the page, base64url-encoded. */
export function listMemberships({ org, route, query, now, url }: SingleRecordRequest): SingleRecordAnswer {
  const { source, group } = findGroup(org, route.identitySourceId, route.groupOrExternalId, now);
  const limit = pageSize(query.get('limit'));
  const after = cursor(query.get('after'));
  const members = [...(source.memberships.get(group.externalId) ?? [])].sort();
  const rest = after === undefined ? members : members.filter((m) => m > after);
  const page = rest.slice(0, limit);
  const last = page.at(-1);
  if (rest.length <= limit || last === undefined) return { status: 200, body: { memberExternalIds: page } };
  const next = new URLSearchParams({ after: Buffer.from(last).toString('base64url'), limit: String(limit) });
  const path = `/api/v1/identity-sources/${source.id}/groups/${encodeURIComponent(route.groupOrExternalId ?? '')}`;
  return {
    status: 200,
    body: { memberExternalIds: page },
    headers: { Link: `<${url}${path}/membership?${next.toString()}>; rel="next"` },
  };
}

/** Adds one member (a user of the identity source); adding a member twice changes nothing. */
export function addMembership({ org, route, body, now }: SingleRecordRequest): SingleRecordAnswer {
  const { source, group } = findGroup(org, route.identitySourceId, route.groupOrExternalId, now);
  const member = requireExternalId(jsonObject(body).memberExternalId, 'memberExternalId', 255);
  refuseDuringImport(org, source.id, now);
  const user = source.users.get(member);
  if (!user || !isPresent(org, user)) {
    throw validationFailed('memberExternalId', 'memberExternalId: no user with this externalId in the identity source');
  }
  const members = source.memberships.get(group.externalId) ?? new Set<string>();
  source.memberships.set(group.externalId, members);
  members.add(member);
  org.version++;
  return { status: 204 };
}

/** Removes one member; removing someone who is not a member changes nothing. */
export function removeMembership({ org, route, now }: SingleRecordRequest): SingleRecordAnswer {
  const { source, group } = findGroup(org, route.identitySourceId, route.groupOrExternalId, now);
  refuseDuringImport(org, source.id, now);
  if (source.memberships.get(group.externalId)?.delete(route.externalId ?? '')) org.version++;
  return { status: 204 };
}

function pageSize(value: string | null): number {
  if (value === null) return DEFAULT_MEMBERSHIP_PAGE;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_MEMBERSHIP_PAGE) {
    throw validationFailed('limit', `limit: must be a whole number from 1 to ${MAX_MEMBERSHIP_PAGE}`);
  }
  return limit;
}

function cursor(value: string | null): string | undefined {
  if (value === null) return undefined;
  const decoded = Buffer.from(value, 'base64url').toString('utf8');
  if (decoded === '' || Buffer.from(decoded).toString('base64url') !== value) {
    throw validationFailed('after', 'after: is not a cursor this API returned');
  }
  return decoded;
}
