import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { pushPlan } from '../../workflows/push-plan.ts';
import { workerCheck } from '../../workflows/worker-check.ts';
import { pushProgressQuery } from '../../contracts/push-messages.ts';
import { FAST_PUSH, SMALL_SESSIONS, people, savePlan, harnessForTest } from '../support/push-harness.ts';
import { fileURLToPath } from 'node:url';
import { maybeSaveHistory, uniqueWorkflowId } from '../support/temporal.ts';
import { waitFor } from '../support/wait-for.ts';

describe('pushPlan and Okta session rules', () => {
  it('waits out the five-minute rule with a durable timer, not a retry storm', async () => {
    // Imports take longer than the (scaled) five minutes would allow between sessions.
    const harness = await harnessForTest({
      layoutLimits: SMALL_SESSIONS,
      // Wide enough that even a loaded machine opens the second session within the (scaled) five minutes.
      emulator: { durations: { fiveMinuteRuleMs: 3_000, importProcessingMs: 5_000 } },
    });
    const { store, client, taskQueue, emulator, identitySourceId } = harness;
    const plan = await savePlan(store, { identitySourceId, upserts: people(20), deactivations: [] });

    const workflowId = uniqueWorkflowId('push-five-minutes');
    const result = await client.workflow.execute(pushPlan, {
      taskQueue,
      workflowId,
      args: [{ planId: plan.planId, options: { ...FAST_PUSH, fiveMinuteRuleMs: 3_000 } }],
    });

    expect(result.sessions.map((s) => s.outcome)).toEqual(['COMPLETED', 'COMPLETED']);
    expect(result.totals.fiveMinuteWaits).toBe(1);
    const creates = emulator.requests({ endpoint: 'create-session' }).requests;
    // No create is sent before the rule allows it: no refusal, nothing hammered.
    expect(creates.map((r) => r.status)).toEqual([201, 201]);
    const [first, second] = emulator.sessions({ identitySourceId });
    expect(Date.parse(creates[1]!.time)).toBeGreaterThanOrEqual(Date.parse(first!.triggeredAt!) + 3_000);
    expect(second?.status).toBe('COMPLETED');
    await maybeSaveHistory(
      client,
      workflowId,
      fileURLToPath(new URL('../histories/push-plan-five-minute-rule.json', import.meta.url)),
    );
  });

  it('cancels a session left open by a crashed earlier run before opening its own', async () => {
    const harness = await harnessForTest();
    const { store, client, taskQueue, emulator, identitySourceId, okta } = harness;
    // A run that is no longer alive left a session IN_PROGRESS with an upload in it.
    const deadRunId = uniqueWorkflowId('dead-run');
    const deadRun = await client.workflow.start(workerCheck, { taskQueue, workflowId: deadRunId });
    await deadRun.result();
    const stale = await okta.createSession(identitySourceId);
    await okta.upload(
      identitySourceId,
      stale.id,
      'bulk-upsert',
      JSON.stringify({
        entityType: 'USERS',
        profiles: people(1, { from: 900 }).map(({ externalId, profile }) => ({ externalId, profile })),
      }),
    );
    await store.recordSessionOpened({
      identitySourceId,
      oktaSessionId: stale.id,
      planId: 'an-earlier-plan',
      sessionIndex: 0,
      workflowId: deadRunId,
      runId: deadRun.firstExecutionRunId,
      openedAt: new Date().toISOString(),
    });
    const plan = await savePlan(store, { identitySourceId, upserts: people(3), deactivations: [] });

    const result = await client.workflow.execute(pushPlan, {
      taskQueue,
      workflowId: uniqueWorkflowId('push-after-crash'),
      args: [{ planId: plan.planId, options: FAST_PUSH }],
    });

    expect(result.totals.staleSessionsCancelled).toBe(1);
    expect(emulator.sessions({ id: stale.id })[0]?.status).toBe('CLOSED');
    // The stale session's upload was discarded with it.
    expect(
      emulator
        .users({ identitySourceId })
        .map((u) => u.externalId)
        .sort(),
    ).toEqual(['emp-0', 'emp-1', 'emp-2']);
  });

  it('waits for a session another tool opened, and goes on once it is gone', async () => {
    const harness = await harnessForTest();
    const { store, client, taskQueue, emulator, identitySourceId, okta } = harness;
    const foreign = await okta.createSession(identitySourceId);
    const plan = await savePlan(store, { identitySourceId, upserts: people(3), deactivations: [] });
    const handle = await client.workflow.start(pushPlan, {
      taskQueue,
      workflowId: uniqueWorkflowId('push-foreign'),
      args: [{ planId: plan.planId, options: FAST_PUSH }],
    });

    const blocked = await waitFor(async () => {
      const progress = await handle.query(pushProgressQuery);
      return progress.phase === 'waiting-for-blocking-session' ? progress : undefined;
    }, 'the run to report the foreign session');
    expect(blocked.blockedBy).toMatchObject({ sessionId: foreign.id, status: 'CREATED' });
    expect(blocked.blockedBy?.reason).toContain('another tool');
    expect(emulator.sessions({ id: foreign.id })[0]?.status).toBe('CREATED');

    await okta.cancelSession(identitySourceId, foreign.id);
    const result = await handle.result();
    expect(result.totals).toMatchObject({ recordsApplied: 3, staleSessionsCancelled: 0 });
  });

  it('cancels, not triggers, a session whose uploads changed nothing, and records the plan as applied', async () => {
    const harness = await harnessForTest();
    const { store, client, taskQueue, emulator, identitySourceId } = harness;
    // Deactivations of people Okta never had: Okta keeps the session CREATED.
    const plan = await savePlan(store, { identitySourceId, upserts: [], deactivations: ['never-1', 'never-2'] });

    const result = await client.workflow.execute(pushPlan, {
      taskQueue,
      workflowId: uniqueWorkflowId('push-unchanged'),
      args: [{ planId: plan.planId, options: FAST_PUSH }],
    });

    expect(result.sessions.map((s) => s.outcome)).toEqual(['CANCELLED_UNCHANGED']);
    // The trigger was sent without asking first, and Okta refused it: the session was never triggered.
    expect(emulator.requests({ endpoint: 'start-import' }).requests.map((r) => r.status)).toEqual([400]);
    expect(emulator.sessions({ identitySourceId }).map((s) => s.history.map((h) => h.status))).toEqual([
      ['CREATED', 'CLOSED'],
    ]);
    expect(await store.countConfirmedUsers(identitySourceId)).toEqual({ active: 0, deactivated: 2 });
  });

  it('closes its open session and confirms nothing when cancelled from the client', async () => {
    const harness = await harnessForTest({
      layoutLimits: SMALL_SESSIONS,
      emulator: { faults: { latencyMs: { min: 300, max: 300 }, endpoints: ['bulk-upsert'] } },
    });
    const { store, client, taskQueue, emulator, identitySourceId } = harness;
    const plan = await savePlan(store, { identitySourceId, upserts: people(15), deactivations: [] });
    const handle = await client.workflow.start(pushPlan, {
      taskQueue,
      workflowId: uniqueWorkflowId('push-cancel'),
      args: [{ planId: plan.planId, options: { ...FAST_PUSH, uploadConcurrency: 1 } }],
    });
    await waitFor(async () => (await handle.query(pushProgressQuery)).phase === 'uploading', 'the upload phase');

    await handle.cancel();

    const failure = await handle.result().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(emulator.sessions({ identitySourceId }).map((s) => s.status)).toEqual(['CLOSED']);
    expect(emulator.users({ identitySourceId })).toEqual([]);
    expect(await store.countConfirmedUsers(identitySourceId)).toEqual({ active: 0, deactivated: 0 });
    expect((await store.getPlan(plan.planId))?.status).toBe('cancelled');
  });
});
