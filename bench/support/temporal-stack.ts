import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import {
  bundleWorkflowCode,
  makeTelemetryFilterString,
  NativeConnection,
  Runtime,
  Worker,
  type WorkerOptions,
} from '@temporalio/worker';
import {
  cacheDir,
  startDevServer,
  type DevServer,
  type DevServerOptions,
} from '../../local-stack/temporal-dev-server.ts';
import { WORKFLOW_BUNDLE_OPTIONS } from '../../worker/workflow-bundle.ts';
import { searchAttributeTypes } from '../../contracts/search-attributes.ts';

const quiet = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  log: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

let runtimeInstalled = false;
/** Worker logs at warn and above only, so the figures stay readable. */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: { ...quiet, log: () => undefined },
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
  });
}

/** Builds the workflow bundle once and writes it where a worker process can load it. */
export async function writeWorkflowBundle(): Promise<string> {
  const bundle = await bundleWorkflowCode({ ...WORKFLOW_BUNDLE_OPTIONS, logger: quiet });
  const dir = join(cacheDir(), 'bench');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `workflow-bundle-${process.pid}.js`);
  await writeFile(path, bundle.code);
  return path;
}

/** The real Temporal dev server with the project's search attributes. */
export function startTemporal(options: DevServerOptions = {}): Promise<DevServer> {
  return startDevServer({ searchAttributes: searchAttributeTypes(), log: () => undefined, ...options });
}

export async function connectClient(server: { address: string; namespace: string }): Promise<Client> {
  const connection = await Connection.connect({ address: server.address });
  return new Client({ connection, namespace: server.namespace });
}

/** An in-process worker on the given server; resolves once it polls. Stop it with the returned function. */
export async function runInProcessWorker(
  server: { address: string; namespace: string },
  workflowBundlePath: string,
  options: Omit<WorkerOptions, 'connection' | 'namespace' | 'workflowBundle' | 'workflowsPath'>,
): Promise<() => Promise<void>> {
  installQuietRuntime();
  const connection = await NativeConnection.connect({ address: server.address });
  const worker = await Worker.create({
    ...options,
    connection,
    namespace: server.namespace,
    workflowBundle: { codePath: workflowBundlePath },
  });
  const running = worker.run();
  return async () => {
    worker.shutdown();
    await running;
    await connection.close();
  };
}

/** Events in a workflow's whole history, across continue-as-new. */
export async function historyEvents(client: Client, workflowId: string, firstRunId: string): Promise<number> {
  let total = 0;
  let runId: string | undefined = firstRunId;
  while (runId) {
    const history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>> = await client.workflow
      .getHandle(workflowId, runId)
      .fetchHistory();
    const events = history.events ?? [];
    total += events.length;
    runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return total;
}
