import { randomUUID } from 'node:crypto';
import { access, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { NativeConnection, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import type { WorkerOptions } from '@temporalio/worker';
import { inject } from 'vitest';
import { FAILURE_CONVERTER_PATH } from '../../codec/failure-converter-path.ts';

let runtimeInstalled = false;
/** Worker logs at warn and above only, so test output shows what matters. Once per process. */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: {
      log: () => undefined,
      trace: () => undefined,
      debug: () => undefined,
      info: () => undefined,
      warn: (m) => console.warn(m),
      error: (m) => console.error(m),
    },
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
  });
}

/** A client on the run's shared dev server. */
export async function testClient(): Promise<Client> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  return new Client({ connection, namespace: inject('temporalNamespace') });
}

/** A task queue of the test's own, so tests never steal each other's tasks. */
export function uniqueTaskQueue(label: string): string {
  return `test-${label}-${randomUUID()}`;
}

export function uniqueWorkflowId(label: string): string {
  return `${label}-${randomUUID()}`;
}

/** A worker on the shared server, using the workflow bundle built once in global setup. */
export async function testWorker(
  options: Omit<WorkerOptions, 'connection' | 'namespace' | 'workflowBundle' | 'workflowsPath'>,
): Promise<Worker> {
  installQuietRuntime();
  const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  return Worker.create({
    ...options,
    // As in production: the bundle carries this converter, and the worker's activity failures must match it.
    dataConverter: { failureConverterPath: FAILURE_CONVERTER_PATH, ...options.dataConverter },
    connection,
    namespace: inject('temporalNamespace'),
    workflowBundle: { codePath: inject('workflowBundlePath') },
  });
}

/**
 * Saves a real run's history for the replay tests when UPDATE_HISTORIES=1, and its workflow id in
 * `workflow-ids.json` beside it (replay needs it: child workflow ids derive from it). A history already saved is
 * never overwritten: from 1.0 on, saved histories are what runs in flight replay against, so a change that fails
 * to replay them is versioned instead (see docs/architecture.md).
 */
export async function maybeSaveHistory(
  client: Client,
  workflowId: string,
  file: string,
  runId?: string,
): Promise<boolean> {
  if (process.env.UPDATE_HISTORIES !== '1') return false;
  if (
    await access(file).then(
      () => true,
      () => false,
    )
  )
    return false;
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  await writeFile(file, historyToJSON(history) + '\n');
  const index = join(dirname(file), 'workflow-ids.json');
  const ids = JSON.parse(await readFile(index, 'utf8').catch(() => '{}')) as Record<string, string>;
  ids[basename(file)] = workflowId;
  await writeFile(index, JSON.stringify(ids, Object.keys(ids).sort(), 2) + '\n');
  return true;
}
