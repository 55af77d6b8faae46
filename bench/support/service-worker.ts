import type { Client } from '@temporalio/client';
import { openStateStore } from '../../activities/store/open.ts';
import type { StateStore } from '../../activities/store/state-store.ts';
import type { ServiceConfig } from '../../config/service-config.ts';
import { connectTemporal } from '../../connection/temporal-connection.ts';
import { runWorker } from '../../worker/run-worker.ts';

export interface ServiceWorker {
  /** A Temporal client on the service config's connection. */
  client: Client;
  /** The service config's state store, opened beside the worker's own. */
  store: StateStore;
  /** Closes the client, stops the worker and waits for it to end, then closes the store. */
  stop(): Promise<void>;
}

/**
 * The service's worker as `npm start` runs it (`runWorker`, both task queues) on a service config, in this process,
 * once it is ready to take tasks (a failure to start rejects); then a Temporal client and the state store on the same
 * config.
 */
export async function startServiceWorker(config: ServiceConfig, workflowBundlePath: string): Promise<ServiceWorker> {
  const ready = Promise.withResolvers<void>();
  const stopWorker = new AbortController();
  const worker = runWorker(config, { workflowBundlePath, stop: stopWorker.signal, onReady: () => ready.resolve() });
  worker.catch((error: unknown) => ready.reject(error));
  await ready.promise;

  const client = await connectTemporal(config);
  const store = await openStateStore(config.store.url);
  return {
    client,
    store,
    async stop() {
      await client.connection.close();
      stopWorker.abort();
      await worker.catch(() => undefined);
      await store.close();
    },
  };
}
