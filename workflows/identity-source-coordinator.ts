import {
  CancellationScope,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyActivities,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { CoordinationActivities } from '../activities/coordination/coordination-activities.ts';
import type { PushActivities } from '../activities/push/push-activities.ts';
import type { PlanningActivities } from '../activities/planning/planning-activities.ts';
import { pushPlan } from './push-plan.ts';
import { IDENTITY_SOURCE } from '../contracts/search-attributes.ts';
import {
  requestFinishedSignal,
  type CoordinatorInput,
  type GuardrailVerdict,
  type SyncSummary,
} from '../contracts/sync-messages.ts';
import type { PushTotals, RefusedByOkta } from '../contracts/push-messages.ts';
import { readBackReason } from '../contracts/sync-outcome.ts';
import { CoordinatorState, type RunningRequest } from './coordinator/coordinator-state.ts';
import {
  applyPersonByPerson,
  FAST_PATH_PATCH,
  fitsFastPath,
  LEAVERS_PERSON_BY_PERSON_PATCH,
  withLeaversAlongside,
} from './coordinator/fast-path.ts';
import { registerHandlers } from './coordinator/handlers.ts';
import { pushMetadata } from '../contracts/workflow-summaries.ts';

// Planning reads the whole HR export and writes the plan to the store: minutes for a large export, and an HR system
// or store outage is waited out for an hour before the request fails. It heartbeats its progress, so a worker that
// dies midway is noticed within a minute and planning moves to another.
const planning = proxyActivities<Pick<PlanningActivities, 'planSync' | 'planLeavers'>>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes' },
  summary: 'plan the sync: read HR, compare with what Okta confirmed, check the guardrails',
});

// Recording a plan's status is one database write.
const bookkeeping = proxyActivities<Pick<PushActivities, 'recordPlanStatus'>>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  summary: 'record the plan status',
});

// Waiting for a push started by an earlier run of the coordinator: as long as the push takes, heartbeating so that a
// dead worker is noticed within a minute and the wait moves to another.
const pushes = proxyActivities<Pick<CoordinationActivities, 'awaitPush'>>({
  startToCloseTimeout: '30 days',
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['PushFailed', 'PushCancelled', 'PushTerminated'],
  },
  summary: 'wait for the push an earlier run started',
});

const HISTORY_EVENTS_BEFORE_CONTINUE_AS_NEW = 5_000;
/** What serving a request returns when the history grew long midway: the request goes on in the next run. */
const HAND_OVER = 'hand-over';
type Served = SyncSummary | typeof HAND_OVER;
type PushOutcome = { totals: PushTotals; sessionIds: string[]; refusedByOkta?: RefusedByOkta[] };

/**
 * The one coordinator of an identity source (workflow id `hr-okta-sync/<identitySourceId>`). Every trigger (a person
 * in the Web UI or the CLI, a schedule, HR webhooks) queues a request here, so at most one run talks to Okta for the
 * source at a time. A request that finds a compatible one waiting is merged into it: one run serves both, nothing is
 * lost. HR events are gathered for a short quiet period into one delta sync.
 */
export async function identitySourceCoordinator(input: CoordinatorInput): Promise<void> {
  const state = new CoordinatorState(input, {
    fastPath: patched(FAST_PATH_PATCH),
    leaversBeyondMaxPeople: patched(LEAVERS_PERSON_BY_PERSON_PATCH),
  });
  upsertSearchAttributes([{ key: IDENTITY_SOURCE, value: state.identitySourceId }]);
  registerHandlers(state);
  const handOverDue = oneHandOverWait();

  for (;;) {
    if (!state.carriedRequest) {
      const endsAt = at(Date.now() + state.options.idleTimeoutMs);
      state.setPhase('idle', `a request (the run ends at ${endsAt} without one)`);
      const idle = { summary: `idle until a request, or the end of this run at ${endsAt}` };
      if (!(await condition(() => state.hasWork(), state.options.idleTimeoutMs, idle))) {
        // Nothing for a long while: end, after any handler still running; the next request starts a new run.
        await condition(allHandlersFinished);
        if (!state.hasWork()) return;
      }
      if (leaversWaiting(state)) state.queueLeavers();
      else if (state.queue.length === 0) {
        if (!(await gatherHrEvents(state))) return await handOver(state);
        continue;
      }
    }
    const request = state.takeNext();
    const result = await serveCancellably(state, request, handOverDue);
    if (result === HAND_OVER) return await handOver(state);
    state.finish(result);
    await notifyRequesters(request, result);
    if (continueAsNewDue()) return await handOver(state);
  }
}

