import { WorkflowFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { pushPlan } from '../../workflows/push-plan.ts';
import { FAST_PUSH, SMALL_SESSIONS, people, savePlan, harnessForTest } from '../support/push-harness.ts';
import { uniqueWorkflowId } from '../support/temporal.ts';

/** One session of up to 20 requests, so that every request of a run is sent one after another. */
const ONE_SESSION = { ...SMALL_SESSIONS, requestsPerSession: 20 };

describe('pushPlan when Okta is in trouble', () => {
  it('waits out every 429 until the announced reset, sending nothing before it', async () => {
    const harness = await harnessForTest({
      layoutLimits: ONE_SESSION,
      emulator: {
        faults: {
          script: [
            { endpoint: 'create-session', nth: 1, respond: 429, resetInMs: 800 },
            { endpoint: 'bulk-upsert', nth: 2, respond: 429, resetInMs: 800 },
            { endpoint: 'bulk-upsert', nth: 4, respond: 429, resetInMs: 800 },
            { endpoint: 'start-import', nth: 1, respond: 429, resetInMs: 800 },
          ],
        },
      },
    });
    const { store, client, taskQueue, emulator, identitySourceId } = harness;
    const plan = await savePlan(store, { identitySourceId, upserts: people(30), deactivations: [] });

    const result = await client.workflow.execute(pushPlan, {
      taskQueue,
      workflowId: uniqueWorkflowId('push-429'),
      args: [{ planId: plan.planId, options: { ...FAST_PUSH, uploadConcurrency: 1 } }],
    });

    expect(result.totals.recordsApplied).toBe(30);
    expect(result.totals.rateLimitWaits).toBe(2);
    expect(emulator.users({ identitySourceId })).toHaveLength(30);
    const log = emulator.requests().requests;
    const limited = log.filter((r) => r.status === 429);
    expect(limited).toHaveLength(4);
    for (const entry of limited) {
      const next = log.find((r) => r.seq > entry.seq);
      expect(next, `a request after the 429 of ${entry.endpoint}`).toBeDefined();
      expect(Date.parse(next!.time)).toBeGreaterThanOrEqual(entry.rateLimitReset! * 1000);
    }
  });

  it('retries 5xx answers and dropped connections and ends in exactly the planned directory', async () => {
    const harness = await harnessForTest({
      layoutLimits: SMALL_SESSIONS,
      emulator: {
        faults: {
          script: [
            { endpoint: 'create-session', nth: 1, respond: 500 },
            { endpoint: 'bulk-upsert', nth: 2, respond: 503 },
            // Okta applied the upload but the answer was lost: the retry sends it again, harmlessly.
            { endpoint: 'bulk-upsert', nth: 4, action: 'drop', applyBeforeDrop: true },
            { endpoint: 'bulk-upsert', nth: 6, action: 'drop' },
            { endpoint: 'start-import', nth: 1, respond: 502 },
            { endpoint: 'get-session', nth: 2, action: 'drop' },
          ],
        },
      },
    });
    const { store, client, taskQueue, emulator, identitySourceId } = harness;
    await savePlan(store, { identitySourceId, upserts: people(20), deactivations: [] }).then((plan) =>
      client.workflow.execute(pushPlan, {
        taskQueue,
        workflowId: uniqueWorkflowId('push-5xx'),
        args: [{ planId: plan.planId, options: FAST_PUSH }],
      }),
    );
    const second = await savePlan(store, {
      identitySourceId,
      upserts: people(5, { from: 20 }),
      deactivations: ['emp-0', 'emp-1'],
    });

    const result = await client.workflow.execute(pushPlan, {
      taskQueue,
      workflowId: uniqueWorkflowId('push-5xx'),
      args: [{ planId: second.planId, options: FAST_PUSH }],
    });

    expect(result.totals.recordsApplied).toBe(7);
    const users = emulator.users({ identitySourceId });
    expect(users).toHaveLength(25);
    expect(
      users
        .filter((u) => u.status === 'DEACTIVATED')
        .map((u) => u.externalId)
        .sort(),
    ).toEqual(['emp-0', 'emp-1']);
    // Every session opened was completed: no second session for a retried create, none left open.
    expect(emulator.sessions({ identitySourceId }).every((s) => s.status === 'COMPLETED')).toBe(true);
    expect(await store.countConfirmedUsers(identitySourceId)).toEqual({ active: 23, deactivated: 2 });
  });

  it('carries the rest into a new session when a re-sent upload fills a session', async () => {
    // One record a request, 50 requests a session: 52 people need two sessions as laid out.
    const harness = await harnessForTest({
      layoutLimits: { entitiesPerRequest: 1, bytesPerRequest: 200_000, requestsPerSession: 50 },
      emulator: { faults: { script: [{ endpoint: 'bulk-upsert', nth: 3, action: 'drop', applyBeforeDrop: true }] } },
    });
    const { store, client, taskQueue, emulator, identitySourceId } = harness;
    const plan = await savePlan(store, { identitySourceId, upserts: people(52), deactivations: [] });

    const result = await client.workflow.execute(pushPlan, {
      taskQueue,
      workflowId: uniqueWorkflowId('push-full-session'),
      args: [{ planId: plan.planId, options: FAST_PUSH }],
    });

    // Okta counted the dropped-but-applied upload twice, so the first session took only 49 of its 50.
    expect(result.sessions.map((s) => [s.requests, s.outcome])).toEqual([
      [49, 'COMPLETED'],
      [1, 'COMPLETED'],
      [2, 'COMPLETED'],
    ]);
    expect(emulator.sessions({ identitySourceId }).map((s) => s.bulkRequests)).toEqual([50, 1, 2]);
    expect(emulator.users({ identitySourceId }).filter((u) => u.status === 'ACTIVE')).toHaveLength(52);
    expect(await store.countConfirmedUsers(identitySourceId)).toEqual({ active: 52, deactivated: 0 });
    expect(await store.countConfirmedRequests(plan.planId)).toBe(52);
  });

  it('fails fast with a clear message on a bad API token, without a retry storm', async () => {
    const harness = await harnessForTest({ emulator: { apiTokens: [{ token: 'the-right-token' }] } });
    const { store, client, emulator, identitySourceId } = harness;
    // A worker whose token Okta does not know.
    const { IdentitySourceClient } = await import('../../activities/okta/identity-source-client.ts');
    const { createActivities } = await import('../../worker/activities.ts');
    const { testWorker, uniqueTaskQueue } = await import('../support/temporal.ts');
    const badQueue = uniqueTaskQueue('bad-token');
    const badWorker = await testWorker({
      taskQueue: badQueue,
      activities: createActivities({
        ...harness.activityDeps,
        okta: new IdentitySourceClient({ orgUrl: emulator.url, credentials: { kind: 'ssws', token: 'revoked-token' } }),
      }),
    });
    const plan = await savePlan(store, { identitySourceId, upserts: people(3), deactivations: [] });

    const failure = await badWorker
      .runUntil(
        client.workflow.execute(pushPlan, {
          taskQueue: badQueue,
          workflowId: uniqueWorkflowId('push-bad-token'),
          args: [{ planId: plan.planId, options: FAST_PUSH }],
        }),
      )
      .then(
        () => undefined,
        (error: unknown) => error,
      );

    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(String((failure as WorkflowFailedError).cause?.message)).toMatch(/API token .* is valid, not expired/);
    expect(String((failure as WorkflowFailedError).cause?.message)).not.toContain('revoked-token');
    expect(emulator.requests({ status: 401 }).requests).toHaveLength(1);
    expect((await store.getPlan(plan.planId))?.status).toBe('failed');
  });

  it('fails fast naming the identity source when Okta does not know it', async () => {
    const harness = await harnessForTest();
    const { store, client, taskQueue, emulator } = harness;
    const plan = await savePlan(store, { identitySourceId: '0oaNOSUCHSOURCE', upserts: people(3), deactivations: [] });

    const failure = await client.workflow
      .execute(pushPlan, {
        taskQueue,
        workflowId: uniqueWorkflowId('push-unknown-source'),
        args: [{ planId: plan.planId, options: FAST_PUSH }],
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );

    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(String((failure as WorkflowFailedError).cause?.message)).toContain(
      'Okta does not know identity source 0oaNOSUCHSOURCE',
    );
    expect(emulator.requests({ status: 404 }).requests).toHaveLength(1);
  });

  it('fails when Okta ends an import in ERROR, confirming only the sessions before it', async () => {
    const harness = await harnessForTest({
      layoutLimits: SMALL_SESSIONS,
      emulator: { faults: { importOutcome: [{ nth: 2, status: 'ERROR' }] } },
    });
    const { store, client, taskQueue, emulator, identitySourceId } = harness;
    const plan = await savePlan(store, { identitySourceId, upserts: people(40), deactivations: [] });

    const failure = await client.workflow
      .execute(pushPlan, {
        taskQueue,
        workflowId: uniqueWorkflowId('push-import-error'),
        args: [{ planId: plan.planId, options: FAST_PUSH }],
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );

    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(String((failure as WorkflowFailedError).cause?.message)).toMatch(
      /with ERROR: its 15 records were not applied/,
    );
    // The first session's 15 people are confirmed; nothing after the failed one.
    expect(await store.countConfirmedUsers(identitySourceId)).toEqual({ active: 15, deactivated: 0 });
    expect((await store.getPlan(plan.planId))?.status).toBe('failed');
    const statuses = emulator.sessions({ identitySourceId }).map((s) => s.status);
    expect(statuses.slice(0, 2)).toEqual(['COMPLETED', 'ERROR']);
    expect(statuses.filter((s) => s === 'CREATED' || s === 'IN_PROGRESS')).toEqual([]);
  });
});
