// The admin API under /__emulator/: inspection and control for tests and sandbox users. No auth, no rate limit.
import { z } from 'zod';
import type { FaultInjector } from './faults.ts';
import {
  ENDPOINTS,
  type ApiTokenConfig,
  type Durations,
  type FaultSettings,
  type IdentitySourceConfig,
  type NullInBulkUpsert,
  type OAuthClientConfig,
  type RateLimitSettings,
  type SingleRecordBehaviour,
} from './options.ts';
import type { Org } from './org.ts';
import type { RequestLog } from './request-log.ts';

/**
 * What the admin API reads and changes of an emulator. OktaEmulator is one; it is declared here, not imported,
 * because the emulator's request handler calls this module and the two would import each other.
 */
export interface EmulatorAdmin {
  readonly url: string;
  readonly durations: Durations;
  readonly rateLimit: RateLimitSettings;
  readonly org: Pick<Org, 'nullInBulkUpsert' | 'singleRecord'>;
  readonly faults: Pick<FaultInjector, 'get'>;
  readonly log: Pick<RequestLog, 'clear'>;
  users(filter: { identitySourceId?: string; externalId?: string; status?: string }): unknown[];
  groups(filter: { identitySourceId?: string }): unknown[];
  memberships(filter: { identitySourceId?: string; groupExternalId?: string }): unknown[];
  sessions(filter: { identitySourceId?: string; status?: string; id?: string }): unknown[];
  requests(filter: { endpoint?: string; sinceSeq?: number; status?: number }): unknown;
  identitySources(): unknown[];
  defineIdentitySource(config: Partial<IdentitySourceConfig>): { id: string; customAttributes: string[] };
  addApiToken(config: Partial<ApiTokenConfig>): ApiTokenConfig;
  addOAuthClient(config: OAuthClientConfig): void;
  setFaults(settings: FaultSettings): void;
  setDurations(durations: Partial<Durations>): Durations;
  setNullInBulkUpsert(nulls: NullInBulkUpsert): NullInBulkUpsert;
  setRateLimit(settings: Partial<RateLimitSettings>): RateLimitSettings;
  setSingleRecord(settings: Partial<SingleRecordBehaviour>): SingleRecordBehaviour;
  forceSessionOutcome(sessionId: string, status: 'COMPLETED' | 'ERROR'): boolean;
  reset(): void;
}

interface AdminAnswer {
  status: number;
  body?: unknown;
}

const endpointName = z.enum(ENDPOINTS);
const faultSettings = z.strictObject({
  script: z
    .array(
      z.strictObject({
        endpoint: endpointName,
        nth: z.number().int().positive(),
        respond: z.number().int().min(400).max(599).optional(),
        action: z.literal('drop').optional(),
        applyBeforeDrop: z.boolean().optional(),
        resetInMs: z.number().nonnegative().optional(),
        latencyMs: z.number().nonnegative().optional(),
      }),
    )
    .optional(),
  errorRate: z.number().min(0).max(1).optional(),
  rateLimitBurstRate: z.number().min(0).max(1).optional(),
  dropRate: z.number().min(0).max(1).optional(),
  applyBeforeDrop: z.boolean().optional(),
  latencyMs: z.strictObject({ min: z.number().nonnegative(), max: z.number().nonnegative() }).optional(),
  endpoints: z.array(endpointName).optional(),
  seed: z.number().int().optional(),
  importOutcome: z
    .array(
      z.strictObject({
        nth: z.number().int().positive(),
        status: z.enum(['ERROR', 'COMPLETED']),
        identitySourceId: z.string().optional(),
      }),
    )
    .optional(),
  refuseAtImport: z
    .array(
      z.strictObject({
        externalId: z.string().min(1),
        reason: z.string().min(1),
        entityType: z.enum(['USER', 'GROUP']).optional(),
        identitySourceId: z.string().optional(),
      }),
    )
    .optional(),
});
const identitySource = z.strictObject({
  id: z.string().min(1).optional(),
  customAttributes: z.array(z.string()).optional(),
});
const apiToken = z.strictObject({ token: z.string().min(1).optional(), scopes: z.array(z.string()).optional() });
const oauthClient = z.strictObject({
  clientId: z.string().min(1),
  publicJwks: z.array(z.record(z.string(), z.unknown())).min(1),
  scopes: z.array(z.string()).optional(),
  requireDpop: z.boolean().optional(),
});
const durations = z.strictObject({
  fiveMinuteRuleMs: z.number().nonnegative().optional(),
  sessionExpiryMs: z.number().nonnegative().optional(),
  importProcessingMs: z.number().nonnegative().optional(),
  importProcessingPerRecordMs: z.number().nonnegative().optional(),
  rateLimitWindowMs: z.number().positive().optional(),
  accessTokenTtlMs: z.number().positive().optional(),
});
const rateLimit = z.strictObject({
  perWindow: z.number().int().positive().optional(),
  concurrency: z.number().int().positive().optional(),
});
const singleRecord = z.strictObject({
  createExisting: z.enum(['conflict', 'upsert']).optional(),
  groupUpdate: z.enum(['replace', 'merge']).optional(),
  deleteStatus: z.union([z.literal(204), z.literal(200)]).optional(),
  deletedUsers: z.enum(['gone', 'kept']).optional(),
  nullInPatch: z.enum(['clears', 'ignored']).optional(),
  duringImport: z.enum(['independent', 'conflict']).optional(),
});
const outcome = z.strictObject({ status: z.enum(['ERROR', 'COMPLETED']) });

