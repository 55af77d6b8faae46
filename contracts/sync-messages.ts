/**
 * Messages of the sync workflows: the one-object input people start a sync with, the per-identity-source
 * coordinator's updates, signals and queries, and the summaries it hands back.
 * Versioned by addition only: new fields are optional, so running workflows and saved histories keep decoding.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { PushOptions, PushTotals } from './push-messages.ts';
import type { RefusedRecord } from './single-record-messages.ts';

export type SyncMode = 'delta' | 'full';
export type SyncReason = 'manual' | 'schedule' | 'webhook';

/**
 * What a person (Web UI, CLI) or a schedule starts the `sync` workflow with. Every field is optional: `{}` is a delta
 * sync of the worker's default identity source.
 */
export interface SyncInput {
  identitySourceId?: string;
  /** delta (default): only what changed since Okta confirmed; full: re-send everyone (repairs drift). */
  mode?: SyncMode;
  /** Plan and report only; touch nothing in Okta. */
  dryRun?: boolean;
  reason?: SyncReason;
  /** Return once the request is queued instead of when it finished. */
  noWait?: boolean;
  /**
   * Sync these people only, now (`{"externalIds":["E1001"]}`): planned from the HR source like any sync, applied
   * through Okta's single-record API when few enough (see `coordinator.fastPath`).
   */
  externalIds?: string[];
}

export interface SyncRequest {
  mode: SyncMode;
  dryRun: boolean;
  reason: SyncReason;
  /** Workflows to signal with the outcome (the `sync` workflow that asked). */
  notify?: string[];
  /** Plan these people only (externalIds); see SyncInput.externalIds. */
  people?: string[];
  /** Plan the pending HR leavers only, without reading the export (queued by the coordinator itself). */
  leavers?: boolean;
}

export interface RequestAccepted {
  requestId: string;
  /** Merged into a request that was already waiting, so one run serves both. */
  merged: boolean;
  /** Requests ahead of it, the running one included. */
  position: number;
  coordinatorWorkflowId: string;
}

export interface HrChange {
  /** How many HR events this signal stands for (already deduplicated and stored by the receiver). */
  events: number;
  /** How many of them are leavers: these are planned and applied at once, without the debounce. */
  leavers?: number;
}

export interface Decision {
  by?: string;
  reason?: string;
}

export type SyncOutcome =
  | 'applied'
  | 'nothing-to-do'
  | 'dry-run'
  | 'rejected'
  | 'approval-timed-out'
  | 'unreadable-export'
  | 'failed'
  | 'cancelled';

/** The result of one request: ids and counts only, no personal data. */
export interface SyncSummary {
  requestId: string;
  identitySourceId: string;
  mode: SyncMode;
  dryRun: boolean;
  reasons: SyncReason[];
  outcome: SyncOutcome;
  planId?: string;
  reportPath?: string;
  counts?: Record<string, number>;
  guardrails?: GuardrailVerdict[];
  push?: { workflowId: string; totals?: PushTotals; sessionIds?: string[] };
  /** Applied person by person through Okta's single-record API (the fast path) instead of an import session. */
  singleRecord?: { applied: number };
  /** Records Okta refused (by externalId, with Okta's reason): not recorded as applied; the next sync sends them again. */
  refused?: RefusedRecord[];
  error?: string;
  startedAt: string;
  finishedAt: string;
}

export interface GuardrailVerdict {
  guardrail: string;
  measured: number;
  threshold: number;
  message: string;
}

export type SyncPhase = 'idle' | 'debouncing-hr-events' | 'planning' | 'awaiting-approval' | 'pushing';

export interface SyncStatus {
  identitySourceId: string;
  phase: SyncPhase;
  current?: {
    requestId: string;
    mode: SyncMode;
    dryRun: boolean;
    reasons: SyncReason[];
    planId?: string;
    pushWorkflowId?: string;
    guardrails?: GuardrailVerdict[];
    approvalDeadline?: string;
    counts?: Record<string, number>;
  };
  queued: { requestId: string; mode: SyncMode; dryRun: boolean; reasons: SyncReason[] }[];
  pendingHrEvents: number;
  recent: SyncSummary[];
}

