import { log, proxyActivities } from '@temporalio/workflow';
import type { SingleRecordActivities } from '../../activities/single-record/single-record-activities.ts';
import { NON_RETRYABLE_OKTA_FAILURES } from '../../contracts/okta-failure-types.ts';
import type { SyncSummary } from '../../contracts/sync-messages.ts';
import type { CoordinatorState, RunningRequest } from './coordinator-state.ts';

/** The patch that brought the fast path; a run decides once, at its start, which behaviour it has. */
export const FAST_PATH_PATCH = 'single-record-fast-path';

/** Whether the request's plan is small enough to go person by person: users only, at most `fastPathMaxPeople`. */
export function fitsFastPath(state: CoordinatorState, request: RunningRequest): boolean {
  const people = request.planPeople;
  return (
    state.fastPath &&
    people !== undefined &&
    people > 0 &&
    people === request.planItems &&
    people <= state.options.fastPathMaxPeople
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
  // Each person is a request or two: a pacer may hold one a rate-limit window, a 429 waits until Okta's reset
  // (nextRetryDelay). Progress is confirmed per person, so a retry re-sends at most the one in flight.
  const singleRecord = proxyActivities<SingleRecordActivities>({
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
  const result = await singleRecord.applyPeople.executeWithOptions(
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
