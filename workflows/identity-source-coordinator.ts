import {
  CancellationScope,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { CoordinationActivities } from '../activities/coordination/coordination-activities.ts';
import type { PushActivities } from '../activities/push/push-activities.ts';
import type { PlanningActivities } from '../activities/planning/planning-activities.ts';
import { pushPlan } from './push-plan.ts';
import { IDENTITY_SOURCE, PHASE } from '../contracts/search-attributes.ts';
import {
  approveUpdate,
  cancelCurrentSignal,
  hrChangedSignal,
  rejectUpdate,
  requestFinishedSignal,
  requestSyncUpdate,
  syncStatusQuery,
  type CoordinatorInput,
  type CoordinatorOptions,
  type Decision,
  type GuardrailVerdict,
  type RequestInProgress,
  type SyncPhase,
  type SyncReason,
  type SyncRequest,
  type SyncSummary,
} from '../contracts/sync-messages.ts';
import type { PushTotals } from '../contracts/push-messages.ts';

// Planning reads the whole HR export and writes the plan to the store: minutes for a large export, and an HR system
// or store outage is waited out for an hour before the request fails.
// It heartbeats its progress, so a worker that dies midway is noticed within a minute and planning moves to another.
const planning = proxyActivities<Pick<PlanningActivities, 'planSync'>>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes' },
});

// Recording a plan's status is one database write.
const bookkeeping = proxyActivities<Pick<PushActivities, 'recordPlanStatus'>>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
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
});

const DEFAULTS: Required<Omit<CoordinatorOptions, 'push'>> = {
  approvalTimeoutMs: 24 * 3_600_000,
  hrEventQuietMs: 10_000,
  hrEventMaxDelayMs: 60_000,
  idleTimeoutMs: 3_600_000,
};

/** Requests of the recent past kept for `status`; older ones live in workflow history and reports. */
const RECENT_KEPT = 20;
const HISTORY_EVENTS_BEFORE_CONTINUE_AS_NEW = 5_000;
/** What run() returns when the history grew long midway: the request goes on in the next run. */
const HAND_OVER = 'hand-over';

type QueuedRequest = SyncRequest & { requestId: string; reasons: SyncReason[] };
/** The request being served: what is known of it so far (its stage once it may be handed over). */
type RunningRequest = QueuedRequest & { startedAt: string } & Partial<RequestInProgress>;

/**
 * The one coordinator of an identity source (workflow id `hr-okta-sync/<identitySourceId>`). Every trigger (a person
 * in the Web UI or the CLI, a schedule, HR webhooks) queues a request here, so at most one run talks to Okta for the
 * source at a time. A request that finds a compatible one waiting is merged into it: one run serves both, nothing is
 * lost. HR events are gathered for a short quiet period into one delta sync.
 */
