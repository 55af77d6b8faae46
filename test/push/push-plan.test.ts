import { afterEach, describe, expect, it } from 'vitest';
import { pushPlan } from '../../workflows/push-plan.ts';
import {
  FAST_PUSH,
  SMALL_SESSIONS,
  people,
  savePlan,
  startPushHarness,
  type PushHarness,
} from '../support/push-harness.ts';
import { fileURLToPath } from 'node:url';
import { maybeSaveHistory, uniqueWorkflowId } from '../support/temporal.ts';

let harness: PushHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('pushPlan', () => {
  it('pushes a plan through several sessions and confirms what Okta completed', async () => {
    harness = await startPushHarness({ layoutLimits: SMALL_SESSIONS });
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
    await maybeSaveHistory(
      client,
      workflowId,
      fileURLToPath(new URL('../histories/push-plan-three-sessions.json', import.meta.url)),
    );
  });
});
