import { proxyActivities } from '@temporalio/workflow';
import type * as activities from '../activities/worker-info.ts';

// A worker answers within seconds or is not there: no retries, so `doctor` reports a missing worker quickly.
const { describeWorker } = proxyActivities<typeof activities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 1 },
});

/** Proves that a worker polls the task queue and can run activities; `hr-okta-sync doctor` starts it. */
export async function workerCheck(): Promise<activities.WorkerDescription> {
  return await describeWorker();
}
