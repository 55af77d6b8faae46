// The single-record endpoints (users, groups, memberships; no session needed), by endpoint name.
import type { EndpointName } from './options.ts';
import type { SingleRecordAnswer, SingleRecordRequest } from './single-record-rules.ts';
import { createGroup, deleteGroup, getGroup, updateGroup } from './single-record-groups.ts';
import { addMembership, listMemberships, removeMembership } from './single-record-memberships.ts';
import { createUser, deleteUser, getUser, replaceUser, updateUser } from './single-record-users.ts';

type Handler = (request: SingleRecordRequest) => SingleRecordAnswer;

const HANDLERS: Partial<Record<EndpointName, Handler>> = {
  'create-user': createUser,
  'get-user': getUser,
  'replace-user': replaceUser,
  'update-user': updateUser,
  'delete-user': deleteUser,
  'create-group': createGroup,
  'get-group': getGroup,
  'update-group': updateGroup,
  'delete-group': deleteGroup,
  'list-memberships': listMemberships,
  'add-membership': addMembership,
  'remove-membership': removeMembership,
};

/** The handler of a single-record endpoint, or undefined for any other endpoint. */
export function singleRecordHandler(endpoint: EndpointName): Handler | undefined {
  return HANDLERS[endpoint];
}
