import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { Option, type Command } from 'commander';
import { pino } from 'pino';
import { loadSyncConfig } from '../../activities/mapping/config.ts';
import { loadServiceConfig } from '../../config/service-config.ts';
import { writeLocalStackConfig } from '../../local-stack/local-config.ts';
import { localStackDir, PROJECT_ROOT } from '../../local-stack/paths.ts';
import { freePort, startDevServer } from '../../local-stack/temporal-dev-server.ts';
import { startOktaEmulator } from '../../okta-emulator/index.ts';
import { runWorker } from '../../worker/run-worker.ts';
import { searchAttributeTypes } from '../../contracts/search-attributes.ts';
import type { SyncSummary } from '../../contracts/sync-messages.ts';
import { sync } from '../../workflows/sync.ts';
import { syncMetadata } from '../../contracts/workflow-summaries.ts';
import { connectTemporal } from '../../connection/temporal-connection.ts';
import { startWebhookServer } from '../../client/webhook-server.ts';
import { openStateStore } from '../../activities/store/open.ts';
import { coordinatorOptionsOf } from '../../config/coordinator-options.ts';
import { createLogger } from '../../observability/logger.ts';
import { describeSync, watchSyncs } from '../../client/sync-console.ts';

const EXAMPLES = join(PROJECT_ROOT, 'examples');
/** The local emulator's identity source: fixed, so a restarted stack finds its directory and its confirmed record. */
const LOCAL_IDENTITY_SOURCE = '0oalocalhrsync000001';

interface StartOptions {
  once?: boolean;
  logFormat: 'text' | 'json';
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
    .addOption(
      new Option('--log-format <format>', 'text: plain lines here, JSON logs to a file; json: JSON logs here')
        .choices(['text', 'json'])
        .default('text'),
    )
    .action(async (options: StartOptions) => {
      const dir = localStackDir();
      await mkdir(dir, { recursive: true });
      const say = (line: string) => console.log(line);
      const logFile = join(dir, 'local-stack.log');
      const logs = options.logFormat === 'json' ? undefined : pino.destination({ dest: logFile, sync: false });
      const logger = (service: string) =>
        createLogger({ level: 'info', base: { service }, ...(logs ? { destination: logs } : {}) });

      say('Starting the Temporal dev server…');
      const temporal = await startDevServer({
        port: await portOr(Number(options.temporalPort)),
        uiPort: await portOr(Number(options.uiPort)),
        dbFile: join(dir, 'temporal.db'),
        searchAttributes: searchAttributeTypes(),
      });

      const syncConfigPath = join(EXAMPLES, 'hr-okta-sync.yaml');
      const syncConfig = await loadSyncConfig(syncConfigPath);
      const oktaPort = await portOr(Number(options.oktaPort));
      const webhookPort = await portOr(Number(options.webhookPort));
      const files = await writeLocalStackConfig({
        temporalAddress: temporal.address,
        namespace: temporal.namespace,
        oktaUrl: `http://127.0.0.1:${oktaPort}`,
        identitySourceId: LOCAL_IDENTITY_SOURCE,
        syncConfigPath,
        webhookPort,
      });
      // Okta's rules, with the five-minute rule and import times shortened so that a demo does not wait.
      const okta = await startOktaEmulator({
        port: oktaPort,
        identitySources: [{ id: LOCAL_IDENTITY_SOURCE, customAttributes: syncConfig.mapping.customAttributes }],
        apiTokens: [{ token: files.okta.token }],
        durations: { fiveMinuteRuleMs: 10_000, importProcessingMs: 2_000, importProcessingPerRecordMs: 1 },
        stateFile: join(dir, 'okta-emulator.json'),
      });
      // The config the CLI finds, read as the CLI reads it (no HR_OKTA_SYNC__* overrides: the stack is local).
      const config = await loadServiceConfig(files.configPath, { env: {} });
      let workerHealth = '';
      const ready = Promise.withResolvers<void>();
      const stopWorker = new AbortController();
      const worker = runWorker(config, {
        stop: stopWorker.signal,
        logger: logger('worker'),
        onReady: ({ healthUrl }) => {
          workerHealth = healthUrl;
          ready.resolve();
        },
      });
      worker.catch((error: unknown) => ready.reject(error));
      await ready.promise;

      const client = await connectTemporal(config);
      const store = await openStateStore(config.store.url);
      const webhooks = await startWebhookServer({
        temporal: client,
        store,
        identitySourceId: LOCAL_IDENTITY_SOURCE,
        taskQueue: config.temporal.taskQueue,
        coordinator: coordinatorOptionsOf(config),
        standardSecrets: [files.webhookSecret],
        port: webhookPort,
        logger: logger('webhook-server'),
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
      let first: SyncSummary | undefined;
      try {
        first = (await client.workflow.execute(sync, {
          taskQueue: config.temporal.taskQueue,
          workflowId: `sync-${LOCAL_IDENTITY_SOURCE}-first-${Date.now()}`,
          args: [{}],
          ...syncMetadata({ identitySourceId: LOCAL_IDENTITY_SOURCE }, 'npm start (the sample HR export)'),
        })) as SyncSummary;
        say(describeSync(first));
        if (first.reportPath) say(`Report: ${shown(first.reportPath)}`);
      } catch (error) {
        failed = true;
        console.error(
          `The first sync failed: ${error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error)}`,
        );
      }
      say('');
      say(`The CLI, run in this project, uses the service config ${shown(files.configPath)}`);
      say(`(the emulator's API token is in ${shown(files.oktaTokenFile)}). Edit examples/hr-export.csv, then:`);
      say('  npx hr-okta-sync sync --wait     # a delta sync, followed to its end');
      say('  npx hr-okta-sync status          # what the coordinator does now');
      say('  npx hr-okta-sync report          # the latest planning report');
      say(
        'Or start one in the Web UI ("Start Workflow": type `sync`, task queue ' +
          `\`${config.temporal.taskQueue}\`, input {}).`,
      );
      say('Send a signed sample HR webhook (a joiner; one delta sync follows a few seconds later):');
      say('  npx hr-okta-sync webhook-send --file examples/webhook-joiner.json');
      say(`  (to ${webhooks.url}/webhooks/standard, signed with the secret in ${shown(files.webhookSecretFile)})`);
      say(
        options.logFormat === 'json'
          ? 'Logs: JSON lines on standard error.'
          : `Logs (JSON lines): ${shown(logFile)}; \`npm start -- --log-format json\` prints them here instead.`,
      );
      const watcher = options.once
        ? undefined
        : watchSyncs(client, LOCAL_IDENTITY_SOURCE, say, { alreadyTold: first ? [first] : [] });

      const stop = async () => {
        await watcher?.stop();
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

/** A path as a person in the project types it: relative to the current folder when inside it. */
function shown(path: string): string {
  const inside = relative(process.cwd(), path);
  return inside && !inside.startsWith('..') ? inside : path;
}
