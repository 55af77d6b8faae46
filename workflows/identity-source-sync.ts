import {
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { PushActivities } from '../activities/push/push-activities.ts';
import type { PlanningActivities } from '../activities/planning/planning-activities.ts';
import { pushPlan } from './push-plan.ts';
import { IDENTITY_SOURCE, PHASE } from './search-attributes.ts';
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
  type SyncPhase,
  type SyncReason,
  type SyncRequest,
  type SyncStatus,
  type SyncSummary,
} from './sync-messages.ts';

// Planning reads the whole HR export and writes the plan to the store: minutes for a large export, and an HR system
// or store outage is waited out for an hour before the request fails.
const planning = proxyActivities<PlanningActivities>({
  startToCloseTimeout: '30 minutes',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes' },
});

// Recording a plan's status is one database write.
const bookkeeping = proxyActivities<Pick<PushActivities, 'recordPlanStatus'>>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
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
const DEBOUNCE_ON_ONE_TIMER = 'debounce-hr-events-on-one-timer';

type QueuedRequest = SyncRequest & { requestId: string; reasons: SyncReason[] };

/**
 * The one coordinator of an identity source (workflow id `hr-okta-sync/<identitySourceId>`). Every trigger (a person
 * in the Web UI or the CLI, a schedule, HR webhooks) queues a request here, so at most one run talks to Okta for the
 * source at a time. A request that finds a compatible one waiting is merged into it: one run serves both, nothing is
 * lost. HR events are gathered for a short quiet period into one delta sync.
 */
export async function identitySourceSync(input: CoordinatorInput): Promise<void> {
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
  let current: (QueuedRequest & NonNullable<SyncStatus['current']> & { startedAt: string }) | undefined;
  let currentScope: CancellationScope | undefined;
  let decision: { approved: boolean; by?: string; reason?: string } | undefined;

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
  setHandler(cancelCurrentSignal, () => currentScope?.cancel());
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
    // One timer per quiet period: a signal only moves the deadline, read when the timer fires. (Before, each signal
    // cancelled the timer and started another, three history events more per signal, and the run never handed over.)
    const oneTimer = patched(DEBOUNCE_ON_ONE_TIMER);
    for (;;) {
      const quietAt = lastHrEventAt! + options.hrEventQuietMs;
      const latestAt = firstHrEventAt! + options.hrEventMaxDelayMs;
      const waitMs = Math.min(quietAt, latestAt) - Date.now();
      if (waitMs <= 0) break;
      if (oneTimer) {
        if (await condition(continueAsNewDue, waitMs)) return false;
      } else {
        const seen = lastHrEventAt;
        await condition(() => lastHrEventAt !== seen, waitMs);
      }
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
    return await continueAsNew<typeof identitySourceSync>({
      identitySourceId,
      ...(input.options ? { options: input.options } : {}),
      carried: {
        queue,
        recent,
        pendingHrEvents,
        nextRequestNumber,
        ...(firstHrEventAt === undefined ? {} : { firstHrEventAt, lastHrEventAt: lastHrEventAt! }),
      },
    });
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

  async function run(request: QueuedRequest): Promise<SyncSummary> {
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
    Object.assign(current!, {
      planId: plan.planId,
      guardrails,
      counts: { ...plan.counts },
    });
    const reportPath = plan.reportPath;
    if (plan.outcome === 'unreadable') return summary('unreadable-export', { reportPath, error: plan.error });
    if (plan.outcome === 'dry-run') return summary('dry-run', { reportPath });

    if (plan.outcome === 'awaiting-approval') {
      decision = undefined;
      current!.approvalDeadline = new Date(Date.now() + options.approvalTimeoutMs).toISOString();
      setPhase('awaiting-approval');
      log.warn('A guardrail tripped: waiting for a person to approve or reject', { planId: plan.planId });
      const decided = await condition(() => decision !== undefined, options.approvalTimeoutMs);
      const approved = decided && (decision as { approved: boolean } | undefined)?.approved === true;
      await bookkeeping.recordPlanStatus({ planId: plan.planId!, status: approved ? 'planned' : 'rejected' });
      if (!approved) return summary(decided ? 'rejected' : 'approval-timed-out', { reportPath });
    }

    const c = plan.planCounts;
    const itemCount = c
      ? c.upserts + c.deactivations + c.groupUpserts + c.groupDeletes + c.membershipUpserts + c.membershipDeletes
      : 0;
    if (itemCount === 0) {
      // Okta already matches HR: the plan counts as applied, the reference for the next run's guardrails.
      await bookkeeping.recordPlanStatus({ planId: plan.planId!, status: 'applied' });
      return summary('nothing-to-do', { reportPath });
    }

    setPhase('pushing');
    const pushWorkflowId = `${workflowInfo().workflowId}/push/${plan.planId}`;
    current!.pushWorkflowId = pushWorkflowId;
    const result = await executeChild<typeof pushPlan>(pushPlan, {
      workflowId: pushWorkflowId,
      args: [{ planId: plan.planId!, ...(options.push ? { options: options.push } : {}) }],
      // The push belongs to this request: if the coordinator goes, the push is cancelled and cleans up its session.
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    });
    return summary('applied', {
      reportPath,
      push: { workflowId: pushWorkflowId, totals: result.totals, sessionIds: result.sessions.map((s) => s.sessionId) },
    });
  }

  for (;;) {
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

    const request = queue.shift()!;
    current = { ...request, startedAt: new Date().toISOString() };
    let result: SyncSummary;
    try {
      currentScope = new CancellationScope();
      result = await currentScope.run(() => run(request));
    } catch (error) {
      const cancelled = isCancellation(error);
      const message =
        error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
      result = summary(cancelled ? 'cancelled' : 'failed', {
        ...(current.pushWorkflowId ? { push: { workflowId: current.pushWorkflowId } } : {}),
        error: cancelled ? 'cancelled by a person' : message,
      });
      log.error('Sync request failed', { requestId: request.requestId, error: result.error });
    } finally {
      currentScope = undefined;
    }
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

/** Raised by the `sync` workflow when the request it made did not apply. */
export function syncFailure(summary: SyncSummary): ApplicationFailure {
  return ApplicationFailure.create({
    type: `Sync${summary.outcome.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase())}`,
    nonRetryable: true,
    message: `Sync ${summary.requestId} of ${summary.identitySourceId} ended ${summary.outcome}${
      summary.error ? `: ${summary.error}` : ''
    }${summary.reportPath ? ` (report: ${summary.reportPath})` : ''}`,
    details: [summary],
  });
}
