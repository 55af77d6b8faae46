/**
 * The pushPlan workflow's messages: input, progress query, result and the activity results it reads.
 * Versioned by addition only: new fields are optional, so running workflows and saved histories keep decoding.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export interface PushOptions {
  /** How often to ask Okta whether a triggered import finished. Default 15 s. */
  pollIntervalMs?: number;
  /** Okta's five-minute rule, for the durable wait after a trigger. Default 5 min. */
  fiveMinuteRuleMs?: number;
  /** How often to look again at a session that blocks ours (a live run's, another tool's, a triggered one). Default 30 s. */
  blockedSessionPollMs?: number;
  /** Uploads in flight at once within a session (a sliding window, never across an operation's start). Default 8. */
  uploadConcurrency?: number;
  /** Cancel sessions opened by other tools instead of waiting for them. Default false. */
  reclaimForeignSessions?: boolean;
  /** How soon a call on a dead worker moves to another worker. Default 30 s. */
  heartbeatTimeoutMs?: number;
  /** The task queue of the activities that call Okta (rate-capped by the server); default the workflow's own. */
  oktaTaskQueue?: string;
  /**
   * Read-back after each COMPLETED import (GET /users/{externalId}): a session of at most this many people is read back
   * whole; a bigger one this many, spread over the session, plus every deactivation and every upsert that clears an
   * attribute. Default 20.
   */
  readBackSample?: number;
  /**
   * Read-backs per session at most, those that must be read first; 0 turns read-back off. Once a read shows Okta
   * ignored a clearing, every clearing upsert of the session is read (and repaired) however many. Default 200.
   */
  readBackMaxPerSession?: number;
  /**
   * Whether a deactivated person must read back as gone (404). Off for an Okta that still answers GET for deactivated
   * users, where a read cannot tell them from active ones. Default true.
   */
  readBackDeactivations?: boolean;
}

export interface PushPlanInput {
  planId: string;
  options?: PushOptions;
  /** Set by continue-as-new only. */
  carried?: CarriedState;
}

export interface SessionSummary {
  sessionIndex: number;
  sessionId: string;
  requests: number;
  records: number;
  outcome: 'COMPLETED' | 'CANCELLED_UNCHANGED' | 'ERROR' | 'EXPIRED' | 'CLOSED' | 'TRIGGERED' | 'OPEN';
  startedAt: string;
  finishedAt?: string;
  /** The plan's requests this session took (what its COMPLETED confirms). */
  requestIndexes?: number[];
}

export interface PushTotals {
  requestsUploaded: number;
  recordsUploaded: number;
  recordsApplied: number;
  rateLimitWaits: number;
  fiveMinuteWaits: number;
  staleSessionsCancelled: number;
  /** People read back after their import (GET /users/{externalId}). */
  recordsReadBack?: number;
  /** People Okta did not apply as sent (found by read-back): kept pending, not confirmed, sent again next time. */
  recordsRefusedByOkta?: number;
  /** People whose clearing Okta ignored in the bulk import, cleared since with a single-record replace. */
  recordsRepaired?: number;
}

/**
 * A person Okta did not apply as sent, found by read-back: `missing` (an upsert Okta does not have), `differs` (the
 * attributes whose values are not what was sent: names only, never values), `still-active` (a deactivation Okta
 * still answers for), or `refused` (Okta refused the single-record repair; `reasons` in Okta's words, without values).
 */
export interface RefusedByOkta {
  externalId: string;
  problem: 'missing' | 'differs' | 'still-active' | 'refused';
  attributes?: string[];
  reasons?: string[];
  sessionIndex?: number;
}

/** What the read-back of one COMPLETED import found. */
export interface ReadBackResult {
  /** People read. */
  checked: number;
  /** People of the session not read (over the sample or the maximum): confirmed without a check. */
  unchecked: number;
  /** People whose ignored clearing was repaired with a single-record replace (and read right). */
  repaired: number;
  refused: RefusedByOkta[];
}

