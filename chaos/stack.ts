// The pieces a chaos trial breaks: a Temporal dev server on a persistent db file, the real worker command in a
// child process, the Okta emulator, and the SQLite state store the worker and this process share.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { stringify } from 'yaml';
import { openStateStore } from '../activities/store/open.ts';
import { missingSearchAttributes, registerSearchAttributes } from '../client/search-attribute-setup.ts';
import type { StateStore } from '../activities/store/state-store.ts';
import { freePort } from '../local-stack/temporal-dev-server.ts';
import type { DevServer } from '../local-stack/temporal-dev-server.ts';
import { startOktaEmulator, type OktaEmulator, type OktaEmulatorOptions } from '../okta-emulator/index.ts';
import { connectClient, startTemporal, writeWorkflowBundle } from '../bench/support/temporal-stack.ts';

const CLI = fileURLToPath(new URL('../cli/cli.ts', import.meta.url));
export const TOKEN = 'chaos-okta-token';

export interface WorkerOverrides {
  /** Names its config file, so that workers with different settings can run at once. */
  name?: string;
  orgUrl?: string;
  storeUrl?: string;
  taskQueue?: string;
  oktaActivitiesPerSecond?: number;
  /** The path of a sync config: the worker then plans syncs too (without, it only pushes plans saved ahead). */
  sync?: string;
  /** Of one Okta request; default 5 s. */
  requestTimeoutMs?: number;
}

export class ChaosStack {
  dir = '';
  temporalPort = 0;
  /** The Temporal frontend the workers and this process use: the dev server this stack runs, or one already running. */
  temporalAddress = '';
  server: DevServer | undefined;
  client!: Client;
  bundlePath = '';
  store!: StateStore;
  storeUrl = '';
  emulator!: OktaEmulator;
  emulatorOptions: OktaEmulatorOptions = {};
  taskQueue = 'chaos';
  private workers = new Set<ChildProcess>();

  /**
   * Starts the pieces; with `temporalAddress`, uses that Temporal server (namespace `default`, the project's search
   * attributes registered) instead of starting a dev server, and then cannot restart it.
   */
  async start(emulatorOptions: OktaEmulatorOptions, temporalAddress?: string): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'hr-okta-sync-chaos-'));
    if (temporalAddress) {
      this.temporalAddress = temporalAddress;
      this.bundlePath = await writeWorkflowBundle();
    } else {
      this.temporalPort = await freePort();
      this.temporalAddress = `127.0.0.1:${this.temporalPort}`;
      [this.server, this.bundlePath] = await Promise.all([this.startTemporal(), writeWorkflowBundle()]);
    }
    this.client = await connectClient({ address: this.temporalAddress, namespace: 'default' });
    if (temporalAddress) {
      // What `hr-okta-sync setup-temporal` does on a deploy: the workflows set these.
      const missing = await missingSearchAttributes(this.client, 'default');
      if (missing.length > 0) await registerSearchAttributes(this.client, 'default', missing);
    }
    this.storeUrl = `sqlite:${join(this.dir, 'state.db')}`;
    this.store = await openStateStore(this.storeUrl);
    await this.startEmulator(emulatorOptions);
  }

  startTemporal(): Promise<DevServer> {
    return startTemporal({ port: this.temporalPort, dbFile: join(this.dir, 'temporal.db') });
  }

  /** Stops the dev server and starts it again on the same port and db file. Returns how long it was down (ms). */
  async restartTemporal(downMs: number): Promise<number> {
    if (!this.server)
      throw new Error('the stack runs against a Temporal server it did not start: it cannot restart it');
    const stopped = performance.now();
    await this.server?.stop();
    await new Promise((r) => setTimeout(r, downMs));
    this.server = await this.startTemporal();
    return performance.now() - stopped;
  }

  async startEmulator(options: OktaEmulatorOptions): Promise<void> {
    this.emulatorOptions = { apiTokens: [{ token: TOKEN }], requestLogLimit: 200_000, ...options };
    this.emulator = await startOktaEmulator(this.emulatorOptions);
    // Later restarts keep the port, as a real Okta keeps its URL.
    this.emulatorOptions.port = Number(new URL(this.emulator.url).port);
  }

  /** Stops the emulator (it saves its state file) and starts it again on the same port and state file. */
  async restartEmulator(downMs: number): Promise<number> {
    const stopped = performance.now();
    await this.emulator.stop();
    await new Promise((r) => setTimeout(r, downMs));
    this.emulator = await startOktaEmulator(this.emulatorOptions);
    return performance.now() - stopped;
  }

  /**
   * The real `hr-okta-sync worker` command in a process of its own; resolves once it polls. By default it talks to the
   * emulator on this stack's task queue and store; `overrides` point one worker elsewhere (its own config file).
   */
  async startWorker(overrides: WorkerOverrides = {}): Promise<ChildProcess> {
    const config = join(this.dir, `${overrides.name ?? 'worker'}.yaml`);
    await writeFile(
      config,
      stringify({
        temporal: {
          address: this.temporalAddress,
          namespace: 'default',
          taskQueue: overrides.taskQueue ?? this.taskQueue,
        },
        okta: {
          orgUrl: overrides.orgUrl ?? this.emulator.url,
          identitySourceId: this.emulator.identitySourceIds[0],
          auth: { type: 'ssws', token: { env: 'CHAOS_OKTA_TOKEN' } },
          rateLimitShare: 1,
          requestTimeoutMs: overrides.requestTimeoutMs ?? 5_000,
        },
        store: { url: overrides.storeUrl ?? this.storeUrl },
        // No fixed ports: other workers may run on this machine.
        worker: {
          http: { port: 0 },
          runtimeMetrics: false,
          ...(overrides.oktaActivitiesPerSecond ? { oktaActivitiesPerSecond: overrides.oktaActivitiesPerSecond } : {}),
        },
        ...(overrides.sync ? { sync: overrides.sync } : {}),
      }),
    );
    const child = spawn(process.execPath, [CLI, 'worker', '--config', config, '--workflow-bundle', this.bundlePath], {
      env: { ...process.env, CHAOS_OKTA_TOKEN: TOKEN },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.workers.add(child);
    child.once('exit', () => this.workers.delete(child));
    await new Promise<void>((resolve, reject) => {
      let output = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        output = (output + chunk).slice(-4_000);
        if (output.includes('Worker polling')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${output}`)));
    });
    return child;
  }

  async killWorker(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    for (const worker of [...this.workers]) await this.killWorker(worker);
    await this.client?.connection.close();
    await this.server?.stop();
    await this.emulator?.stop();
    await this.store?.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}
