import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { coordinatorStatus, notifyHrChanged } from '../../client/sync-client.ts';
import { sync } from '../../workflows/sync.ts';
import {
  approveUpdate,
  cancelCurrentSignal,
  coordinatorWorkflowId,
  syncStatusQuery,
  type SyncPhase,
  type SyncSummary,
} from '../../contracts/sync-messages.ts';
import { FAST_OKTA, harnessForTest, type PushHarness } from '../support/push-harness.ts';
import { maybeSaveHistory, uniqueWorkflowId } from '../support/temporal.ts';
import { waitFor } from '../support/wait-for.ts';

const history = (name: string) => fileURLToPath(new URL(`../histories/${name}.json`, import.meta.url));

function startSync(h: PushHarness) {
  return h.client.workflow.start(sync, { taskQueue: h.taskQueue, workflowId: uniqueWorkflowId('sync'), args: [{}] });
}

async function waitForPhase(h: PushHarness, phase: SyncPhase) {
  return waitFor(async () => {
    const status = await coordinatorStatus(h.client, h.identitySourceId);
    return status?.phase === phase ? status : undefined;
  }, `the coordinator to be ${phase}`);
}

/**
 * Sends HR signals one at a time (as a webhook stream would) until the coordinator has handed over to a new run
 * `times` times, checking it stayed in `phase` throughout. Returns the run ids seen, oldest first.
 */
async function signalUntilHandedOver(h: PushHarness, phase: SyncPhase, times: number): Promise<string[]> {
  const coordinator = h.client.workflow.getHandle(coordinatorWorkflowId(h.identitySourceId));
  const runIds: string[] = [(await coordinator.describe()).runId];
  const target = { identitySourceId: h.identitySourceId, taskQueue: h.taskQueue };
  // The test server suggests continue-as-new at 200 history events; a signal costs a run about four.
  for (let sent = 1; sent <= 1_000; sent++) {
    await notifyHrChanged(h.client, target, 1);
    if (sent % 10 !== 0) continue;
    const { runId } = await coordinator.describe();
    expect((await coordinator.query(syncStatusQuery)).phase).toBe(phase);
    if (runId !== runIds.at(-1)) runIds.push(runId);
    if (runIds.length > times) return runIds;
  }
  throw new Error(`the coordinator did not hand over ${times} times while ${phase}`);
}

async function historyOf(h: PushHarness, runId: string) {
  const events =
    (await h.client.workflow.getHandle(coordinatorWorkflowId(h.identitySourceId), runId).fetchHistory()).events ?? [];
  return {
    events,
    count: (attributes: keyof (typeof events)[number]) => events.filter((e) => e[attributes]).length,
  };
}

