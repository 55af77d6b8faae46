import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { pushPlan } from '../../workflows/push-plan.ts';
import { FAST_PUSH, SMALL_SESSIONS, people, savePlan, harnessForTest } from '../support/push-harness.ts';
import { uniqueWorkflowId } from '../support/temporal.ts';

describe('pushPlan in the Web UI', () => {
  it('keeps its current details and names every activity and timer', async () => {
    const { store, client, taskQueue, identitySourceId } = await harnessForTest({ layoutLimits: SMALL_SESSIONS });
    // 25 records, 5 a request, 3 requests a session: 2 sessions, the second opened while Okta's five-minute rule runs.
    const plan = await savePlan(store, { identitySourceId, upserts: people(25), deactivations: [] });
    const workflowId = uniqueWorkflowId('push-story');
    await client.workflow.execute(pushPlan, {
      taskQueue,
      workflowId,
      args: [{ planId: plan.planId, options: FAST_PUSH }],
    });
    const handle = client.workflow.getHandle(workflowId);

    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toBe(
      ['**Phase:** done', '**Session:** 2 of 2', '**Records applied:** 25 of 25 (uploaded: 25)'].join('\n\n'),
    );

    const summaries: Record<string, string[]> = {};
    for (const event of (await handle.fetchHistory()).events ?? []) {
      const scheduled = event.activityTaskScheduledEventAttributes;
      const timer = event.timerStartedEventAttributes;
      if (!scheduled && !timer) continue;
      const kind = scheduled ? scheduled.activityType!.name! : 'timer';
      const payload = event.userMetadata?.summary;
      (summaries[kind] ??= []).push(payload ? defaultPayloadConverter.fromPayload<string>(payload) : '(none)');
    }
    expect(summaries).toMatchObject({
      prepareImport: [`lay out plan ${plan.planId}`],
      clearTheWay: [`clear stale import sessions of ${identitySourceId}`],
      openSession: ['open import session 1', 'open import session 2'],
      uploadSession: ['upload 3 requests into session 1', 'upload 2 requests into session 2'],
      triggerImport: ['trigger the import of session 1', 'trigger the import of session 2'],
      awaitImport: ['await the import of session 1', 'await the import of session 2'],
      confirmImport: ['confirm what session 1 applied', 'confirm what session 2 applied'],
      recordPlanStatus: ['record the plan as applied'],
    });
    expect(summaries.timer?.length).toBeGreaterThan(0);
    expect(summaries.timer!.every((s) => s === "Okta's five-minute rule after the last trigger")).toBe(true);
  });
});
