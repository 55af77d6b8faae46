import { condition, log, sleep, workflowInfo } from '@temporalio/workflow';
import { OKTA_FAILURE, isOktaFailure } from '../../contracts/okta-failure-types.ts';
import type { SessionSummary, TriggerOutcome } from '../../contracts/push-messages.ts';
import type { PushActivityGroups } from './activities.ts';

type OktaSessionCalls = PushActivityGroups['okta'];
type SessionUploads = PushActivityGroups['sessionUploads'];
import type { PushRun } from './push-run.ts';

/** Okta's refusal to open a session within five minutes of a trigger ends a second after the rule says. */
const FIVE_MINUTE_RULE_SLACK_MS = 1_000;
/** A refusal is never followed by a new ask sooner than this. */
const MIN_WAIT_AFTER_REFUSAL_MS = 1_000;

/**
 * Makes sure no stale session blocks a new one: stale sessions are cancelled; a session that blocks the run (a live
 * run's, another tool's, a triggered one) is looked at again every `blockedSessionPollMs` until it is gone.
 */
export async function clearTheWay(run: PushRun, okta: OktaSessionCalls): Promise<void> {
  const { workflowId, runId } = workflowInfo();
  for (;;) {
    run.setPhase('clearing-stale-sessions');
    const result = await okta.clearTheWay.executeWithOptions(
      { summary: `clear stale import sessions of ${run.identitySourceId}` },
      [
        {
          identitySourceId: run.identitySourceId,
          workflowId,
          runId,
          reclaimForeignSessions: run.options.reclaimForeignSessions,
        },
      ],
    );
    if (result.clear) {
      run.totals.staleSessionsCancelled += result.cancelled.length;
      run.progress.blockedBy = undefined;
      return;
    }
    run.progress.blockedBy = { sessionId: result.sessionId, status: result.status, reason: result.reason };
    log.info('Waiting for a session that blocks this run', { ...run.progress.blockedBy });
    run.setPhase('waiting-for-blocking-session');
    const what = `session ${result.sessionId} (${result.status}, ${result.reason}) to end`;
    run.waitFor({ what, untilMs: Date.now() + run.options.blockedSessionPollMs });
    await sleep(run.options.blockedSessionPollMs, { summary: `blocked by session ${result.sessionId}: look again` });
    run.waitedFor();
  }
}

/**
 * Opens the session for `sessionIndex`. Okta would refuse a create within five minutes of our last trigger while that
 * import runs: the run waits on a timer (cut short when the import finishes) instead of asking and being refused, and
 * waits out a refusal the same way.
 */
export async function openSession(run: PushRun, okta: OktaSessionCalls, sessionIndex: number): Promise<string> {
  await waitOutFiveMinuteRule(run);
  const { workflowId, runId } = workflowInfo();
  for (;;) {
    run.setPhase('opening-session');
    try {
      const { sessionId } = await okta.openSession.executeWithOptions(
        { summary: `open import session ${sessionIndex + 1}` },
        [{ identitySourceId: run.identitySourceId, planId: run.planId, sessionIndex, workflowId, runId }],
      );
      return sessionId;
    } catch (error) {
      if (isOktaFailure(error, OKTA_FAILURE.fiveMinuteRule)) {
        await waitAfterRefusal(run);
        continue;
      }
      if (isOktaFailure(error, OKTA_FAILURE.activeSessionExists)) {
        await clearTheWay(run, okta);
        continue;
      }
      throw error;
    }
  }
}

/** The wait before asking for a session while our last import runs; its confirmation need not hold the next up. */
async function waitOutFiveMinuteRule(run: PushRun): Promise<void> {
  if (!run.pendingImport || run.lastTriggeredAtMs === undefined) return;
  const untilMs = run.lastTriggeredAtMs + run.options.fiveMinuteRuleMs + FIVE_MINUTE_RULE_SLACK_MS;
  const waitMs = untilMs - Date.now();
  if (waitMs <= 0) return;
  run.totals.fiveMinuteWaits++;
  run.setPhase('waiting-five-minute-rule');
  run.waitFor({ what: "Okta's five-minute rule, or the import before to end", untilMs });
  await condition(() => run.pendingImport === undefined || run.pendingImport.ended, waitMs, {
    summary: "Okta's five-minute rule after the last trigger",
  });
  run.waitedFor();
  run.throwIfImportFailed();
  if (run.pendingImport) run.openedBeforeConfirmation = true;
}

/** A durable timer to the end of the five minutes Okta refused a session for, cut short when our import finishes. */
async function waitAfterRefusal(run: PushRun): Promise<void> {
  run.totals.fiveMinuteWaits++;
  run.setPhase('waiting-five-minute-rule');
  const waitMs =
    run.lastTriggeredAtMs === undefined
      ? run.options.blockedSessionPollMs
      : Math.max(
          MIN_WAIT_AFTER_REFUSAL_MS,
          run.lastTriggeredAtMs + run.options.fiveMinuteRuleMs + FIVE_MINUTE_RULE_SLACK_MS - Date.now(),
        );
  run.waitFor({ what: "Okta's five-minute rule (Okta refused a session)", untilMs: Date.now() + waitMs });
  const summary = "Okta's five-minute rule: Okta refused a session";
  if (run.pendingImport) await condition(() => run.pendingImport === undefined, waitMs, { summary });
  else await sleep(waitMs, { summary });
  run.waitedFor();
  run.throwIfImportFailed();
}

/**
 * Uploads a session's requests in one activity (a sliding window that never runs ahead of an operation's start),
 * without a workflow task per upload. Returns the requests a full session could not take.
 */
export async function uploadSession(
  run: PushRun,
  uploads: SessionUploads,
  summary: SessionSummary,
  requestIndexes: number[],
): Promise<number[]> {
  run.setPhase('uploading');
  const result = await uploads.uploadSession.executeWithOptions(
    { summary: `upload ${requestIndexes.length} requests into session ${summary.sessionIndex + 1}` },
    [
      {
        identitySourceId: run.identitySourceId,
        sessionId: summary.sessionId,
        planId: run.planId,
        requestIndexes,
        concurrency: run.options.uploadConcurrency,
      },
    ],
  );
  run.countUploads(summary, result);
  run.throwIfImportFailed();
  if (result.notTaken.length > 0) {
    log.warn('Session full after a re-sent upload; the rest goes into the next session', {
      sessionId: summary.sessionId,
      carriedOver: result.notTaken.length,
    });
  }
  run.publishCounters();
  return result.notTaken;
}

/** Triggers the session's import (Okta cancels it instead when no upload changed anything); it is no longer open. */
export async function triggerImport(
  run: PushRun,
  okta: OktaSessionCalls,
  summary: SessionSummary,
): Promise<TriggerOutcome> {
  run.setPhase('triggering');
  const trigger = await okta.triggerImport.executeWithOptions(
    { summary: `trigger the import of session ${summary.sessionIndex + 1}` },
    [{ identitySourceId: run.identitySourceId, sessionId: summary.sessionId }],
  );
  run.openSession = undefined;
  return trigger;
}
