/**
 * The state store: what Okta confirmed per identity source, the plans (change sets) waiting to be pushed, how
 * each plan is laid out into Okta requests and sessions, and which run owns which Okta session.
 *
 * Large data lives here, never in workflow history: workflows pass plan ids, indexes and counts.
 * SQLite is the embedded default; PostgreSQL serves several workers on several hosts. Both implement this
 * interface and pass the same test suite.
 */

/** An Okta user profile as mapped from HR: base attributes and declared custom attributes, strings only. */
export type Profile = Record<string, string>;

/** A profile as sent to Okta: the mapped values, and `null` for each attribute the upsert clears. */
export type UpsertProfile = Record<string, string | null>;

export interface PlannedUpsert {
  externalId: string;
  profile: UpsertProfile;
  /** Stable hash of the profile's values (cleared attributes left out); what the confirmed record keeps to detect changes. */
  fingerprint: string;
}

export interface PlannedGroup {
  externalId: string;
  /** `description: null` clears a description the mapping no longer gives. */
  profile: { displayName: string; description?: string | null };
  fingerprint: string;
}

export interface PlannedMembership {
  groupExternalId: string;
  memberExternalId: string;
}

export type PlanMode = 'delta' | 'full';

export type PlanStatus =
  | 'planned' // stored, not yet pushed
  | 'awaiting-approval' // a guardrail tripped; a person decides
  | 'rejected'
  | 'pushing'
  | 'applied' // every session COMPLETED
  | 'failed'
  | 'cancelled'
  | 'dry-run'; // planned to be looked at, never pushed

export interface PlanCounts {
  upserts: number;
  deactivations: number;
  groupUpserts: number;
  groupDeletes: number;
  membershipUpserts: number;
  membershipDeletes: number;
}

export interface NewPlan {
  identitySourceId: string;
  mode: PlanMode;
  /** Ordered; pushed in this order. */
  upserts: Iterable<PlannedUpsert> | AsyncIterable<PlannedUpsert>;
  deactivations: Iterable<string> | AsyncIterable<string>;
  groupUpserts?: Iterable<PlannedGroup> | AsyncIterable<PlannedGroup>;
  groupDeletes?: Iterable<string> | AsyncIterable<string>;
  membershipUpserts?: Iterable<PlannedMembership> | AsyncIterable<PlannedMembership>;
  membershipDeletes?: Iterable<PlannedMembership> | AsyncIterable<PlannedMembership>;
  /** The planning report (counts, samples, invalid records, guardrails): JSON, kept with the plan. */
  report?: unknown;
  /** What the HR export looked like; the next plan's guardrails compare against the last applied one. */
  source?: SourceSnapshot;
  /** Saved as 'planned' unless said otherwise ('dry-run' for a plan never to be pushed). */
  status?: PlanStatus;
}

/** The shape of one HR export, without personal data. */
export interface SourceSnapshot {
  /** Records read, valid or not. */
  records: number;
  /** Field names (headers) the export carried. */
  fields: string[];
}

export interface PlanHeader {
  planId: string;
  identitySourceId: string;
  mode: PlanMode;
  status: PlanStatus;
  createdAt: string;
  counts: PlanCounts;
  report?: unknown;
  source?: SourceSnapshot;
}

/** One kind of Okta bulk request. */
export type BulkOperation =
  'USER_UPSERT' | 'USER_DEACTIVATE' | 'GROUP_UPSERT' | 'GROUP_DELETE' | 'MEMBERSHIP_UPSERT' | 'MEMBERSHIP_DELETE';

/**
 * One Okta bulk request of a plan: a run of consecutive items of one operation, in the plan's order.
 * Items are indexed per operation from 0 (upserts, deactivations, ... each their own sequence).
 */
export interface PushRequest {
  index: number;
  sessionIndex: number;
  operation: BulkOperation;
  firstItem: number;
  itemCount: number;
  /** Size of the serialized body, as measured when laid out. */
  bytes: number;
}

export type PlanItem =
  | { operation: 'USER_UPSERT'; item: PlannedUpsert }
  | { operation: 'USER_DEACTIVATE'; item: string }
  | { operation: 'GROUP_UPSERT'; item: PlannedGroup }
  | { operation: 'GROUP_DELETE'; item: string }
  | { operation: 'MEMBERSHIP_UPSERT'; item: PlannedMembership }
  | { operation: 'MEMBERSHIP_DELETE'; item: PlannedMembership };

export type ItemOf<O extends BulkOperation> = Extract<PlanItem, { operation: O }>['item'];