export function handleAdmin(
  emulator: EmulatorAdmin,
  method: string,
  path: string,
  query: URLSearchParams,
  raw: Buffer,
): AdminAnswer {
  const q = (name: string) => query.get(name) ?? undefined;
  const parse = <T>(schema: z.ZodType<T>): { ok: true; value: T } | { ok: false; answer: AdminAnswer } => {
    let body: unknown;
    try {
      body = raw.length ? JSON.parse(raw.toString('utf8')) : {};
    } catch {
      return { ok: false, answer: { status: 400, body: { error: 'The body is not valid JSON.' } } };
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) return { ok: false, answer: { status: 400, body: { error: z.prettifyError(parsed.error) } } };
    return { ok: true, value: parsed.data };
  };

  const route = `${method} ${path}`;
  const sessionOutcome = /^POST \/sessions\/([^/]+)\/outcome$/.exec(route);
  if (sessionOutcome) {
    const body = parse(outcome);
    if (!body.ok) return body.answer;
    return emulator.forceSessionOutcome(sessionOutcome[1] ?? '', body.value.status)
      ? { status: 200, body: emulator.sessions({ id: sessionOutcome[1] })[0] }
      : { status: 404, body: { error: `No session ${sessionOutcome[1]}.` } };
  }
  const oneSession = /^GET \/sessions\/([^/]+)$/.exec(route);
  if (oneSession) {
    const session = emulator.sessions({ id: oneSession[1] })[0];
    return session ? { status: 200, body: session } : { status: 404, body: { error: `No session ${oneSession[1]}.` } };
  }

  switch (route) {
    case 'GET /':
      return {
        status: 200,
        body: {
          url: emulator.url,
          identitySources: emulator.identitySources(),
          durations: emulator.durations,
          rateLimit: emulator.rateLimit,
          faults: emulator.faults.get(),
        },
      };
    case 'GET /users':
      return {
        status: 200,
        body: emulator.users({
          identitySourceId: q('identitySourceId'),
          externalId: q('externalId'),
          status: q('status'),
        }),
      };
    case 'GET /groups':
      return { status: 200, body: emulator.groups({ identitySourceId: q('identitySourceId') }) };
    case 'GET /memberships':
      return {
        status: 200,
        body: emulator.memberships({ identitySourceId: q('identitySourceId'), groupExternalId: q('groupExternalId') }),
      };
    case 'GET /sessions':
      return { status: 200, body: emulator.sessions({ identitySourceId: q('identitySourceId'), status: q('status') }) };
    case 'GET /requests': {
      const sinceSeq = q('sinceSeq');
      const status = q('status');
      return {
        status: 200,
        body: emulator.requests({
          endpoint: q('endpoint'),
          sinceSeq: sinceSeq === undefined ? undefined : Number(sinceSeq),
          status: status === undefined ? undefined : Number(status),
        }),
      };
    }
    case 'DELETE /requests':
      emulator.log.clear();
      return { status: 204 };
    case 'POST /reset':
      emulator.reset();
      return { status: 204 };
    case 'GET /identity-sources':
      return { status: 200, body: emulator.identitySources() };
    case 'POST /identity-sources': {
      const body = parse(identitySource);
      return body.ok ? { status: 201, body: emulator.defineIdentitySource(body.value) } : body.answer;
    }
    case 'POST /api-tokens': {
      const body = parse(apiToken);
      return body.ok ? { status: 201, body: emulator.addApiToken(body.value) } : body.answer;
    }
    case 'POST /oauth-clients': {
      const body = parse(oauthClient);
      if (!body.ok) return body.answer;
      emulator.addOAuthClient(body.value);
      return { status: 201, body: { clientId: body.value.clientId } };
    }
    case 'GET /faults':
      return { status: 200, body: emulator.faults.get() };
    case 'POST /faults': {
      const body = parse(faultSettings);
      if (!body.ok) return body.answer;
      emulator.setFaults(body.value);
      return { status: 200, body: emulator.faults.get() };
    }
    case 'GET /settings':
      return {
        status: 200,
        body: {
          durations: emulator.durations,
          rateLimit: emulator.rateLimit,
          nullInBulkUpsert: emulator.org.nullInBulkUpsert,
          singleRecord: emulator.org.singleRecord,
        },
      };
    case 'POST /settings': {
      const body = parse(
        z.strictObject({
          durations: durations.optional(),
          rateLimit: rateLimit.optional(),
          nullInBulkUpsert: z.enum(['clears', 'ignored']).optional(),
          singleRecord: singleRecord.optional(),
        }),
      );
      if (!body.ok) return body.answer;
      return {
        status: 200,
        body: {
          durations: emulator.setDurations(body.value.durations ?? {}),
          rateLimit: emulator.setRateLimit(body.value.rateLimit ?? {}),
          nullInBulkUpsert: emulator.setNullInBulkUpsert(body.value.nullInBulkUpsert ?? emulator.org.nullInBulkUpsert),
          singleRecord: emulator.setSingleRecord(body.value.singleRecord ?? {}),
        },
      };
    }
    default:
      return { status: 404, body: { error: `No admin route ${route}.` } };
  }
}
