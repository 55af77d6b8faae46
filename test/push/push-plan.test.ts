import { describe, expect, it } from 'vitest';
import { pushPlan } from '../../workflows/push-plan.ts';
import { IDENTITY_SOURCE, PHASE, RECORDS_APPLIED, SESSION } from '../../contracts/search-attributes.ts';
import { FAST_PUSH, SMALL_SESSIONS, people, savePlan, harnessForTest } from '../support/push-harness.ts';
import { fileURLToPath } from 'node:url';
import { maybeSaveHistory, uniqueWorkflowId } from '../support/temporal.ts';

describe('pushPlan', () => {
  it('pushes a plan through several sessions and confirms what Okta completed', async () => {
    const harness = await harnessForTest({ layoutLimits: SMALL_SESSIONS });
    const { store, client, taskQueue, emulator, identitySourceId } = harness;
    const plan = await savePlan(store, { identitySourceId, upserts: people(40), deactivations: [] });

    const workflowId = uniqueWorkflowId('push');
    const result = await client.workflow.execute(pushPlan, {
      taskQueue,
      workflowId,
      args: [{ planId: plan.planId, options: FAST_PUSH }],
    });

    // 40 records, 5 a request, 3 requests a session: 8 requests in 3 sessions.
    expect(result.sessions.map((s) => [s.requests, s.records, s.outcome])).toEqual([
      [3, 15, 'COMPLETED'],
      [3, 15, 'COMPLETED'],
      [2, 10, 'COMPLETED'],
    ]);
    expect(result.totals).toMatchObject({ requestsUploaded: 8, recordsUploaded: 40, recordsApplied: 40 });
    const users = emulator.users({ identitySourceId });
    expect(users).toHaveLength(40);
    expect(users.every((u) => u.status === 'ACTIVE')).toBe(true);
    expect(users.find((u) => u.externalId === 'emp-7')?.profile).toMatchObject({
      userName: 'person7@example.com',
      lastName: 'Last7',
    });
    // Okta saw exactly the laid-out requests, one session at a time.
    expect(emulator.requests({ endpoint: 'bulk-upsert' }).requests.length).toBe(8);
    expect(emulator.sessions({ identitySourceId }).map((s) => s.status)).toEqual([
      'COMPLETED',
      'COMPLETED',
      'COMPLETED',
    ]);
    expect(await store.countConfirmedUsers(identitySourceId)).toEqual({ active: 40, deactivated: 0 });
    expect((await store.getPlan(plan.planId))?.status).toBe('applied');
    const attributes = (await client.workflow.getHandle(workflowId).describe()).typedSearchAttributes;
    expect(attributes.get(PHASE)).toBe('done');
    expect(attributes.get(IDENTITY_SOURCE)).toBe(identitySourceId);
    expect(attributes.get(SESSION)).toBe('3 of 3');
    expect(attributes.get(RECORDS_APPLIED)).toBe(40);
    await maybeSaveHistory(
      client,
      workflowId,
      fileURLToPath(new URL('../histories/push-plan-three-sessions.json', import.meta.url)),
    );
  });
});

describe('pushPlan history', () => {
  it('stays bounded: a long push continues as new between sessions and still applies everything once', async () => {
    const harness = await harnessForTest({ layoutLimits: SMALL_SESSIONS });
    const { store, client, taskQueue, emulator, identitySourceId } = harness;
    const plan = await savePlan(store, { identitySourceId, upserts: people(180), deactivations: [] });
    const workflowId = uniqueWorkflowId('push-long');

    const result = await client.workflow.execute(pushPlan, {
      taskQueue,
      workflowId,
      args: [{ planId: plan.planId, options: FAST_PUSH }],
    });

    expect(result.sessions).toHaveLength(12);
    expect(result.sessions.every((s) => s.outcome === 'COMPLETED')).toBe(true);
    expect(result.totals).toMatchObject({ requestsUploaded: 36, recordsApplied: 180 });
    expect(emulator.sessions({ identitySourceId }).filter((s) => s.status === 'COMPLETED')).toHaveLength(12);
    const runs = [];
    for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(run);
    expect(runs.length).toBeGreaterThan(1);
    for (const run of runs) {
      expect(run.historyLength).toBeLessThan(400);
    }
  });
});

describe('pushPlan pacing', () => {
  it("paces from Okta's rate-limit headers so that a run spanning several windows meets no 429", async () => {
    // 12 requests a 1.5-second window; the run needs 40 bulk requests, 20 read-backs and the session calls.
    const harness = await harnessForTest({
      layoutLimits: { ...SMALL_SESSIONS, requestsPerSession: 20 },
      emulator: { rateLimit: { perWindow: 12 }, durations: { rateLimitWindowMs: 1_500 } },
    });
    const { store, client, taskQueue, emulator, identitySourceId } = harness;
    const plan = await savePlan(store, { identitySourceId, upserts: people(200), deactivations: [] });

    const result = await client.workflow.execute(pushPlan, {
      taskQueue,
      workflowId: uniqueWorkflowId('push-paced'),
      // Read-backs are paced too; ten a session keep the run within a few dozen windows.
      args: [{ planId: plan.planId, options: { ...FAST_PUSH, readBackSample: 10 } }],
    });

    expect(result.totals).toMatchObject({ recordsApplied: 200, rateLimitWaits: 0 });
    expect(emulator.requests({ status: 429 }).requests).toEqual([]);
    expect(emulator.requests().total).toBeGreaterThan(3 * 12);
  });
});
