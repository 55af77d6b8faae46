import {
  ApplicationFailure,
  CancellationScope,
  ContinueAsNew,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { PushActivities } from '../activities/push/push-activities.ts';
import {
  NON_RETRYABLE_OKTA_FAILURES,
  OKTA_FAILURE,
  hasFailureType,
  isOktaFailure,
} from '../contracts/okta-failure-types.ts';
import {
  pushProgressQuery,
  type CarriedState,
  type ImportTimes,
  type PushLayoutSummary,
  type PushOptions,
  type PushPhase,
  type PushPlanInput,
  type PushProgress,
  type PushResult,
  type PushTotals,
  type SessionSummary,
} from '../contracts/push-messages.ts';
import {
  CHUNKS_UPLOADED,
  IDENTITY_SOURCE,
  PHASE,
  RATE_LIMIT_WAITS,
  RECORDS_APPLIED,
  SESSION,
} from '../contracts/search-attributes.ts';

/**
 * The activities, with timeouts and retries chosen per kind of call. Every call heartbeats, so a worker that dies
 * mid-call is noticed after `heartbeatTimeoutMs` and the call moves to another worker.
 */
function activitiesFor(options: typeof DEFAULTS & PushOptions) {
  const heartbeatTimeout = options.heartbeatTimeoutMs;
  // Okta calls may run on a queue of their own, whose activity rate the server caps across all workers.
  const oktaQueue = options.oktaTaskQueue ? { taskQueue: options.oktaTaskQueue } : {};
  const backoff = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' } as const;
  return {
    // Okta calls. A pacer may hold a call up to one rate-limit window (~60 s) before sending it, plus the request.
    // 5xx and dropped connections retry with backoff through 30 minutes of Okta trouble, then the run fails and says
    // so; 429s retry after Okta's announced reset (nextRetryDelay); 4xx never retry (typed nonRetryable).
    okta: proxyActivities<PushActivities>({
      ...oktaQueue,
      startToCloseTimeout: '3 minutes',
      scheduleToCloseTimeout: '30 minutes',
      heartbeatTimeout,
      retry: { ...backoff, nonRetryableErrorTypes: NON_RETRYABLE_OKTA_FAILURES },
    }),
    // Polling a triggered import: each "still TRIGGERED" is a retry whose delay is the poll interval, so a long
    // import costs no history events. Okta expires a session after 24 h without requests: 25 h bounds the wait.
    importPolling: proxyActivities<PushActivities>({
      ...oktaQueue,
      startToCloseTimeout: '2 minutes',
      scheduleToCloseTimeout: '25 hours',
      heartbeatTimeout,
      retry: { ...backoff, nonRetryableErrorTypes: NON_RETRYABLE_OKTA_FAILURES },
    }),
    // Uploading a session's requests in one activity: a paced session may take several rate-limit windows (a minute
    // each at Okta's rates) plus 429 waits. A dead worker is noticed through the heartbeat timeout; each attempt sends
    // only what no earlier attempt got accepted, so Okta's trouble is ridden out as long as with single calls.
    sessionUploads: proxyActivities<PushActivities>({
      ...oktaQueue,
      startToCloseTimeout: '15 minutes',
      scheduleToCloseTimeout: '1 hour',
      heartbeatTimeout,
      retry: { ...backoff, nonRetryableErrorTypes: NON_RETRYABLE_OKTA_FAILURES },
    }),
    // State store calls: database work that must eventually succeed; a store outage is waited out for an hour.
    // Laying out a plan of a million records reads them all once, hence the long start-to-close.
    store: proxyActivities<PushActivities>({
      startToCloseTimeout: '10 minutes',
      scheduleToCloseTimeout: '1 hour',
      heartbeatTimeout,
      retry: { ...backoff, nonRetryableErrorTypes: ['PlanNotFound', 'PlanNotLaidOut', 'OversizedItemError'] },
    }),
  };
}

const DEFAULTS: Required<Omit<PushOptions, 'oktaTaskQueue'>> = {
  pollIntervalMs: 15_000,
  fiveMinuteRuleMs: 5 * 60_000,
  blockedSessionPollMs: 30_000,
  // Well under Okta's concurrency limit (35 to 75 requests an org) and the pacer holds requests to the rate limit
  // anyway; more did not go faster (bench/push.ts), and the pacer counts requests in flight against the budget.
  uploadConcurrency: 8,
  reclaimForeignSessions: false,
  heartbeatTimeoutMs: 30_000,
};

/** The first poll of an import nothing is known of: its end comes no sooner than this, and often not much later. */
const FIRST_POLL_OF_UNKNOWN_IMPORT_MS = 1_000;

/**
 * A margin on an import's estimated end: polling a little late costs that little, polling too early a whole poll
 * interval.
 */
const IMPORT_ESTIMATE_MARGIN = 1.01;

/** Past this many history events a run hands over to a fresh one at the next session boundary. */
const HISTORY_EVENTS_BEFORE_CONTINUE_AS_NEW = 10_000;

function emptyTotals(): PushTotals {
  return {
    requestsUploaded: 0,
    recordsUploaded: 0,
    recordsApplied: 0,
    rateLimitWaits: 0,
    fiveMinuteWaits: 0,
    staleSessionsCancelled: 0,
  };
}

/**
 * Pushes one stored plan through Okta import sessions: per session, clear stale sessions, open (waiting out the
 * five-minute rule), upload its requests, trigger (or cancel when nothing changed), await the outcome and confirm
 * what Okta applied. The next session opens while the previous import is processed. A failed or cancelled run
 * closes its open session and leaves the confirmed record exactly where Okta's COMPLETED sessions put it.
 */
export async function pushPlan(input: PushPlanInput): Promise<PushResult> {
  const options = { ...DEFAULTS, ...input.options };
  const { okta, importPolling, sessionUploads, store } = activitiesFor(options);
  const { workflowId, runId } = workflowInfo();
  const carried: CarriedState = input.carried ?? {
    nextSession: 0,
    totals: emptyTotals(),
    sessions: [],
    startedAt: new Date().toISOString(),
  };
  const totals = carried.totals;
  const sessions = carried.sessions;
  let lastTriggeredAtMs = carried.lastTriggeredAtMs;
  let importTimes: ImportTimes | undefined = carried.importTimes;

  const progress: PushProgress = {
    planId: input.planId,
    phase: 'preparing',
    session: carried.nextSession,
    sessionsTotal: 0,
    requestsTotal: 0,
    recordsTotal: 0,
    totals,
  };
  setHandler(pushProgressQuery, () => progress);

  const setPhase = (phase: PushPhase) => {
    if (progress.phase === phase) return;
    progress.phase = phase;
    upsertSearchAttributes([{ key: PHASE, value: phase }]);
  };
  const publishCounters = () =>
    upsertSearchAttributes([
      { key: SESSION, value: `${progress.session} of ${progress.sessionsTotal}` },
      { key: CHUNKS_UPLOADED, value: totals.requestsUploaded },
      { key: RECORDS_APPLIED, value: totals.recordsApplied },
      { key: RATE_LIMIT_WAITS, value: totals.rateLimitWaits },
    ]);

  let layout: PushLayoutSummary | undefined;
  /** The session this run holds open (CREATED or IN_PROGRESS), which cleanup must cancel. */
  let openSession: SessionSummary | undefined;
  /** A triggered session whose outcome is awaited while the next session is prepared. */
  let pendingImport: PendingImport | undefined;
  let importFailure: ApplicationFailure | undefined;
  /** Whether this run opened a session while the previous one's confirmation was still being stored. */
  let openedBeforeConfirmation = false;

  const identitySourceId = () => layout!.identitySourceId;

  async function clearTheWay(): Promise<void> {
    for (;;) {
      setPhase('clearing-stale-sessions');
      const result = await okta.clearTheWay({
        identitySourceId: identitySourceId(),
        workflowId,
        runId,
        reclaimForeignSessions: options.reclaimForeignSessions,
      });
      if (result.clear) {
        totals.staleSessionsCancelled += result.cancelled.length;
        progress.blockedBy = undefined;
        return;
      }
      progress.blockedBy = { sessionId: result.sessionId, status: result.status, reason: result.reason };
      log.info('Waiting for a session that blocks this run', { ...progress.blockedBy });
      setPhase('waiting-for-blocking-session');
      await sleep(options.blockedSessionPollMs);
    }
  }

  async function open(sessionIndex: number): Promise<string> {
    // Okta would refuse a create within five minutes of our last trigger while that import runs: wait on a timer
    // (cut short when the import finishes) instead of asking and being refused.
    if (pendingImport && lastTriggeredAtMs !== undefined) {
      // Okta's rule ends with the import itself; the confirmation of what it applied need not hold up the next session.
      const waitMs = lastTriggeredAtMs + options.fiveMinuteRuleMs + 1_000 - Date.now();
      if (waitMs > 0) {
        totals.fiveMinuteWaits++;
        setPhase('waiting-five-minute-rule');
        await condition(() => pendingImport === undefined || pendingImport.ended, waitMs);
        throwIfImportFailed();
        if (pendingImport) openedBeforeConfirmation = true;
      }
    }
    for (;;) {
      setPhase('opening-session');
      try {
        const { sessionId } = await okta.openSession({
          identitySourceId: identitySourceId(),
          planId: input.planId,
          sessionIndex,
          workflowId,
          runId,
        });
        return sessionId;
      } catch (error) {
        if (isOktaFailure(error, OKTA_FAILURE.fiveMinuteRule)) {
          totals.fiveMinuteWaits++;
          setPhase('waiting-five-minute-rule');
          // A durable timer to the end of the five minutes, cut short when our previous import finishes first.
          const waitMs =
            lastTriggeredAtMs === undefined
              ? options.blockedSessionPollMs
              : Math.max(1_000, lastTriggeredAtMs + options.fiveMinuteRuleMs + 1_000 - Date.now());
          if (pendingImport) await condition(() => pendingImport === undefined, waitMs);
          else await sleep(waitMs);
          throwIfImportFailed();
          continue;
        }
        if (isOktaFailure(error, OKTA_FAILURE.activeSessionExists)) {
          await clearTheWay();
          continue;
        }
        throw error;
      }
    }
  }

  function throwIfImportFailed(): void {
    if (importFailure) throw importFailure;
  }

  /**
   * The soonest Okta can have finished an import, from one learned import of `records` records that took
   * `msPerRecord` each: Okta's time is a fixed cost plus a cost per record, neither known alone, so a larger session
   * takes at least the whole learned time and a smaller one at least its share of it. Polls after the first come
   * sooner the younger the import (awaitImport), so an import is seen done shortly after it is.
   */
  function firstPollAt(summary: SessionSummary, trigger: { atMs: number; triggeredAt?: string }): number {
    const learned = importTimes ?? layout?.lastImportTime;
    if (!learned) return trigger.atMs + Math.min(options.pollIntervalMs, FIRST_POLL_OF_UNKNOWN_IMPORT_MS);
    const triggeredAt = Date.parse(trigger.triggeredAt ?? '');
    const queuedMs = importTimes && !Number.isNaN(triggeredAt) ? Math.max(0, importTimes.lastEndedAt - triggeredAt) : 0;
    const records = Math.min(summary.records, learned.records ?? summary.records);
    return trigger.atMs + queuedMs + learned.msPerRecord * records * IMPORT_ESTIMATE_MARGIN;
  }

  /**
   * Learns from a completed import how long Okta takes a record (it processes a source's imports one at a time).
   * Returns the per-record time learned, if this import taught one.
   */
  function learnImportTime(
    records: number,
    triggeredAt: string | undefined,
    endedAt: string | undefined,
  ): number | undefined {
    const triggered = Date.parse(triggeredAt ?? '');
    const ended = Date.parse(endedAt ?? '');
    if (Number.isNaN(triggered) || Number.isNaN(ended)) return undefined;
    const startedAt = Math.max(triggered, importTimes?.lastEndedAt ?? triggered);
    if (records > 0 && ended > startedAt) {
      importTimes = { msPerRecord: (ended - startedAt) / records, records, lastEndedAt: ended };
      return importTimes.msPerRecord;
    }
    importTimes = importTimes && { ...importTimes, lastEndedAt: ended };
    return undefined;
  }

  function awaitAndConfirm(
    summary: SessionSummary,
    poll: { firstPollAt?: number; triggeredAt?: string; triggeredAtMs?: number } = {},
  ): PendingImport {
    const pending: PendingImport = { summary, ended: false, firstPollAt: poll.firstPollAt, done: Promise.resolve() };
    pending.done = (async () => {
      setPhaseIfIdle('awaiting-import');
      const { status, endedAt } = await importPolling.awaitImport({
        identitySourceId: identitySourceId(),
        sessionId: summary.sessionId,
        pollIntervalMs: options.pollIntervalMs,
        ...(poll.firstPollAt === undefined ? {} : { firstPollAt: poll.firstPollAt }),
        ...(poll.triggeredAtMs === undefined ? {} : { triggeredAtMs: poll.triggeredAtMs }),
      });
      summary.finishedAt = new Date().toISOString();
      if (status === 'COMPLETED') {
        const learned = learnImportTime(summary.records, poll.triggeredAt, endedAt);
        pending.ended = true;
        await store.confirmImport({
          planId: input.planId,
          sessionId: summary.sessionId,
          requestIndexes: summary.requestIndexes ?? [],
          ...(learned ? { importTime: { msPerRecord: learned, records: summary.records } } : {}),
        });
        summary.outcome = 'COMPLETED';
        totals.recordsApplied += summary.records;
        publishCounters();
      } else {
        pending.ended = true;
        summary.outcome = status === 'ERROR' || status === 'EXPIRED' ? status : 'CLOSED';
        importFailure ??= ApplicationFailure.create({
          type: 'OktaImportFailed',
          nonRetryable: true,
          message:
            `Okta ended import session ${summary.sessionId} (session ${summary.sessionIndex + 1} of ` +
            `${progress.sessionsTotal}) with ${status}: its ${summary.records} records were not applied. ` +
            'Sessions before it were applied and confirmed; the next run of this plan sends the rest again.',
        });
      }
    })().finally(() => {
      if (pendingImport === pending) pendingImport = undefined;
    });
    // Failures surface through importFailure or the final await; this keeps an early rejection from going unhandled.
    pending.done.catch(() => undefined);
    return pending;
  }

  /**
   * Uploads a session's requests in one activity (a sliding window that never runs ahead of an operation's start),
   * without a workflow task per upload. Returns the requests a full session could not take.
   */
  async function uploadSession(
    sessionId: string,
    summary: SessionSummary,
    requestIndexes: number[],
  ): Promise<number[]> {
    const result = await sessionUploads.uploadSession({
      identitySourceId: identitySourceId(),
      sessionId,
      planId: input.planId,
      requestIndexes,
      concurrency: options.uploadConcurrency,
    });
    countUploads(summary, result.accepted, result);
    throwIfImportFailed();
    if (result.notTaken.length > 0) {
      log.warn('Session full after a re-sent upload; the rest goes into the next session', {
        sessionId,
        carriedOver: result.notTaken.length,
      });
    }
    return result.notTaken;
  }

  /** Uploads Okta accepted (and the records they carry), in their session's summary and the run's totals. */
  function countUploads(
    summary: SessionSummary,
    requestIndexes: number[],
    result: { records: number; rateLimitWaits: number },
  ): void {
    summary.requestIndexes!.push(...requestIndexes);
    summary.requests += requestIndexes.length;
    summary.records += result.records;
    totals.requestsUploaded += requestIndexes.length;
    totals.recordsUploaded += result.records;
    totals.rateLimitWaits += result.rateLimitWaits;
  }

  function setPhaseIfIdle(phase: PushPhase): void {
    if (!openSession) setPhase(phase);
  }

  try {
    layout = await store.prepareImport(input.planId);
    progress.identitySourceId = layout.identitySourceId;
    progress.sessionsTotal = layout.sessions.length;
    progress.requestsTotal = layout.requests;
    progress.recordsTotal = layout.records;
    upsertSearchAttributes([{ key: IDENTITY_SOURCE, value: layout.identitySourceId }]);
    publishCounters();

    if (carried.pendingImport) {
      const summary = sessions.find((s) => s.sessionId === carried.pendingImport?.sessionId);
      if (summary) {
        pendingImport = awaitAndConfirm(summary, {
          firstPollAt: carried.pendingImport.firstPollAt,
          ...(lastTriggeredAtMs === undefined ? {} : { triggeredAtMs: lastTriggeredAtMs }),
        });
      }
    } else if (carried.nextSession === 0) {
      await clearTheWay();
    }

    let index = carried.nextSession;
    /** Requests a full session could not take (see OKTA_FAILURE.sessionFull): they get a session of their own next. */
    let overflow = carried.overflow ?? [];
    while (overflow.length > 0 || index < layout.sessions.length) {
      let requestIndexes: number[];
      if (overflow.length > 0) {
        requestIndexes = overflow;
        overflow = [];
        progress.sessionsTotal++;
      } else {
        const slice = layout.sessions[index++]!;
        // A re-run of a plan skips what an earlier run already got COMPLETED and confirmed.
        if (slice.firstRequest + slice.requestCount <= layout.confirmedRequests) continue;
        requestIndexes = Array.from({ length: slice.requestCount }, (_, i) => slice.firstRequest + i);
      }
      const sessionIndex = sessions.length;
      progress.session = sessionIndex + 1;
      publishCounters();

      const sessionId = await open(sessionIndex);
      const summary: SessionSummary = {
        sessionIndex,
        sessionId,
        requests: 0,
        records: 0,
        outcome: 'OPEN',
        startedAt: new Date().toISOString(),
        requestIndexes: [],
      };
      sessions.push(summary);
      openSession = summary;

      setPhase('uploading');
      overflow = await uploadSession(sessionId, summary, requestIndexes);
      publishCounters();

      setPhase('triggering');
      const trigger = await okta.triggerImport({ identitySourceId: identitySourceId(), sessionId });
      openSession = undefined;
      if (trigger.outcome === 'CANCELLED') {
        // Okta saw no change in any upload (e.g. deactivations of people it never had): it already matches the plan.
        summary.outcome = 'CANCELLED_UNCHANGED';
        summary.finishedAt = new Date().toISOString();
        await store.confirmImport({ planId: input.planId, sessionId, requestIndexes: summary.requestIndexes! });
        continue;
      }
      summary.outcome = 'TRIGGERED';
      lastTriggeredAtMs = Date.now();
      // Sessions are processed in order: wait for the previous import before queueing behind it.
      if (pendingImport) await pendingImport.done;
      throwIfImportFailed();
      const triggeredAt = trigger.triggeredAt;
      pendingImport = awaitAndConfirm(summary, {
        firstPollAt: firstPollAt(summary, { atMs: lastTriggeredAtMs, triggeredAt }),
        triggeredAt,
        triggeredAtMs: lastTriggeredAtMs,
      });

      const info = workflowInfo();
      const isLast = overflow.length === 0 && index >= layout.sessions.length;
      if (!isLast && (info.continueAsNewSuggested || info.historyLength > HISTORY_EVENTS_BEFORE_CONTINUE_AS_NEW)) {
        await condition(allHandlersFinished);
        return await continueAsNew<typeof pushPlan>({
          planId: input.planId,
          options: input.options,
          carried: {
            nextSession: index,
            overflow,
            totals,
            sessions,
            startedAt: carried.startedAt,
            lastTriggeredAtMs,
            pendingImport: { sessionIndex, sessionId, firstPollAt: pendingImport.firstPollAt },
            importTimes,
          },
        });
      }
    }

    while (pendingImport) await pendingImport.done;
    throwIfImportFailed();
    await store.recordPlanStatus({ planId: input.planId, status: 'applied' });
    setPhase('done');
    publishCounters();
    return {
      planId: input.planId,
      identitySourceId: identitySourceId(),
      status: 'applied',
      sessions,
      totals,
      startedAt: carried.startedAt,
      finishedAt: new Date().toISOString(),
    };
  } catch (error) {
    if (error instanceof ContinueAsNew) throw error;
    const cancelled = isCancellation(error);
    await CancellationScope.nonCancellable(async () => {
      setPhase('cleaning-up');
      if (openSession && layout) {
        openSession.outcome = 'CLOSED';
        await okta.cancelSession({ identitySourceId: layout.identitySourceId, sessionId: openSession.sessionId });
      }
      // What Okta completed is confirmed before the run ends, even when the next session opened before the confirmation.
      if (openedBeforeConfirmation && pendingImport?.ended) await pendingImport.done.catch(() => undefined);
      await store
        .recordPlanStatus({ planId: input.planId, status: cancelled ? 'cancelled' : 'failed' })
        .catch((recordError: unknown) => {
          // A plan the store does not hold has no status to record; the run fails for that reason below.
          if (!hasFailureType(recordError, 'PlanNotFound')) throw recordError;
        });
      setPhase(cancelled ? 'cancelled' : 'failed');
    });
    if (cancelled) throw error;
    throw ApplicationFailure.create({
      type: 'PushFailed',
      nonRetryable: true,
      message: `Pushing plan ${input.planId} failed at session ${progress.session} of ${progress.sessionsTotal}: ${
        error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)
      }. Applied and confirmed: ${totals.recordsApplied} records; the rest is sent again by the next run.`,
      cause: error instanceof Error ? error : undefined,
      details: [{ sessions, totals }],
    });
  }
}

/** A triggered import: `ended` once Okta finished it, `done` once what it applied is confirmed in the store. */
interface PendingImport {
  summary: SessionSummary;
  ended: boolean;
  /** When the first poll was due (epoch ms), to hand over to a continued run. */
  firstPollAt?: number;
  done: Promise<void>;
}
