import got, { parseLinkHeader, type Got, type Response } from 'got';
import { ApplicationFailure } from '@temporalio/common';
import {
  createAuthorizer,
  OktaTokenError,
  safeJson,
  type OktaAuthorizer,
  type OktaCredentials,
} from './credentials.ts';
import { isOktaFailure } from '../../contracts/okta-failure-types.ts';
import {
  describeFailed,
  failureForStatus,
  identitySourceNotFound,
  OKTA_FAILURE,
  recordRefused,
  type FailedCall,
  type OktaErrorBody,
} from './failures.ts';
import type { RateLimitPacer } from './rate-limit-pacer.ts';
import {
  withoutValues,
  type DeleteResult,
  type GroupRecord,
  type IdentitySourceGroup,
  type IdentitySourceUser,
  type UserRecord,
} from './records.ts';
import { userSchemaOf, type UserSchema } from './user-schema.ts';

export type SessionStatus = 'CREATED' | 'IN_PROGRESS' | 'TRIGGERED' | 'COMPLETED' | 'CLOSED' | 'EXPIRED' | 'ERROR';

export interface IdentitySourceSession {
  id: string;
  identitySourceId: string;
  status: SessionStatus;
  importType?: string;
  created: string;
  lastUpdated: string;
}

/** The bulk endpoints of a session, by the path segment Okta gives them. */
export type BulkEndpoint =
  | 'bulk-upsert'
  | 'bulk-delete'
  | 'bulk-groups-upsert'
  | 'bulk-groups-delete'
  | 'bulk-group-memberships-upsert'
  | 'bulk-group-memberships-delete';

export interface IdentitySourceClientOptions {
  orgUrl: string;
  credentials: OktaCredentials;
  pacer?: RateLimitPacer;
  /** Per-request timeout; a timeout is a retryable failure. */
  requestTimeoutMs?: number;
  userAgent?: string;
}

/** What one call cost: for progress and metrics. */
export interface CallStats {
  pacedMs: number;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface CallOptions {
  /** The exact JSON body. */
  body?: string;
  /** A URL other than under the identity source's path. */
  fullUrl?: string;
  /**
   * A single record's call: its id (an externalId, or a group's id), the profile sent (whose values are taken out of
   * Okta's error text), and whether a 400 refuses the record (writes) rather than the request.
   */
  record?: { id: string; sent?: object; refusable?: boolean };
}

interface Answer {
  status: number;
  json: unknown;
  stats: CallStats;
  link?: string;
  /** A record's 404, described as a failure would be (for callers that turn it into one). */
  failed?: FailedCall;
}

/** Okta's largest page of group members. */
const MAX_MEMBERS_PAGE = 1000;

/**
 * Typed calls to Okta's Identity Sources API. No retries here: every failure becomes a Temporal failure of its own
 * type (see failures.ts) and Temporal retries, visibly and durably, with the delay Okta's headers ask for.
 */
export class IdentitySourceClient {
  private readonly http: Got;
  private readonly auth: OktaAuthorizer;
  private readonly orgUrl: string;
  private readonly pacer: RateLimitPacer | undefined;
  private readonly canRefreshToken: boolean;
  /** Identity sources Okta answered for: a record's 404 under them means the record. */
  private readonly knownSources = new Set<string>();

  constructor(options: IdentitySourceClientOptions) {
    this.orgUrl = options.orgUrl.replace(/\/+$/, '');
    this.auth = createAuthorizer(this.orgUrl, options.credentials);
    this.canRefreshToken = options.credentials.kind === 'oauth';
    this.pacer = options.pacer;
    this.http = got.extend({
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
      timeout: { request: options.requestTimeoutMs ?? 60_000 },
      headers: { accept: 'application/json', 'user-agent': options.userAgent ?? 'hr-okta-sync' },
    });
  }

  listSessions(identitySourceId: string): Promise<IdentitySourceSession[]> {
    return this.call('GET', identitySourceId, '/sessions', 'list sessions').then(
      (r) => r.json as IdentitySourceSession[],
    );
  }

  createSession(identitySourceId: string): Promise<IdentitySourceSession> {
    return this.call('POST', identitySourceId, '/sessions', 'create session').then(
      (r) => r.json as IdentitySourceSession,
    );
  }

