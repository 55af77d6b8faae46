import { activityInfo, Context, heartbeat, log, sleep } from '@temporalio/activity';
import { acceptedUploadsRecorder } from './accepted-uploads.ts';
import { keepAlive } from './keep-alive.ts';
import type { Client } from '@temporalio/client';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import {
  bodyFromItemTexts,
  ENDPOINT_OF,
  layOutItemTexts,
  OKTA_LIMITS,
  type LayoutLimits,
} from '../okta/bulk-requests.ts';
import { isOktaFailure, NON_RETRYABLE_OKTA_FAILURES, OKTA_FAILURE } from '../../contracts/okta-failure-types.ts';
import type { IdentitySourceClient, IdentitySourceSession, SessionStatus } from '../okta/identity-source-client.ts';
import type { BulkOperation, PushRequest, StateStore } from '../store/state-store.ts';
import type {
  ClearTheWayResult,
  ImportOutcome,
  PushLayoutSummary,
  SessionRef,
  SessionUploadResult,
  TriggerOutcome,
} from '../../contracts/push-messages.ts';

export interface PushActivityDeps {
  store: StateStore;
  okta: IdentitySourceClient;
  /** To tell whether the run that owns a session is still alive. */
  temporal: Client;
  /** Okta's limits unless told stricter (e.g. fewer requests per session, to keep headroom). */
  layoutLimits?: LayoutLimits;
}

const ACTIVE: SessionStatus[] = ['CREATED', 'IN_PROGRESS', 'TRIGGERED'];

/** Our own status for a session cancelled because its uploads changed nothing in Okta. */
const UNCHANGED = 'CLOSED_UNCHANGED';

/** A pending import is not a failure: the activity's retry policy is the polling loop, without history per poll. */
export const IMPORT_PENDING = 'OktaImportPending';

/**
 * The last stretch before an import's expected end is waited inside the activity, the rest through a retry delay:
 * Temporal fires retry timers up to about a second late, and a poll that comes too early costs a whole poll interval.
 */
const AWAIT_IN_ACTIVITY_MS = 2_000;

/**
 * Activities that push a stored plan through Okta import sessions. Built by a factory so that the worker (and each
 * test) injects its own store, Okta client and Temporal client.
 */
