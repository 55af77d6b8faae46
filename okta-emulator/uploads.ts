// The bodies of the bulk endpoints: parsed into operations kept on the session until it is processed.
import { z } from 'zod';
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

const externalId = (max: number) => z.string().min(1).max(max);
const profileObject = z.record(z.string(), z.unknown());
const users = z.object({ entityType: z.string().optional(), profiles: z.array(z.unknown()).nullish() });
const userUpsert = z.object({ externalId: externalId(512), profile: profileObject });
const userDelete = z.object({ externalId: externalId(512) });
const groupUpsert = z.object({ externalId: externalId(255), profile: profileObject });
const membership = z.object({
  groupExternalId: externalId(255),
  memberExternalIds: z.array(externalId(512)).min(1).max(MAX_ENTITIES_PER_REQUEST),
});

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
      const parsed = users.safeParse(body);
      if (!parsed.success) throw malformedBody(describe(parsed.error));
      if (parsed.data.entityType !== undefined && parsed.data.entityType !== 'USERS') {
        throw malformedBody(`entityType: '${parsed.data.entityType}' is not a valid entity type; expected USERS.`);
      }
      const items = parsed.data.profiles;
      if (items === null || items === undefined) return undefined;
      checkCount('profiles', items.length);
      if (endpoint === 'bulk-upsert') {
        return { kind: 'upsert-users', profiles: items.map((item, i) => entity(userUpsert, item, `profiles[${i}]`)) };
      }
      return {
        kind: 'delete-users',
        externalIds: items.map((item, i) => entity(userDelete, item, `profiles[${i}]`).externalId),
      };
    }
    case 'bulk-groups-upsert': {
      const items = list(body, 'profiles');
      if (items === undefined) return undefined;
      return { kind: 'upsert-groups', profiles: items.map((item, i) => entity(groupUpsert, item, `profiles[${i}]`)) };
    }
    case 'bulk-groups-delete': {
      const items = list(body, 'externalIds');
      if (items === undefined) return undefined;
      return {
        kind: 'delete-groups',
        externalIds: items.map((item, i) => entity(externalId(255), item, `externalIds[${i}]`)),
      };
    }
    case 'bulk-group-memberships-upsert':
    case 'bulk-group-memberships-delete': {
      const items = list(body, 'memberships');
      if (items === undefined) return undefined;
      const memberships = items.map((item, i) => entity(membership, item, `memberships[${i}]`));
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

function entity<T>(schema: z.ZodType<T>, item: unknown, where: string): T {
  const parsed = schema.safeParse(item);
  if (!parsed.success) throw validationFailed(where, `${where}: ${describe(parsed.error)}`);
  return parsed.data;
}

function describe(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}