/** Serves a request in a scope a person's cancel reaches; a failure or cancel becomes the request's outcome. */
async function serveCancellably(
  state: CoordinatorState,
  request: RunningRequest,
  handOverDue: () => Promise<typeof HAND_OVER>,
): Promise<Served> {
  try {
    state.currentScope = new CancellationScope();
    if (state.cancelRequested) state.currentScope.cancel();
    state.cancelRequested = false;
    return await state.currentScope.run(() => serve(state, request, handOverDue));
  } catch (error) {
    const cancelled = isCancellation(error);
    const message =
      error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    const result = state.summary(cancelled ? 'cancelled' : 'failed', {
      ...(request.pushWorkflowId ? { push: { workflowId: request.pushWorkflowId } } : {}),
      error: cancelled ? 'cancelled by a person' : message,
    });
    log.error('Sync request failed', { requestId: request.requestId, error: result.error });
    return result;
  } finally {
    state.currentScope = undefined;
  }
}

async function notifyRequesters(request: RunningRequest, result: SyncSummary): Promise<void> {
  for (const requester of new Set(request.notify ?? [])) {
    try {
      await getExternalWorkflowHandle(requester).signal(requestFinishedSignal, result);
    } catch (error) {
      // The requester may be gone (cancelled, terminated): its outcome stays in `recent` and the report.
      log.info('Requester not reachable', { requester, error: String(error) });
    }
  }
}

/**
 * Turns gathered HR events into one delta request, once they stopped coming (or waited long enough). Returns false
 * when the run should hand over to a new one first: a steady stream of HR signals grows the history while it waits.
 */
async function gatherHrEvents(state: CoordinatorState): Promise<boolean> {
  state.setPhase('debouncing-hr-events');
  // One timer per quiet period: a signal only moves the deadline, read when the timer fires, so a stream of
  // signals adds no timer events and the run can hand over.
  for (;;) {
    const quietAt = state.lastHrEventAt! + state.options.hrEventQuietMs;
    const latestAt = state.firstHrEventAt! + state.options.hrEventMaxDelayMs;
    const waitMs = Math.min(quietAt, latestAt) - Date.now();
    if (waitMs <= 0) break;
    const until = at(Date.now() + waitMs);
    state.waitFor(`HR events to stop coming, until ${until}`);
    const quiet = { summary: `gather HR events until ${until}` };
    if (await condition(() => continueAsNewDue() || leaversWaiting(state), waitMs, quiet)) {
      // A leaver is planned and applied first; the gathering goes on after it, with the same deadlines.
      return leaversWaiting(state);
    }
  }
  log.info('HR events gathered into one delta sync', { events: state.pendingHrEvents });
  state.queueGatheredHrEvents();
  return true;
}

/** Leavers from HR webhooks wait for no debounce (a run with the fast path, and the fast path not turned off). */
function leaversWaiting(state: CoordinatorState): boolean {
  return state.fastPath && state.options.fastPathMaxPeople > 0 && state.pendingLeavers > 0;
}

/** Hands the queue, the recent outcomes and the pending HR events over to a fresh run with a short history. */
async function handOver(state: CoordinatorState): Promise<never> {
  await condition(allHandlersFinished);
  return await continueAsNew<typeof identitySourceCoordinator>(state.handOverInput());
}

/**
 * Serves the current request: plan, wait for a person when a guardrail tripped, push. Returns HAND_OVER when the
 * history grew long while it waited for a person or its push: the next run goes on from that stage.
 */
async function serve(
  state: CoordinatorState,
  request: RunningRequest,
  handOverDue: () => Promise<typeof HAND_OVER>,
): Promise<Served> {
  if (!request.stage) {
    const planned = await plan(state, request);
    if (planned) return planned;
  }
  const planId = request.planId!;
  const reportPath = request.reportPath;

  if (request.stage === 'awaiting-approval') {
    const refused = await awaitApproval(state, request);
    if (refused) return refused;
  }

  if (request.stage !== 'pushing' && request.planItems === 0) {
    // Okta already matches HR: the plan counts as applied, the reference for the next run's guardrails.
    await bookkeeping.recordPlanStatus({ planId, status: 'applied' });
    return state.summary('nothing-to-do', { reportPath });
  }

  if (request.stage !== 'pushing' && fitsFastPath(state, request)) {
    const applied = await applyPersonByPerson(state, request);
    if (applied) {
      await bookkeeping.recordPlanStatus({ planId, status: 'applied' });
      return applied;
    }
  }

  state.setPhase('pushing', `push ${request.pushWorkflowId ?? `of plan ${planId}`} to end`);
  const applied = ({ refusedByOkta, ...push }: PushOutcome) =>
    state.summary('applied', {
      reportPath,
      push: { workflowId: request.pushWorkflowId!, ...push },
      ...(refusedByOkta?.length
        ? { refused: refusedByOkta.map((r) => ({ externalId: r.externalId, reason: readBackReason(r) })) }
        : {}),
    });
  const alongside = { planning, bookkeeping };
  if (request.stage === 'pushing') {
    const workflowId = request.pushWorkflowId!;
    return await withLeaversAlongside(state, alongside, planId, () =>
      awaitEarlierPush(workflowId, applied, handOverDue),
    );
  }

  request.pushWorkflowId = `${workflowInfo().workflowId}/push/${planId}`;
  // The push outlives this run when the run hands over; cancelling the request still cancels it (through the
  // child's cancellation here, explicitly in a later run).
  const push = await startChild(pushPlan, {
    workflowId: request.pushWorkflowId,
    args: [{ planId, ...(state.options.push ? { options: state.options.push } : {}) }],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    ...pushMetadata(planId, request.counts, `coordinator request ${request.requestId}`),
  });
  state.waitFor(`push ${request.pushWorkflowId} to end`);
  request.stage = 'pushing';
  const result = await withLeaversAlongside(state, alongside, planId, () =>
    Promise.race([push.result(), handOverDue()]),
  );
  if (result === HAND_OVER) return HAND_OVER;
  return applied({
    totals: result.totals,
    sessionIds: result.sessions.map((s) => s.sessionId),
    ...(result.refusedByOkta ? { refusedByOkta: result.refusedByOkta } : {}),
  });
}