export function createPushActivities({ store, okta, temporal, layoutLimits = OKTA_LIMITS }: PushActivityDeps) {
  const layouts = new Map<string, PushRequest[]>();

  async function layoutOf(planId: string): Promise<PushRequest[]> {
    let layout = layouts.get(planId);
    if (!layout) {
      layout = await store.getPushLayout(planId);
      if (!layout) throw ApplicationFailure.nonRetryable(`Plan ${planId} has no push layout`, 'PlanNotLaidOut');
      layouts.set(planId, layout);
    }
    return layout;
  }

  async function isRunAlive(workflowId: string, runId: string): Promise<boolean> {
    try {
      const description = await temporal.workflow.getHandle(workflowId, runId).describe();
      return description.status.name === 'RUNNING';
    } catch (error) {
      if ((error as { name?: string }).name === 'WorkflowNotFoundError') return false;
      throw error;
    }
  }

  const activities = {
    /** Lays the plan out into requests and sessions once; later calls (a resumed run) read the same layout. */
    async prepareImport(planId: string): Promise<PushLayoutSummary> {
      const plan = await store.getPlan(planId);
      if (!plan) throw ApplicationFailure.nonRetryable(`No plan ${planId} in the state store`, 'PlanNotFound');
      let layout = await store.getPushLayout(planId);
      if (!layout) {
        layout = await layOutItemTexts((operation) => itemTextPages(store, planId, operation), layoutLimits);
        await store.savePushLayout(planId, layout);
      }
      layouts.set(planId, layout);
      const sessions: { firstRequest: number; requestCount: number; records: number }[] = [];
      for (const request of layout) {
        const session = (sessions[request.sessionIndex] ??= {
          firstRequest: request.index,
          requestCount: 0,
          records: 0,
        });
        session.requestCount++;
        session.records += request.itemCount;
      }
      await store.setPlanStatus(planId, 'pushing');
      const lastImportTime = await store.lastImportTime(plan.identitySourceId);
      return {
        ...(lastImportTime ? { lastImportTime } : {}),
        identitySourceId: plan.identitySourceId,
        requests: layout.length,
        records: layout.reduce((sum, r) => sum + r.itemCount, 0),
        sessions,
        confirmedRequests: await store.countConfirmedRequests(planId),
      };
    },

    /**
     * Makes sure no stale session blocks a new one: cancels sessions left by dead runs (or by this workflow's earlier
     * runs), waits for triggered ones and for those a live run owns, and reports sessions of other tools.
     */
    async clearTheWay(input: {
      identitySourceId: string;
      workflowId: string;
      runId: string;
      reclaimForeignSessions: boolean;
    }): Promise<ClearTheWayResult> {
      const active = (await okta.listSessions(input.identitySourceId)).filter((s) => ACTIVE.includes(s.status));
      const cancelled: string[] = [];
      for (const session of active) {
        const owner = await store.getSession(session.id);
        if (session.status === 'TRIGGERED') {
          // Our own triggered imports queue in Okta ahead of the next session; anyone else's is waited for.
          if (owner?.workflowId === input.workflowId) continue;
          return {
            clear: false,
            sessionId: session.id,
            status: session.status,
            reason: 'an import is being processed',
          };
        }
        if (owner) {
          // Earlier runs of this workflow id are closed, since this one runs: their sessions are stale.
          if (owner.workflowId !== input.workflowId && (await isRunAlive(owner.workflowId, owner.runId))) {
            return {
              clear: false,
              sessionId: session.id,
              status: session.status,
              reason: `owned by live run ${owner.workflowId}`,
            };
          }
        } else if (!input.reclaimForeignSessions) {
          return {
            clear: false,
            sessionId: session.id,
            status: session.status,
            reason: 'opened by another tool (set reclaimForeignSessions to cancel it)',
          };
        }
        await cancelQuietly(input.identitySourceId, session.id);
        cancelled.push(session.id);
        log.info('Cancelled a stale import session', { sessionId: session.id, owner: owner?.workflowId ?? 'unknown' });
      }
      return { clear: true, cancelled };
    },

    /** Opens the session for one slice of the plan and records this run as its owner. */
    async openSession(input: {
      identitySourceId: string;
      planId: string;
      sessionIndex: number;
      workflowId: string;
      runId: string;
    }): Promise<SessionRef> {
      let session: IdentitySourceSession;
      try {
        session = await okta.createSession(input.identitySourceId);
      } catch (error) {
        const adopted =
          isOktaFailure(error, OKTA_FAILURE.activeSessionExists) && activityInfo().attempt > 1
            ? await adoptOwnLostSession(input.identitySourceId)
            : undefined;
        if (!adopted) throw error;
        session = adopted;
      }
      await store.recordSessionOpened({
        identitySourceId: input.identitySourceId,
        oktaSessionId: session.id,
        planId: input.planId,
        sessionIndex: input.sessionIndex,
        workflowId: input.workflowId,
        runId: input.runId,
        openedAt: new Date().toISOString(),
      });
      await store.recordSessionStatus(session.id, session.status);
      return { sessionId: session.id };
    },

    /**
     * Uploads a session's requests with up to `concurrency` in flight, starting the next as soon as one is accepted,
     * but a request that begins an operation only once every earlier one is accepted (groups and users before the
     * memberships that name them). Each accepted upload is recorded in the store before its place in the window is
     * taken again, so a retried attempt (after a crash, a 5xx, a 429) sends only what is not recorded: at most the
     * window's width of uploads again. On a failure it starts nothing more, lets the uploads in flight end, and fails
     * (a 429 with Okta's reset as the retry delay). A cancelled run's uploads stop at the next heartbeat.
     */
    async uploadSession(input: {
      identitySourceId: string;
      sessionId: string;
      planId: string;
      requestIndexes: number[];
      concurrency: number;
    }): Promise<SessionUploadResult> {
      const layout = await layoutOf(input.planId);
      const requests = input.requestIndexes.map((index) => {
        const request = layout[index];
        if (!request) throw ApplicationFailure.nonRetryable(`Plan ${input.planId} has no request ${index}`);
        return request;
      });
      const earlier = activityInfo().heartbeatDetails as SessionUploadHeartbeat | undefined;
      const details: SessionUploadHeartbeat = {
        rateLimitWaits: earlier?.rateLimitWaits ?? 0,
        stalledAttempts: earlier?.stalledAttempts ?? 0,
        accepted: 0,
      };
      const recorded = new Set(await store.acceptedUploads(input.sessionId));
      const accepted = new Set(input.requestIndexes.filter((index) => recorded.has(index)));
      const acceptedBefore = accepted.size;
      details.accepted = accepted.size;
      const waiting = requests.filter((r) => !recorded.has(r.index));
      const notTaken: number[] = [];
      const record = acceptedUploadsRecorder(store, input.planId, input.sessionId);
      const signal = Context.current().cancellationSignal;
      let inFlight = 0;
      let full = false;
      let failure: { error: unknown } | undefined;
      let wake: (() => void) | undefined;
      const changed = () => {
        wake?.();
        wake = undefined;
      };
      const stopping = () => full || failure !== undefined || signal.aborted;
      const startsOperation = (r: PushRequest) => r.index > 0 && layout[r.index - 1]!.operation !== r.operation;
      const canStart = () => inFlight < input.concurrency && (inFlight === 0 || !startsOperation(waiting[0]!));

      let stop!: () => void;
      const stopped = new Promise<void>((resolve) => (stop = resolve));
      const send = async (request: PushRequest) => {
        try {
          const texts = await store.readItemTexts(
            input.planId,
            request.operation,
            request.firstItem,
            request.itemCount,
          );
          const body = bodyFromItemTexts(request.operation, texts, request.bytes);
          // A 5xx or a lost answer is tried again here, its slot held, while the other uploads go on; a 429 or a third
          // failure ends the attempt instead (see below).
          for (let tries = 1; ; tries++) {
            try {
              await okta.upload(input.identitySourceId, input.sessionId, ENDPOINT_OF[request.operation], body);
              break;
            } catch (error) {
              if (!isTransient(error) || tries >= TRIES_IN_ATTEMPT || stopping()) throw error;
              await Promise.race([delay(RETRY_INITIAL_MS * 2 ** (tries - 1)), stopped]);
              if (stopping()) throw error;
            }
          }
          await record.add(request.index);
          accepted.add(request.index);
          details.accepted = accepted.size;
          // Throttled by the SDK; its answer is how a cancellation of the run reaches this attempt.
          heartbeat(details);
        } catch (error) {
          if (isOktaFailure(error, OKTA_FAILURE.sessionFull)) {
            full = true;
            notTaken.push(request.index);
          } else {
            failure ??= { error };
          }
          stop();
        }
      };

      const abort = () => {
        stop();
        changed();
      };
      signal.addEventListener('abort', abort);
      try {
        await keepAlive(
          async () => {
            while (waiting.length > 0 && !stopping()) {
              if (!canStart()) {
                await new Promise<void>((resolve) => (wake = resolve));
                continue;
              }
              inFlight++;
              void send(waiting.shift()!).finally(() => {
                inFlight--;
                changed();
              });
            }
            while (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve));
          },
          () => details,
        );
      } finally {
        signal.removeEventListener('abort', abort);
      }

      if (signal.aborted) await Context.current().cancelled;
      if (failure) throw retryableAfterProgress(failure.error, details, accepted.size > acceptedBefore);
      // The workflow logs the carry-over to the next session.
      if (full) notTaken.push(...waiting.map((r) => r.index));
      const acceptedIndexes = input.requestIndexes.filter((index) => accepted.has(index));
      return {
        accepted: acceptedIndexes,
        notTaken: notTaken.sort((a, b) => a - b),
        records: acceptedIndexes.reduce((sum, index) => sum + layout[index]!.itemCount, 0),
        rateLimitWaits: details.rateLimitWaits,
      };
    },

    /**
     * Triggers the import at once, or cancels the session when no upload changed anything: Okta keeps such a session
     * CREATED and refuses to trigger it, so a refusal is the one case that asks Okta for the session's status.
     */
    async triggerImport(input: { identitySourceId: string; sessionId: string }): Promise<TriggerOutcome> {
      let triggered: IdentitySourceSession;
      try {
        triggered = await okta.startImport(input.identitySourceId, input.sessionId);
      } catch (error) {
        if (!isOktaFailure(error, OKTA_FAILURE.sessionState) && !isOktaFailure(error, OKTA_FAILURE.rejected)) {
          throw error;
        }
        const session = await okta.getSession(input.identitySourceId, input.sessionId);
        await store.recordSessionStatus(session.id, session.status);
        if (session.status === 'CREATED') {
          await cancelQuietly(input.identitySourceId, input.sessionId);
          await store.recordSessionStatus(session.id, UNCHANGED);
          return { outcome: 'CANCELLED' };
        }
        // An earlier attempt triggered it and its answer was lost.
        if (session.status === 'TRIGGERED') return { outcome: 'TRIGGERED', triggeredAt: session.lastUpdated };
        if (session.status === 'COMPLETED') return { outcome: 'TRIGGERED' };
        if (session.status === 'IN_PROGRESS') throw error;
        throw ApplicationFailure.nonRetryable(
          `Session ${input.sessionId} is ${session.status}; its uploads are lost and the plan's next run sends them again`,
          OKTA_FAILURE.sessionState,
        );
      }
      await store.recordSessionStatus(triggered.id, triggered.status);
      return { outcome: 'TRIGGERED', triggeredAt: triggered.lastUpdated };
    },

    /**
     * Polls a triggered session until Okta finishes it. Throws IMPORT_PENDING (retryable) while it is processing, and
     * before `firstPollAt` (epoch ms: when the import can first have finished) without asking Okta at all. Given when
     * the import was triggered, the next poll comes after a share of the import's age (at most the poll interval), so
     * a short import is seen done soon after it is, and a long one costs no more polls than the interval allows.
     */
    async awaitImport(input: {
      identitySourceId: string;
      sessionId: string;
      pollIntervalMs: number;
      firstPollAt?: number;
      /** When the import was triggered (epoch ms). */
      triggeredAtMs?: number;
    }): Promise<ImportOutcome> {
      const untilFirstPoll = (input.firstPollAt ?? 0) - Date.now();
      if (untilFirstPoll > AWAIT_IN_ACTIVITY_MS) {
        throw importPending(
          `Okta cannot have finished session ${input.sessionId} yet`,
          untilFirstPoll - AWAIT_IN_ACTIVITY_MS / 2,
        );
      }
      if (untilFirstPoll > 0) await sleep(untilFirstPoll);
      let session = await okta.getSession(input.identitySourceId, input.sessionId);
      // A young import's next poll is under a second away: waited here, since Temporal fires a retry delay up to a
      // second late.
      while (session.status === 'TRIGGERED' && isYoung(input)) {
        heartbeat();
        await sleep(nextPollDelay(input));
        session = await okta.getSession(input.identitySourceId, input.sessionId);
      }
      if (session.status === 'TRIGGERED') {
        throw importPending(`Okta is still processing session ${session.id}`, nextPollDelay(input));
      }
      await store.recordSessionStatus(session.id, session.status);
      return { status: session.status, endedAt: session.lastUpdated };
    },

    /**
     * Advances the record of what Okta has, for the requests of a COMPLETED session, or of one Okta left CREATED
     * because none of its uploads changed anything (Okta already matched them).
     */
    async confirmImport(input: {
      planId: string;
      sessionId: string;
      requestIndexes: number[];
      /** What the run learned from this import, kept for the identity source's next push. */
      importTime?: { msPerRecord: number; records: number };
    }) {
      const session = await store.getSession(input.sessionId);
      if (session?.status !== 'COMPLETED' && session?.status !== UNCHANGED) {
        throw ApplicationFailure.nonRetryable(`Session ${input.sessionId} is not COMPLETED; nothing confirmed`);
      }
      if (input.importTime) {
        await store.recordImportTime(session.identitySourceId, input.importTime, new Date().toISOString());
      }
      const confirmedAt = new Date().toISOString();
      for (const [from, to] of contiguousRuns(input.requestIndexes)) {
        await store.confirmRequests(input.planId, from, to, confirmedAt);
      }
    },

    /** Cancels a session if Okta still allows it (CREATED or IN_PROGRESS); used by cleanup, so it never throws for state. */
    async cancelSession(input: { identitySourceId: string; sessionId: string }): Promise<SessionStatus | 'UNKNOWN'> {
      let session: IdentitySourceSession;
      try {
        session = await okta.getSession(input.identitySourceId, input.sessionId);
      } catch (error) {
        if (isOktaFailure(error, OKTA_FAILURE.sessionNotFound)) return 'UNKNOWN';
        throw error;
      }
      if (session.status === 'CREATED' || session.status === 'IN_PROGRESS') {
        await cancelQuietly(input.identitySourceId, input.sessionId);
        await store.recordSessionStatus(session.id, 'CLOSED');
        return 'CLOSED';
      }
      await store.recordSessionStatus(session.id, session.status);
      return session.status;
    },

    /**
     * A plan's status: applied, failed or cancelled by its push; planned or rejected after a person's decision, or
     * applied with nothing to push, by the coordinator. One activity for both, as a worker registers one per name.
     */
    async recordPlanStatus(input: {
      planId: string;
      status: 'planned' | 'rejected' | 'applied' | 'failed' | 'cancelled';
    }): Promise<void> {
      await store.setPlanStatus(input.planId, input.status);
    },
  };
  return withKeepAlive(activities);

  async function cancelQuietly(identitySourceId: string, sessionId: string): Promise<void> {
    try {
      await okta.cancelSession(identitySourceId, sessionId);
    } catch (error) {
      // Someone (an earlier attempt of ours) already closed it, or it was triggered meanwhile: not ours to fight.
      if (isOktaFailure(error, OKTA_FAILURE.sessionState)) return;
      throw error;
    }
  }

  /**
   * An earlier attempt may have created a session and died before recording it. Such a session is CREATED, known to
   * no run, and was created after this activity was first scheduled: it is ours.
   */
  async function adoptOwnLostSession(identitySourceId: string): Promise<IdentitySourceSession | undefined> {
    const since = activityInfo().scheduledTimestampMs;
    for (const session of await okta.listSessions(identitySourceId)) {
      if (session.status !== 'CREATED' || Date.parse(session.created) < since - 1_000) continue;
      if (await store.getSession(session.id)) continue;
      log.info('Adopted the session an earlier attempt opened', { sessionId: session.id });
      return session;
    }
    return undefined;
  }
}

