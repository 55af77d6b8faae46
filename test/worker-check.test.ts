import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { workerCheck } from '../workflows/worker-check.ts';
import * as workerInfo from '../activities/worker-info.ts';
import { maybeSaveHistory, testClient, testWorker, uniqueTaskQueue, uniqueWorkflowId } from './support/temporal.ts';

describe('workerCheck on a real Temporal server', () => {
  it('runs a workflow and its activity on a worker polling the task queue', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('worker-check');
    const worker = await testWorker({ taskQueue, activities: workerInfo });
    const workflowId = uniqueWorkflowId('worker-check');

    const result = await worker.runUntil(client.workflow.execute(workerCheck, { taskQueue, workflowId, args: [] }));

    expect(result).toMatchObject({ pid: process.pid, nodeVersion: process.version, taskQueue });
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const scheduled = history.events?.filter((e) => e.activityTaskScheduledEventAttributes) ?? [];
    expect(scheduled.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)).toEqual([
      'describeWorker',
    ]);
    await maybeSaveHistory(
      client,
      workflowId,
      fileURLToPath(new URL('./histories/worker-check.json', import.meta.url)),
    );
  });
});
