import { NativeConnection, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import ms from 'ms';
import type { Logger } from 'pino';
import { ApplicationFailure } from '@temporalio/common';
import { loadSyncConfig } from '../activities/mapping/config.ts';
import { openStateStore } from '../activities/store/open.ts';
import { coordinatorOptionsOf } from '../config/coordinator-options.ts';
import type { ServiceConfig } from '../config/service-config.ts';
import { resolveStoreUrl } from '../config/store-url.ts';
import { connectTemporal, dataConverterFor, temporalConnectionSettings } from '../connection/temporal-connection.ts';
import { activityMetricsInterceptor } from '../observability/activity-metrics.ts';
import { startHealthServer } from '../observability/health-server.ts';
import { createLogger } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { temporalLogger } from '../observability/temporal-logger.ts';
import { createActivities, type ActivityDeps } from './activities.ts';
import { createOktaClient } from './okta-client.ts';
import { WORKFLOWS_PATH } from './workflow-bundle.ts';

export interface RunWorkerOptions {
  /** A workflow bundle built ahead (production images); without it the worker bundles at start-up. */
  workflowBundlePath?: string;
  /** Called once the workers poll their task queues. */
  onReady?: (info: { healthUrl: string }) => void;
  logger?: Logger;
  /** Stops the workers (as a shutdown signal would) when aborted: for a process that hosts more than the worker. */
  stop?: AbortSignal;
}

/**
 * Runs the worker process until a shutdown signal (SIGINT, SIGTERM, SIGQUIT, SIGUSR2): it stops polling, gives the
 * activities in flight `worker.shutdownGraceTime` to finish, lets Temporal hand the rest to another worker, and
 * closes its connections and the store.
 *
 * Two workers share the process: one on `temporal.taskQueue` (workflows, store activities) and one on
 * `temporal.oktaTaskQueue`, whose activity rate the Temporal server caps across all workers, so that any number of
 * worker replicas together stay within Okta's budget.
 */
export async function runWorker(config: ServiceConfig, options: RunWorkerOptions = {}): Promise<void> {
  const logger = options.logger ?? createLogger({ level: config.log.level, base: { service: 'worker' } });
  installRuntime(config, logger);
  const metrics = createMetrics();
  const store = await openStateStore(await resolveStoreUrl(config.store));
  const closers: (() => Promise<void>)[] = [() => store.close()];
  try {
    const okta = await createOktaClient(config.okta);
    const temporal = await connectTemporal(config);
    closers.push(() => temporal.connection.close());
    const connection = await NativeConnection.connect(await temporalConnectionSettings(config.temporal));
    closers.push(() => connection.close());

    const common = {
      connection,
      namespace: config.temporal.namespace,
      dataConverter: await dataConverterFor(config.temporal),
      // Both workers host every activity, so that routing is the workflow's choice alone.
      activities: createActivities({
        store,
        okta,
        temporal,
        syncConfig: await syncConfigOf(config),
        defaults: {
          identitySourceId: config.okta.identitySourceId,
          taskQueue: config.temporal.taskQueue,
          coordinator: coordinatorOptionsOf(config),
        },
      }),
      interceptors: { activity: [activityMetricsInterceptor(metrics, store)] },
      shutdownGraceTime: ms(config.worker.shutdownGraceTime as ms.StringValue),
    };
    const workers = [
      await Worker.create({
        ...common,
        taskQueue: config.temporal.taskQueue,
        ...(options.workflowBundlePath
          ? { workflowBundle: { codePath: options.workflowBundlePath } }
          : { workflowsPath: WORKFLOWS_PATH }),
      }),
      await Worker.create({
        ...common,
        taskQueue: config.temporal.oktaTaskQueue,
        maxTaskQueueActivitiesPerSecond: config.worker.oktaActivitiesPerSecond,
        maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentOktaActivities,
      }),
    ];

    const health = await startHealthServer({
      ...config.worker.http,
      registry: metrics.registry,
      readiness: {
        workers: () => {
          const states = workers.map((w) => w.getState());
          return Promise.resolve(
            states.every((s) => s === 'RUNNING') ? undefined : `worker states: ${states.join(', ')}`,
          );
        },
        // A read of a plan that cannot exist: proves the store answers queries, without writing anything.
        store: async () => void (await store.getPlan('readiness-check')),
      },
    });
    closers.unshift(() => health.close());

    const running = Promise.all(workers.map((w) => w.run()));
    options.stop?.addEventListener(
      'abort',
      // A shutdown signal may have stopped them already.
      () => workers.filter((w) => w.getState() === 'RUNNING').forEach((w) => w.shutdown()),
      { once: true },
    );
    logger.info(
      {
        taskQueue: config.temporal.taskQueue,
        oktaTaskQueue: config.temporal.oktaTaskQueue,
        address: config.temporal.address,
        namespace: config.temporal.namespace,
        encryption: config.temporal.encryption.activeKeyId ?? 'off',
        health: health.url,
      },
      `Worker polling task queues ${config.temporal.taskQueue} and ${config.temporal.oktaTaskQueue}`,
    );
    options.onReady?.({ healthUrl: health.url });
    await running;
    logger.info('Worker stopped');
  } finally {
    for (const close of closers) await close().catch((error: unknown) => logger.warn({ err: error }, 'Close failed'));
  }
}

/** The sync config the service config names; without one, planning fails with what to set (pushes still run). */
async function syncConfigOf(config: ServiceConfig): Promise<ActivityDeps['syncConfig']> {
  if (config.sync) return loadSyncConfig(config.sync);
  return () => {
    throw ApplicationFailure.nonRetryable(
      'The worker has no sync config: set `sync: <path of the sync config>` in the service config',
      'SyncConfigMissing',
    );
  };
}

let runtimeInstalled = false;

/** Once per process, before any connection: Temporal's logs through our logger, its metrics for Prometheus. */
function installRuntime(config: ServiceConfig, logger: Logger): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const { runtimeMetrics } = config.worker;
  Runtime.install({
    logger: temporalLogger(logger),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
      ...(runtimeMetrics ? { metrics: { prometheus: { bindAddress: runtimeMetrics } } } : {}),
    },
  });
}
