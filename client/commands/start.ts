import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadSyncConfig } from '../../activities/mapping/config.ts';
import { parseServiceConfig } from '../../config/service-config.ts';
import { cacheDir, freePort, startDevServer } from '../../local-stack/temporal-dev-server.ts';
import { startOktaEmulator } from '../../okta-emulator/index.ts';
import { runWorker } from '../../worker/run-worker.ts';
import { searchAttributeTypes } from '../../workflows/search-attributes.ts';
import type { SyncSummary } from '../../workflows/sync-messages.ts';
import { sync } from '../../workflows/sync.ts';
import { connectTemporal } from '../temporal-client.ts';
import { startWebhookServer } from '../webhook-server.ts';
import { openStateStore } from '../../activities/store/open.ts';
import { coordinatorOptionsOf } from '../../config/coordinator-options.ts';
import { createLogger } from '../../observability/logger.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
/** The local emulator's identity source: fixed, so a restarted stack finds its directory and its confirmed record. */
const LOCAL_IDENTITY_SOURCE = '0oalocalhrsync000001';
const TOKEN_VARIABLE = 'HR_OKTA_SYNC_LOCAL_OKTA_TOKEN';
const WEBHOOK_SECRET_VARIABLE = 'HR_OKTA_SYNC_WEBHOOK_SECRET';

interface StartOptions {
  once?: boolean;
  temporalPort: string;
  uiPort: string;
  oktaPort: string;
  webhookPort: string;
}

/** A preferred port when it is free (the usual 7233/8233/8081), else any free one. */
function portOr(preferred: number): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => void freePort().then(resolve));
    probe.listen(preferred, '127.0.0.1', () => probe.close(() => resolve(preferred)));
  });
}

