import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { openStateStore } from '../activities/store/open.ts';
import type { ServiceConfig } from '../config/service-config.ts';
import { createActivities } from './activities.ts';
import { createOktaClient } from './okta-client.ts';
import { WORKFLOWS_PATH } from './workflow-bundle.ts';

export interface RunWorkerOptions {
  /** A workflow bundle built ahead (production images); without it the worker bundles at start-up. */
  workflowBundlePath?: string;
  /** Called once the worker polls its task queue. */
  onReady?: () => void;
}

/**
 * Runs one worker until a shutdown signal (SIGINT, SIGTERM, SIGQUIT, SIGUSR2): it finishes the activities in flight
 * within the grace time and lets Temporal hand the rest to another worker.
 */
export async function runWorker(config: ServiceConfig, options: RunWorkerOptions = {}): Promise<void> {
  const store = await openStateStore(config.store.url);
  await store.migrate();
  const okta = await createOktaClient(config.okta);
  const clientConnection = await Connection.connect({ address: config.temporal.address });
  const temporal = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  try {
    const worker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      activities: createActivities({ store, okta, temporal }),
      ...(options.workflowBundlePath
        ? { workflowBundle: { codePath: options.workflowBundlePath } }
        : { workflowsPath: WORKFLOWS_PATH }),
      shutdownGraceTime: '30 seconds',
    });
    const running = worker.run();
    options.onReady?.();
    await running;
  } finally {
    await connection.close();
    await clientConnection.close();
    await store.close();
  }
}