/** What a run hands to the next after continue-as-new. */
export interface CarriedState {
  nextSession: number;
  /** Requests a full session could not take, for the next session. */
  overflow?: number[];
  totals: PushTotals;
  sessions: SessionSummary[];
  startedAt: string;
  lastTriggeredAtMs?: number;
  /** A triggered session whose outcome is not known yet, and when to look first (epoch ms; absent: at once). */
  pendingImport?: { sessionIndex: number; sessionId: string; firstPollAt?: number };
  /** What the imports of this run took so far, for the next one's estimate (see ImportTimes). */
  importTimes?: ImportTimes;
  /** People Okta did not apply as sent, found so far. */
  refusedByOkta?: RefusedByOkta[];
}

/**
 * Okta's processing times seen so far in a run, in Okta's own clock (session timestamps), so that the next import's
 * end can be estimated without comparing clocks.
 */
export interface ImportTimes {
  /** Processing time a record of the last completed import took (ms). */
  msPerRecord: number;
  /** Records of the import the time was learned from: its fixed cost per import is spread over these. */
  records?: number;
  /** When Okta finished the last completed import (epoch ms, Okta's clock): a later trigger queues behind it. */
  lastEndedAt: number;
}

export type PushPhase =
  | 'preparing'
  | 'clearing-stale-sessions'
  | 'waiting-for-blocking-session'
  | 'waiting-five-minute-rule'
  | 'opening-session'
  | 'uploading'
  | 'triggering'
  | 'awaiting-import'
  | 'cleaning-up'
  | 'done'
  | 'failed'
  | 'cancelled';

export interface PushProgress {
  planId: string;
  identitySourceId?: string;
  phase: PushPhase;
  /** 1-based number of the session being worked on, of `sessionsTotal`. */
  session: number;
  sessionsTotal: number;
  requestsTotal: number;
  recordsTotal: number;
  totals: PushTotals;
  blockedBy?: { sessionId: string; status: string; reason: string };
}

export interface PushResult {
  planId: string;
  identitySourceId: string;
  status: 'applied';
  sessions: SessionSummary[];
  totals: PushTotals;
  /** People Okta did not apply as sent: not confirmed, so the next delta plan sends them again. */
  refusedByOkta?: RefusedByOkta[];
  startedAt: string;
  finishedAt: string;
}

/** The push workflow's signature (workflows/push-plan.ts). */
export type PushPlanWorkflow = (input: PushPlanInput) => Promise<PushResult>;

export const pushProgressQuery = defineQuery<PushProgress>('pushProgress');
/**
 * Sent by a push to the coordinator that started it each time it confirmed an import: Okta may have just applied an
 * upsert of a person who left meanwhile (see workflows/coordinator/fast-path.ts).
 */
export const importConfirmedSignal = defineSignal('importConfirmed');
/**
 * Sent by a push to the coordinator that started it as soon as Okta reports an import COMPLETED, before its read-back
 * and confirmation: leavers the coordinator deactivated meanwhile and whom the push upserts are deactivated again at
 * once, not after the read-back.
 */
export const importCompletedSignal = defineSignal('importCompleted');

// Activity results

export interface PushLayoutSummary {
  identitySourceId: string;
  requests: number;
  records: number;
  sessions: { firstRequest: number; requestCount: number; records: number }[];
  confirmedRequests: number;
  /**
   * The per-record import time learned from the identity source's last import (of any run), and that import's
   * records: what the first session's first poll is estimated from (see ImportTimes).
   */
  lastImportTime?: { msPerRecord: number; records: number };
}

export type ClearTheWayResult =
  { clear: true; cancelled: string[] } | { clear: false; sessionId: string; status: string; reason: string };

export interface SessionRef {
  sessionId: string;
}

/** What one upload of a session's requests did (ids and counts only). */
export interface SessionUploadResult {
  /** The requests Okta accepted into the session, this attempt's and earlier attempts' alike, in index order. */
  accepted: number[];
  /** Requests the session could not take because a re-sent upload filled it (see OKTA_FAILURE.sessionFull). */
  notTaken: number[];
  /** Records in the accepted requests. */
  records: number;
  /** 429s met on the way, over all attempts. */
  rateLimitWaits: number;
}

export interface ImportOutcome {
  status: string;
  /** When Okta ended the import (the session's lastUpdated), when it said. */
  endedAt?: string;
}

export interface TriggerOutcome {
  /** CANCELLED: no upload changed anything, so Okta kept the session CREATED and it was cancelled instead. */
  outcome: 'TRIGGERED' | 'CANCELLED';
  /** When Okta triggered it (the session's lastUpdated), when known. */
  triggeredAt?: string;
}