  getSession(identitySourceId: string, sessionId: string): Promise<IdentitySourceSession> {
    return this.call('GET', identitySourceId, `/sessions/${enc(sessionId)}`, 'get session').then(
      (r) => r.json as IdentitySourceSession,
    );
  }

  async cancelSession(identitySourceId: string, sessionId: string): Promise<void> {
    await this.call('DELETE', identitySourceId, `/sessions/${enc(sessionId)}`, 'cancel session');
  }

  startImport(identitySourceId: string, sessionId: string): Promise<IdentitySourceSession> {
    return this.call('POST', identitySourceId, `/sessions/${enc(sessionId)}/start-import`, 'start import').then(
      (r) => r.json as IdentitySourceSession,
    );
  }

  /** Sends one bulk request; `body` is the exact serialized JSON (its size was checked when the plan was laid out). */
  async upload(identitySourceId: string, sessionId: string, endpoint: BulkEndpoint, body: string): Promise<CallStats> {
    const { stats } = await this.call('POST', identitySourceId, `/sessions/${enc(sessionId)}/${endpoint}`, endpoint, {
      body,
    });
    return stats;
  }

  /**
   * The identity source's user schema: the app user schema of the same id (needs okta.schemas.read). The names of
   * its base and custom attributes, which are what an upsert profile may carry.
   */
  async getUserSchema(identitySourceId: string): Promise<UserSchema> {
    const { json } = await this.call('GET', identitySourceId, '', 'get user schema', {
      fullUrl: `${this.orgUrl}/api/v1/meta/schemas/apps/${enc(identitySourceId)}/default`,
    });
    return userSchemaOf(json);
  }

  /** One user as Okta holds it; undefined when Okta does not have that externalId. */
  async getUser(identitySourceId: string, externalId: string): Promise<IdentitySourceUser | undefined> {
    const answer = await this.call('GET', identitySourceId, userPath(externalId), 'get user', {
      record: { id: externalId },
    });
    return answer.status === 404 ? undefined : userOf(answer.json, externalId);
  }

  /**
   * Creates a user (POST /users; email and userName required). Okta's spec gives the answer no body: the user is
   * returned when Okta sends it, else undefined.
   */
  async createUser(identitySourceId: string, user: UserRecord): Promise<IdentitySourceUser | undefined> {
    const { json } = await this.call('POST', identitySourceId, '/users', 'create user', {
      body: JSON.stringify({ externalId: user.externalId, profile: user.profile }),
      record: { id: user.externalId, sent: user.profile, refusable: true },
    });
    return json === undefined ? undefined : userOf(json, user.externalId);
  }

  /**
   * Replaces a user's profile (PUT): every attribute left out (or null) comes back null, the documented way to clear.
   * Undefined when Okta does not have that externalId.
   */
  async replaceUser(identitySourceId: string, user: UserRecord): Promise<IdentitySourceUser | undefined> {
    const answer = await this.call('PUT', identitySourceId, userPath(user.externalId), 'replace user', {
      body: JSON.stringify({ externalId: user.externalId, profile: user.profile }),
      record: { id: user.externalId, sent: user.profile, refusable: true },
    });
    return answer.status === 404 ? undefined : userOf(answer.json, user.externalId);
  }

  /**
   * Merges into a user's profile (PATCH): attributes left out keep their values; Okta still requires email and
   * userName. Undefined when Okta does not have that externalId.
   */
  async updateUser(identitySourceId: string, user: UserRecord): Promise<IdentitySourceUser | undefined> {
    const answer = await this.call('PATCH', identitySourceId, userPath(user.externalId), 'update user', {
      body: JSON.stringify({ profile: user.profile }),
      record: { id: user.externalId, sent: user.profile, refusable: true },
    });
    return answer.status === 404 ? undefined : userOf(answer.json, user.externalId);
  }

  /** Deletes (in Okta: deactivates) a user; a user Okta does not have is "not found", which is done as well. */
  async deleteUser(identitySourceId: string, externalId: string): Promise<DeleteResult> {
    const answer = await this.call('DELETE', identitySourceId, userPath(externalId), 'delete user', {
      record: { id: externalId },
    });
    return answer.status === 404 ? 'not found' : 'deleted';
  }