export async function identitySourceCoordinator(input: CoordinatorInput): Promise<void> {
  const options = { ...DEFAULTS, ...input.options };
  const { identitySourceId } = input;
  const queue: QueuedRequest[] = input.carried?.queue ?? [];
  const recent: SyncSummary[] = input.carried?.recent ?? [];
  let pendingHrEvents = input.carried?.pendingHrEvents ?? 0;
  let nextRequestNumber = input.carried?.nextRequestNumber ?? 1;
  let firstHrEventAt: number | undefined =
    input.carried?.firstHrEventAt ?? (pendingHrEvents > 0 ? Date.now() : undefined);
  let lastHrEventAt: number | undefined = input.carried?.lastHrEventAt ?? firstHrEventAt;

  let phase: SyncPhase = 'idle';
  let carriedRequest = input.carried?.current;
  let current: RunningRequest | undefined;
  let currentScope: CancellationScope | undefined;
  /** A cancel that came while a request was being handed over, for the next run to carry out. */
  let cancelRequested = carriedRequest?.cancelRequested ?? false;
  let decision: RequestInProgress['decision'] = carriedRequest?.decision;

  upsertSearchAttributes([{ key: IDENTITY_SOURCE, value: identitySourceId }]);
  const setPhase = (next: SyncPhase) => {
    phase = next;
    upsertSearchAttributes([{ key: PHASE, value: next }]);
  };

  const newRequestId = () => `${workflowInfo().workflowId}#${nextRequestNumber++}`;

  /** Merges into a waiting request that does the same or more; otherwise queues. A full sync covers a delta one. */
  function enqueue(request: SyncRequest): { requestId: string; merged: boolean; position: number } {
    const compatible = queue.find(
      (waiting) => waiting.dryRun === request.dryRun && (waiting.mode === request.mode || waiting.mode === 'full'),
    );
    const upgradable = queue.find((waiting) => waiting.dryRun === request.dryRun && request.mode === 'full');
    const target = compatible ?? upgradable;
    if (target) {
      target.mode = target.mode === 'full' || request.mode === 'full' ? 'full' : 'delta';
      if (!target.reasons.includes(request.reason)) target.reasons.push(request.reason);
      target.notify = [...(target.notify ?? []), ...(request.notify ?? [])];
      return { requestId: target.requestId, merged: true, position: queue.indexOf(target) + (current ? 2 : 1) };
    }
    const queued: QueuedRequest = { ...request, requestId: newRequestId(), reasons: [request.reason] };
    queue.push(queued);
    return { requestId: queued.requestId, merged: false, position: queue.length + (current ? 1 : 0) };
  }

  setHandler(
    requestSyncUpdate,
    (request) => ({ ...enqueue(request), coordinatorWorkflowId: workflowInfo().workflowId }),
    {
      validator: (request: SyncRequest) => {
        if (request.mode !== 'delta' && request.mode !== 'full')
          throw new Error(`unknown sync mode ${String(request.mode)}`);
      },
    },
  );
  setHandler(hrChangedSignal, ({ events }) => {
    pendingHrEvents += events;
    lastHrEventAt = Date.now();
    firstHrEventAt ??= lastHrEventAt;
  });
  const awaitingApproval = (_decision: Decision) => {
    if (phase !== 'awaiting-approval' || decision) throw new Error('No sync of this identity source awaits approval');
  };
  setHandler(
    approveUpdate,
    (by) => {
      decision = { approved: true, ...by };
      return `Approved plan ${current?.planId}; the push starts now`;
    },
    { validator: awaitingApproval },
  );
  setHandler(
    rejectUpdate,
    (by) => {
      decision = { approved: false, ...by };
      return `Rejected plan ${current?.planId}; nothing is sent to Okta`;
    },
    { validator: awaitingApproval },
  );
  setHandler(cancelCurrentSignal, () => {
    if (currentScope) currentScope.cancel();
    else if (current) cancelRequested = true;
  });
  setHandler(syncStatusQuery, () => ({
    identitySourceId,
    phase,
    ...(current
      ? {
          current: {
            requestId: current.requestId,
            mode: current.mode,
            dryRun: current.dryRun,
            reasons: current.reasons,
            planId: current.planId,
            pushWorkflowId: current.pushWorkflowId,
            guardrails: current.guardrails,
            approvalDeadline: current.approvalDeadline,
            counts: current.counts,
          },
        }
      : {}),
    queued: queue.map(({ requestId, mode, dryRun, reasons }) => ({ requestId, mode, dryRun, reasons })),
    pendingHrEvents,
    recent,
  }));

  /**
   * Turns gathered HR events into one delta request, once they stopped coming (or waited long enough). Returns false
   * when the run should hand over to a new one first: a steady stream of HR signals grows the history while it waits.
   */
  async function gatherHrEvents(): Promise<boolean> {
    setPhase('debouncing-hr-events');
    // One timer per quiet period: a signal only moves the deadline, read when the timer fires, so a stream of
    // signals adds no timer events and the run can hand over.
    for (;;) {
      const quietAt = lastHrEventAt! + options.hrEventQuietMs;
      const latestAt = firstHrEventAt! + options.hrEventMaxDelayMs;
      const waitMs = Math.min(quietAt, latestAt) - Date.now();
      if (waitMs <= 0) break;
      if (await condition(continueAsNewDue, waitMs)) return false;
    }
    log.info('HR events gathered into one delta sync', { events: pendingHrEvents });
    pendingHrEvents = 0;
    firstHrEventAt = lastHrEventAt = undefined;
    enqueue({ mode: 'delta', dryRun: false, reason: 'webhook' });
    return true;
  }

  /** Hands the queue, the recent outcomes and the pending HR events over to a fresh run with a short history. */
  async function handOver(): Promise<never> {
    await condition(allHandlersFinished);
    return await continueAsNew<typeof identitySourceCoordinator>({
      identitySourceId,
      ...(input.options ? { options: input.options } : {}),
      carried: {
        queue,
        recent,
        pendingHrEvents,
        nextRequestNumber,
        ...(firstHrEventAt === undefined ? {} : { firstHrEventAt, lastHrEventAt: lastHrEventAt! }),
        ...(current?.stage ? { current: inProgress(current) } : {}),
      },
    });
  }

  function inProgress(request: RunningRequest): RequestInProgress {
    const { requestId, mode, dryRun, reason, reasons, notify, startedAt, stage, planId, reportPath, planItems } =
      request as RequestInProgress;
    return {
      requestId,
      mode,
      dryRun,
      reason,
      reasons,
      ...(notify ? { notify } : {}),
      startedAt,
      stage,
      planId,
      reportPath,
      planItems,
      ...(request.guardrails ? { guardrails: request.guardrails } : {}),
      ...(request.counts ? { counts: request.counts } : {}),
      ...(request.approvalDeadline ? { approvalDeadline: request.approvalDeadline } : {}),
      ...(request.pushWorkflowId ? { pushWorkflowId: request.pushWorkflowId } : {}),
      ...(decision ? { decision } : {}),
      ...(cancelRequested ? { cancelRequested } : {}),
    };
  }

  /** The outcome of the running request, with what is known of it so far. */
  function summary(outcome: SyncSummary['outcome'], extra: Partial<SyncSummary> = {}): SyncSummary {
    const request = current!;
    return {
      requestId: request.requestId,
      identitySourceId,
      mode: request.mode,
      dryRun: request.dryRun,
      reasons: request.reasons,
      outcome,
      ...(request.planId ? { planId: request.planId } : {}),
      ...(request.guardrails?.length ? { guardrails: request.guardrails } : {}),
      ...(request.counts ? { counts: request.counts } : {}),
      ...extra,
      startedAt: request.startedAt,
      finishedAt: new Date().toISOString(),
    };
  }

  /**
   * Serves the current request: plan, wait for a person when a guardrail tripped, push. Returns HAND_OVER when the
   * history grew long while it waited for a person or its push: the next run goes on from that stage.
   */
  async function run(): Promise<SyncSummary | typeof HAND_OVER> {
    const request = current!;
    if (!request.stage) {
      setPhase('planning');
      const plan = await planning.planSync({ identitySourceId, mode: request.mode, dryRun: request.dryRun });
      const guardrails: GuardrailVerdict[] = plan.guardrails.tripped.map(
        ({ guardrail, measured, threshold, message }) => ({
          guardrail,
          measured,
          threshold,
          message,
        }),
      );
      Object.assign(request, { planId: plan.planId, guardrails, counts: { ...plan.counts } });
      request.reportPath = plan.reportPath;
      if (plan.outcome === 'unreadable')
        return summary('unreadable-export', { reportPath: plan.reportPath, error: plan.error });
      if (plan.outcome === 'dry-run') return summary('dry-run', { reportPath: plan.reportPath });
      const c = plan.planCounts;
      request.planItems = c
        ? c.upserts + c.deactivations + c.groupUpserts + c.groupDeletes + c.membershipUpserts + c.membershipDeletes
        : 0;
      if (plan.outcome === 'awaiting-approval') {
        decision = undefined;
        request.approvalDeadline = new Date(Date.now() + options.approvalTimeoutMs).toISOString();
        request.stage = 'awaiting-approval';
        log.warn('A guardrail tripped: waiting for a person to approve or reject', { planId: plan.planId });
      }
    }
    const planId = request.planId!;
    const reportPath = request.reportPath;

    if (request.stage === 'awaiting-approval') {
      setPhase('awaiting-approval');
      const decided = await condition(
        () => decision !== undefined || continueAsNewDue(),
        Math.max(1, Date.parse(request.approvalDeadline!) - Date.now()),
      );
      if (decided && decision === undefined) return HAND_OVER;
      const approved = decided && decision?.approved === true;
      request.stage = undefined;
      await bookkeeping.recordPlanStatus({ planId, status: approved ? 'planned' : 'rejected' });
      if (!approved) return summary(decided ? 'rejected' : 'approval-timed-out', { reportPath });
    }

    if (request.stage !== 'pushing' && request.planItems === 0) {
      // Okta already matches HR: the plan counts as applied, the reference for the next run's guardrails.
      await bookkeeping.recordPlanStatus({ planId, status: 'applied' });
      return summary('nothing-to-do', { reportPath });
    }

    setPhase('pushing');
    const applied = (push: { totals: PushTotals; sessionIds: string[] }) =>
      summary('applied', { reportPath, push: { workflowId: request.pushWorkflowId!, ...push } });
    if (request.stage === 'pushing') return await awaitEarlierPush(request.pushWorkflowId!, applied);

    request.pushWorkflowId = `${workflowInfo().workflowId}/push/${planId}`;
    // The push outlives this run when the run hands over; cancelling the request still cancels it (through the
    // child's cancellation here, explicitly in a later run).
    const push = await startChild(pushPlan, {
      workflowId: request.pushWorkflowId,
      args: [{ planId, ...(options.push ? { options: options.push } : {}) }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    request.stage = 'pushing';
    const result = await Promise.race([push.result(), handOverDue()]);
    if (result === HAND_OVER) return HAND_OVER;
    return applied({ totals: result.totals, sessionIds: result.sessions.map((s) => s.sessionId) });
  }

  /** Waits for a push an earlier run started; cancelling the request cancels the push and waits for its clean-up. */
  async function awaitEarlierPush(
    workflowId: string,
    applied: (push: { totals: PushTotals; sessionIds: string[] }) => SyncSummary,
  ): Promise<SyncSummary | typeof HAND_OVER> {
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
   * Resolves once the history is long enough to hand over; cancelling the request does not end this wait. One wait
   * per run, shared by the requests that race it.
   */
  let handOverWait: Promise<typeof HAND_OVER> | undefined;
  function handOverDue(): Promise<typeof HAND_OVER> {
    handOverWait ??= CancellationScope.nonCancellable(() => condition(continueAsNewDue)).then(() => HAND_OVER);
    return handOverWait;
  }

  for (;;) {
    if (carriedRequest) {
      current = { ...carriedRequest };
      carriedRequest = undefined;
    } else {
      const hasWork = () => queue.length > 0 || pendingHrEvents > 0;
      setPhase('idle');
      if (!(await condition(hasWork, options.idleTimeoutMs))) {
        // Nothing for a long while: end, after any handler still running; the next request starts a new run.
        await condition(allHandlersFinished);
        if (!hasWork()) return;
      }
      if (queue.length === 0) {
        if (!(await gatherHrEvents())) return await handOver();
        continue;
      }
      current = { ...queue.shift()!, startedAt: new Date().toISOString() };
    }
    const request = current;
    let result: SyncSummary | typeof HAND_OVER;
    try {
      currentScope = new CancellationScope();
      if (cancelRequested) currentScope.cancel();
      cancelRequested = false;
      result = await currentScope.run(run);
    } catch (error) {
      const cancelled = isCancellation(error);
      const message =
        error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
      result = summary(cancelled ? 'cancelled' : 'failed', {
        ...(request.pushWorkflowId ? { push: { workflowId: request.pushWorkflowId } } : {}),
        error: cancelled ? 'cancelled by a person' : message,
      });
      log.error('Sync request failed', { requestId: request.requestId, error: result.error });
    } finally {
      currentScope = undefined;
    }
    if (result === HAND_OVER) return await handOver();
    current = undefined;
    recent.unshift(result);
    recent.splice(RECENT_KEPT);
    for (const requester of new Set(request.notify ?? [])) {
      try {
        await getExternalWorkflowHandle(requester).signal(requestFinishedSignal, result);
      } catch (error) {
        // The requester may be gone (cancelled, terminated): its outcome stays in `recent` and the report.
        log.info('Requester not reachable', { requester, error: String(error) });
      }
    }

    if (continueAsNewDue()) return await handOver();
  }
}

function continueAsNewDue(): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength > HISTORY_EVENTS_BEFORE_CONTINUE_AS_NEW;
}
