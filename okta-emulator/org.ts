// The Okta org behind the API: identity sources, their import sessions with every session rule, and the directory
// that processing a session changes. Time is passed in, so the rules are evaluated at exact instants.
import { identitySourceNotFound, validationFailed } from './errors.ts';
import { oktaId } from './ids.ts';
import {
  SINGLE_RECORD_DEFAULTS,
  type Durations,
  type IdentitySourceConfig,
  type NullInBulkUpsert,
  type SingleRecordBehaviour,
} from './options.ts';
import type { GroupRecord, IdentitySource, ImportResult, UserRecord } from './directory.ts';
import { applyOperations, type Refusal } from './import-processing.ts';
import { parseBulkBody, recordCount, type BulkEndpoint, type Operation } from './uploads.ts';

export const MAX_BULK_REQUESTS_PER_SESSION = 50;

export type SessionStatus = 'CREATED' | 'IN_PROGRESS' | 'TRIGGERED' | 'COMPLETED' | 'CLOSED' | 'EXPIRED' | 'ERROR';
const OPEN: readonly SessionStatus[] = ['CREATED', 'IN_PROGRESS'];
const ACTIVE: readonly SessionStatus[] = ['CREATED', 'IN_PROGRESS', 'TRIGGERED'];

export interface SessionRecord {
  id: string;
  identitySourceId: string;
  status: SessionStatus;
  created: number;
  lastUpdated: number;
  lastRequestAt: number;
  history: { status: SessionStatus; at: number }[];
  /** Bulk requests accepted (202), including those that changed nothing. */
  bulkRequests: number;
  records: number;
  operations: Operation[];
  triggeredAt?: number;
  processingStartsAt?: number;
  processingEndsAt?: number;
  /** Set by the admin API: the outcome this session's processing will have. */
  forcedOutcome?: 'COMPLETED' | 'ERROR';
  result?: ImportResult;
}

/** The session as Okta's API returns it. */
export interface SessionBody {
  id: string;
  identitySourceId: string;
  status: SessionStatus;
  importType: 'INCREMENTAL';
  created: string;
  lastUpdated: string;
}

export interface OrgSnapshot {
  identitySources: {
    id: string;
    customAttributes: string[];
    users: UserRecord[];
    groups: GroupRecord[];
    memberships: [string, string[]][];
    queueEndsAt: number;
  }[];
  sessions: SessionRecord[];
}

export type OutcomeDecider = (session: SessionRecord) => 'COMPLETED' | 'ERROR' | undefined;
/** Why Okta refuses one record at import (a test's choice), or undefined. */
export type RefusalDecider = (
  identitySourceId: string,
  entityType: 'USER' | 'GROUP',
  externalId: string,
) => string | undefined;

/** What fault injection decides about a session's processing. */
export interface ImportFaults {
  decideImportOutcome: OutcomeDecider;
  refusal: RefusalDecider;
}

export class Org {
  readonly sources = new Map<string, IdentitySource>();
  readonly sessions = new Map<string, SessionRecord>();
  /** Bumped on every change, so the server knows when to persist. */
  version = 0;
  /** What an explicit null in a bulk-upsert profile does (Okta does not document it). */
  nullInBulkUpsert: NullInBulkUpsert = 'clears';
  /** How the single-record endpoints behave where Okta is silent. */
  singleRecord: SingleRecordBehaviour = { ...SINGLE_RECORD_DEFAULTS };
  private readonly durations: Durations;
  private readonly faults: ImportFaults;

  constructor(durations: Durations, faults: ImportFaults) {
    this.durations = durations;
    this.faults = faults;
  }

  defineSource(config: IdentitySourceConfig): IdentitySource {
    const existing = this.sources.get(config.id);
    if (existing) {
      existing.customAttributes = [...new Set([...existing.customAttributes, ...(config.customAttributes ?? [])])];
      this.version++;
      return existing;
    }
    const source: IdentitySource = {
      id: config.id,
      customAttributes: [...new Set(config.customAttributes ?? [])],
      users: new Map(),
      groups: new Map(),
      memberships: new Map(),
      queueEndsAt: 0,
    };
    this.sources.set(source.id, source);
    this.version++;
    return source;
  }

  source(id: string): IdentitySource {
    const source = this.sources.get(id);
    if (!source) throw identitySourceNotFound(id);
    return source;
  }

  listSessions(sourceId: string, now: number): SessionBody[] {
    this.source(sourceId);
    this.advance(now);
    return [...this.sessions.values()]
      .filter((s) => s.identitySourceId === sourceId && ACTIVE.includes(s.status))
      .map(sessionBody);
  }

