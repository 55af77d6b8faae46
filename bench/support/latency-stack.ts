import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { pino } from 'pino';
import { parseDocument } from 'yaml';
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
import { writeHrExport } from './hr-export.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const TOKEN_VARIABLE = 'HR_OKTA_SYNC_BENCH_OKTA_TOKEN';
/** The deactivation guardrail of the bench's sync config (the sample's relative one, 10 %, stays). */
export const MAX_DEACTIVATIONS = 1000;

export interface LatencySource {
  /** What the bench calls it (a row of the table). */
  name: string;
  /** Added to the options the service config gives its coordinator. */
  coordinator: Partial<CoordinatorOptions>;
}

export interface LatencyStack {
  emulator: OktaEmulator;
  client: Client;
  store: StateStore;
  receiver: WebhookServer;
  secret: string;
  taskQueue: string;
  /** The HR export the sync config reads (both identity sources read the same one). */
  hrExportPath: string;
  /** Identity source id by the bench's name. */
  sources: Map<string, { id: string; coordinator: CoordinatorOptions }>;
  stop(): Promise<void>;
}

/**
 * What a production deployment runs, in this process, on the caller's Temporal dev server: the Okta emulator at Okta's
 * own durations (OKTA_DURATIONS: imports of 10 s + 5 ms a record, the real five-minute rule), the worker (both task
 * queues, the service config's defaults), a SQLite store, the sample mapping (without its department groups,
 * deactivation guardrail MAX_DEACTIVATIONS) over a generated export of `people`, and one webhook receiver on a real socket for every identity source. Each identity
 * source gets its own coordinator, started first with the service config's options plus the source's own (the
 * receiver's signal then finds it).
 */
export async function startLatencyStack(
  temporal: DevServer,
  workflowBundlePath: string,
  options: { people: number; sources: LatencySource[] },
): Promise<LatencyStack> {
  const dir = await mkdtemp(join(tmpdir(), 'hr-okta-sync-bench-latency-'));
  const hrExportPath = join(dir, 'hr-export.csv');
  await writeHrExport(hrExportPath, options.people);
  // The sample mapping without its department groups: a full sync of 10,000 people is then one session of 10,000
  // users (not three, with the groups and memberships), and a leaver is one user to deactivate. The bench deactivates
  // hundreds of people within the hour, which the sample's guardrail (25) would hold for a person's approval.
  const yaml = parseDocument(await readFile(join(EXAMPLES, 'hr-okta-sync.yaml'), 'utf8'));
  yaml.deleteIn(['mapping', 'groups']);
  yaml.setIn(['guardrails', 'maxDeactivations'], MAX_DEACTIVATIONS);
  yaml.setIn(['reports', 'dir'], 'reports');
  await writeFile(join(dir, 'hr-okta-sync.yaml'), yaml.toString());
  const syncConfigPath = join(dir, 'hr-okta-sync.yaml');
  const syncConfig = await loadSyncConfig(syncConfigPath);

  const ids = options.sources.map(() => `0oa${randomUUID().replace(/-/g, '').slice(0, 17)}`);
  const emulator = await startOktaEmulator({
    identitySources: ids.map((id) => ({ id, customAttributes: syncConfig.mapping.customAttributes })),
  });
  process.env[TOKEN_VARIABLE] = emulator.apiTokens[0]!.token;
  const config = parseServiceConfig(
    {
      temporal: {
        address: temporal.address,
        namespace: temporal.namespace,
        encryption: { required: false },
        // Its own queues, so that no other worker on this dev server takes its tasks.
        taskQueue: `bench-latency-${randomUUID().slice(0, 8)}`,
      },
      okta: { orgUrl: emulator.url, identitySourceId: ids[0], auth: { type: 'ssws', token: { env: TOKEN_VARIABLE } } },
      store: { url: `sqlite:${join(dir, 'state.db')}` },
      worker: { http: { port: 0 }, runtimeMetrics: false },
      log: { level: 'warn' },
      sync: syncConfigPath,
    },
    'the latency benchmark',
  );

  const worker = await startServiceWorker(config, workflowBundlePath);
  const { client, store } = worker;
  const sources = new Map<string, { id: string; coordinator: CoordinatorOptions }>();
  for (const [i, source] of options.sources.entries()) {
    const id = ids[i]!;
    const coordinator = { ...coordinatorOptionsOf(config), ...source.coordinator };
    await client.workflow.start(identitySourceCoordinator, {
      workflowId: coordinatorWorkflowId(id),
      taskQueue: config.temporal.taskQueue,
      args: [{ identitySourceId: id, options: coordinator }],
      ...coordinatorMetadata(id, 'the latency benchmark'),
    });
    sources.set(source.name, { id, coordinator });
  }

  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const receiver = await startWebhookServer({
    temporal: client,
    store,
    identitySourceId: ids[0]!,
    identitySources: ids,
    taskQueue: config.temporal.taskQueue,
    standardSecrets: [secret],
    logger: createLogger({
      level: 'info',
      base: { service: 'webhook-server' },
      destination: pino.destination({ dest: join(dir, 'webhook-server.log'), sync: true }),
    }),
  });

  return {
    emulator,
    client,
    store,
    receiver,
    secret,
    taskQueue: config.temporal.taskQueue,
    hrExportPath,
    sources,
    async stop() {
      await receiver.stop();
      for (const { id } of sources.values())
        await client.workflow
          .getHandle(coordinatorWorkflowId(id))
          .terminate('benchmark finished')
          .catch(() => undefined);
      await worker.stop();
      await emulator.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
