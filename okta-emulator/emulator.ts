// The emulator: an HTTP server in front of the org, with Okta's headers, rate limits, authentication and faults.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { handleAdmin } from './admin.ts';
import { Credentials, requireScope } from './auth.ts';
import { methodNotAllowed, OktaError, rateLimited, resourceNotFound, serverError } from './errors.ts';
import { FaultInjector, type FaultDecision } from './faults.ts';
import { oktaId, randomSecret, requestId } from './ids.ts';
import { TokenEndpoint } from './oauth.ts';
import {
  OKTA_DURATIONS,
  OKTA_RATE_LIMIT,
  type ApiTokenConfig,
  type Durations,
  type FaultSettings,
  type IdentitySourceConfig,
  type NullInBulkUpsert,
  type OAuthClientConfig,
  type OktaEmulatorOptions,
  type RateLimitSettings,
  type SingleRecordBehaviour,
} from './options.ts';
import { Org, sessionBody, type OrgSnapshot, type SessionStatus } from './org.ts';
import { StateFile } from './persistence.ts';
import { userSchemaBody } from './user-schema.ts';
import { RateLimiter, type RateLimitHeaders } from './rate-limit.ts';
import { RequestLog, type LoggedRequest } from './request-log.ts';
import { isBulkEndpoint, matchRoute, normalizePath, type Route } from './routes.ts';
import { singleRecordHandler } from './single-record.ts';

const MAX_READ_BYTES = 5 * 1024 * 1024;

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface PersistedState {
  version: 1;
  org: OrgSnapshot;
}

export class OktaEmulator {
  /** e.g. http://127.0.0.1:8081, no trailing slash. */
  url = '';
  readonly durations: Durations;
  readonly rateLimit: RateLimitSettings;
  readonly org: Org;
  readonly faults: FaultInjector;
  readonly log: RequestLog;
  /** The API tokens configured at start (one is generated when none was given). */
  readonly apiTokens: ApiTokenConfig[];
  private readonly options: OktaEmulatorOptions;
  private readonly initialSources: IdentitySourceConfig[];
  private readonly credentials = new Credentials();
  private readonly tokenEndpoint: TokenEndpoint;
  private readonly apiLimiter: RateLimiter;
  private readonly tokenLimiter: RateLimiter;
  private readonly stateFile: StateFile<PersistedState> | undefined;
  private readonly server: Server;
  private timer: NodeJS.Timeout | undefined;
  private savedVersion = -1;

