import { describe, expect, it } from 'vitest';
import { sync } from '../../workflows/sync.ts';
import { coordinatorWorkflowId, type SyncSummary } from '../../contracts/sync-messages.ts';
import { harnessForTest } from '../support/push-harness.ts';
import { uniqueWorkflowId } from '../support/temporal.ts';
import { waitFor } from '../support/wait-for.ts';

describe('the Web UI tells the story: user metadata of the workflows a sync starts', () => {
  it('names the coordinator and the push by what they do, and keeps the coordinator details current', async () => {
    const h = await harnessForTest();
    const summary = (await h.client.workflow.execute(sync, {
      taskQueue: h.taskQueue,
      workflowId: uniqueWorkflowId('sync'),
      args: [{}],
    })) as SyncSummary;
    expect(summary.outcome).toBe('applied');

    const coordinator = h.client.workflow.getHandle(coordinatorWorkflowId(h.identitySourceId));
    const described = await coordinator.describe();
    expect(await described.staticSummary()).toBe(
      `coordinator of identity source ${h.identitySourceId}, started by a manual sync request`,
    );
    expect(await described.staticDetails()).toContain(`\`${coordinatorWorkflowId(h.identitySourceId)}\``);

    const push = await h.client.workflow.getHandle(summary.push!.workflowId).describe();
    const counts = summary.counts!;
    expect(await push.staticSummary()).toBe(
      `push of plan ${summary.planId}: ${counts.creates} creates, ${counts.groupUpserts} group upserts, ` +
        `${counts.membershipUpserts} membership upserts`,
    );

    // The coordinator goes back to idle after the request: its details say so and name the request just served.
    const details = await waitFor(async () => {
      const metadata = await coordinator.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      return metadata.currentDetails?.startsWith('**Phase:** idle') ? metadata.currentDetails : undefined;
    }, 'the coordinator to show it is idle');
    expect(details).toContain(`**Last:** ${summary.requestId} applied`);
    expect(details).toContain('**Queue:** empty');
  });
});
