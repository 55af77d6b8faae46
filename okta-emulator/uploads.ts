// The bodies of the bulk endpoints: parsed into operations kept on the session until it is processed.
import { malformedBody, validationFailed } from './errors.ts';

export const MAX_ENTITIES_PER_REQUEST = 200;
export const MAX_BODY_BYTES = 200 * 1024;

export type Profile = Record<string, unknown>;

export type Operation =
  | { kind: 'upsert-users'; profiles: { externalId: string; profile: Profile }[] }
  | { kind: 'delete-users'; externalIds: string[] }
  | { kind: 'upsert-groups'; profiles: { externalId: string; profile: Profile }[] }
  | { kind: 'delete-groups'; externalIds: string[] }
  | { kind: 'upsert-memberships'; memberships: Membership[] }
  | { kind: 'delete-memberships'; memberships: Membership[] };

export interface Membership {
  groupExternalId: string;
  memberExternalIds: string[];
}

export type BulkEndpoint =
  | 'bulk-upsert'
  | 'bulk-delete'
  | 'bulk-groups-upsert'
  | 'bulk-groups-delete'
  | 'bulk-group-memberships-upsert'
  | 'bulk-group-memberships-delete';

// Hand-written checks rather than a schema library: this is the emulator's hot path (200 records a request).
type Check<T> = (item: unknown, where: string) => T;

function externalId(max: number): Check<string> {
  return (value, where) => {
    if (typeof value !== 'string' || value.length === 0 || value.length > max) {
      throw validationFailed(where, `${where}: must be a string of 1 to ${max} characters`);
    }
    return value;
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function withProfile(max: number): Check<{ externalId: string; profile: Profile }> {
  const id = externalId(max);
  return (item, where) => {
    if (!isObject(item)) throw validationFailed(where, `${where}: must be an object`);
    if (!isObject(item.profile)) throw validationFailed(where, `${where}.profile: must be an object`);
    return { externalId: id(item.externalId, `${where}.externalId`), profile: item.profile };
  };
}

const userUpsert = withProfile(512);
const groupUpsert = withProfile(255);
const userExternalId = externalId(512);
const groupExternalId = externalId(255);

function userDelete(item: unknown, where: string): string {
  if (!isObject(item)) throw validationFailed(where, `${where}: must be an object`);
  return userExternalId(item.externalId, `${where}.externalId`);
}

function membership(item: unknown, where: string): Membership {
  if (!isObject(item)) throw validationFailed(where, `${where}: must be an object`);
  const members = item.memberExternalIds;
  if (!Array.isArray(members) || members.length === 0 || members.length > MAX_ENTITIES_PER_REQUEST) {
    throw validationFailed(
      where,
      `${where}.memberExternalIds: must be an array of 1 to ${MAX_ENTITIES_PER_REQUEST} externalIds`,
    );
  }
  return {
    groupExternalId: groupExternalId(item.groupExternalId, `${where}.groupExternalId`),
    memberExternalIds: members.map((m, i) => userExternalId(m, `${where}.memberExternalIds[${i}]`)),
  };
}

/**
 * Parses one bulk request. Returns undefined for an empty payload (no body, null, no entities), which Okta accepts
 * as a request that changes nothing.
 */
export function parseBulkBody(endpoint: BulkEndpoint, raw: Buffer): Operation | undefined {
  if (raw.length > MAX_BODY_BYTES) {
    // Okta does not document this error; 400 E0000001 is what its other per-request limits answer.
    throw validationFailed(
      'bulkRequest',
      `The request body is ${raw.length} bytes; a bulk request may be at most 200 KB (${MAX_BODY_BYTES} bytes).`,
    );
  }
  const text = raw.toString('utf8').trim();
  if (text === '') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw malformedBody('The request body is not valid JSON.');
  }
  if (body === null) return undefined;
  if (typeof body !== 'object' || Array.isArray(body)) throw malformedBody('The request body must be a JSON object.');

  switch (endpoint) {
    case 'bulk-upsert':
    case 'bulk-delete': {
      const entityType = (body as Record<string, unknown>).entityType;
      if (entityType !== undefined && entityType !== 'USERS') {
        throw malformedBody(`entityType: ${JSON.stringify(entityType)} is not a valid entity type; expected USERS.`);
      }
      const items = list(body, 'profiles');
      if (items === undefined) return undefined;
      if (endpoint === 'bulk-upsert') {
        return { kind: 'upsert-users', profiles: items.map((item, i) => userUpsert(item, `profiles[${i}]`)) };
      }
      return { kind: 'delete-users', externalIds: items.map((item, i) => userDelete(item, `profiles[${i}]`)) };
    }
    case 'bulk-groups-upsert': {
      const items = list(body, 'profiles');
      if (items === undefined) return undefined;
      return { kind: 'upsert-groups', profiles: items.map((item, i) => groupUpsert(item, `profiles[${i}]`)) };
    }
    case 'bulk-groups-delete': {
      const items = list(body, 'externalIds');
      if (items === undefined) return undefined;
      return {
        kind: 'delete-groups',
        externalIds: items.map((item, i) => groupExternalId(item, `externalIds[${i}]`)),
      };
    }
    case 'bulk-group-memberships-upsert':
    case 'bulk-group-memberships-delete': {
      const items = list(body, 'memberships');
      if (items === undefined) return undefined;
      const memberships = items.map((item, i) => membership(item, `memberships[${i}]`));
      return {
        kind: endpoint === 'bulk-group-memberships-upsert' ? 'upsert-memberships' : 'delete-memberships',
        memberships,
      };
    }
  }
}

/** How many records an operation carries (what processing time and the import summary count). */
export function recordCount(operation: Operation): number {
  switch (operation.kind) {
    case 'upsert-users':
    case 'upsert-groups':
      return operation.profiles.length;
    case 'delete-users':
    case 'delete-groups':
      return operation.externalIds.length;
    case 'upsert-memberships':
    case 'delete-memberships':
      return operation.memberships.reduce((sum, m) => sum + m.memberExternalIds.length, 0);
  }
}

function list(body: object, field: string): unknown[] | undefined {
  const value = (body as Record<string, unknown>)[field];
  if (value === null || value === undefined) return undefined;
  if (!Array.isArray(value)) throw malformedBody(`${field}: expected an array.`);
  checkCount(field, value.length);
  return value as unknown[];
}

function checkCount(field: string, count: number): void {
  if (count === 0) throw validationFailed(field, `${field}: a bulk request must contain at least one entity.`);
  if (count > MAX_ENTITIES_PER_REQUEST) {
    // Okta does not document this error; see docs/okta-emulator.md.
    throw validationFailed(
      field,
      `${field}: a bulk request may contain at most ${MAX_ENTITIES_PER_REQUEST} entities; this one contains ${count}.`,
    );
  }
}
