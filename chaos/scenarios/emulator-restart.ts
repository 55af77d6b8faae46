import { join } from 'node:path';
import type { ChaosStack } from '../stack.ts';
import { runTrial, type TrialOutcome } from '../trial.ts';

/**
 * Okta goes away mid-import: the emulator (state in a file) is stopped while a session is TRIGGERED and started
 * again on the same port, its sessions, directory and processing queue restored from the file.
 */
export async function emulatorRestart(stack: ChaosStack, trial: number, records: number): Promise<TrialOutcome> {
  // A persistent emulator on the same port, with imports long enough to restart in the middle of one.
  const port = Number(new URL(stack.emulator.url).port);
  const { durations, rateLimit } = stack.emulatorOptions;
  await stack.emulator.stop();
  await stack.startEmulator({
    port,
    durations: { ...durations, importProcessingMs: 3_000 },
    rateLimit,
    stateFile: join(stack.dir, `okta-${trial}.json`),
  });
  const worker = await stack.startWorker();
  try {
    return await runTrial(stack, 'emulator restart', trial, records, async (context) => {
      const triggered = await stack.emulator.waitFor(
        () => stack.emulator.sessions({ identitySourceId: context.identitySourceId, status: 'TRIGGERED' })[0],
        120_000,
      );
      const down = await stack.restartEmulator(1_000);
      const after = stack.emulator.sessions({ id: triggered.id })[0];
      return {
        injected: `stopped with session ${triggered.id} TRIGGERED, back after ${(down / 1000).toFixed(1)} s (session then ${after?.status ?? 'missing'})`,
        // Uploads in flight when Okta went away may have been applied with their answer lost.
        duplicateBudget: 4,
      };
    });
  } finally {
    await stack.killWorker(worker);
  }
}