  createSession(sourceId: string, now: number): SessionBody {
    this.source(sourceId);
    this.advance(now);
    const mine = [...this.sessions.values()].filter((s) => s.identitySourceId === sourceId);
    const open = mine.find((s) => OPEN.includes(s.status));
    if (open) {
      throw validationFailed(
        'identitySourceSession',
        `Only one active import session per identity source is allowed: session ${open.id} is in ${open.status} status. Start or cancel it before creating another.`,
      );
    }
    const recent = mine.find(
      (s) => s.status === 'TRIGGERED' && (s.triggeredAt ?? 0) + this.durations.fiveMinuteRuleMs > now,
    );
    if (recent) {
      throw validationFailed(
        'identitySourceSession',
        'Only one active import session per identity source is allowed to be created every 5 minutes.',
      );
    }
    const session: SessionRecord = {
      id: oktaId('aps'),
      identitySourceId: sourceId,
      status: 'CREATED',
      created: now,
      lastUpdated: now,
      lastRequestAt: now,
      history: [{ status: 'CREATED', at: now }],
      bulkRequests: 0,
      records: 0,
      operations: [],
    };
    this.sessions.set(session.id, session);
    this.version++;
    return sessionBody(session);
  }

  getSession(sourceId: string, sessionId: string, now: number): SessionBody {
    const session = this.session(sourceId, sessionId, now);
    return sessionBody(session);
  }

  cancelSession(sourceId: string, sessionId: string, now: number): void {
    const session = this.session(sourceId, sessionId, now);
    if (!OPEN.includes(session.status)) {
      throw validationFailed(
        'identitySourceSession',
        'Only a session that is in CREATED or IN_PROGRESS status can be canceled.',
      );
    }
    this.setStatus(session, 'CLOSED', now);
    session.operations = [];
  }

  bulk(sourceId: string, sessionId: string, endpoint: BulkEndpoint, body: Buffer, now: number): void {
    const session = this.session(sourceId, sessionId, now);
    if (!OPEN.includes(session.status)) {
      throw validationFailed(
        'identitySourceSession',
        `Only a session that is in CREATED or IN_PROGRESS status can receive data; session ${session.id} is in ${session.status} status.`,
      );
    }
    if (session.bulkRequests >= MAX_BULK_REQUESTS_PER_SESSION) {
      // Okta does not document this error; see docs/okta-emulator.md.
      throw validationFailed(
        'identitySourceSession',
        `A session accepts at most ${MAX_BULK_REQUESTS_PER_SESSION} bulk requests; session ${session.id} already received ${session.bulkRequests}.`,
      );
    }
    const operation = parseBulkBody(endpoint, body);
    session.bulkRequests++;
    session.lastUpdated = now;
    if (operation && this.changesSomething(this.source(sourceId), session, operation)) {
      session.operations.push(operation);
      session.records += recordCount(operation);
      if (session.status === 'CREATED') this.setStatus(session, 'IN_PROGRESS', now);
    }
    this.version++;
  }

  startImport(sourceId: string, sessionId: string, now: number): SessionBody {
    const session = this.session(sourceId, sessionId, now);
    if (session.status !== 'IN_PROGRESS') {
      throw validationFailed(
        'identitySourceSession',
        session.status === 'CREATED'
          ? `Session ${session.id} has no data to import: only a session that is in IN_PROGRESS status can be triggered.`
          : `Only a session that is in IN_PROGRESS status can be triggered; session ${session.id} is in ${session.status} status.`,
      );
    }
    const source = this.source(sourceId);
    const start = Math.max(now, source.queueEndsAt);
    const end =
      start + this.durations.importProcessingMs + this.durations.importProcessingPerRecordMs * session.records;
    source.queueEndsAt = end;
    session.triggeredAt = now;
    session.processingStartsAt = start;
    session.processingEndsAt = end;
    this.setStatus(session, 'TRIGGERED', now);
    return sessionBody(session);
  }

  /** The CREATED, IN_PROGRESS or TRIGGERED session of a source at `now`, if any (the oldest first). */
  activeSession(sourceId: string, now: number): SessionRecord | undefined {
    this.advance(now);
    return [...this.sessions.values()].find((s) => s.identitySourceId === sourceId && ACTIVE.includes(s.status));
  }

  /** Overrides the outcome of one session's processing (admin API). */
  forceOutcome(sessionId: string, outcome: 'COMPLETED' | 'ERROR'): SessionRecord | undefined {
    const session = this.sessions.get(sessionId);
    if (session) {
      session.forcedOutcome = outcome;
      this.version++;
    }
    return session;
  }

