import { ApplicationFailure, condition, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { CoordinationActivities } from '../activities/coordination/coordination-activities.ts';
import {
  externalIdsProblem,
  requestFinishedSignal,
  type RequestAccepted,
  type SyncInput,
  type SyncSummary,
  syncRequestQuery,
} from '../contracts/sync-messages.ts';

// Queuing a request is one call to Temporal itself: quick, retried through a short Temporal hiccup.
const coordination = proxyActivities<Pick<CoordinationActivities, 'syncDefaults' | 'enqueueSync'>>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  summary: 'queue the request with the identity source coordinator',
});

/**
 * Asks for a sync of one identity source and, unless `noWait`, waits for its outcome. This is the workflow people
 * start (Web UI "Start Workflow" with `{}`, the CLI, schedules): it never talks to Okta itself but queues the request
 * with the source's coordinator, so that however many are started, one run at a time does the work.
 */
export async function sync(input: SyncInput = {}): Promise<SyncSummary | RequestAccepted> {
  const problem = input.externalIds === undefined ? undefined : externalIdsProblem(input.externalIds);
  if (problem) throw ApplicationFailure.create({ type: 'InvalidSyncInput', message: problem, nonRetryable: true });
  const identitySourceId = input.identitySourceId ?? (await coordination.syncDefaults()).identitySourceId;
  // The outcome may arrive before the activity that queued the request reports back: keep every one by request id.
  const finished = new Map<string, SyncSummary>();
  const request: { accepted?: RequestAccepted } = {};
  setHandler(requestFinishedSignal, (summary) => void finished.set(summary.requestId, summary));
  setHandler(syncRequestQuery, () => {
    const { accepted } = request;
    return { ...(accepted ? { accepted, finished: finished.get(accepted.requestId) } : {}) };
  });

  const queued = await coordination.enqueueSync({
    identitySourceId,
    request: {
      mode: input.mode ?? 'delta',
      dryRun: input.dryRun ?? false,
      reason: input.reason ?? 'manual',
      notify: [workflowInfo().workflowId],
      ...(input.externalIds?.length ? { people: input.externalIds } : {}),
    },
  });
  request.accepted = queued;
  if (input.noWait) return queued;
  await condition(() => finished.has(queued.requestId));
  const summary = finished.get(queued.requestId)!;
  if (summary.outcome === 'applied' || summary.outcome === 'nothing-to-do' || summary.outcome === 'dry-run') {
    return summary;
  }
  throw syncFailure(summary);
}

/** Raised by the `sync` workflow when the request it made did not apply. */
function syncFailure(summary: SyncSummary): ApplicationFailure {
  return ApplicationFailure.create({
    type: `Sync${summary.outcome.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase())}`,
    nonRetryable: true,
    message: `Sync ${summary.requestId} of ${summary.identitySourceId} ended ${summary.outcome}${
      summary.error ? `: ${summary.error}` : ''
    }${summary.reportPath ? ` (report: ${summary.reportPath})` : ''}`,
    details: [summary],
  });
}
