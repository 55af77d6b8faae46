import { setTimeout as sleep } from 'node:timers/promises';
import type { ChaosStack } from '../stack.ts';
import { CHAOS_PUSH, runTrial, type TrialOutcome } from '../trial.ts';

/**
 * SIGKILL the worker process at random points of a 20k-change, several-session push: after a random number of Okta
 * requests (so opening, uploading, triggering and polling are all hit), plus a random 0–200 ms. A new worker
 * process is started at once; Temporal moves the dead worker's calls to it after the heartbeat timeout.
 */
export async function workerKill(
  stack: ChaosStack,
  trial: number,
  records: number,
  kills: number,
): Promise<TrialOutcome> {
  // 20k people: 100 requests of 200, in two sessions; a few control requests per session (a point past the run's
  // last request is skipped, and the outcome says so).
  const expectedRequests = Math.ceil(records / 200) + 8;
  let worker = await stack.startWorker();
  try {
    return await runTrial(stack, 'worker SIGKILL', trial, records, async (context) => {
      const points = Array.from({ length: kills }, () => 1 + Math.floor(Math.random() * expectedRequests)).sort(
        (a, b) => a - b,
      );
      const at: string[] = [];
      let killed = 0;
      for (const point of points) {
        if (!(await context.afterRequests(point))) {
          at.push(`none after request ${point}: the run had ended`);
          break;
        }
        await sleep(Math.random() * 200);
        const seen = stack.emulator.requests().total - context.firstSeq;
        await stack.killWorker(worker);
        killed++;
        at.push(`after request ${seen}`);
        worker = await stack.startWorker();
      }
      return {
        injected: `${killed} SIGKILL(s): ${at.join(', ')}`,
        duplicateBudget: killed * CHAOS_PUSH.uploadConcurrency!,
      };
    });
  } finally {
    await stack.killWorker(worker);
  }
}