  constructor(options: OktaEmulatorOptions = {}) {
    this.options = options;
    this.durations = { ...OKTA_DURATIONS, ...options.durations };
    this.rateLimit = { ...OKTA_RATE_LIMIT, ...options.rateLimit };
    this.faults = new FaultInjector(options.faults);
    this.org = new Org(this.durations, this.faults);
    this.org.nullInBulkUpsert = options.nullInBulkUpsert ?? 'clears';
    this.setSingleRecord(options.singleRecord ?? {});
    this.log = new RequestLog(options.requestLogLimit ?? 100_000);
    this.apiLimiter = new RateLimiter(this.rateLimit, () => this.durations.rateLimitWindowMs);
    // Okta's token endpoint has its own bucket, separate from /api/v1.
    this.tokenLimiter = new RateLimiter(this.rateLimit, () => this.durations.rateLimitWindowMs);
    this.tokenEndpoint = new TokenEndpoint(this.credentials, () => this.durations.accessTokenTtlMs);
    this.apiTokens = options.apiTokens ?? [{ token: randomSecret(21) }];
    for (const token of this.apiTokens) this.credentials.addApiToken(token);
    for (const client of options.oauthClients ?? []) this.tokenEndpoint.addClient(client);

    this.stateFile = options.stateFile
      ? new StateFile(options.stateFile, () => ({ version: 1, org: this.org.snapshot() }))
      : undefined;
    const saved = this.stateFile?.load();
    if (saved) this.org.restore(saved.org);
    // A restarted emulator keeps its identity sources; it generates one only on a first start without any.
    this.initialSources = options.identitySources ?? (saved ? [] : [{ id: oktaId('0oa') }]);
    for (const source of this.initialSources) this.org.defineSource(source);
    if (this.org.sources.size === 0) this.initialSources.push(this.org.defineSource({ id: oktaId('0oa') }));

    this.server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        // A bug or an aborted request must not take the emulator down: answer 500 if the client still listens.
        console.error('okta-emulator: unexpected error', error);
        send(res, 500, serverError(500).body(), {});
      });
    });
  }

  /** Ids of the identity sources, configured first. */
  get identitySourceIds(): string[] {
    return [...this.org.sources.keys()];
  }

  async listen(): Promise<void> {
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, host, () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.org.advance(Date.now());
    this.schedule();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.persist();
  }

  // ---- inspection and control (also served by the admin API) ----

  users(filter: { identitySourceId?: string; externalId?: string; status?: string } = {}) {
    this.tick();
    return [...this.org.sources.values()]
      .filter((s) => !filter.identitySourceId || s.id === filter.identitySourceId)
      .flatMap((s) =>
        [...s.users.values()].map((u) => ({
          identitySourceId: s.id,
          id: u.id,
          appUserId: u.appUserId,
          externalId: u.externalId,
          status: u.status,
          profile: u.profile,
          created: iso(u.created),
          lastUpdated: iso(u.lastUpdated),
          statusChanges: (u.statusChanges ?? []).map((c) => ({ status: c.status, at: iso(c.at) })),
        })),
      )
      .filter(
        (u) =>
          (!filter.externalId || u.externalId === filter.externalId) && (!filter.status || u.status === filter.status),
      );
  }

  groups(filter: { identitySourceId?: string } = {}) {
    this.tick();
    return [...this.org.sources.values()]
      .filter((s) => !filter.identitySourceId || s.id === filter.identitySourceId)
      .flatMap((s) =>
        [...s.groups.values()].map((g) => ({
          identitySourceId: s.id,
          id: g.id,
          externalId: g.externalId,
          profile: g.profile,
          created: iso(g.created),
          lastUpdated: iso(g.lastUpdated),
        })),
      );
  }

  memberships(filter: { identitySourceId?: string; groupExternalId?: string } = {}) {
    this.tick();
    return [...this.org.sources.values()]
      .filter((s) => !filter.identitySourceId || s.id === filter.identitySourceId)
      .flatMap((s) =>
        [...s.memberships].map(([groupExternalId, members]) => ({
          identitySourceId: s.id,
          groupExternalId,
          memberExternalIds: [...members],
        })),
      )
      .filter((m) => !filter.groupExternalId || m.groupExternalId === filter.groupExternalId);
  }

  /** Every session, closed ones included, with its status history, bulk request count and import result. */
  sessions(filter: { identitySourceId?: string; status?: string; id?: string } = {}) {
    this.tick();
    return [...this.org.sessions.values()]
      .filter(
        (s) =>
          (!filter.identitySourceId || s.identitySourceId === filter.identitySourceId) &&
          (!filter.status || s.status === filter.status) &&
          (!filter.id || s.id === filter.id),
      )
      .map((s) => ({
        ...sessionBody(s),
        history: s.history.map((h) => ({ status: h.status, at: iso(h.at) })),
        bulkRequests: s.bulkRequests,
        records: s.records,
        lastRequestAt: iso(s.lastRequestAt),
        triggeredAt: s.triggeredAt === undefined ? undefined : iso(s.triggeredAt),
        processingStartsAt: s.processingStartsAt === undefined ? undefined : iso(s.processingStartsAt),
        processingEndsAt: s.processingEndsAt === undefined ? undefined : iso(s.processingEndsAt),
        forcedOutcome: s.forcedOutcome,
        result: s.result,
      }));
  }

  requests(filter: { endpoint?: string; sinceSeq?: number; status?: number } = {}) {
    return this.log.query(filter);
  }

  identitySources() {
    return [...this.org.sources.values()].map((s) => ({ id: s.id, customAttributes: s.customAttributes }));
  }

  defineIdentitySource(config: Partial<IdentitySourceConfig>): { id: string; customAttributes: string[] } {
    const source = this.org.defineSource({ id: config.id ?? oktaId('0oa'), customAttributes: config.customAttributes });
    this.persistInBackground();
    return { id: source.id, customAttributes: source.customAttributes };
  }

  addApiToken(config: Partial<ApiTokenConfig>): ApiTokenConfig {
    const token = { token: config.token ?? randomSecret(21), scopes: config.scopes };
    this.credentials.addApiToken(token);
    return token;
  }

  addOAuthClient(config: OAuthClientConfig): void {
    this.tokenEndpoint.addClient(config);
  }

  setFaults(settings: FaultSettings): void {
    this.faults.set(settings);
  }

  setDurations(durations: Partial<Durations>): Durations {
    Object.assign(this.durations, durations);
    this.schedule();
    return this.durations;
  }

  /** Switches what an explicit null in a bulk-upsert profile does, for sessions processed from now on. */
  setNullInBulkUpsert(nulls: NullInBulkUpsert): NullInBulkUpsert {
    this.org.nullInBulkUpsert = nulls;
    return nulls;
  }

  /** Switches the single-record endpoints' behaviour where Okta is silent (only the settings given). */
  setSingleRecord(settings: Partial<SingleRecordBehaviour>): SingleRecordBehaviour {
    Object.assign(this.org.singleRecord, settings);
    return { ...this.org.singleRecord };
  }

  setRateLimit(settings: Partial<RateLimitSettings>): RateLimitSettings {
    Object.assign(this.rateLimit, settings);
    this.apiLimiter.reset();
    this.tokenLimiter.reset();
    return this.rateLimit;
  }

  /** Decides the outcome of one session's processing ahead of time. */
  forceSessionOutcome(sessionId: string, status: 'COMPLETED' | 'ERROR'): boolean {
    const found = this.org.forceOutcome(sessionId, status) !== undefined;
    this.persistInBackground();
    return found;
  }

  /** Back to the state at start: configured identity sources, no sessions, no users, empty log, full buckets. */
  reset(): void {
    this.org.clear();
    for (const source of this.initialSources) this.org.defineSource(source);
    this.log.clear();
    this.apiLimiter.reset();
    this.tokenLimiter.reset();
    this.faults.set(this.options.faults ?? {});
    this.schedule();
    this.persistInBackground();
  }

  /** Polls until `predicate` holds on the emulator's state (for in-process tests), or throws after `timeoutMs`. */
  async waitFor<T>(probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
      await delay(10);
    }
  }

  waitForSessionStatus(sessionId: string, status: SessionStatus, timeoutMs?: number) {
    return this.waitFor(() => this.sessions({ id: sessionId }).find((s) => s.status === status), timeoutMs);
  }

  // ---- the HTTP side ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Not new URL(req.url): a path starting with // would parse as a host name.
    const [rawPath = '/', search = ''] = (req.url ?? '/').split('?', 2);
    const path = normalizePath(rawPath);
    if (path === '/__emulator' || path.startsWith('/__emulator/')) {
      const body = await readBody(req);
      const answer = handleAdmin(
        this,
        req.method ?? 'GET',
        path.slice('/__emulator'.length) || '/',
        new URLSearchParams(search),
        body,
      );
      send(res, answer.status, answer.body, {});
      return;
    }
    const route = matchRoute(req.method ?? 'GET', path);
    if (route === undefined || route === 'method') {
      await readBody(req);
      const error = route ? methodNotAllowed() : resourceNotFound(path);
      send(res, error.status, error.body(), {
        ...this.oktaHeaders(this.apiLimiter.current(Date.now())),
        'X-Okta-Request-Id': requestId(),
      });
      return;
    }
    await this.handleApi(req, res, path, route, new URLSearchParams(search));
  }

  private async handleApi(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    route: Route,
    query: URLSearchParams,
  ): Promise<void> {
    const started = Date.now();
    const limiter = route.endpoint === 'token' ? this.tokenLimiter : this.apiLimiter;
    const admission = limiter.admit(started);
    let released = false;
    const release = () => {
      if (!released) limiter.release();
      released = true;
    };
    res.once('close', release);
    const entry: Omit<LoggedRequest, 'seq' | 'status' | 'durationMs'> = {
      time: iso(started),
      method: req.method ?? 'GET',
      path,
      endpoint: route.endpoint,
      requestId: requestId(),
      identitySourceId: route.identitySourceId,
      sessionId: route.sessionId,
    };
    const finish = (answer: Answer | 'drop', extra: Partial<LoggedRequest> = {}) => {
      const durationMs = Date.now() - started;
      if (answer === 'drop') {
        req.socket.destroy();
        release();
        this.log.add({ ...entry, status: 0, durationMs, dropped: true, ...extra });
        return;
      }
      const rate = answer.status === 429 ? undefined : limiter.current(Date.now());
      const headers = {
        ...(rate ? this.oktaHeaders(rate) : {}),
        'X-Okta-Request-Id': entry.requestId,
        ...answer.headers,
      };
      send(res, answer.status, answer.body, headers);
      this.log.add({ ...entry, status: answer.status, durationMs, ...extra });
    };

    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      // The client died or hung up mid-body (a killed worker, a timeout): an ordinary event, not an emulator fault.
      release();
      this.log.add({ ...entry, status: 0, durationMs: Date.now() - started, abortedByClient: true });
      return;
    }
    try {
      const fault = this.faults.decide(route.endpoint);
      if (fault && fault.latencyMs > 0) await delay(fault.latencyMs);
      if (!admission.allowed) {
        finish(this.tooManyRequests(admission.headers), { rateLimitReset: admission.headers.reset });
        return;
      }
      if (fault && !fault.applyFirst && (fault.drop || fault.respond)) {
        this.injected(fault, limiter, finish);
        return;
      }
      const answer = await this.apply(req, path, route, body, query);
      if (fault && fault.applyFirst && (fault.drop || fault.respond)) {
        await this.persistIfChanged();
        this.injected(fault, limiter, finish, true);
        return;
      }
      await this.persistIfChanged();
      finish(answer);
    } catch (error) {
      finish({ status: 500, body: serverError(500).body() });
      console.error('okta-emulator: unexpected error', error);
    }
  }

  private injected(
    fault: FaultDecision,
    limiter: RateLimiter,
    finish: (answer: Answer | 'drop', extra?: Partial<LoggedRequest>) => void,
    applied = false,
  ): void {
    const extra = { fault: fault.origin, applied };
    if (fault.drop) {
      finish('drop', extra);
    } else if (fault.respond === 429) {
      const now = Date.now();
      const until = limiter.exhaust(fault.resetInMs === undefined ? limiter.windowEnd(now) : now + fault.resetInMs);
      const headers = { limit: this.rateLimit.perWindow, remaining: 0, reset: until / 1000 };
      finish(this.tooManyRequests(headers), { ...extra, rateLimitReset: headers.reset });
    } else {
      const error = serverError(fault.respond ?? 500);
      finish({ status: error.status, body: error.body() }, extra);
    }
  }

  private tooManyRequests(rate: RateLimitHeaders): Answer {
    const error = rateLimited();
    return { status: 429, body: error.body(), headers: this.oktaHeaders(rate) };
  }

  /** Runs the request against the org. Okta's errors become answers; everything else is a bug. */
  private async apply(
    req: IncomingMessage,
    path: string,
    route: Route,
    body: Buffer,
    query: URLSearchParams,
  ): Promise<Answer> {
    const now = Date.now();
    try {
      if (route.endpoint === 'token') {
        const host = req.headers.host;
        const audiences = [`${this.url}/oauth2/v1/token`, ...(host ? [`http://${host}/oauth2/v1/token`] : [])];
        return await this.tokenEndpoint.handle(
          new URLSearchParams(body.toString('utf8')),
          header(req, 'dpop'),
          audiences,
          now,
        );
      }
      const principal = await this.credentials.authenticate(
        header(req, 'authorization'),
        header(req, 'dpop'),
        req.method ?? 'GET',
        path,
        now,
      );
      requireScope(principal, req.method !== 'GET', route.endpoint === 'get-user-schema');
      const sourceId = route.identitySourceId ?? '';
      const sessionId = route.sessionId ?? '';
      const single = singleRecordHandler(route.endpoint);
      const answer = single
        ? single({ org: this.org, route, body, query, now, url: this.url })
        : this.applyToOrg(route, sourceId, sessionId, body, now);
      this.schedule();
      return answer;
    } catch (error) {
      if (error instanceof OktaError) return { status: error.status, body: error.body(), headers: error.headers };
      throw error;
    }
  }

  private applyToOrg(route: Route, sourceId: string, sessionId: string, body: Buffer, now: number): Answer {
    switch (route.endpoint) {
      case 'get-user-schema':
        return { status: 200, body: userSchemaBody(this.org.source(sourceId), this.url) };
      case 'list-sessions':
        return { status: 200, body: this.org.listSessions(sourceId, now) };
      case 'create-session':
        return { status: 201, body: this.org.createSession(sourceId, now) };
      case 'get-session':
        return { status: 200, body: this.org.getSession(sourceId, sessionId, now) };
      case 'cancel-session':
        this.org.cancelSession(sourceId, sessionId, now);
        return { status: 204 };
      case 'start-import':
        return { status: 200, body: this.org.startImport(sourceId, sessionId, now) };
      default:
        if (!isBulkEndpoint(route.endpoint)) throw new Error(`no handler for ${route.endpoint}`);
        this.org.bulk(sourceId, sessionId, route.endpoint, body, now);
        return { status: 202 };
    }
  }

  private oktaHeaders(rate: RateLimitHeaders): Record<string, string> {
    return {
      'X-Rate-Limit-Limit': String(rate.limit),
      'X-Rate-Limit-Remaining': String(rate.remaining),
      'X-Rate-Limit-Reset': String(rate.reset),
    };
  }

  /** Advances the org (expiry, processing) and persists what changed. */
  private tick(): void {
    this.org.advance(Date.now());
    if (this.org.version !== this.savedVersion) this.persistInBackground();
  }

  /** Wakes up when the next session expires or finishes processing, so the state file and log stay current. */
  private schedule(): void {
    clearTimeout(this.timer);
    const next = this.org.nextDueAt();
    if (next === undefined) return;
    this.timer = setTimeout(
      () => {
        this.tick();
        this.schedule();
      },
      Math.min(Math.max(0, next - Date.now()) + 1, 2 ** 31 - 1),
    );
    this.timer.unref();
  }

  /** For changes no request waits on (timers, admin calls): a failed write is reported, not thrown. */
  private persistInBackground(): void {
    this.persist().catch((error: unknown) => console.error('okta-emulator: could not write the state file', error));
  }

  private persistIfChanged(): Promise<void> {
    if (!this.stateFile || this.org.version === this.savedVersion) return Promise.resolve();
    return this.persist();
  }

  private async persist(): Promise<void> {
    if (!this.stateFile) return;
    this.savedVersion = this.org.version;
    await this.stateFile.save();
  }
}

export async function startOktaEmulator(options: OktaEmulatorOptions = {}): Promise<OktaEmulator> {
  const emulator = new OktaEmulator(options);
  await emulator.listen();
  return emulator;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  if (res.destroyed || res.headersSent) return;
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_READ_BYTES) chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
