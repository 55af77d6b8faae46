// What every single-record endpoint shares: the request it gets, body parsing, Okta's errors for it, and the rule
// for writes while an import session of the same identity source is active.
import { malformedBody, OktaError, validationFailed } from './errors.ts';
import type { Org } from './org.ts';
import type { Route } from './routes.ts';

export interface SingleRecordRequest {
  org: Org;
  route: Route;
  body: Buffer;
  query: URLSearchParams;
  now: number;
  /** The emulator's URL, for Link headers. */
  url: string;
}

export interface SingleRecordAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export function jsonObject(raw: Buffer): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw malformedBody('The request body is not valid JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw malformedBody('The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

export function requireObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw validationFailed(field, `${field}: must be an object`);
  }
  return value as Record<string, unknown>;
}

export function requireExternalId(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw validationFailed(field, `${field}: must be a string of 1 to ${max} characters`);
  }
  return value;
}

/** A body's externalId, when it repeats the one in the path, must be the same. */
export function checkSameExternalId(value: unknown, pathId: string): void {
  if (value !== undefined && value !== pathId) {
    throw validationFailed('externalId', 'externalId: does not match the externalId in the path');
  }
}

/** 400 E0000001 naming each failing attribute (never its value). */
export function profileInvalid(causes: string[]): OktaError {
  return new OktaError(400, 'E0000001', 'Api validation failed: profile', causes);
}

export function recordNotFound(id: string, kind: 'IdentitySourceUser' | 'IdentitySourceGroup'): OktaError {
  return new OktaError(404, 'E0000007', `Not found: Resource not found: ${id} (${kind})`);
}

/** With `duringImport: 'conflict'`, a write while a session of the source is active is refused, naming it. */
export function refuseDuringImport(org: Org, sourceId: string, now: number): void {
  if (org.singleRecord.duringImport !== 'conflict') return;
  const session = org.activeSession(sourceId, now);
  if (!session) return;
  throw validationFailed(
    'identitySourceSession',
    `Import session ${session.id} of this identity source is in ${session.status} status: single-record changes are refused until it is processed or closed.`,
  );
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
