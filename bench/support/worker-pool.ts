import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { openStateStore } from '../../activities/store/open.ts';
import type { BenchEmulator } from './emulator-thread.ts';
import { startPushWorker, type OurSide } from './push-run.ts';

/**
 * Several workers on one task queue and one state store, each with the Okta client and rate-limit pacer of its own,
 * as separate worker processes have: they share Okta's bucket only through what Okta's answers tell each of them.
 * They run in this process (one event loop), so they spread the work, not the CPU.
 */
export async function startWorkerPool(
  server: { address: string; namespace: string },
  bundlePath: string,
  client: Client,
  emulator: Pick<BenchEmulator, 'url' | 'apiTokens'>,
  options: { workers: number; rateLimitShare: number; maxInFlight: number; storeUrl?: string },
): Promise<OurSide> {
  const dir = await mkdtemp(join(tmpdir(), 'hr-okta-sync-scale-'));
  const store = await openStateStore(options.storeUrl ?? `sqlite:${join(dir, 'state.db')}`);
  const taskQueue = `bench-scale-${randomUUID()}`;
  const stops: (() => Promise<void>)[] = [];
  for (let i = 0; i < options.workers; i++) {
    stops.push(
      await startPushWorker(server, bundlePath, {
        taskQueue,
        store,
        client,
        emulator,
        pacer: { share: options.rateLimitShare, maxInFlight: options.maxInFlight },
      }),
    );
  }
  return {
    store,
    client,
    taskQueue,
    async stop() {
      await Promise.all(stops.map((stop) => stop()));
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
