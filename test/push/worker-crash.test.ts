import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { pushPlan } from '../../workflows/push-plan.ts';
import { FAST_PUSH, people, savePlan, harnessForTest } from '../support/push-harness.ts';
import { uniqueWorkflowId } from '../support/temporal.ts';
import { waitFor } from '../support/wait-for.ts';

const CLI = fileURLToPath(new URL('../../cli/cli.ts', import.meta.url));

const workers: ChildProcess[] = [];
afterEach(() => {
  for (const worker of workers.splice(0)) if (worker.exitCode === null) worker.kill('SIGKILL');
});

/** The real worker command, in a process of its own that the test can kill. */
async function startWorkerProcess(configPath: string, token: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [CLI, 'worker', '--config', configPath, '--workflow-bundle', inject('workflowBundlePath')],
    { env: { ...process.env, CRASH_TEST_OKTA_TOKEN: token }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  workers.push(child);
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('Worker polling')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${output}`)));
  });
  return child;
}

describe('pushPlan across a worker crash', () => {
  it('resumes after SIGKILL mid-upload without a second session or re-sent chunks', async () => {
    const harness = await harnessForTest({
      noWorker: true,
      emulator: { faults: { latencyMs: { min: 40, max: 40 }, endpoints: ['bulk-upsert'] } },
    });
    const { store, client, taskQueue, emulator, identitySourceId, token, storeUrl } = harness;
    const dir = await mkdtemp(join(tmpdir(), 'hr-okta-sync-crash-'));
    const configPath = join(dir, 'config.yaml');
    await writeFile(
      configPath,
      stringify({
        temporal: { address: inject('temporalAddress'), namespace: inject('temporalNamespace'), taskQueue },
        okta: {
          orgUrl: emulator.url,
          identitySourceId,
          auth: { type: 'ssws', token: { env: 'CRASH_TEST_OKTA_TOKEN' } },
          rateLimitShare: 1,
        },
        store: { url: storeUrl },
        // Ports of its own: other test runs may share the machine.
        worker: { http: { port: 0 }, runtimeMetrics: false },
      }),
    );
    // 12,000 people: 60 requests of 200, in two sessions (50 + 10) under Okta's real limits.
    const plan = await savePlan(store, { identitySourceId, upserts: people(12_000), deactivations: ['emp-nobody'] });
    let worker = await startWorkerProcess(configPath, token);
    const handle = await client.workflow.start(pushPlan, {
      taskQueue,
      workflowId: uniqueWorkflowId('push-crash'),
      args: [{ planId: plan.planId, options: FAST_PUSH }],
    });

    await waitFor(
      () => emulator.requests({ endpoint: 'bulk-upsert', status: 202 }).requests.length >= 20,
      '20 uploads',
    );
    worker.kill('SIGKILL');
    await new Promise((resolve) => worker.once('exit', resolve));
    const uploadsAtCrash = emulator.requests({ endpoint: 'bulk-upsert', status: 202 }).requests.length;
    expect(uploadsAtCrash).toBeLessThan(50);
    worker = await startWorkerProcess(configPath, token);

    const result = await handle.result();

    expect(result.totals).toMatchObject({ recordsApplied: 12_001, requestsUploaded: 61 });
    const sessions = emulator.sessions({ identitySourceId });
    expect(sessions.every((s) => s.status === 'COMPLETED')).toBe(true);
    // Two sessions as laid out; three when uploads in flight at the kill were applied, re-sent, and so filled the first
    // session (its last request then went into a session of its own). Never one the run does not account for.
    expect(sessions.map((s) => s.id)).toEqual(result.sessions.map((s) => s.sessionId));
    expect(sessions.length).toBeLessThanOrEqual(3);
    expect(sessions.every((s) => s.bulkRequests <= 50)).toBe(true);
    expect(sessions.map((s) => s.bulkRequests).reduce((a, b) => a + b)).toBeLessThanOrEqual(
      61 + FAST_PUSH.uploadConcurrency!,
    );
    const users = emulator.users({ identitySourceId });
    expect(users).toHaveLength(12_000);
    expect(
      users.every((u) => u.status === 'ACTIVE' && u.profile.userName === `person${u.externalId.slice(4)}@example.com`),
    ).toBe(true);
    expect(await store.countConfirmedUsers(identitySourceId)).toEqual({ active: 12_000, deactivated: 1 });
  });
});
