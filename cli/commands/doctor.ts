import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import protos from '@temporalio/proto';
import type { Command } from 'commander';
import { loadSyncConfig } from '../../activities/mapping/config.ts';
import { openStateStore } from '../../activities/store/open.ts';
import { secretReport } from '../../config/effective-config.ts';
import { ConfigError, loadServiceConfig, type ServiceConfig } from '../../config/service-config.ts';
import { resolveStoreUrl } from '../../config/store-url.ts';
import { createOktaClient } from '../../worker/okta-client.ts';
import type { workerCheck } from '../../workflows/worker-check.ts';
import { missingSearchAttributes } from '../../client/search-attribute-setup.ts';
import { connectTemporal } from '../../connection/temporal-connection.ts';
import { configOption } from '../config-option.ts';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

/** `hr-okta-sync doctor`: checks what the service needs, one line each, and says what to fix. */
export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('Check the config, its secrets, Temporal (server and workers), Okta (a read-only call) and the store')
    .addOption(configOption())
    .option('--timeout <seconds>', 'time a worker has to answer', (v) => Number(v), 15)
    .action(async (options: { config: string; timeout: number }) => {
      let config: ServiceConfig;
      try {
        config = await loadServiceConfig(options.config);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        print({ name: 'Config', ok: false, detail: error.message, fix: 'correct the keys named above' });
        process.exitCode = 1;
        return;
      }
      print({ name: 'Config', ok: true, detail: `${options.config} is valid` });
      let failed = 0;
      for await (const result of runDoctor(config, { workerTimeoutMs: options.timeout * 1000 })) {
        print(result);
        if (!result.ok) failed++;
      }
      if (failed > 0) {
        console.log(`${failed} check(s) failed.`);
        process.exitCode = 1;
      } else console.log('All checks passed.');
    });
}

function print(result: CheckResult): void {
  console.log(`${result.ok ? '✓' : '✗'} ${result.name}: ${result.detail}`);
  if (!result.ok && result.fix) console.log(`  → ${result.fix}`);
}

/** Each check in turn; a check that needs an earlier one's success is skipped as failed with the reason. */
export async function* runDoctor(
  config: ServiceConfig,
  options: { workerTimeoutMs: number },
): AsyncGenerator<CheckResult> {
  const secrets = await secretReport(config);
  yield secrets.missing === 0
    ? { name: 'Secrets', ok: true, detail: `${secrets.lines.length} reference(s), all set` }
    : {
        name: 'Secrets',
        ok: false,
        detail: secrets.lines
          .filter((l) => l.startsWith('✗'))
          .map((l) => l.slice(2))
          .join('; '),
        fix: 'set the environment variables or mount the files named in the config',
      };
  yield* temporalChecks(config, options.workerTimeoutMs);
  yield await check(
    'Okta',
    async () => {
      const okta = await createOktaClient(config.okta);
      const sessions = await okta.listSessions(config.okta.identitySourceId);
      const open = sessions.filter((s) => s.status === 'CREATED' || s.status === 'IN_PROGRESS').length;
      return `${config.okta.orgUrl} answers; identity source ${config.okta.identitySourceId} has ${open} open import session(s)`;
    },
    'check okta.orgUrl, okta.identitySourceId and the credentials (the message above says which)',
  );
  yield await check(
    'Store',
    async () => {
      const store = await openStateStore(await resolveStoreUrl(config.store));
      try {
        await store.getPlan('doctor-check');
      } finally {
        await store.close();
      }
      return `${redactUrl(config.store.url)} answers; schema migrated`;
    },
    'check store.url and store.password, and that the database accepts connections from here',
  );
  if (config.sync) {
    const path = config.sync;
    yield await check(
      'Sync config',
      async () => {
        const sync = await loadSyncConfig(path);
        return `${path}: source ${sync.source.type}, ${Object.keys(sync.mapping.attributes).length} mapped attributes`;
      },
      `correct ${path} (see the errors above)`,
    );
  }
}

async function* temporalChecks(config: ServiceConfig, workerTimeoutMs: number): AsyncGenerator<CheckResult> {
  const { address, namespace, taskQueue, oktaTaskQueue } = config.temporal;
  let client: Client;
  try {
    client = await withTimeout(connectTemporal(config), 10_000, `no answer from ${address} in 10 s`);
    await client.workflowService.describeNamespace({ namespace });
  } catch (error) {
    yield {
      name: 'Temporal',
      ok: false,
      detail: `cannot use namespace ${namespace} at ${address}: ${message(error)}`,
      fix: 'check temporal.address, temporal.namespace and TLS/API key settings, and that the server is up',
    };
    yield { name: 'Workers', ok: false, detail: 'not checked: Temporal is not reachable' };
    return;
  }
  try {
    yield { name: 'Temporal', ok: true, detail: `${address}, namespace ${namespace}` };
    const missing = await missingSearchAttributes(client, namespace);
    if (missing.length > 0) {
      yield {
        name: 'Search attributes',
        ok: false,
        detail: `not registered in ${namespace}: ${missing.join(', ')}`,
        fix: 'run `hr-okta-sync setup-temporal` with this config',
      };
    }
    const { TaskQueueType } = protos.temporal.api.enums.v1;
    const pollers = async (name: string, type: (typeof TaskQueueType)[keyof typeof TaskQueueType]) =>
      (await client.workflowService.describeTaskQueue({ namespace, taskQueue: { name }, taskQueueType: type }))
        .pollers ?? [];
    const workflowPollers = await pollers(taskQueue, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW);
    const oktaPollers = await pollers(oktaTaskQueue, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY);
    if (workflowPollers.length === 0 || oktaPollers.length === 0) {
      yield {
        name: 'Workers',
        ok: false,
        detail: `no worker polls ${workflowPollers.length === 0 ? taskQueue : oktaTaskQueue}`,
        fix: 'start `hr-okta-sync worker` with this config (same temporal.taskQueue and temporal.oktaTaskQueue)',
      };
      return;
    }
    yield await check(
      'Workers',
      async () => {
        const described = await client.workflow.execute<typeof workerCheck>('workerCheck', {
          taskQueue,
          workflowId: `doctor-${randomUUID()}`,
          workflowExecutionTimeout: workerTimeoutMs,
          args: [],
        });
        return (
          `${workflowPollers.length} worker(s) on ${taskQueue}, ${oktaPollers.length} on ${oktaTaskQueue}; ` +
          `one answered from ${described.hostname} (pid ${described.pid}, Node ${described.nodeVersion})`
        );
      },
      'a worker polls but did not run the check: read its logs (encryption keys and versions must match this config)',
    );
  } finally {
    await client.connection.close();
  }
}

async function check(name: string, run: () => Promise<string>, fix: string): Promise<CheckResult> {
  try {
    return { name, ok: true, detail: await run() };
  } catch (error) {
    return { name, ok: false, detail: message(error), fix };
  }
}

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return text + cause;
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(what)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