  /** A group by Okta id or externalId; undefined when Okta does not have it. */
  async getGroup(identitySourceId: string, groupOrExternalId: string): Promise<IdentitySourceGroup | undefined> {
    const answer = await this.call('GET', identitySourceId, groupPath(groupOrExternalId), 'get group', {
      record: { id: groupOrExternalId },
    });
    return answer.status === 404 ? undefined : (answer.json as IdentitySourceGroup);
  }

  async createGroup(identitySourceId: string, group: GroupRecord): Promise<IdentitySourceGroup> {
    const { json } = await this.call('POST', identitySourceId, '/groups', 'create group', {
      body: JSON.stringify(group),
      record: { id: group.externalId, sent: group.profile, refusable: true },
    });
    return json as IdentitySourceGroup;
  }

  /** Updates a group (Okta's groups take POST, not PUT or PATCH); undefined when Okta does not have it. */
  async updateGroup(identitySourceId: string, group: GroupRecord): Promise<IdentitySourceGroup | undefined> {
    const answer = await this.call('POST', identitySourceId, groupPath(group.externalId), 'update group', {
      body: JSON.stringify(group),
      record: { id: group.externalId, sent: group.profile, refusable: true },
    });
    return answer.status === 404 ? undefined : (answer.json as IdentitySourceGroup);
  }

  async deleteGroup(identitySourceId: string, groupOrExternalId: string): Promise<DeleteResult> {
    const answer = await this.call('DELETE', identitySourceId, groupPath(groupOrExternalId), 'delete group', {
      record: { id: groupOrExternalId },
    });
    return answer.status === 404 ? 'not found' : 'deleted';
  }

  /**
   * The externalIds of a group's members, every page (Okta's `Link: rel="next"`, `limit` ≤ 1000 a page); undefined
   * when Okta does not have the group.
   */
  async listGroupMembers(
    identitySourceId: string,
    groupOrExternalId: string,
    pageSize = MAX_MEMBERS_PAGE,
  ): Promise<string[] | undefined> {
    if (!(Number.isInteger(pageSize) && pageSize >= 1 && pageSize <= MAX_MEMBERS_PAGE)) {
      throw new RangeError(`a page of group members holds 1 to ${MAX_MEMBERS_PAGE}, not ${pageSize}`);
    }
    const members: string[] = [];
    let url: string | undefined =
      `${this.sourceUrl(identitySourceId)}${groupPath(groupOrExternalId)}/membership?limit=${pageSize}`;
    while (url) {
      const answer = await this.call('GET', identitySourceId, '', 'list group members', {
        fullUrl: url,
        record: { id: groupOrExternalId },
      });
      if (answer.status === 404) return undefined;
      members.push(...((answer.json as { memberExternalIds?: string[] } | undefined)?.memberExternalIds ?? []));
      url = this.nextPage(answer.link, url);
    }
    return members;
  }

  /** Adds one user to a group; a group or user Okta does not know refuses that membership (OktaRecordRefused). */
  async addGroupMember(identitySourceId: string, groupOrExternalId: string, memberExternalId: string): Promise<void> {
    const answer = await this.call(
      'POST',
      identitySourceId,
      `${groupPath(groupOrExternalId)}/membership`,
      'add group member',
      {
        body: JSON.stringify({ memberExternalId }),
        record: { id: memberExternalId, refusable: true },
      },
    );
    if (answer.status === 404) {
      throw recordRefused(answer.failed!, memberExternalId, [
        `Okta does not know group ${groupOrExternalId} or user ${memberExternalId}`,
      ]);
    }
  }

  /** Removes one user from a group; "not found" when Okta answers 404 (a group it does not have). */
  async removeGroupMember(
    identitySourceId: string,
    groupOrExternalId: string,
    memberExternalId: string,
  ): Promise<DeleteResult> {
    const answer = await this.call(
      'DELETE',
      identitySourceId,
      `${groupPath(groupOrExternalId)}/membership/${enc(memberExternalId)}`,
      'remove group member',
      { record: { id: memberExternalId } },
    );
    return answer.status === 404 ? 'not found' : 'deleted';
  }

  private sourceUrl(identitySourceId: string): string {
    return `${this.orgUrl}/api/v1/identity-sources/${enc(identitySourceId)}`;
  }