/**
 * `hr-okta-sync start` (what `npm start` runs): the whole stack on embedded defaults, on this machine only: the
 * Temporal dev server with its Web UI, the Okta emulator, a worker, the HR webhook receiver, then a first sync of the
 * sample HR export.
 * State lives in .cache/local-stack, so a restart keeps Temporal's history, Okta's directory and what Okta confirmed.
 */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Run the local stack (Temporal dev server + Web UI, Okta emulator, worker) and sync examples/')
    .option('--once', 'exit after the first sync instead of running until Ctrl-C')
    .option('--temporal-port <port>', 'Temporal gRPC port (a free one if taken)', '7233')
    .option('--ui-port <port>', 'Temporal Web UI port (a free one if taken)', '8233')
    .option('--okta-port <port>', 'Okta emulator port (a free one if taken)', '8081')
    .option('--webhook-port <port>', 'webhook receiver port (a free one if taken)', '8787')
    .action(async (options: StartOptions) => {
      const dir = join(cacheDir(), 'local-stack');
      await mkdir(dir, { recursive: true });
      const say = (line: string) => console.log(line);

      say('Starting the Temporal dev server (the first start builds the Temporal CLI: a few minutes, once)…');
      const temporal = await startDevServer({
        port: await portOr(Number(options.temporalPort)),
        uiPort: await portOr(Number(options.uiPort)),
        dbFile: join(dir, 'temporal.db'),
        searchAttributes: searchAttributeTypes(),
      });

      const syncConfigPath = join(EXAMPLES, 'hr-okta-sync.yaml');
      const syncConfig = await loadSyncConfig(syncConfigPath);
      const token = randomBytes(21).toString('base64url');
      // Okta's rules, with the five-minute rule and import times shortened so that a demo does not wait.
      const okta = await startOktaEmulator({
        port: await portOr(Number(options.oktaPort)),
        identitySources: [{ id: LOCAL_IDENTITY_SOURCE, customAttributes: syncConfig.mapping.customAttributes }],
        apiTokens: [{ token }],
        durations: { fiveMinuteRuleMs: 10_000, importProcessingMs: 2_000, importProcessingPerRecordMs: 1 },
        stateFile: join(dir, 'okta-emulator.json'),
      });
      process.env[TOKEN_VARIABLE] = token;

      const config = parseServiceConfig(
        {
          temporal: { address: temporal.address, namespace: temporal.namespace, encryption: { required: false } },
          okta: {
            orgUrl: okta.url,
            identitySourceId: LOCAL_IDENTITY_SOURCE,
            auth: { type: 'ssws', token: { env: TOKEN_VARIABLE } },
            rateLimitShare: 1,
          },
          store: { url: `sqlite:${join(dir, 'state.db')}` },
          worker: { http: { port: 0 }, runtimeMetrics: false },
          log: { level: 'warn' },
          sync: syncConfigPath,
        },
        'the local stack',
      );
      let workerHealth = '';
      const ready = Promise.withResolvers<void>();
      const stopWorker = new AbortController();
      const worker = runWorker(config, {
        stop: stopWorker.signal,
        onReady: ({ healthUrl }) => {
          workerHealth = healthUrl;
          ready.resolve();
        },
      });
      worker.catch((error: unknown) => ready.reject(error));
      await ready.promise;

      const client = await connectTemporal(config);
      const store = await openStateStore(config.store.url);
      const webhookSecret = `whsec_${randomBytes(24).toString('base64')}`;
      const webhooks = await startWebhookServer({
        temporal: client,
        store,
        identitySourceId: LOCAL_IDENTITY_SOURCE,
        taskQueue: config.temporal.taskQueue,
        coordinator: coordinatorOptionsOf(config),
        standardSecrets: [webhookSecret],
        port: await portOr(Number(options.webhookPort)),
        logger: createLogger({ level: 'warn', base: { service: 'webhook-server' } }),
      });

      const uiUrl = `${temporal.uiUrl}/namespaces/${temporal.namespace}/workflows`;
      say('');
      say(`Temporal Web UI   ${uiUrl}`);
      say(`Okta emulator     ${okta.url}  (directory: ${okta.url}/__emulator/users)`);
      say(`Worker health     ${workerHealth}/readyz, metrics ${workerHealth}/metrics`);
      say(`HR webhooks       ${webhooks.url}/webhooks/standard (Standard Webhooks)`);
      say('');
      say(
        `Syncing the sample HR export ${join(EXAMPLES, 'hr-export.csv')} into identity source ${LOCAL_IDENTITY_SOURCE}…`,
      );

      let failed = false;
      try {
        const summary = (await client.workflow.execute(sync, {
          taskQueue: config.temporal.taskQueue,
          workflowId: `sync-${LOCAL_IDENTITY_SOURCE}-first-${Date.now()}`,
          args: [{}],
        })) as SyncSummary;
        printSummary(summary, say);
      } catch (error) {
        failed = true;
        console.error(
          `The first sync failed: ${error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error)}`,
        );
      }
      say('');
      say('Next: edit examples/hr-export.csv, then start a sync from the Web UI ("Start Workflow": type `sync`,');
      say(`task queue \`${config.temporal.taskQueue}\`, input {}) or with:`);
      say(`  HR_OKTA_SYNC__TEMPORAL__ADDRESS=${temporal.address} npx hr-okta-sync sync --wait`);
      say('Send a signed sample HR webhook (a joiner; one delta sync follows a few seconds later):');
      say(
        `  ${WEBHOOK_SECRET_VARIABLE}=${webhookSecret} npx hr-okta-sync webhook-send ` +
          `--url ${webhooks.url}/webhooks/standard --file examples/webhook-joiner.json`,
      );

      const stop = async () => {
        await webhooks.stop();
        await client.connection.close();
        stopWorker.abort();
        await worker.catch(() => undefined);
        await store.close();
        await okta.stop();
        await temporal.stop();
      };
      if (options.once) {
        await stop();
        process.exitCode = failed ? 1 : 0;
        return;
      }
      say('');
      say('Running until Ctrl-C.');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await stop();
    });
}

function printSummary(summary: SyncSummary, say: (line: string) => void): void {
  const counts = summary.counts ?? {};
  say(
    `Sync ${summary.outcome}: ${counts.recordsRead ?? 0} HR records read, ${counts.creates ?? 0} to create, ` +
      `${counts.updates ?? 0} to update, ${counts.deactivations ?? 0} to deactivate, ${counts.invalid ?? 0} invalid, ` +
      `${counts.unchanged ?? 0} unchanged.`,
  );
  if (summary.push?.totals) {
    say(
      `Okta applied ${summary.push.totals.recordsApplied} records in ${summary.push.sessionIds?.length ?? 0} import session(s); ` +
        `push workflow ${summary.push.workflowId}.`,
    );
  }
  if (summary.reportPath) say(`Report: ${summary.reportPath}`);
}
