import { CancellationScope } from '@temporalio/workflow';
import { hasFailureType } from '../../contracts/okta-failure-types.ts';
import type { PushActivityGroups } from './activities.ts';
import type { PushRun } from './push-run.ts';

/**
 * After a failure or a cancellation, even one of the run itself: closes the session the run holds open, lets an import
 * Okta already finished be confirmed, and records the plan's status. Okta's COMPLETED sessions stay confirmed.
 */
export async function cleanUp(run: PushRun, activities: PushActivityGroups, cancelled: boolean): Promise<void> {
  await CancellationScope.nonCancellable(async () => {
    run.setPhase('cleaning-up');
    if (run.openSession && run.layout) {
      run.openSession.outcome = 'CLOSED';
      await activities.okta.cancelSession.executeWithOptions(
        { summary: `cancel the open session ${run.openSession.sessionIndex + 1}` },
        [{ identitySourceId: run.identitySourceId, sessionId: run.openSession.sessionId }],
      );
    }
    // What Okta completed is confirmed before the run ends, even when the next session opened before the confirmation.
    if (run.openedBeforeConfirmation && run.pendingImport?.ended) await run.pendingImport.done.catch(() => undefined);
    const status = cancelled ? 'cancelled' : 'failed';
    await activities.store.recordPlanStatus
      .executeWithOptions({ summary: `record the plan as ${status}` }, [{ planId: run.planId, status }])
      .catch((recordError: unknown) => {
        // A plan the store does not hold has no status to record; the run fails for that reason below.
        if (!hasFailureType(recordError, 'PlanNotFound')) throw recordError;
      });
    run.setPhase(status);
  });
}
