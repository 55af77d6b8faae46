import type { JWK } from 'jose';

export const READ_SCOPE = 'okta.identitySources.read';
export const MANAGE_SCOPE = 'okta.identitySources.manage';
/** Reading the identity source's user schema (the app user schema of the same id). */
export const SCHEMAS_READ_SCOPE = 'okta.schemas.read';
export const ALL_SCOPES = [MANAGE_SCOPE, READ_SCOPE, SCHEMAS_READ_SCOPE];

/**
 * What an explicit `null` in a bulk-upsert profile does. Okta documents no meaning for it: `clears` (the default)
 * removes the attribute, `ignored` keeps the stored value as if the attribute had been left out.
 */
export type NullInBulkUpsert = 'clears' | 'ignored';

/**
 * How the single-record endpoints (`/users`, `/groups`, `…/membership`) behave where Okta documents nothing.
 * Defaults are the emulator's picks (docs/okta-emulator.md, "Choices where Okta is silent").
 */
export interface SingleRecordBehaviour {
  /** POST `/users` or `/groups` with an externalId already there: 400 E0000001 (`conflict`) or an upsert. */
  createExisting: 'conflict' | 'upsert';
  /** POST `/groups/{groupOrExternalId}`: the profile is replaced (description left out is cleared) or merged. */
  groupUpdate: 'replace' | 'merge';
  /** The status of a successful user or group DELETE: 204 as the spec says, or 200 as recorded traffic shows. */
  deleteStatus: 204 | 200;
  /**
   * What a deactivated user (single-record or bulk delete) is to the identity source: `gone` (GET, PUT, PATCH and
   * DELETE answer 404; POST creates it again) or `kept` (still readable and writable; a write reactivates it).
   */
  deletedUsers: 'gone' | 'kept';
  /** What an explicit null does in PATCH `/users/{externalId}`: clears the attribute or keeps the stored value. */
  nullInPatch: NullInBulkUpsert;
  /**
   * Single-record writes while a session of the same identity source is CREATED, IN_PROGRESS or TRIGGERED: applied
   * at once (`independent`) or refused with 400 E0000001 naming the session (`conflict`).
   */
  duringImport: 'independent' | 'conflict';
}

export const SINGLE_RECORD_DEFAULTS: SingleRecordBehaviour = {
  createExisting: 'conflict',
  groupUpdate: 'replace',
  deleteStatus: 204,
  deletedUsers: 'gone',
  nullInPatch: 'clears',
  duringImport: 'independent',
};

export interface IdentitySourceConfig {
  id: string;
  /** Attributes declared in the identity source's user schema beyond Okta's seven base attributes. */
  customAttributes?: string[];
}

export interface ApiTokenConfig {
  token: string;
  /** Defaults to both identity-source scopes and okta.schemas.read. */
  scopes?: string[];
}

export interface OAuthClientConfig {
  clientId: string;
  /** Public keys that client assertions (private_key_jwt) must be signed with. */
  publicJwks: JWK[];
  /** Scopes the app was granted; defaults to both identity-source scopes and okta.schemas.read. */
  scopes?: string[];
  /** Demand DPoP-bound tokens from this app (the use_dpop_nonce round trip, then `Authorization: DPoP`). */
  requireDpop?: boolean;
}

/** Every Okta duration, so that tests can run Okta's rules in seconds. Defaults are Okta's. */
export interface Durations {
  fiveMinuteRuleMs: number;
  sessionExpiryMs: number;
  /** Time one triggered session takes to process, plus importProcessingPerRecordMs for each uploaded record. */
  importProcessingMs: number;
  importProcessingPerRecordMs: number;
  rateLimitWindowMs: number;
  accessTokenTtlMs: number;
}

export interface RateLimitSettings {
  /** Requests per window (Okta's /api/v1 bucket on Enterprise orgs: 600 a minute). */
  perWindow: number;
  /** Requests in flight at once. */
  concurrency: number;
}

