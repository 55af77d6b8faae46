import { condition, isCancellation, log, proxyActivities } from '@temporalio/workflow';
import type { PlanningActivities } from '../../activities/planning/planning-activities.ts';
import type { PushActivities } from '../../activities/push/push-activities.ts';
import type { SingleRecordActivities } from '../../activities/single-record/single-record-activities.ts';
import { NON_RETRYABLE_OKTA_FAILURES } from '../../contracts/okta-failure-types.ts';
import type { SyncSummary } from '../../contracts/sync-messages.ts';
import type { CoordinatorState, RunningRequest } from './coordinator-state.ts';

/** The patch that brought the fast path; a run decides once, at its start, which behaviour it has. */
export const FAST_PATH_PATCH = 'single-record-fast-path';

/**
 * The patch that lets plans of leavers alone go person by person beyond `fastPathMaxPeople`, up to
 * `fastPathMaxLeavers`, beside a push too; decided once, at a run's start.
 */
export const LEAVERS_PERSON_BY_PERSON_PATCH = 'leavers-person-by-person';

/**
 * Whether the request's plan is small enough to go person by person: users only, at most `fastPathMaxPeople`, or
 * `fastPathMaxLeavers` for a plan of leavers.
 */
export function fitsFastPath(state: CoordinatorState, request: RunningRequest): boolean {
  const people = request.planPeople;
  return (
    people !== undefined &&
    people > 0 &&
    people === request.planItems &&
    people <= state.fastPathMax(request.leavers === true)
  );
}

/**
 * Applies the plan through Okta's single-record API. Returns the request's outcome, or undefined when the activity
 * handed the plan back (an import session is active, groups change, someone comes back): it then goes through a
 * session as any plan does.
 */
export async function applyPersonByPerson(
  state: CoordinatorState,
  request: RunningRequest,
): Promise<SyncSummary | undefined> {
  const planId = request.planId!;
  state.setPhase('pushing', `Okta's single-record API to apply plan ${planId}`);
  const result = await singleRecordActivities(state).applyPeople.executeWithOptions(
    { summary: `apply plan ${planId} person by person (${request.planPeople} people)` },
    [{ planId }],
  );
  if (result.outcome === 'needs-session') {
    log.info('The plan goes through an import session instead', { planId, reason: result.reason });
    return undefined;
  }
  return state.summary('applied', {
    reportPath: request.reportPath,
    singleRecord: { applied: result.applied },
    ...(result.refused.length > 0 ? { refused: result.refused } : {}),
  });
}

/**
 * Each person is a request or two: a pacer may hold one a rate-limit window, a 429 waits until Okta's reset
 * (nextRetryDelay). Progress is confirmed per person, so a retry re-sends at most the one in flight.
 */
function singleRecordActivities(state: CoordinatorState) {
  return proxyActivities<SingleRecordActivities>({
    ...(state.options.push?.oktaTaskQueue ? { taskQueue: state.options.push.oktaTaskQueue } : {}),
    startToCloseTimeout: '5 minutes',
    // As the session path: the push options say how soon a call on a dead worker moves to another.
    heartbeatTimeout: state.options.push?.heartbeatTimeoutMs ?? '1 minute',
    scheduleToCloseTimeout: '30 minutes',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      nonRetryableErrorTypes: [...NON_RETRYABLE_OKTA_FAILURES, 'PlanNotFound'],
    },
  });
}

/** What deactivating leavers beside a push needs of the coordinator's other activities. */
export interface AlongsideActivities {
  planning: Pick<PlanningActivities, 'planLeavers'>;
  bookkeeping: Pick<PushActivities, 'recordPlanStatus'>;
}

/**
 * Waits for the push of plan `pushPlanId` (`work`) while leavers from HR webhooks are deactivated beside it, person
 * by person: a push of a big plan takes minutes to hours, and a leaver should lose access in seconds. Safe beside the
 * push's sessions because a DELETE of a leaver is the only write and the push's plan predates the leaver event.
 * Should the push still carry an upsert of that person (a full sync re-sends everyone), its import makes them active
 * again: as soon as Okta completed an import (the push's importCompleted signal), the leavers taken meanwhile whom the
 * push upserts are deactivated again; every leaver taken meanwhile is planned once more each time the push confirms
 * an import (importConfirmed) and when the push ended (both usually finding nothing left to do). A plan a guardrail
 * holds, or one too big for the fast path, waits for the push's end too, and then goes the usual way.
 */
export async function withLeaversAlongside<T>(
  state: CoordinatorState,
  activities: AlongsideActivities,
  pushPlanId: string,
  work: () => Promise<T>,
): Promise<T> {
  if (!state.fastPath || state.options.fastPathMaxPeople === 0) return await work();
  let ended = false;
  let confirmedSeen = state.importsConfirmed;
  let completedSeen = state.importsCompleted;
  const importConfirmed = () => state.deferredLeavers > 0 && state.importsConfirmed > confirmedSeen;
  const importCompleted = () => state.deferredLeavers > 0 && state.importsCompleted > completedSeen;
  const lane = (async () => {
    for (;;) {
      await condition(() => ended || state.pendingLeavers > 0 || importConfirmed() || importCompleted());
      if (ended) return;
      // Okta may just have applied the push's upsert of a leaver: look again at once, not after the whole push.
      const completed = importCompleted();
      if (completed || importConfirmed()) {
        confirmedSeen = state.importsConfirmed;
        completedSeen = state.importsCompleted;
        state.releaseDeferredLeavers();
      }
      await deactivateAlongside(state, activities, completed ? pushPlanId : undefined);
    }
  })();
  try {
    return await work();
  } finally {
    ended = true;
    await lane;
    state.releaseDeferredLeavers();
  }
}

/** Plans and applies the pending leavers beside the push; `afterImportOf`: the push's plan, when Okta completed an import of it. */
async function deactivateAlongside(
  state: CoordinatorState,
  { planning, bookkeeping }: AlongsideActivities,
  afterImportOf: string | undefined,
) {
  const startedAt = new Date().toISOString();
  state.deferLeavers(state.takeLeavers());
  try {
    const { identitySourceId } = state;
    const plan = await planning.planLeavers(afterImportOf ? { identitySourceId, afterImportOf } : { identitySourceId });
    const planId = plan.planId!;
    const people = plan.planCounts?.deactivations ?? 0;
    if (plan.outcome !== 'planned' || people > state.fastPathMax(true)) {
      // Held by a guardrail, or too many for the fast path: planned again once the push ended.
      await bookkeeping.recordPlanStatus({ planId, status: 'cancelled' });
      return;
    }
    const result =
      people === 0
        ? undefined
        : await singleRecordActivities(state).applyPeople.executeWithOptions(
            { summary: `deactivate ${people} leaver(s) beside the running push (plan ${planId})` },
            [{ planId, alongsidePush: true }],
          );
    if (result?.outcome === 'needs-session') {
      await bookkeeping.recordPlanStatus({ planId, status: 'cancelled' });
      return;
    }
    await bookkeeping.recordPlanStatus({ planId, status: 'applied' });
    state.recordSideOutcome(result ? 'applied' : 'nothing-to-do', startedAt, {
      planId,
      reportPath: plan.reportPath,
      counts: { ...plan.counts },
      ...(result ? { singleRecord: { applied: result.applied } } : {}),
      ...(result?.refused.length ? { refused: result.refused } : {}),
    });
  } catch (error) {
    if (isCancellation(error)) throw error;
    // The leavers stay pending: planned again once the push ended.
    log.warn('Could not deactivate leavers beside the running push', { error: String(error) });
  }
}