export interface ConfirmedUser {
  externalId: string;
  fingerprint: string;
  status: 'ACTIVE' | 'DEACTIVATED';
  confirmedAt: string;
  /**
   * The profile last upserted and confirmed, cleared attributes as null; absent for users confirmed before the store
   * kept profiles (and for users only ever deactivated).
   */
  profile?: UpsertProfile;
}

/** One person as Okta's single-record API applied them. */
export type ConfirmedPerson =
  | { externalId: string; status: 'ACTIVE'; fingerprint: string; profile: UpsertProfile }
  | { externalId: string; status: 'DEACTIVATED' };

export interface ConfirmedGroup {
  externalId: string;
  fingerprint: string;
  confirmedAt: string;
}

/** How long an Okta import took a record, and how many records it had (the time includes Okta's fixed cost). */
export interface ImportTime {
  msPerRecord: number;
  records: number;
}

/** An Okta import session as this tool knows it: who opened it and what became of it. */
export interface SessionRecord {
  identitySourceId: string;
  oktaSessionId: string;
  planId: string;
  sessionIndex: number;
  workflowId: string;
  runId: string;
  status: string;
  openedAt: string;
  updatedAt: string;
}

/** The statuses of a session that can still carry a change into Okta. */
export const OPEN_SESSION_STATUSES: readonly string[] = ['CREATED', 'IN_PROGRESS', 'TRIGGERED'];

export type HrEventType = 'joiner' | 'mover' | 'leaver';

/** A change in HR as the webhook receiver got it: one person, and their HR fields when the event carried them. */
export interface HrEvent {
  /** The sender's event id: the same event delivered twice has the same id. */
  eventId: string;
  identitySourceId: string;
  type: HrEventType;
  externalId: string;
  /** HR fields named as in the export; absent when the event carried only the person's id. */
  record?: Record<string, unknown>;
  /** ISO instant; orders one person's events. */
  occurredAt: string;
}

export interface StoredHrEvent extends HrEvent {
  receivedAt: string;
  /** When Temporal durably had the signal for it. */
  handedOffAt?: string;
  /** The last plan that took it into account. */
  consumedByPlan?: string;
}

/**
 * Asked for a plan the store does not hold. Its name is the failure type Temporal records, so retry policies can
 * list it as non-retryable: no retry brings a plan back.
 */
export class PlanNotFound extends Error {
  override readonly name = 'PlanNotFound';
  constructor(planId: string) {
    super(`No plan ${planId} in the state store`);
  }
}

export interface StateStore {
  /** Creates or upgrades the schema (versioned migrations); safe to call on every start. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  // Plans
  savePlan(plan: NewPlan): Promise<PlanHeader>;
  getPlan(planId: string): Promise<PlanHeader | undefined>;
  setPlanStatus(planId: string, status: PlanStatus): Promise<void>;
  /** The newest plan of an identity source in one of the given statuses (e.g. the last 'applied' one). */
  findLatestPlan(identitySourceId: string, statuses: PlanStatus[]): Promise<PlanHeader | undefined>;
  /** Items [from, from + count) of one operation, in plan order. */
  readItems<O extends BulkOperation>(planId: string, operation: O, from: number, count: number): Promise<ItemOf<O>[]>;
  /** All items of one operation, streamed in plan order (for layout and reports). */
  streamItems<O extends BulkOperation>(planId: string, operation: O): AsyncIterable<ItemOf<O>>;

  // Push layout: computed once per plan, so a resumed run sends exactly the same requests.
  savePushLayout(planId: string, requests: PushRequest[]): Promise<void>;
  getPushLayout(planId: string): Promise<PushRequest[] | undefined>;

  /**
   * Applies the effect of requests [from, to) of a plan to the confirmed record: upserts become ACTIVE with their
   * fingerprint, deactivations DEACTIVATED, groups and memberships likewise. Called only for requests whose session
   * Okta reported COMPLETED. Idempotent per request: confirming a request twice changes nothing the second time.
   * (By requests, not by session index, because a run may move requests to another session than laid out.)
   * `exceptUsers`: people whose upsert or deactivation Okta did not apply as sent (found by read-back); their confirmed
   * record stays as it was, so the next delta plan sends them again.
   * `keepConfirmedAfter`: when Okta's import was known to be done. A person confirmed after it (a leaver deactivated
   * through the single-record API once the import had been applied) keeps that newer record.
   */
  confirmRequests(
    planId: string,
    from: number,
    to: number,
    confirmedAt: string,
    exceptUsers?: string[],
    keepConfirmedAfter?: string,
  ): Promise<void>;
  /** Which of these people the plan upserts. */
  plannedUpserts(planId: string, externalIds: string[]): Promise<string[]>;
  /** How many requests of the plan are confirmed. */
  countConfirmedRequests(planId: string): Promise<number>;
  /**
   * Items [from, from + count) of one operation, each as the JSON text it was saved as (`JSON.stringify` of the
   * planned item), so that a request body can be built without parsing and serializing every item again.
   */
  readItemTexts(planId: string, operation: BulkOperation, from: number, count: number): Promise<string[]>;
  /**
   * Records that Okta accepted these requests of a plan into a session (idempotent), so that an upload of the session
   * retried after a crash sends only the others.
   */
  recordUploadsAccepted(
    planId: string,
    oktaSessionId: string,
    requestIndexes: number[],
    acceptedAt: string,
  ): Promise<void>;
  /** The requests Okta accepted into a session, as recorded, in index order. */
  acceptedUploads(oktaSessionId: string): Promise<number[]>;
  /** Keeps how long Okta's last import of an identity source took a record (replacing the one kept before). */
  recordImportTime(identitySourceId: string, time: ImportTime, learnedAt: string): Promise<void>;
  /** The import time last kept for an identity source, if any. */
  lastImportTime(identitySourceId: string): Promise<ImportTime | undefined>;

