import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { AesGcmCodec, ENCODING } from '../../codec/aes-gcm-codec.ts';
import { bearerTokenAuth } from '../../codec/codec-auth.ts';
import { codecFromConfig } from '../../codec/codec-from-config.ts';
import { startCodecServer, type CodecServer } from '../../codec/codec-server.ts';
import { connectTemporal } from '../../connection/temporal-connection.ts';
import { loadServiceConfig, type ServiceConfig } from '../../config/service-config.ts';
import { freePort } from '../../local-stack/temporal-dev-server.ts';
import { createLogger } from '../../observability/logger.ts';
import { pushPlan } from '../../workflows/push-plan.ts';
import { FAST_PUSH, people, savePlan, startPushHarness, type PushHarness } from '../support/push-harness.ts';
import { uniqueWorkflowId } from '../support/temporal.ts';
import { waitFor } from '../support/wait-for.ts';

const CLI = fileURLToPath(new URL('../../cli/cli.ts', import.meta.url));
const execFileAsync = promisify(execFile);

/** A last name no other string of the run contains: if it shows up anywhere, a profile leaked. */
const PROFILE_MARKER = 'Qzxwvutsr';
const KEY = randomBytes(32).toString('base64');
const CODEC_TOKEN = randomBytes(16).toString('hex');

let harness: PushHarness;
let config: ServiceConfig;
let configPath: string;
let worker: ChildProcess;
let workerLog = '';
let healthUrl: string;
let runtimeMetricsPort: number;
const secretEnv = (token: string) => ({ E2E_OKTA_TOKEN: token, E2E_KEY_1: KEY, E2E_CODEC_TOKEN: CODEC_TOKEN });

beforeAll(async () => {
  harness = await startPushHarness({
    noWorker: true,
    // Two 429s, for the metrics: one when opening the session, one on an upload.
    emulator: {
      faults: {
        script: [
          { endpoint: 'create-session', nth: 1, respond: 429, resetInMs: 300 },
          { endpoint: 'bulk-upsert', nth: 1, respond: 429, resetInMs: 300 },
        ],
      },
    },
  });
  Object.assign(process.env, secretEnv(harness.token));
  runtimeMetricsPort = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'hr-okta-sync-e2e-'));
  configPath = join(dir, 'config.yaml');
  await writeFile(
    configPath,
    stringify({
      temporal: {
        address: inject('temporalAddress'),
        namespace: inject('temporalNamespace'),
        taskQueue: harness.taskQueue,
        encryption: { required: true, keys: [{ id: 'k1', key: { env: 'E2E_KEY_1' } }] },
      },
      okta: {
        orgUrl: harness.emulator.url,
        identitySourceId: harness.identitySourceId,
        auth: { type: 'ssws', token: { env: 'E2E_OKTA_TOKEN' } },
        rateLimitShare: 1,
      },
      store: { url: harness.storeUrl },
      worker: {
        shutdownGraceTime: '5s',
        http: { port: 0 },
        runtimeMetrics: `127.0.0.1:${runtimeMetricsPort}`,
      },
      log: { level: 'debug' },
      codecServer: {
        port: 0,
        corsOrigins: ['http://ui.example'],
        auth: { type: 'bearer', token: { env: 'E2E_CODEC_TOKEN' } },
      },
    }),
  );
  config = await loadServiceConfig(configPath);

  worker = spawn(
    process.execPath,
    [CLI, 'worker', '--config', configPath, '--workflow-bundle', inject('workflowBundlePath')],
    {
      env: { ...process.env, ...secretEnv(harness.token) },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  worker.stderr!.setEncoding('utf8').on('data', (chunk: string) => (workerLog += chunk));
  const ready = await waitFor(
    () => jsonLines(workerLog).find((l) => String(l.msg).startsWith('Worker polling')),
    'the worker to poll',
    60_000,
  );
  healthUrl = String(ready.health);
});

