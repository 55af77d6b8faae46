import { randomBytes, randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { pino } from 'pino';
import { loadSyncConfig } from '../../activities/mapping/config.ts';
import type { StateStore } from '../../activities/store/state-store.ts';
import { coordinatorOptionsOf } from '../../config/coordinator-options.ts';
import { parseServiceConfig } from '../../config/service-config.ts';
import { startWebhookServer, type WebhookServer } from '../../client/webhook-server.ts';
import type { DevServer } from '../../local-stack/temporal-dev-server.ts';
import { startOktaEmulator, type OktaEmulator } from '../../okta-emulator/index.ts';
import { createLogger } from '../../observability/logger.ts';
import { coordinatorWorkflowId, type CoordinatorOptions } from '../../contracts/sync-messages.ts';
import { coordinatorMetadata } from '../../contracts/workflow-summaries.ts';
import { identitySourceCoordinator } from '../../workflows/identity-source-coordinator.ts';
import { startServiceWorker } from './service-worker.ts';
import { scaledDurations, scaledPushOptions } from './push-run.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const TOKEN_VARIABLE = 'HR_OKTA_SYNC_BENCH_OKTA_TOKEN';

export interface WebhookStackOptions {
  /** Okta's durations (and the push workflow's timings) divided by this. */
  scale: number;
  /** The coordinator's debounce: quiet period and longest wait after the first event. */
  hrEventQuietMs: number;
  hrEventMaxDelayMs: number;
  /** worker.oktaActivitiesPerSecond of the service config. */
  oktaActivitiesPerSecond: number;
  /** Receiver log level; info is the service's default and logs one line per delivery. */
  receiverLogLevel: 'info' | 'warn';
}

export interface WebhookStack {
  identitySourceId: string;
  emulator: OktaEmulator;
  client: Client;
  store: StateStore;
  receiver: WebhookServer;
  secret: string;
  coordinator: { workflowId: string; firstRunId: string; options: CoordinatorOptions };
  durations: ReturnType<typeof scaledDurations>;
  stop(): Promise<void>;
}

/**
 * What `npm start` runs, in this process, on a Temporal dev server of the caller's: the Okta emulator with Okta's
 * durations scaled down, the worker (`runWorker`, both task queues), a SQLite store in a temp dir, the sample sync
 * config, and the webhook receiver on a real socket. The coordinator is started first with the bench's debounce and
 * scaled push timings, since the service config has no setting for them (the receiver's signal-with-start and the
 * worker's update-with-start then find it running).
 */
export async function startWebhookStack(
  temporal: DevServer,
  workflowBundlePath: string,
  options: WebhookStackOptions,
): Promise<WebhookStack> {
  const dir = await mkdtemp(join(tmpdir(), 'hr-okta-sync-bench-webhooks-'));
  await copyFile(join(EXAMPLES, 'hr-export.csv'), join(dir, 'hr-export.csv'));
  // Reports next to the copy, not in the checkout's cache.
  const yaml = await readFile(join(EXAMPLES, 'hr-okta-sync.yaml'), 'utf8');
  await writeFile(join(dir, 'hr-okta-sync.yaml'), yaml.replace('dir: ../.cache/reports', 'dir: reports'));
  const syncConfigPath = join(dir, 'hr-okta-sync.yaml');
  const syncConfig = await loadSyncConfig(syncConfigPath);

  const identitySourceId = `0oa${randomUUID().replace(/-/g, '').slice(0, 17)}`;
  const durations = scaledDurations(options.scale);
  const emulator = await startOktaEmulator({
    identitySources: [{ id: identitySourceId, customAttributes: syncConfig.mapping.customAttributes }],
    durations,
    rateLimit: { perWindow: 600, concurrency: 75 },
  });
  process.env[TOKEN_VARIABLE] = emulator.apiTokens[0]!.token;
  const config = parseServiceConfig(
    {
      temporal: { address: temporal.address, namespace: temporal.namespace, encryption: { required: false } },
      okta: {
        orgUrl: emulator.url,
        identitySourceId,
        auth: { type: 'ssws', token: { env: TOKEN_VARIABLE } },
        rateLimitShare: 1,
      },
      store: { url: `sqlite:${join(dir, 'state.db')}` },
      worker: { http: { port: 0 }, runtimeMetrics: false, oktaActivitiesPerSecond: options.oktaActivitiesPerSecond },
      log: { level: 'warn' },
      sync: syncConfigPath,
      coordinator: { hrEventQuiet: `${options.hrEventQuietMs}ms`, hrEventMaxDelay: `${options.hrEventMaxDelayMs}ms` },
    },
    'the webhook benchmark',
  );

  const worker = await startServiceWorker(config, workflowBundlePath);
  const { client, store } = worker;
  const configured = coordinatorOptionsOf(config);
  const coordinatorOptions: CoordinatorOptions = {
    ...configured,
    push: { ...configured.push, ...scaledPushOptions(options.scale, durations) },
  };
  const workflowId = coordinatorWorkflowId(identitySourceId);
  const coordinator = await client.workflow.start(identitySourceCoordinator, {
    workflowId,
    taskQueue: config.temporal.taskQueue,
    args: [{ identitySourceId, options: coordinatorOptions }],
    ...coordinatorMetadata(identitySourceId, 'the webhook benchmark'),
  });

  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const receiver = await startWebhookServer({
    temporal: client,
    store,
    identitySourceId,
    taskQueue: config.temporal.taskQueue,
    coordinator: coordinatorOptions,
    standardSecrets: [secret],
    // The service's own logger at its level, into a file: the per-delivery log line is part of the cost.
    logger: createLogger({
      level: options.receiverLogLevel,
      base: { service: 'webhook-server' },
      destination: pino.destination({ dest: join(dir, 'webhook-server.log'), sync: true }),
    }),
  });

  return {
    identitySourceId,
    emulator,
    client,
    store,
    receiver,
    secret,
    coordinator: { workflowId, firstRunId: coordinator.firstExecutionRunId, options: coordinatorOptions },
    durations,
    async stop() {
      await receiver.stop();
      await client.workflow
        .getHandle(workflowId)
        .terminate('benchmark finished')
        .catch(() => undefined);
      await worker.stop();
      await emulator.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