/** Plans the request; returns its outcome when it ends here (an unreadable export, a dry run). */
async function plan(state: CoordinatorState, request: RunningRequest): Promise<SyncSummary | undefined> {
  state.setPhase('planning', 'planning (the planSync activity)');
  const { identitySourceId } = state;
  const plan = request.leavers
    ? await planning.planLeavers({ identitySourceId })
    : await planning.planSync({
        identitySourceId,
        mode: request.mode,
        dryRun: request.dryRun,
        ...(request.people ? { people: request.people } : {}),
      });
  const guardrails: GuardrailVerdict[] = plan.guardrails.tripped.map(({ guardrail, measured, threshold, message }) => ({
    guardrail,
    measured,
    threshold,
    message,
  }));
  Object.assign(request, { planId: plan.planId, guardrails, counts: { ...plan.counts } });
  request.reportPath = plan.reportPath;
  if (plan.outcome === 'unreadable')
    return state.summary('unreadable-export', { reportPath: plan.reportPath, error: plan.error });
  if (plan.outcome === 'dry-run') return state.summary('dry-run', { reportPath: plan.reportPath });
  const c = plan.planCounts;
  request.planItems = c
    ? c.upserts + c.deactivations + c.groupUpserts + c.groupDeletes + c.membershipUpserts + c.membershipDeletes
    : 0;
  if (c && state.fastPath) request.planPeople = c.upserts + c.deactivations;
  if (plan.outcome === 'awaiting-approval') {
    state.decision = undefined;
    request.approvalDeadline = new Date(Date.now() + state.options.approvalTimeoutMs).toISOString();
    request.stage = 'awaiting-approval';
    log.warn('A guardrail tripped: waiting for a person to approve or reject', { planId: plan.planId });
  }
  return undefined;
}

/**
 * Waits for a person's decision until the deadline. Returns the outcome when the plan is not to be pushed (rejected,
 * timed out) or HAND_OVER when the history grew long first; undefined once approved.
 */
async function awaitApproval(state: CoordinatorState, request: RunningRequest): Promise<Served | undefined> {
  const waiting = `a person to approve or reject plan ${request.planId}, until ${request.approvalDeadline}`;
  state.setPhase('awaiting-approval', waiting);
  const decided = await condition(
    () => state.decision !== undefined || continueAsNewDue(),
    Math.max(1, Date.parse(request.approvalDeadline!) - Date.now()),
    { summary: `await approval of plan ${request.planId} until ${request.approvalDeadline}` },
  );
  if (decided && state.decision === undefined) return HAND_OVER;
  const approved = decided && state.decision?.approved === true;
  request.stage = undefined;
  await bookkeeping.recordPlanStatus({ planId: request.planId!, status: approved ? 'planned' : 'rejected' });
  if (!approved) return state.summary(decided ? 'rejected' : 'approval-timed-out', { reportPath: request.reportPath });
  return undefined;
}

/** Waits for a push an earlier run started; cancelling the request cancels the push and waits for its clean-up. */
async function awaitEarlierPush(
  workflowId: string,
  applied: (push: PushOutcome) => SyncSummary,
  handOverDue: () => Promise<typeof HAND_OVER>,
): Promise<Served> {
  try {
    const result = await Promise.race([pushes.awaitPush({ workflowId }), handOverDue()]);
    return result === HAND_OVER ? HAND_OVER : applied(result);
  } catch (error) {
    if (!isCancellation(error)) throw error;
    await CancellationScope.nonCancellable(async () => {
      await getExternalWorkflowHandle(workflowId)
        .cancel()
        .catch(() => undefined); // it already ended
      await pushes.awaitPush({ workflowId }).catch(() => undefined);
    });
    throw error;
  }
}

/**
 * A wait that resolves once the history is long enough to hand over; cancelling the request does not end it. One
 * wait per run, shared by the requests that race it.
 */
function oneHandOverWait(): () => Promise<typeof HAND_OVER> {
  let wait: Promise<typeof HAND_OVER> | undefined;
  return () => {
    wait ??= CancellationScope.nonCancellable(() => condition(continueAsNewDue)).then(() => HAND_OVER);
    return wait;
  };
}

function at(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

function continueAsNewDue(): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength > HISTORY_EVENTS_BEFORE_CONTINUE_AS_NEW;
}
