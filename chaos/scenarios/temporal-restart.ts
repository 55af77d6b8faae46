import type { ChaosStack } from '../stack.ts';
import { runTrial, type TrialOutcome } from '../trial.ts';

/** Stops the Temporal dev server (state in its db file) at a random point of the push and starts it again. */
export async function temporalRestart(stack: ChaosStack, trial: number, records: number): Promise<TrialOutcome> {
  // Within the uploads, which every run sends, so that the restart always happens mid-run.
  const uploads = Math.ceil(records / 200);
  const worker = await stack.startWorker();
  try {
    return await runTrial(stack, 'Temporal restart', trial, records, async (context) => {
      const point = 1 + Math.floor(Math.random() * uploads);
      if (!(await context.afterRequests(point))) throw new Error(`the run ended before request ${point}`);
      const down = await stack.restartTemporal(1_000 + Math.random() * 2_000);
      return {
        injected: `dev server stopped after request ${point}, back after ${(down / 1000).toFixed(1)} s`,
        // Uploads Okta answered while the server was down may be re-sent once their activity times out.
        duplicateBudget: 4,
      };
    });
  } finally {
    await stack.killWorker(worker);
  }
}