describe('the coordinator hands over to a fresh run midway through a request', () => {
  it('while its push runs: the push goes on, a later run reports it, and the HR events sync after it', async () => {
    // One import long enough for a stream of HR signals to outgrow two runs' histories.
    const h = await harnessForTest({ emulator: { durations: { importProcessingMs: 8_000 } } });
    const requester = await startSync(h);
    await waitForPhase(h, 'pushing');

    const runIds = await signalUntilHandedOver(h, 'pushing', 2);
    h.emulator.setDurations({ importProcessingMs: FAST_OKTA!.importProcessingMs });

    const summary = (await requester.result()) as SyncSummary;
    expect(summary.outcome).toBe('applied');
    expect(summary.push?.totals?.requestsUploaded).toBeGreaterThan(0);
    expect(summary.push?.sessionIds).toHaveLength(1);
    const push = await h.client.workflow.getHandle(summary.push!.workflowId).describe();
    expect(push.status.name).toBe('COMPLETED');
    const active = h.emulator.users({ identitySourceId: h.identitySourceId }).filter((u) => u.status === 'ACTIVE');
    expect(active).toHaveLength(summary.counts!.creates!);

    // The run that started the push let it go on without waiting for its end…
    const first = await historyOf(h, runIds[0]!);
    expect(first.events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    const started = first.events.find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes);
    expect(started?.startChildWorkflowExecutionInitiatedEventAttributes?.parentClosePolicy).toBe(
      2, // PARENT_CLOSE_POLICY_ABANDON
    );
    expect(first.count('childWorkflowExecutionCompletedEventAttributes')).toBe(0);
    // …and the next waited for it through an activity, handing over again as the stream went on.
    const second = await historyOf(h, runIds[1]!);
    expect(second.count('activityTaskScheduledEventAttributes')).toBeGreaterThan(0);
    expect(second.events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    expect(second.count('workflowExecutionSignaledEventAttributes')).toBeGreaterThan(20);

    // The HR events that came during the push were gathered into a delta sync of their own, after it.
    const status = await waitFor(async () => {
      const s = await h.client.workflow.getHandle(coordinatorWorkflowId(h.identitySourceId)).query(syncStatusQuery);
      return s.phase === 'idle' && s.pendingHrEvents === 0 && s.recent.length === 2 ? s : undefined;
    }, 'the HR events to be synced');
    expect(status.recent[0]).toMatchObject({ reasons: ['webhook'], outcome: 'nothing-to-do' });
    expect(status.recent[1]).toMatchObject({ requestId: summary.requestId, outcome: 'applied' });
    expect(h.emulator.sessions({ identitySourceId: h.identitySourceId })).toHaveLength(1);

    const coordinatorId = coordinatorWorkflowId(h.identitySourceId);
    await maybeSaveHistory(h.client, coordinatorId, history('identity-source-coordinator-push-hand-over'), runIds[0]);
    await maybeSaveHistory(
      h.client,
      coordinatorId,
      history('identity-source-coordinator-push-awaited-after-hand-over'),
      runIds[1],
    );
  });

  it('while a plan awaits approval: the deadline is kept, and the next run takes the decision', async () => {
    const h = await harnessForTest();
    expect(((await (await startSync(h)).result()) as SyncSummary).outcome).toBe('applied');
    // A truncated export: only ten people left, which a guardrail holds for a person.
    const [header, ...rows] = (await readFile(h.hrExportPath, 'utf8')).trimEnd().split('\n');
    await writeFile(h.hrExportPath, [header, ...rows.slice(0, 10)].join('\n') + '\n');

    const requester = await startSync(h);
    const held = await waitForPhase(h, 'awaiting-approval');
    const runIds = await signalUntilHandedOver(h, 'awaiting-approval', 1);
    const coordinator = h.client.workflow.getHandle(coordinatorWorkflowId(h.identitySourceId));
    const stillHeld = await coordinator.query(syncStatusQuery);
    expect(stillHeld.current).toMatchObject({
      requestId: held.current!.requestId,
      planId: held.current!.planId,
      approvalDeadline: held.current!.approvalDeadline,
    });

    await coordinator.executeUpdate(approveUpdate, { args: [{ by: 'test' }] });
    const summary = (await requester.result()) as SyncSummary;
    expect(summary).toMatchObject({ outcome: 'applied', planId: held.current!.planId });
    expect(
      h.emulator.users({ identitySourceId: h.identitySourceId }).filter((u) => u.status === 'ACTIVE'),
    ).toHaveLength(10);
    const first = await historyOf(h, runIds[0]!);
    expect(first.events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    // The run that handed over never started the held plan's push.
    const pushesStarted = first.events.map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId);
    expect(pushesStarted.filter((id) => id?.endsWith(`/push/${held.current!.planId}`))).toHaveLength(0);
    await maybeSaveHistory(
      h.client,
      coordinatorWorkflowId(h.identitySourceId),
      history('identity-source-coordinator-approval-hand-over'),
      runIds[0],
    );
  });

  it('cancelling the request after a hand-over cancels the push the earlier run started', async () => {
    const h = await harnessForTest({ emulator: { durations: { importProcessingMs: 8_000 } } });
    const requester = await startSync(h);
    await waitForPhase(h, 'pushing');
    await signalUntilHandedOver(h, 'pushing', 1);

    const coordinator = h.client.workflow.getHandle(coordinatorWorkflowId(h.identitySourceId));
    const pushWorkflowId = (await coordinator.query(syncStatusQuery)).current!.pushWorkflowId!;
    await coordinator.signal(cancelCurrentSignal);

    const failure = await requester.result().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(String((failure as WorkflowFailedError).cause?.message)).toContain('ended cancelled');
    // The coordinator reported it only once the push had ended, cancelled.
    expect((await h.client.workflow.getHandle(pushWorkflowId).describe()).status.name).toBe('CANCELLED');
  });
});