export const ENDPOINTS = [
  'list-sessions',
  'create-session',
  'get-session',
  'cancel-session',
  'bulk-upsert',
  'bulk-delete',
  'start-import',
  'bulk-groups-upsert',
  'bulk-groups-delete',
  'bulk-group-memberships-upsert',
  'bulk-group-memberships-delete',
  'get-user-schema',
  'token',
  'create-user',
  'get-user',
  'replace-user',
  'update-user',
  'delete-user',
  'create-group',
  'get-group',
  'update-group',
  'delete-group',
  'list-memberships',
  'add-membership',
  'remove-membership',
] as const;
export type EndpointName = (typeof ENDPOINTS)[number];

/** "The nth request to this endpoint answers <respond>" or "…is dropped". Counted from when faults were last set. */
export interface ScriptedFault {
  endpoint: EndpointName;
  nth: number;
  /** HTTP status to answer with (5xx with Okta's error body, or 429 E0000047). */
  respond?: number;
  /** 'drop' destroys the socket without an answer. */
  action?: 'drop';
  /** Apply the request before failing it: Okta did the work, the answer was lost or replaced. */
  applyBeforeDrop?: boolean;
  /** For respond: 429, when the announced reset is (default: the end of the current rate-limit window). */
  resetInMs?: number;
  /** Extra latency for this request only. */
  latencyMs?: number;
}

export interface ImportOutcomeFault {
  /** The nth session to finish processing (counted over all identity sources from when faults were set). */
  nth: number;
  status: 'ERROR' | 'COMPLETED';
  identitySourceId?: string;
}

/** A valid record that Okta refuses when it processes a session: not applied, listed in the session's failures. */
export interface ImportRefusal {
  externalId: string;
  /** The error the session's result lists for it. */
  reason: string;
  /** Default USER. */
  entityType?: 'USER' | 'GROUP';
  identitySourceId?: string;
}

export interface FaultSettings {
  script?: ScriptedFault[];
  /** Share of requests answered with a random 500/502/503/504. */
  errorRate?: number;
  /** Share of requests that start a 429 burst: the bucket is exhausted until the end of the current window. */
  rateLimitBurstRate?: number;
  /** Share of requests whose connection is destroyed without an answer. */
  dropRate?: number;
  /** For random drops: apply the request first (the answer is lost, not the request). */
  applyBeforeDrop?: boolean;
  latencyMs?: { min: number; max: number };
  /** Endpoints random faults apply to (default: all but token). */
  endpoints?: EndpointName[];
  seed?: number;
  importOutcome?: ImportOutcomeFault[];
  /** Records refused at import (upsert or delete), in every session processed while this is set. */
  refuseAtImport?: ImportRefusal[];
}

export interface OktaEmulatorOptions {
  host?: string;
  port?: number;
  identitySources?: IdentitySourceConfig[];
  apiTokens?: ApiTokenConfig[];
  oauthClients?: OAuthClientConfig[];
  durations?: Partial<Durations>;
  rateLimit?: Partial<RateLimitSettings>;
  faults?: FaultSettings;
  /** Persist state here (temp file + rename after each change) and load it on start. */
  stateFile?: string;
  /** What an explicit null in a bulk-upsert profile does (default `clears`). */
  nullInBulkUpsert?: NullInBulkUpsert;
  /** The single-record endpoints' behaviour where Okta is silent (defaults: SINGLE_RECORD_DEFAULTS). */
  singleRecord?: Partial<SingleRecordBehaviour>;
  /** Entries kept in the request log (counters are kept for all). */
  requestLogLimit?: number;
}

export const OKTA_DURATIONS: Durations = {
  fiveMinuteRuleMs: 5 * 60_000,
  sessionExpiryMs: 24 * 3_600_000,
  // Okta does not publish how long an import takes; ten seconds plus 5 ms a record matches what admins report.
  importProcessingMs: 10_000,
  importProcessingPerRecordMs: 5,
  rateLimitWindowMs: 60_000,
  accessTokenTtlMs: 3_600_000,
};

export const OKTA_RATE_LIMIT: RateLimitSettings = { perWindow: 600, concurrency: 75 };
