// The single-record endpoints (users, groups, memberships; no session needed), by endpoint name.
import type { EndpointName } from './options.ts';
import type { SingleRecordAnswer, SingleRecordRequest } from './single-record-rules.ts';
import { createUser, deleteUser, getUser, replaceUser, updateUser } from './single-record-users.ts';

type Handler = (request: SingleRecordRequest) => SingleRecordAnswer;

const HANDLERS: Partial<Record<EndpointName, Handler>> = {
  'create-user': createUser,
  'get-user': getUser,
  'replace-user': replaceUser,
  'update-user': updateUser,
  'delete-user': deleteUser,
};

/** The handler of a single-record endpoint, or undefined for any other endpoint. */
export function singleRecordHandler(endpoint: EndpointName): Handler | undefined {
  return HANDLERS[endpoint];
}