  // What Okta confirmed, per identity source
  streamConfirmedUsers(identitySourceId: string): AsyncIterable<ConfirmedUser>;
  getConfirmedUser(identitySourceId: string, externalId: string): Promise<ConfirmedUser | undefined>;
  /** The confirmed records of these people, by externalId (people the store does not know are left out). */
  getConfirmedUsers(identitySourceId: string, externalIds: string[]): Promise<Map<string, ConfirmedUser>>;
  countConfirmedUsers(identitySourceId: string): Promise<{ active: number; deactivated: number }>;
  /**
   * Records what Okta applied person by person through its single-record API (each after Okta's 2xx): an ACTIVE
   * person with the fingerprint and profile sent, a DEACTIVATED one keeping the fingerprint it had.
   */
  confirmPeople(identitySourceId: string, people: ConfirmedPerson[], confirmedAt: string): Promise<void>;
  /** How many users were confirmed DEACTIVATED at or after `since` (ISO), by any plan. */
  countDeactivatedSince(identitySourceId: string, since: string): Promise<number>;
  /**
   * Forgets what Okta confirmed of these people's profiles (fingerprint emptied, counted as active), so that the next
   * delta plan sends each again: upserted if HR has them, deactivated if not. Returns how many the store knew.
   */
  markUsersUnconfirmed(identitySourceId: string, externalIds: string[]): Promise<number>;
  streamConfirmedGroups(identitySourceId: string): AsyncIterable<ConfirmedGroup>;
  streamConfirmedMemberships(identitySourceId: string): AsyncIterable<PlannedMembership>;

  // Okta sessions and their owners
  recordSessionOpened(record: Omit<SessionRecord, 'updatedAt' | 'status'>): Promise<void>;
  recordSessionStatus(oktaSessionId: string, status: string): Promise<void>;
  getSession(oktaSessionId: string): Promise<SessionRecord | undefined>;
  /** The session a plan opened for one of its session indexes, if any (to resume instead of opening another). */
  findPlanSession(planId: string, sessionIndex: number): Promise<SessionRecord | undefined>;
  /**
   * The identity source's sessions this tool opened and last saw CREATED, IN_PROGRESS or TRIGGERED. A session is
   * recorded before anything is uploaded into it, so a session of ours that can carry a change is always here.
   */
  openSessions(identitySourceId: string): Promise<SessionRecord[]>;

  // HR events (webhooks): stored before they are handed to Temporal, so that none is lost and none counted twice
  /**
   * Stores each event unless one with its id is stored already, all in one transaction; says for each which, and
   * whether the stored one was handed off.
   */
  recordHrEvents(
    events: Pick<StoredHrEvent, keyof HrEvent | 'receivedAt'>[],
  ): Promise<{ isNew: boolean; handedOff: boolean }[]>;
  markHrEventsHandedOff(eventIds: string[], handedOffAt: string): Promise<void>;
  /**
   * Events of an identity source that still overlay the export: those no applied plan took into account (a failed,
   * rejected or cancelled plan leaves them pending), and applied ones received after `retainAppliedSince`, so that an
   * HR export that lags behind its webhooks does not undo them. Ordered by occurredAt, then arrival.
   */
  pendingHrEvents(identitySourceId: string, retainAppliedSince?: string): Promise<StoredHrEvent[]>;
  /** Records that a plan took these events into account. */
  markHrEventsConsumed(eventIds: string[], planId: string): Promise<void>;
}

/**
 * Opens the store a URL names: `sqlite:<file>` (or a bare file path; `sqlite::memory:` for a throwaway store)
 * or `postgres://…`. Implemented in ./open.ts.
 */
export type OpenStateStore = (url: string) => Promise<StateStore>;
