import {
  ContinueAsNew,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { pushProgressQuery, type PushPlanInput, type PushResult } from '../contracts/push-messages.ts';
import { pushActivities, type PushActivityGroups } from './push/activities.ts';
import { cleanUp } from './push/clean-up.ts';
import { firstPollAt } from './push/import-estimate.ts';
import { awaitAndConfirm } from './push/pending-import.ts';
import { PushRun, type PendingImport } from './push/push-run.ts';
import { clearTheWay, openSession, triggerImport, uploadSession } from './push/session-steps.ts';

/** Past this many history events a run hands over to a fresh one at the next session boundary. */
const HISTORY_EVENTS_BEFORE_CONTINUE_AS_NEW = 10_000;

/**
 * Pushes one stored plan through Okta import sessions: per session, clear stale sessions, open (waiting out the
 * five-minute rule), upload its requests, trigger (or cancel when nothing changed), await the outcome and confirm
 * what Okta applied. The next session opens while the previous import is processed. A failed or cancelled run
 * closes its open session and leaves the confirmed record exactly where Okta's COMPLETED sessions put it.
 */
export async function pushPlan(input: PushPlanInput): Promise<PushResult> {
  const run = new PushRun(input);
  setHandler(pushProgressQuery, () => run.progress);
  const activities = pushActivities(run.options);
  try {
    run.setLayout(
      await activities.store.prepareImport.executeWithOptions({ summary: `lay out plan ${input.planId}` }, [
        input.planId,
      ]),
    );
    await resumeOrClearTheWay(run, activities);
    for (let requestIndexes = run.takeNextSession(); requestIndexes; requestIndexes = run.takeNextSession()) {
      const triggered = await pushSession(run, activities, requestIndexes);
      if (triggered && run.hasSessionsLeft && continueAsNewSuggested()) {
        await condition(allHandlersFinished);
        return await continueAsNew<typeof pushPlan>({
          planId: input.planId,
          options: input.options,
          carried: run.carriedState(triggered),
        });
      }
    }
    run.waitFor({ what: 'the last import to end and be confirmed' });
    while (run.pendingImport) await run.pendingImport.done;
    run.waitedFor();
    run.throwIfImportFailed();
    await activities.store.recordPlanStatus.executeWithOptions({ summary: 'record the plan as applied' }, [
      { planId: input.planId, status: 'applied' },
    ]);
    run.setPhase('done');
    run.publishCounters();
    return run.result();
  } catch (error) {
    if (error instanceof ContinueAsNew) throw error;
    const cancelled = isCancellation(error);
    await cleanUp(run, activities, cancelled);
    if (cancelled) throw error;
    throw run.failure(error);
  }
}

/** A continued run picks up the import its predecessor triggered last; a fresh one clears stale sessions first. */
async function resumeOrClearTheWay(run: PushRun, activities: PushActivityGroups): Promise<void> {
  const handedOver = run.handedOverImport;
  if (handedOver) {
    run.pendingImport = awaitAndConfirm(run, activities, handedOver, {
      firstPollAt: run.input.carried?.pendingImport?.firstPollAt,
      ...(run.lastTriggeredAtMs === undefined ? {} : { triggeredAtMs: run.lastTriggeredAtMs }),
    });
  } else if (!run.input.carried?.pendingImport && run.nextSession === 0) {
    await clearTheWay(run, activities.okta);
  }
}

/**
 * One session's life: open, upload, trigger, and leave its import awaited beside the next session. Returns the import
 * it triggered, or undefined when Okta saw no change and the session was cancelled (and confirmed) instead.
 */
async function pushSession(
  run: PushRun,
  activities: PushActivityGroups,
  requestIndexes: number[],
): Promise<PendingImport | undefined> {
  const sessionIndex = run.beginSession();
  const summary = run.sessionOpened(sessionIndex, await openSession(run, activities.okta, sessionIndex));
  run.overflow = await uploadSession(run, activities.sessionUploads, summary, requestIndexes);
  const trigger = await triggerImport(run, activities.okta, summary);
  if (trigger.outcome === 'CANCELLED') {
    // Okta saw no change in any upload (e.g. deactivations of people it never had): it already matches the plan.
    summary.outcome = 'CANCELLED_UNCHANGED';
    summary.finishedAt = new Date().toISOString();
    await activities.store.confirmImport.executeWithOptions(
      { summary: `confirm session ${sessionIndex + 1}: Okta already matched it` },
      [{ planId: run.planId, sessionId: summary.sessionId, requestIndexes: summary.requestIndexes! }],
    );
    return undefined;
  }
  summary.outcome = 'TRIGGERED';
  const atMs = (run.lastTriggeredAtMs = Date.now());
  // Sessions are processed in order: wait for the previous import before queueing behind it.
  if (run.pendingImport) {
    run.waitFor({ what: `the import of session ${run.pendingImport.summary.sessionIndex + 1}, to queue behind it` });
    await run.pendingImport.done;
    run.waitedFor();
  }
  run.throwIfImportFailed();
  const { triggeredAt } = trigger;
  const seen = { importTimes: run.importTimes, lastImportTime: run.layout?.lastImportTime };
  run.pendingImport = awaitAndConfirm(run, activities, summary, {
    firstPollAt: firstPollAt(summary, { atMs, triggeredAt }, seen, run.options.pollIntervalMs),
    triggeredAt,
    triggeredAtMs: atMs,
  });
  return run.pendingImport;
}

function continueAsNewSuggested(): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength > HISTORY_EVENTS_BEFORE_CONTINUE_AS_NEW;
}
