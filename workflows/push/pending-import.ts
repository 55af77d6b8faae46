import {
  ApplicationFailure,
  getExternalWorkflowHandle,
  patched,
  workflowInfo,
  type SignalDefinition,
} from '@temporalio/workflow';
import { importCompletedSignal, importConfirmedSignal, type SessionSummary } from '../../contracts/push-messages.ts';
import type { PushActivityGroups } from './activities.ts';
import { learnFromImport } from './import-estimate.ts';
import type { PendingImport, PushRun } from './push-run.ts';

/** When to poll a triggered import first, and when it was triggered (Okta's clock and workflow time). */
export interface ImportPoll {
  firstPollAt?: number;
  triggeredAt?: string;
  triggeredAtMs?: number;
}

/** The read-back of each COMPLETED import before it is confirmed (a new activity: a versioned change). */
export const READ_BACK_PATCH = 'read-back-after-import';

/**
 * Awaits a triggered import beside the next session's work, reads back what a COMPLETED import applied, and confirms
 * in the store what Okta applied as sent. An import Okta ended otherwise becomes the run's importFailure, which the
 * main loop throws at its next step.
 */
export function awaitAndConfirm(
  run: PushRun,
  activities: Pick<PushActivityGroups, 'importPolling' | 'store' | 'readBack'>,
  summary: SessionSummary,
  poll: ImportPoll,
): PendingImport {
  const pending: PendingImport = { summary, ended: false, firstPollAt: poll.firstPollAt, done: Promise.resolve() };
  pending.done = (async () => {
    run.setPhaseIfIdle('awaiting-import');
    const { status, endedAt } = await activities.importPolling.awaitImport.executeWithOptions(
      { summary: `await the import of session ${summary.sessionIndex + 1}` },
      [
        {
          identitySourceId: run.identitySourceId,
          sessionId: summary.sessionId,
          pollIntervalMs: run.options.pollIntervalMs,
          ...(poll.firstPollAt === undefined ? {} : { firstPollAt: poll.firstPollAt }),
          ...(poll.triggeredAtMs === undefined ? {} : { triggeredAtMs: poll.triggeredAtMs }),
        },
      ],
    );
    summary.finishedAt = new Date().toISOString();
    pending.ended = true;
    if (status === 'COMPLETED') {
      await tellCoordinator(importCompletedSignal, TELL_COMPLETED_PATCH);
      const notApplied = patched(READ_BACK_PATCH) ? await readBack(run, activities.readBack, summary) : [];
      await confirm(run, activities.store, summary, poll, endedAt, notApplied);
    } else importEnded(run, summary, status);
  })().finally(() => {
    if (run.pendingImport === pending) run.pendingImport = undefined;
  });
  // Failures surface through importFailure or the final await; this keeps an early rejection from going unhandled.
  pending.done.catch(() => undefined);
  return pending;
}

/**
 * Reads back people of a COMPLETED import (Okta reports no per-record results), repairing clearing it ignored; returns
 * the externalIds of those Okta did not apply as sent.
 */
async function readBack(
  run: PushRun,
  readBack: PushActivityGroups['readBack'],
  summary: SessionSummary,
): Promise<string[]> {
  const { readBackSample, readBackMaxPerSession, readBackDeactivations, uploadConcurrency } = run.options;
  if (readBackMaxPerSession <= 0) return [];
  const result = await readBack.readBackImport.executeWithOptions(
    { summary: `read back what session ${summary.sessionIndex + 1} applied` },
    [
      {
        identitySourceId: run.identitySourceId,
        planId: run.planId,
        sessionIndex: summary.sessionIndex,
        requestIndexes: summary.requestIndexes ?? [],
        sample: readBackSample,
        max: readBackMaxPerSession,
        deactivations: readBackDeactivations,
        concurrency: uploadConcurrency,
      },
    ],
  );
  run.readBack(result);
  return result.refused.map((r) => r.externalId);
}

/**
 * Confirms what a COMPLETED import applied, but for the people read-back found not applied, keeping the import time
 * it taught for the identity source's next push.
 */
async function confirm(
  run: PushRun,
  store: PushActivityGroups['store'],
  summary: SessionSummary,
  poll: ImportPoll,
  endedAt: string | undefined,
  notApplied: string[],
): Promise<void> {
  const { importTimes, learned } = learnFromImport(run.importTimes, summary.records, poll.triggeredAt, endedAt);
  run.importTimes = importTimes;
  await store.confirmImport.executeWithOptions(
    { summary: `confirm what session ${summary.sessionIndex + 1} applied` },
    [
      {
        planId: run.planId,
        sessionId: summary.sessionId,
        requestIndexes: summary.requestIndexes ?? [],
        ...(learned ? { importTime: { msPerRecord: learned, records: summary.records } } : {}),
        ...(notApplied.length > 0 ? { exceptUsers: notApplied } : {}),
      },
    ],
  );
  run.importConfirmed(summary, notApplied.length);
  await tellCoordinator(importConfirmedSignal, TELL_COORDINATOR_PATCH);
}

/** The coordinator that started the push re-checks the leavers it deactivated meanwhile (fast-path.ts). */
async function tellCoordinator(signal: SignalDefinition, patchId: string): Promise<void> {
  const parent = workflowInfo().parent;
  if (!parent || !patched(patchId)) return;
  // Its latest run: the one that started the push may have handed over. One that ended has nothing to re-check.
  await getExternalWorkflowHandle(parent.workflowId)
    .signal(signal)
    .catch(() => undefined);
}

const TELL_COORDINATOR_PATCH = 'tell-coordinator-of-confirmed-imports';
const TELL_COMPLETED_PATCH = 'tell-coordinator-of-completed-imports';

function importEnded(run: PushRun, summary: SessionSummary, status: string): void {
  summary.outcome = status === 'ERROR' || status === 'EXPIRED' ? status : 'CLOSED';
  run.importFailure ??= ApplicationFailure.create({
    type: 'OktaImportFailed',
    nonRetryable: true,
    message:
      `Okta ended import session ${summary.sessionId} (session ${summary.sessionIndex + 1} of ` +
      `${run.progress.sessionsTotal}) with ${status}: its ${summary.records} records were not applied. ` +
      'Sessions before it were applied and confirmed; the next run of this plan sends the rest again.',
  });
}