  /** The next page's URL from a Link header; only within the org, so credentials never go to another host. */
  private nextPage(link: string | undefined, current: string): string | undefined {
    if (!link) return undefined;
    const next = parseLinkHeader(link).find((l) => l.parameters.rel?.replace(/"/g, '') === 'next');
    if (!next) return undefined;
    const url = new URL(next.reference, current);
    if (url.origin !== new URL(this.orgUrl).origin) {
      throw ApplicationFailure.create({
        type: OKTA_FAILURE.rejected,
        message: `Okta's next-page link points outside the org (${url.origin}); not followed`,
        nonRetryable: true,
      });
    }
    return url.href;
  }

  /**
   * One Okta call. A record's call (`record`) answers 404 as a result, not a failure, once the identity source is
   * known to exist (Okta answers 404 E0000007 for both), and a 400 to a record's write as OktaRecordRefused.
   */
  private async call(
    method: Method,
    identitySourceId: string,
    path: string,
    operation: string,
    options: CallOptions = {},
  ): Promise<Answer> {
    const { body, record } = options;
    const url = options.fullUrl ?? `${this.sourceUrl(identitySourceId)}${path}`;
    for (let authAttempt = 0; ; authAttempt++) {
      // A single record's write is urgent: a person (a leaver, a new hire) waits for it.
      const priority = record && method !== 'GET' ? 'urgent' : 'background';
      const pacedMs = (await this.pacer?.acquire(priority)) ?? 0;
      let response: Response<string>;
      try {
        const headers = await this.authHeaders(method, url);
        response = await this.http(url, {
          method,
          headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body }),
        });
      } catch (error) {
        this.pacer?.release(undefined);
        throw this.transportFailure(operation, error);
      }
      const rateLimit = readRateLimit(response);
      this.pacer?.release(rateLimit);
      const status = response.statusCode;
      if (status >= 200 && status < 300) {
        if (!options.fullUrl || record) this.knownSources.add(identitySourceId);
        return {
          status,
          json: response.body ? safeJson(response.body) : undefined,
          stats: { pacedMs },
          link: headerValue(response, 'link'),
        };
      }
      const requestId = headerValue(response, 'x-okta-request-id');
      if (status === 401 && this.canRefreshToken && authAttempt === 0) {
        // An expired or revoked access token: fetch a new one once; a second 401 is a real credentials problem.
        this.auth.invalidate();
        continue;
      }
      if (status === 429) throw rateLimitedFailure(operation, rateLimit, requestId);
      if (status >= 500) {
        throw ApplicationFailure.create({
          type: OKTA_FAILURE.unavailable,
          message: `${method} ${operation} answered ${status}${requestId ? ` (X-Okta-Request-Id ${requestId})` : ''}`,
        });
      }
      const errorBody = safeJson(response.body) as OktaErrorBody | undefined;
      const failed: FailedCall = {
        operation: `${method} ${operation}`,
        status,
        body: record ? bodyWithoutValues(errorBody, record.sent) : errorBody,
        requestId,
      };
      if (record && status === 404) {
        await this.checkSourceKnown(identitySourceId, failed);
        return { status, json: undefined, stats: { pacedMs }, failed };
      }
      if (record?.refusable && status === 400) {
        // A 400 that names an import session is about the session (Okta does not document how single-record writes
        // meet an open one), not about this record: worth trying again once the session ends.
        if (mentionsSession(errorBody)) {
          throw ApplicationFailure.create({
            type: OKTA_FAILURE.blockedBySession,
            message: `${describeFailed(failed)}: Okta refuses single-record changes while an import session is open`,
          });
        }
        throw recordRefused(failed, record.id);
      }
      throw failureForStatus(failed, identitySourceId);
    }
  }

  /**
   * Okta answers 404 E0000007 both for a record it does not have and for an identity source it does not know: a list
   * of the source's import sessions (once per source and client) tells which.
   */
  private async checkSourceKnown(identitySourceId: string, failed: FailedCall): Promise<void> {
    if (this.knownSources.has(identitySourceId)) return;
    try {
      await this.listSessions(identitySourceId);
    } catch (error) {
      if (isOktaFailure(error, OKTA_FAILURE.identitySourceNotFound)) {
        throw identitySourceNotFound(failed, identitySourceId, 'GET /sessions');
      }
      throw error;
    }
  }

