import got, { type Got, type Response } from 'got';
import { ApplicationFailure } from '@temporalio/common';
import {
  createAuthorizer,
  OktaTokenError,
  safeJson,
  type OktaAuthorizer,
  type OktaCredentials,
} from './credentials.ts';
import { failureForStatus, OKTA_FAILURE, type OktaErrorBody } from './failures.ts';
import type { RateLimitPacer } from './rate-limit-pacer.ts';
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
    const { stats } = await this.call(
      'POST',
      identitySourceId,
      `/sessions/${enc(sessionId)}/${endpoint}`,
      endpoint,
      body,
    );
    return stats;
  }

  /**
   * The identity source's user schema: the app user schema of the same id (needs okta.schemas.read). The names of
   * its base and custom attributes, which are what an upsert profile may carry.
   */
  async getUserSchema(identitySourceId: string): Promise<UserSchema> {
    const { json } = await this.call(
      'GET',
      identitySourceId,
      '',
      'get user schema',
      undefined,
      `${this.orgUrl}/api/v1/meta/schemas/apps/${enc(identitySourceId)}/default`,
    );
    return userSchemaOf(json);
  }

  private async call(
    method: 'GET' | 'POST' | 'DELETE',
    identitySourceId: string,
    path: string,
    operation: string,
    body?: string,
    fullUrl?: string,
  ): Promise<{ json: unknown; stats: CallStats }> {
    const url = fullUrl ?? `${this.orgUrl}/api/v1/identity-sources/${enc(identitySourceId)}${path}`;
    for (let authAttempt = 0; ; authAttempt++) {
      const pacedMs = (await this.pacer?.acquire()) ?? 0;
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
        return { json: response.body ? safeJson(response.body) : undefined, stats: { pacedMs } };
      }
      const errorBody = safeJson(response.body) as OktaErrorBody | undefined;
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
      throw failureForStatus(
        { operation: `${method} ${operation}`, status, body: errorBody, requestId },
        identitySourceId,
      );
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