  /** Expires idle sessions and finishes processing whatever is due by `now`, each at its exact instant. */
  advance(now: number): void {
    for (const session of this.sessions.values()) {
      const expiresAt = session.lastRequestAt + this.durations.sessionExpiryMs;
      if (OPEN.includes(session.status) && expiresAt <= now) {
        this.setStatus(session, 'EXPIRED', expiresAt);
        session.operations = [];
      }
    }
    const due = [...this.sessions.values()]
      .filter((s) => s.status === 'TRIGGERED' && (s.processingEndsAt ?? 0) <= now)
      .sort((a, b) => (a.processingEndsAt ?? 0) - (b.processingEndsAt ?? 0));
    for (const session of due) this.process(session);
  }

  /** The next instant at which advance() has something to do. */
  nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const session of this.sessions.values()) {
      let at: number | undefined;
      if (OPEN.includes(session.status)) at = session.lastRequestAt + this.durations.sessionExpiryMs;
      else if (session.status === 'TRIGGERED') at = session.processingEndsAt;
      if (at !== undefined && (next === undefined || at < next)) next = at;
    }
    return next;
  }

  clear(): void {
    this.sources.clear();
    this.sessions.clear();
    this.version++;
  }

  snapshot(): OrgSnapshot {
    return {
      identitySources: [...this.sources.values()].map((source) => ({
        id: source.id,
        customAttributes: source.customAttributes,
        users: [...source.users.values()],
        groups: [...source.groups.values()],
        memberships: [...source.memberships].map(([group, members]) => [group, [...members]]),
        queueEndsAt: source.queueEndsAt,
      })),
      sessions: [...this.sessions.values()],
    };
  }

  restore(snapshot: OrgSnapshot): void {
    this.clear();
    for (const saved of snapshot.identitySources) {
      this.sources.set(saved.id, {
        id: saved.id,
        customAttributes: saved.customAttributes,
        // State files written before single-record support have no app user ids.
        users: new Map(saved.users.map((u) => [u.externalId, { ...u, appUserId: u.appUserId ?? oktaId('0ua') }])),
        groups: new Map(saved.groups.map((g) => [g.externalId, g])),
        memberships: new Map(saved.memberships.map(([group, members]) => [group, new Set(members)])),
        queueEndsAt: saved.queueEndsAt,
      });
    }
    for (const session of snapshot.sessions) this.sessions.set(session.id, session);
  }

  /** A session of this source; an unknown one is 400 E0000001 in Okta, not 404. Every request keeps it alive. */
  private session(sourceId: string, sessionId: string, now: number): SessionRecord {
    this.source(sourceId);
    this.advance(now);
    const session = this.sessions.get(sessionId);
    if (!session || session.identitySourceId !== sourceId) {
      throw validationFailed('identitySourceSession', `Identity source session ${sessionId} was not found.`);
    }
    session.lastRequestAt = now;
    this.version++;
    return session;
  }

  private setStatus(session: SessionRecord, status: SessionStatus, at: number): void {
    session.status = status;
    session.lastUpdated = at;
    session.history.push({ status, at });
    this.version++;
  }

  private changesSomething(source: IdentitySource, session: SessionRecord, operation: Operation): boolean {
    const pending = (kind: 'upsert-users' | 'upsert-groups', id: string) =>
      session.operations.some((op) => op.kind === kind && op.profiles.some((p) => p.externalId === id));
    switch (operation.kind) {
      case 'upsert-users':
      case 'upsert-groups':
      case 'upsert-memberships':
        return true;
      case 'delete-users':
        return operation.externalIds.some((id) => source.users.has(id) || pending('upsert-users', id));
      case 'delete-groups':
        return operation.externalIds.some((id) => source.groups.has(id) || pending('upsert-groups', id));
      case 'delete-memberships':
        return operation.memberships.some(
          (m) => source.groups.has(m.groupExternalId) || pending('upsert-groups', m.groupExternalId),
        );
    }
  }

  private process(session: SessionRecord): void {
    const at = session.processingEndsAt ?? session.lastUpdated;
    const outcome = session.forcedOutcome ?? this.faults.decideImportOutcome(session) ?? 'COMPLETED';
    if (outcome === 'COMPLETED') {
      const sourceId = session.identitySourceId;
      const refusal: Refusal = (entityType, externalId) => this.faults.refusal(sourceId, entityType, externalId);
      session.result = applyOperations(this.source(sourceId), session.operations, at, this.nullInBulkUpsert, refusal);
    }
    session.operations = [];
    this.setStatus(session, outcome, at);
  }
}

export function sessionBody(session: SessionRecord): SessionBody {
  return {
    id: session.id,
    identitySourceId: session.identitySourceId,
    status: session.status,
    importType: 'INCREMENTAL',
    created: new Date(session.created).toISOString(),
    lastUpdated: new Date(session.lastUpdated).toISOString(),
  };
}