  private async authHeaders(method: string, url: string): Promise<Record<string, string>> {
    try {
      const { authorization, dpop } = await this.auth.headersFor(method, url);
      return dpop ? { authorization, dpop } : { authorization };
    } catch (error) {
      if (error instanceof OktaTokenError && error.status < 500) {
        throw ApplicationFailure.create({
          type: OKTA_FAILURE.unauthorized,
          message: error.message,
          nonRetryable: true,
        });
      }
      throw error;
    }
  }

  private transportFailure(operation: string, error: unknown): ApplicationFailure {
    if (error instanceof ApplicationFailure) return error;
    const code = (error as { code?: string }).code;
    const reason = code ?? (error instanceof Error ? error.message : String(error));
    return ApplicationFailure.create({
      type: OKTA_FAILURE.unavailable,
      message: `${operation}: no answer from Okta (${reason})`,
    });
  }
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

function userPath(externalId: string): string {
  return `/users/${enc(externalId)}`;
}

function groupPath(groupOrExternalId: string): string {
  return `/groups/${enc(groupOrExternalId)}`;
}

function userOf(json: unknown, externalId: string): IdentitySourceUser {
  const user = (json ?? {}) as Partial<IdentitySourceUser>;
  return { ...user, id: user.id ?? '', externalId: user.externalId ?? externalId, profile: user.profile ?? {} };
}

function mentionsSession(body: OktaErrorBody | undefined): boolean {
  const text = [body?.errorSummary, ...(body?.errorCauses ?? []).map((c) => c.errorSummary)].join(' ');
  return /\bsession\b/i.test(text);
}

function bodyWithoutValues(body: OktaErrorBody | undefined, sent: object | undefined): OktaErrorBody | undefined {
  if (!body || !sent) return body;
  return {
    ...body,
    ...(body.errorSummary === undefined ? {} : { errorSummary: withoutValues(body.errorSummary, sent) }),
    ...(body.errorCauses
      ? { errorCauses: body.errorCauses.map((c) => ({ errorSummary: withoutValues(c.errorSummary ?? '', sent) })) }
      : {}),
  };
}

function headerValue(response: Response<string>, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

interface RateLimitHeaders {
  limit?: number;
  remaining?: number;
  reset?: number;
  serverDate?: number;
}

function readRateLimit(response: Response<string>): RateLimitHeaders {
  const num = (name: string) => {
    const value = Number(headerValue(response, name));
    return Number.isFinite(value) && headerValue(response, name) !== undefined ? value : undefined;
  };
  const date = Date.parse(headerValue(response, 'date') ?? '');
  return {
    limit: num('x-rate-limit-limit'),
    remaining: num('x-rate-limit-remaining'),
    reset: num('x-rate-limit-reset'),
    serverDate: Number.isNaN(date) ? undefined : date,
  };
}

/** Extra wait past the announced reset: the reset is only known to the second, and many workers wake at once. */
const RESET_MARGIN_MS = 1_000;
const RESET_JITTER_MS = 500;
/** When a 429 carries no usable reset (a concurrency 429 may not), wait a window's worth at most. */
const FALLBACK_RATE_LIMIT_WAIT_MS = 10_000;

function rateLimitedFailure(
  operation: string,
  headers: RateLimitHeaders,
  requestId: string | undefined,
): ApplicationFailure {
  const { reset, serverDate } = headers;
  const untilReset =
    reset !== undefined && serverDate !== undefined
      ? Math.max(0, reset * 1000 - serverDate)
      : FALLBACK_RATE_LIMIT_WAIT_MS;
  const delay = untilReset + RESET_MARGIN_MS + Math.floor(Math.random() * RESET_JITTER_MS);
  return ApplicationFailure.create({
    type: OKTA_FAILURE.rateLimited,
    message: `${operation} was rate limited (429 E0000047); next attempt in ${delay} ms, after Okta's reset${
      requestId ? ` (X-Okta-Request-Id ${requestId})` : ''
    }`,
    nextRetryDelay: delay,
    details: [{ waitMs: delay }],
  });
}
