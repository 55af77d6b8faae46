import { ApplicationFailure } from '@temporalio/workflow';
import type { SessionSummary } from '../../contracts/push-messages.ts';
import type { PushActivityGroups } from './activities.ts';
import { learnFromImport } from './import-estimate.ts';
import type { PendingImport, PushRun } from './push-run.ts';

/** When to poll a triggered import first, and when it was triggered (Okta's clock and workflow time). */
export interface ImportPoll {
  firstPollAt?: number;
  triggeredAt?: string;
  triggeredAtMs?: number;
}

/**
 * Awaits a triggered import beside the next session's work, and confirms in the store what a COMPLETED import applied.
 * An import Okta ended otherwise becomes the run's importFailure, which the main loop throws at its next step.
 */
export function awaitAndConfirm(
  run: PushRun,
  activities: Pick<PushActivityGroups, 'importPolling' | 'store'>,
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
    if (status === 'COMPLETED') await confirm(run, activities.store, summary, poll, endedAt);
    else importEnded(run, summary, status);
  })().finally(() => {
    if (run.pendingImport === pending) run.pendingImport = undefined;
  });
  // Failures surface through importFailure or the final await; this keeps an early rejection from going unhandled.
  pending.done.catch(() => undefined);
  return pending;
}

/** Confirms what a COMPLETED import applied, keeping the import time it taught for the identity source's next push. */
async function confirm(
  run: PushRun,
  store: PushActivityGroups['store'],
  summary: SessionSummary,
  poll: ImportPoll,
  endedAt: string | undefined,
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
      },
    ],
  );
  run.importConfirmed(summary);
}

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