/** A plan's items of one operation as saved, a page at a time. */
async function* itemTextPages(store: StateStore, planId: string, operation: BulkOperation): AsyncIterable<string[]> {
  for (let from = 0; ; from += TEXT_PAGE) {
    const texts = await store.readItemTexts(planId, operation, from, TEXT_PAGE);
    if (texts.length > 0) yield texts;
    if (texts.length < TEXT_PAGE) return;
  }
}

const TEXT_PAGE = 2_000;

/** The next poll of an import still processing comes after this share of its age… */
const POLL_AFTER_AGE_SHARE = 0.25;
/** …and no sooner than this. */
const MIN_POLL_DELAY_MS = 250;

/** An import whose next poll is under a second away (a share of its age): polled again within the attempt. */
function isYoung(input: { triggeredAtMs?: number }): boolean {
  return (
    input.triggeredAtMs !== undefined &&
    (Date.now() - input.triggeredAtMs) * POLL_AFTER_AGE_SHARE < AWAIT_IN_ACTIVITY_MS / 2
  );
}

function nextPollDelay(input: { pollIntervalMs: number; triggeredAtMs?: number }): number {
  if (input.triggeredAtMs === undefined) return input.pollIntervalMs;
  const age = Math.max(0, Date.now() - input.triggeredAtMs);
  return Math.min(input.pollIntervalMs, Math.max(MIN_POLL_DELAY_MS, Math.round(age * POLL_AFTER_AGE_SHARE)));
}

