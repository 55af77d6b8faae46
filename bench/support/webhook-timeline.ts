import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { OktaEmulator } from '../../okta-emulator/index.ts';
import type { HrChange } from '../../contracts/sync-messages.ts';

type Timestamp = { seconds?: { toString(): string } | number | null; nanos?: number | null } | null | undefined;

const millis = (ts: Timestamp) => Number(String(ts?.seconds ?? 0)) * 1000 + Math.floor((ts?.nanos ?? 0) / 1e6);

/** The history events of a workflow across continue-as-new, oldest first. */
async function wholeHistory(client: Client, workflowId: string, firstRunId: string) {
  const all: temporal.api.history.v1.IHistoryEvent[] = [];
  let runId: string | undefined = firstRunId;
  while (runId) {
    const events: temporal.api.history.v1.IHistoryEvent[] =
      (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    all.push(...events);
    runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return all;
}

/** `hrChanged` signals the coordinator received, the HR events they counted, and its history's length. */
export async function hrSignals(client: Client, coordinator: { workflowId: string; firstRunId: string }) {
  const history = await wholeHistory(client, coordinator.workflowId, coordinator.firstRunId);
  const signals = history
    .map((e) => e.workflowExecutionSignaledEventAttributes)
    .filter((signal) => signal?.signalName === 'hrChanged');
  return {
    signals: signals.length,
    events: signals.reduce(
      (sum, signal) => sum + defaultPayloadConverter.fromPayload<HrChange>(signal!.input!.payloads![0]!).events,
      0,
    ),
    historyEvents: history.length,
  };
}

export interface SyncTimeline {
  /** Last 202 → the coordinator schedules planning: the debounce (quiet period) plus a workflow task. */
  debounceMs: number;
  /** planSync scheduled → completed: read the export, overlay the pending events, write the plan. */
  planningMs: number;
  /** Planning done → the session is created: child workflow start, the stale-session check, the create. */
  toSessionMs: number;
  /** Session created → import triggered: the uploads. */
  uploadsMs: number;
  /** Triggered → COMPLETED: Okta's queue and import processing. */
  importMs: number;
  /** Last 202 → COMPLETED. */
  totalMs: number;
  /** COMPLETED → the push workflow has finished (the coordinator knows). */
  noticedMs: number;
  session: { id: string; records: number; bulkRequests: number };
}

/**
 * Splits the way from the last accepted event to its session's COMPLETED, from the coordinator's history (when
 * planning was scheduled and finished, when the push ended) and the emulator's session record (created, triggered,
 * processed). `completedAt` is when the carrying session completed (the person's `created` in the emulator).
 */
export async function syncTimeline(
  client: Client,
  coordinator: { workflowId: string; firstRunId: string },
  emulator: OktaEmulator,
  identitySourceId: string,
  lastAcceptedAt: number,
  completedAt: number,
): Promise<SyncTimeline> {
  const events = (await wholeHistory(client, coordinator.workflowId, coordinator.firstRunId)).filter(
    (e) => millis(e.eventTime) >= lastAcceptedAt,
  );
  const planScheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'planSync');
  if (!planScheduled) throw new Error('no planning after the last accepted event in the coordinator history');
  const planCompleted = events.find(
    (e) =>
      e.activityTaskCompletedEventAttributes &&
      String(e.activityTaskCompletedEventAttributes.scheduledEventId) === String(planScheduled.eventId),
  );
  const childStarted = events.find(
    (e) =>
      e.startChildWorkflowExecutionInitiatedEventAttributes &&
      Number(String(e.eventId)) > Number(String(planScheduled.eventId)),
  );
  const childDone = events.find(
    (e) =>
      e.childWorkflowExecutionCompletedEventAttributes &&
      String(e.childWorkflowExecutionCompletedEventAttributes.initiatedEventId) === String(childStarted?.eventId),
  );
  const session = emulator
    .sessions({ identitySourceId })
    .find((s) => s.processingEndsAt !== undefined && Date.parse(s.processingEndsAt) === completedAt);
  if (!planCompleted || !childDone || !session?.triggeredAt) {
    throw new Error('the sync that carried the events is incomplete in the coordinator history or the emulator');
  }
  const created = Date.parse(session.created);
  const triggered = Date.parse(session.triggeredAt);
  return {
    debounceMs: millis(planScheduled.eventTime) - lastAcceptedAt,
    planningMs: millis(planCompleted.eventTime) - millis(planScheduled.eventTime),
    toSessionMs: created - millis(planCompleted.eventTime),
    uploadsMs: triggered - created,
    importMs: completedAt - triggered,
    totalMs: completedAt - lastAcceptedAt,
    noticedMs: millis(childDone.eventTime) - completedAt,
    session: { id: session.id, records: session.records, bulkRequests: session.bulkRequests },
  };
}