export interface CoordinatorOptions {
  /** How long a tripped guardrail waits for a person; then the run gives up without touching Okta. Default 24 h. */
  approvalTimeoutMs?: number;
  /** HR events are gathered until none came for this long… Default 10 s. */
  hrEventQuietMs?: number;
  /** …or this long after the first one. Default 60 s. */
  hrEventMaxDelayMs?: number;
  /** A coordinator with nothing to do ends after this long; the next request starts it again. Default 1 h. */
  idleTimeoutMs?: number;
  /**
   * Plans of at most this many people (upserts and deactivations, no group changes) are applied through Okta's
   * single-record API instead of an import session; 0 sends everything through sessions. Default 20.
   */
  fastPathMaxPeople?: number;
  /**
   * Plans of HR leavers alone go person by person up to this many (at least `fastPathMaxPeople`), whether a push runs
   * or not: a session would wait for that push, or for Okta's five-minute rule. Default 200.
   */
  fastPathMaxLeavers?: number;
  push?: PushOptions;
}

export interface CoordinatorInput {
  identitySourceId: string;
  options?: CoordinatorOptions;
  /** Set by continue-as-new only. */
  carried?: {
    queue: (SyncRequest & { requestId: string; reasons: SyncReason[] })[];
    recent: SyncSummary[];
    pendingHrEvents: number;
    /** Of the pending HR events, the leavers not yet planned on their own. */
    pendingLeavers?: number;
    nextRequestNumber: number;
    /** When the pending HR events' debounce began and when the last one arrived (epoch ms), so that a new run keeps
     * the same deadlines. */
    firstHrEventAt?: number;
    lastHrEventAt?: number;
    /** A request handed over midway: waiting for a person's decision, or its push running. */
    current?: RequestInProgress;
  };
}

/** What a run that hands over knows of the request it is serving, for the next run to finish it. */
export interface RequestInProgress extends SyncRequest {
  requestId: string;
  reasons: SyncReason[];
  startedAt: string;
  stage: 'awaiting-approval' | 'pushing';
  planId: string;
  reportPath: string;
  /** Items of the plan as stored; 0 means Okta already matches HR. */
  planItems: number;
  /** Of the items, people to upsert or deactivate (the rest change groups). */
  planPeople?: number;
  guardrails?: GuardrailVerdict[];
  counts?: Record<string, number>;
  approvalDeadline?: string;
  pushWorkflowId?: string;
  /** A person's decision or cancel that arrived while the request was being handed over. */
  decision?: { approved: boolean; by?: string; reason?: string };
  cancelRequested?: boolean;
}

/** The coordinator workflow's signature (workflows/identity-source-coordinator.ts). */
export type IdentitySourceCoordinatorWorkflow = (input: CoordinatorInput) => Promise<void>;

/** People named by externalId travel through workflow history: ids only, and a bounded number of them. */
export const MAX_PEOPLE_NAMED = 1000;

/** What is wrong with a list of externalIds a sync is limited to (never quoting one), or undefined. */
export function externalIdsProblem(people: unknown): string | undefined {
  if (!Array.isArray(people) || people.length === 0 || people.length > MAX_PEOPLE_NAMED) {
    return `externalIds must list 1 to ${MAX_PEOPLE_NAMED} people`;
  }
  const bad = people.findIndex((id) => typeof id !== 'string' || id.trim() === '' || id.length > 512);
  return bad < 0
    ? undefined
    : `externalIds[${bad}] is not an externalId (a non-empty string of at most 512 characters)`;
}

/** Coordinator workflow id for an identity source: one per source, so at most one run talks to Okta for it. */
export function coordinatorWorkflowId(identitySourceId: string): string {
  return `hr-okta-sync/${identitySourceId}`;
}

export const requestSyncUpdate = defineUpdate<RequestAccepted, [SyncRequest]>('requestSync');
export const hrChangedSignal = defineSignal<[HrChange]>('hrChanged');
export const approveUpdate = defineUpdate<string, [Decision]>('approve');
export const rejectUpdate = defineUpdate<string, [Decision]>('reject');
export const cancelCurrentSignal = defineSignal('cancelCurrent');
export const syncStatusQuery = defineQuery<SyncStatus>('syncStatus');
/** Sent by the coordinator to each workflow that asked for a request, once it finished. */
export const requestFinishedSignal = defineSignal<[SyncSummary]>('requestFinished');
/** The `sync` workflow's own view: the request it queued and, once known, how it ended. */
export const syncRequestQuery = defineQuery<{ accepted?: RequestAccepted; finished?: SyncSummary }>('syncRequest');