function importPending(message: string, nextRetryDelay: number): ApplicationFailure {
  return ApplicationFailure.create({
    type: IMPORT_PENDING,
    message,
    nextRetryDelay,
    // Expected while Okta works: logged at debug level and kept out of failure metrics.
    category: ApplicationFailureCategory.BENIGN,
  });
}

/** [from, to) runs of consecutive request indexes. */
function contiguousRuns(indexes: number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const index of [...indexes].sort((a, b) => a - b)) {
    const last = runs.at(-1);
    if (last && last[1] === index) last[1] = index + 1;
    else runs.push([index, index + 1]);
  }
  return runs;
}

interface SessionUploadHeartbeat {
  rateLimitWaits: number;
  /** Attempts in a row that got no upload accepted: the retry delay doubles with each. */
  stalledAttempts: number;
  /** Uploads of the session accepted so far (what is recorded in the store), for people looking at the run. */
  accepted: number;
}

const RETRY_INITIAL_MS = 1_000;
const RETRY_MAX_MS = 60_000;
/** Tries of one upload within an attempt of uploadSession, a second and then two apart. */
const TRIES_IN_ATTEMPT = 3;

/** A failure that another try may not meet: a 5xx or a lost answer, not a 429 (the attempt waits for the reset). */
function isTransient(error: unknown): boolean {
  return (
    error instanceof ApplicationFailure &&
    !error.nonRetryable &&
    !isOktaFailure(error, OKTA_FAILURE.rateLimited) &&
    !(NON_RETRYABLE_OKTA_FAILURES as string[]).includes(error.type ?? '')
  );
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * The failure a session upload's attempt ends with. A 429 keeps Okta's reset as its retry delay; another retryable
 * failure is retried after the retry policy's first interval when the attempt got uploads accepted, doubling only over
 * attempts that got none, so that an Okta answering 5xx now and then does not push a session's later attempts minutes
 * apart (the policy's backoff counts attempts, not attempts without progress). The counts travel in the heartbeat
 * details sent with the failure.
 */
function retryableAfterProgress(error: unknown, details: SessionUploadHeartbeat, progressed: boolean): unknown {
  if (isOktaFailure(error, OKTA_FAILURE.rateLimited)) {
    details.rateLimitWaits++;
    heartbeat(details);
    return error;
  }
  details.stalledAttempts = progressed ? 0 : details.stalledAttempts + 1;
  heartbeat(details);
  if (!(error instanceof ApplicationFailure) || error.nonRetryable) return error;
  if ((NON_RETRYABLE_OKTA_FAILURES as string[]).includes(error.type ?? '')) return error;
  return ApplicationFailure.create({
    type: error.type ?? undefined,
    message: error.message,
    details: error.details ?? undefined,
    nextRetryDelay: Math.min(RETRY_MAX_MS, RETRY_INITIAL_MS * 2 ** details.stalledAttempts),
  });
}

/** Activities that carry details in their heartbeats keep themselves alive; the others get plain heartbeats. */
const KEEPS_ITSELF_ALIVE = new Set(['uploadSession']);

function withKeepAlive<T extends Record<string, (input: never) => Promise<unknown>>>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      KEEPS_ITSELF_ALIVE.has(name) ? fn : (input: never) => keepAlive(() => fn(input)),
    ]),
  ) as T;
}

export type PushActivities = ReturnType<typeof createPushActivities>;