afterAll(async () => {
  if (worker?.exitCode === null) worker.kill('SIGKILL');
  await harness?.close();
});

describe('a production-configured worker (encryption on), end to end', () => {
  let workflowId: string;
  let planId: string;

  it('runs pushPlan with every payload in the history encrypted: no profile, token or plan id in clear', async () => {
    const plan = await savePlan(harness.store, {
      identitySourceId: harness.identitySourceId,
      upserts: people(12, { variant: PROFILE_MARKER }),
      deactivations: [],
    });
    planId = plan.planId;
    workflowId = uniqueWorkflowId('push-encrypted');
    const client = await connectTemporal(config);
    try {
      const result = await client.workflow.execute(pushPlan, {
        taskQueue: harness.taskQueue,
        workflowId,
        args: [{ planId, options: FAST_PUSH }],
      });
      expect(result.totals.recordsApplied).toBe(12);
    } finally {
      await client.connection.close();
    }
    expect(harness.emulator.users({ identitySourceId: harness.identitySourceId })[0]?.profile.lastName).toContain(
      PROFILE_MARKER,
    );

    // Read the history as anyone with access to Temporal would: without the key.
    const history = await harness.client.workflow.getHandle(workflowId).fetchHistory();
    // Patch markers (workflow versioning) are written by the SDK core outside the data converter: plain, and holding
    // only the patch id and a flag, which the check below proves.
    const events = history.events ?? [];
    const isPatchMarker = (e: (typeof events)[number]) => e.markerRecordedEventAttributes?.markerName === 'core_patch';
    for (const payload of payloadsOf(events.filter(isPatchMarker), [])) {
      const marker = JSON.parse(Buffer.from(payload.data ?? []).toString()) as Record<string, unknown>;
      expect(Object.keys(marker).sort()).toEqual(['deprecated', 'id']);
      expect(marker.id).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(marker.deprecated).toBe(false);
    }
    const payloads = payloadsOf(
      events.filter((e) => !isPatchMarker(e)),
      ['searchAttributes'],
    );
    expect(payloads.length).toBeGreaterThan(10);
    for (const payload of payloads) {
      expect(Buffer.from(payload.metadata!.encoding!).toString()).toBe(ENCODING);
    }
    const everything = JSON.stringify(history, (_, value: unknown) =>
      value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : value,
    );
    for (const secretOrPersonal of [PROFILE_MARKER, 'person3@example.com', harness.token, KEY, planId]) {
      expect(everything).not.toContain(secretOrPersonal);
    }
    // The same data decodes with the key: the run's input is there, encrypted.
    const codec = new AesGcmCodec([{ id: 'k1', key: Buffer.from(KEY, 'base64') }]);
    const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads!;
    const [decoded] = await codec.decode(input);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toMatchObject({ planId });
  });

  it('encrypts failure messages too: a failed run names its plan only to those holding the key', async () => {
    const missingPlanId = `plan-${randomBytes(8).toString('hex')}`;
    const failedId = uniqueWorkflowId('push-encrypted-failure');
    const client = await connectTemporal(config);
    try {
      const failure = await client.workflow
        .execute(pushPlan, { taskQueue: harness.taskQueue, workflowId: failedId, args: [{ planId: missingPlanId }] })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      // The key holder reads the whole chain: workflow failure ← activity failure ← the store's answer.
      const chain = JSON.stringify(causes(failure));
      expect(chain).toContain(`Pushing plan ${missingPlanId} failed`);
      expect(chain).toContain(`No plan ${missingPlanId} in the state store`);
    } finally {
      await client.connection.close();
    }
    const history = await harness.client.workflow.getHandle(failedId).fetchHistory();
    const everything = JSON.stringify(history, (_, value: unknown) =>
      value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : value,
    );
    expect(everything).toContain('Encoded failure');
    expect(everything).not.toContain(missingPlanId);
    expect(everything).not.toContain('state store');
  });

  it('serves decoded payloads to the Web UI through the codec server, with CORS and a bearer token', async () => {
    const codec = (await codecFromConfig(config.temporal))!;
    const server: CodecServer = await startCodecServer({
      host: '127.0.0.1',
      port: 0,
      codec,
      corsOrigins: config.codecServer!.corsOrigins,
      authorize: bearerTokenAuth(CODEC_TOKEN),
      namespaces: [config.temporal.namespace],
      logger: createLogger({ level: 'silent' }),
    });
    try {
      const history = await harness.client.workflow.getHandle(workflowId).fetchHistory();
      const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads!;
      const body = JSON.stringify({ payloads: input.map(toJson) });
      const headers = {
        'content-type': 'application/json',
        'x-namespace': config.temporal.namespace,
        origin: 'http://ui.example',
      };

      const preflight = await fetch(`${server.url}/decode`, {
        method: 'OPTIONS',
        headers: { origin: 'http://ui.example', 'access-control-request-method': 'POST' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('http://ui.example');
      expect(preflight.headers.get('access-control-allow-headers')).toBe('x-namespace, content-type, authorization');
      const foreign = await fetch(`${server.url}/decode`, {
        method: 'OPTIONS',
        headers: { origin: 'http://evil.example' },
      });
      expect(foreign.status).toBe(403);
      expect(foreign.headers.get('access-control-allow-origin')).toBeNull();

      const anonymous = await fetch(`${server.url}/decode`, { method: 'POST', headers, body });
      expect(anonymous.status).toBe(401);
      const wrong = await fetch(`${server.url}/decode`, {
        method: 'POST',
        headers: { ...headers, authorization: 'Bearer not-the-token' },
        body,
      });
      expect(wrong.status).toBe(401);
      const otherNamespace = await fetch(`${server.url}/decode`, {
        method: 'POST',
        headers: { ...headers, 'x-namespace': 'someone-else', authorization: `Bearer ${CODEC_TOKEN}` },
        body,
      });
      expect(otherNamespace.status).toBe(403);

      const response = await fetch(`${server.url}/decode`, {
        method: 'POST',
        headers: { ...headers, authorization: `Bearer ${CODEC_TOKEN}` },
        body,
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe('http://ui.example');
      const decoded = (await response.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
      expect(Buffer.from(decoded.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
      expect(JSON.parse(Buffer.from(decoded.payloads[0]!.data, 'base64').toString())).toMatchObject({ planId });
    } finally {
      await server.close();
    }
  });

  it('logs JSON lines carrying workflow and run ids, without profiles or secrets', () => {
    const lines = jsonLines(workerLog);
    // Every line is JSON: nothing else writes to the log stream.
    expect(lines.length).toBe(workerLog.trim().split('\n').length);
    const ofRun = lines.filter((l) => l.workflowId === workflowId);
    expect(ofRun.length).toBeGreaterThan(0);
    expect(ofRun.every((l) => typeof l.runId === 'string' && typeof l.level === 'string')).toBe(true);
    expect(ofRun.some((l) => l.activityType === 'uploadSession')).toBe(true);
    for (const secretOrPersonal of [PROFILE_MARKER, 'person3@example.com', harness.token, KEY, CODEC_TOKEN]) {
      expect(workerLog).not.toContain(secretOrPersonal);
    }
  });

  it('serves health, readiness, our metrics and the Temporal runtime metrics', async () => {
    expect((await fetch(`${healthUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${healthUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { workers: 'ok', store: 'ok' } });

    const metrics = await (await fetch(`${healthUrl}/metrics`)).text();
    const source = `identity_source="${harness.identitySourceId}"`;
    expect(metrics).toContain(`hr_okta_sync_records_planned_total{${source}} 12`);
    expect(metrics).toContain(`hr_okta_sync_records_applied_total{${source}} 12`);
    expect(metrics).toContain('hr_okta_sync_records_uploaded_total 12');
    expect(metrics).toContain('hr_okta_sync_sessions_opened_total 1');
    expect(metrics).toContain('hr_okta_sync_sessions_total{outcome="COMPLETED"} 1');
    expect(metrics).toContain('hr_okta_sync_change_to_completed_seconds_count 1');
    expect(metrics).toContain('hr_okta_sync_rate_limit_waits_total{activity="openSession"} 1');
    expect(metrics).toContain('hr_okta_sync_rate_limit_waits_total{activity="uploadSession"} 1');

    const runtime = await (await fetch(`http://127.0.0.1:${runtimeMetricsPort}/metrics`)).text();
    expect(runtime).toMatch(/^temporal_activity_execution_latency\w*\{/m);
    expect(runtime).toContain(`task_queue="${config.temporal.oktaTaskQueue}"`);
  });

  it('doctor reports every check passing against this worker, and says what to fix when they do not', async () => {
    const { stdout } = await execFileAsync(process.execPath, [CLI, 'doctor', '-c', configPath], {
      env: { ...process.env, ...secretEnv(harness.token) },
    });
    expect(stdout).toMatch(/^✓ Config: /m);
    expect(stdout).toMatch(/^✓ Secrets: 3 reference\(s\), all set$/m);
    expect(stdout).toMatch(new RegExp(`^✓ Temporal: ${inject('temporalAddress')}, namespace `, 'm'));
    expect(stdout).toMatch(/^✓ Workers: 1 worker\(s\) on .*, 1 on .*-okta; one answered from .* \(pid \d+/m);
    expect(stdout).toMatch(/^✓ Okta: .* identity source \S+ has 0 open import session\(s\)$/m);
    expect(stdout).toMatch(/^✓ Store: /m);
    expect(stdout).toContain('All checks passed.');

    // A wrong token, and a task queue no worker polls.
    const broken = await execFileAsync(process.execPath, [CLI, 'doctor', '-c', configPath], {
      env: {
        ...process.env,
        ...secretEnv('wrong-token'),
        HR_OKTA_SYNC__TEMPORAL__TASK_QUEUE: `${harness.taskQueue}-nobody`,
      },
    }).catch((error: { code: number; stdout: string }) => error);
    expect(broken).toMatchObject({ code: 1 });
    const output = (broken as { stdout: string }).stdout;
    expect(output).toMatch(/^✗ Workers: no worker polls .*-nobody\n {2}→ start `hr-okta-sync worker`/m);
    expect(output).toMatch(/^✗ Okta: .*401.*\n {2}→ check okta\.orgUrl/m);
    expect(output).not.toContain('wrong-token');
    expect(output).toContain('2 check(s) failed.');
  });

  it('drains and exits with code 0 on SIGTERM', async () => {
    worker.kill('SIGTERM');
    // Nothing is in flight, so the drain takes far less than the 5 s grace time.
    const exit = await waitFor(
      () => (worker.exitCode === null ? undefined : { code: worker.exitCode }),
      'the worker to exit after SIGTERM',
      15_000,
    );
    expect(exit.code).toBe(0);
    expect(jsonLines(workerLog).some((l) => l.msg === 'Worker stopped')).toBe(true);
  });
});

/** The messages of an error and of its causes, outermost first. */
function causes(error: unknown): string[] {
  const messages: string[] = [];
  for (let e = error as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    messages.push(String(e.message));
  }
  return messages;
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** Every payload in a history, except under the keys named (search attributes are indexed, never encoded). */
function payloadsOf(value: unknown, skip: string[]): Payload[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return [];
  if (Array.isArray(value)) return value.flatMap((v) => payloadsOf(v, skip));
  const record = value as Record<string, unknown>;
  if (record.metadata && typeof record.metadata === 'object' && 'data' in record) return [record];
  return Object.entries(record).flatMap(([key, child]) => (skip.includes(key) ? [] : payloadsOf(child, skip)));
}

function toJson(payload: Payload): { metadata: Record<string, string>; data: string } {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(payload.data ?? []).toString('base64'),
  };
}
