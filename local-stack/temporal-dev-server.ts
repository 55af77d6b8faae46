/**
 * Finds or provides the `temporal` CLI and runs its dev server (`temporal server start-dev`): the real
 * single-process Temporal server that tests, benchmarks and `npm start` use.
 *
 * The CLI is looked up in this order: TEMPORAL_CLI_PATH; `temporal` on PATH; the cache; else built with Go into
 * the cache; else downloaded by @temporalio/testing (needs the internet).
 */
import { spawn } from 'node:child_process';
import { access, constants, mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { buildTemporalCli } from './temporal-cli-build.ts';
import { cacheDir } from './paths.ts';

export const TEMPORAL_CLI_VERSION = '1.5.1';
export { cacheDir } from './paths.ts';

function cachedCliPath(): string {
  return join(cacheDir(), 'temporal-cli', TEMPORAL_CLI_VERSION, 'temporal');
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && (await isExecutable(join(dir, name)))) return join(dir, name);
  }
  return undefined;
}

export type CliSource = { kind: 'path'; path: string; foundBy: string } | { kind: 'download' };

/** Finds the CLI without building or downloading anything. */
export async function findTemporalCli(): Promise<(CliSource & { kind: 'path' }) | undefined> {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!(await isExecutable(fromEnv))) throw new Error(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file`);
    return { kind: 'path', path: fromEnv, foundBy: 'TEMPORAL_CLI_PATH' };
  }
  const fromPath = await onPath('temporal');
  if (fromPath) return { kind: 'path', path: fromPath, foundBy: 'PATH' };
  const cached = cachedCliPath();
  if (await isExecutable(cached)) return { kind: 'path', path: cached, foundBy: 'cache' };
  return undefined;
}

/** Finds the CLI, building it with Go into the cache when it is nowhere yet. */
export async function provideTemporalCli(log: (line: string) => void = console.error): Promise<CliSource> {
  const found = await findTemporalCli();
  if (found) return found;
  const go = await onPath('go');
  if (!go) {
    log('temporal CLI not found and Go is not installed: @temporalio/testing will download it (needs the internet).');
    return { kind: 'download' };
  }
  const target = cachedCliPath();
  const binDir = join(target, '..');
  await mkdir(binDir, { recursive: true });
  log(
    `Building the Temporal CLI v${TEMPORAL_CLI_VERSION} with Go into ${binDir}: a one-time cost of a few minutes ` +
      '(about 3 on 2 cores with an empty Go cache); every later start reuses it.',
  );
  await buildTemporalCli({ go, version: TEMPORAL_CLI_VERSION, binDir, log, progress: process.stderr });
  return { kind: 'path', path: target, foundBy: 'go install' };
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolvePort(address.port);
        else reject(new Error('could not get a free port'));
      });
    });
  });
}

export interface DevServerOptions {
  /** gRPC port; a free one when omitted. */
  port?: number;
  /** Web UI port; the UI is off when omitted and `ui` is not true. */
  uiPort?: number;
  ui?: boolean;
  /** Persist state to this SQLite file, so the server can be restarted mid-run. */
  dbFile?: string;
  namespace?: string;
  searchAttributes?: Record<string, SearchAttributeType>;
  /** Web UI codec server endpoint. */
  codecEndpoint?: string;
  /** Server dynamic config, e.g. { 'limit.historyCount.suggestContinueAsNew': 150 }. */
  dynamicConfig?: Record<string, unknown>;
  log?: (line: string) => void;
}

export interface DevServer {
  address: string;
  namespace: string;
  uiUrl?: string;
  cli: CliSource;
  stop(): Promise<void>;
}

/** Temporal's own type names, as the dev server's --search-attribute flag spells them. */
const SEARCH_ATTRIBUTE_FLAG_TYPE: Record<string, string> = {
  KEYWORD: 'Keyword',
  TEXT: 'Text',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

const REAPER = fileURLToPath(new URL('./reaper.ts', import.meta.url));

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const log = options.log ?? console.error;
  const cli = await provideTemporalCli(log);
  const namespace = options.namespace ?? 'default';
  const port = options.port ?? (await freePort());
  const wantUi = options.ui ?? options.uiPort !== undefined;
  const uiPort = wantUi ? (options.uiPort ?? (await freePort())) : undefined;
  const searchAttributeArgs = Object.entries(options.searchAttributes ?? {}).flatMap(([name, type]) => [
    '--search-attribute',
    `${name}=${SEARCH_ATTRIBUTE_FLAG_TYPE[type] ?? type}`,
  ]);

  const dynamicConfigArgs = Object.entries(options.dynamicConfig ?? {}).flatMap(([key, value]) => [
    '--dynamic-config-value',
    `${key}=${JSON.stringify(value)}`,
  ]);

  if (cli.kind === 'download') {
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        ip: '127.0.0.1',
        port,
        namespace,
        ui: wantUi,
        ...(uiPort !== undefined ? { uiPort } : {}),
        ...(options.dbFile ? { dbFilename: options.dbFile } : {}),
        extraArgs: [
          ...searchAttributeArgs,
          ...dynamicConfigArgs,
          ...(options.codecEndpoint ? ['--ui-codec-endpoint', options.codecEndpoint] : []),
        ],
      },
    });
    return {
      address: `127.0.0.1:${port}`,
      namespace,
      ...(uiPort !== undefined ? { uiUrl: `http://127.0.0.1:${uiPort}` } : {}),
      cli,
      stop: () => env.teardown(),
    };
  }

  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--http-port',
    String(await freePort()),
    '--metrics-port',
    String(await freePort()),
    '--namespace',
    namespace,
    '--log-level',
    'warn',
    ...(uiPort !== undefined ? ['--ui-port', String(uiPort)] : ['--headless']),
    ...(options.dbFile ? ['--db-filename', options.dbFile] : []),
    ...(options.codecEndpoint ? ['--ui-codec-endpoint', options.codecEndpoint] : []),
    ...searchAttributeArgs,
    ...dynamicConfigArgs,
  ];
  // The reaper owns the server process and kills it when our end of its stdin closes, which also happens when
  // this process dies without running any cleanup (SIGKILL, a crashed test runner): no stray server survives.
  const child = spawn(process.execPath, [REAPER, cli.path, ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8_000);
  });
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));

  const address = `127.0.0.1:${port}`;
  try {
    await waitUntilServing(address, namespace, exited, () => stderr);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    address,
    namespace,
    ...(uiPort !== undefined ? { uiUrl: `http://127.0.0.1:${uiPort}` } : {}),
    cli,
    stop() {
      stopping ??= (async () => {
        child.stdin.end();
        const killTimer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(killTimer);
      })();
      return stopping;
    },
  };
}

async function waitUntilServing(
  address: string,
  namespace: string,
  exited: Promise<number | null>,
  stderr: () => string,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  let processExit: number | null | undefined;
  void exited.then((code) => (processExit = code));
  for (;;) {
    if (processExit !== undefined) {
      throw new Error(`temporal server start-dev exited with code ${processExit}:\n${stderr()}`);
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(
          `Temporal dev server at ${address} did not become ready in 60 s: ${String(error)}\n${stderr()}`,
          { cause: error },
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
