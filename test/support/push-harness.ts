import { randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { onTestFinished } from 'vitest';
import type { Worker } from '@temporalio/worker';
import { IdentitySourceClient } from '../../activities/okta/identity-source-client.ts';
import { RateLimitPacer } from '../../activities/okta/rate-limit-pacer.ts';
import type { LayoutLimits } from '../../activities/okta/bulk-requests.ts';
import { openStateStore } from '../../activities/store/open.ts';
import type { NewPlan, PlannedUpsert, StateStore } from '../../activities/store/state-store.ts';
import { startOktaEmulator, type OktaEmulator } from '../../okta-emulator/index.ts';
import type { OktaEmulatorOptions } from '../../okta-emulator/index.ts';
import { loadSyncConfig, type SyncConfig } from '../../activities/mapping/config.ts';
import { createActivities, type ActivityDeps } from '../../worker/activities.ts';
import {
  coordinatorWorkflowId,
  type CoordinatorOptions,
  type SyncInput,
  type SyncSummary,
} from '../../contracts/sync-messages.ts';
import { sync } from '../../workflows/sync.ts';
import type { PushOptions } from '../../contracts/push-messages.ts';
import { testClient, testWorker, uniqueTaskQueue, uniqueWorkflowId } from './temporal.ts';

/** Okta's rules on a scale that tests can wait out: five minutes become 1.5 s, an import 150 ms. */
export const FAST_OKTA: OktaEmulatorOptions['durations'] = {
  fiveMinuteRuleMs: 1_500,
  importProcessingMs: 150,
  importProcessingPerRecordMs: 0,
  rateLimitWindowMs: 60_000,
};

/** The workflow's matching timings. */
export const FAST_PUSH: PushOptions = {
  pollIntervalMs: 100,
  fiveMinuteRuleMs: 1_500,
  blockedSessionPollMs: 200,
  heartbeatTimeoutMs: 2_000,
  uploadConcurrency: 4,
  // Sessions of the example export (52 people) are read back whole.
  readBackSample: 100,
};

/**
 * The coordinator's timings on the same scale. Plans go through import sessions, whatever their size: the tests of
 * the single-record fast path (test/sync/fast-path.test.ts) turn it on with FAST_PATH_COORDINATOR.
 */
export const FAST_COORDINATOR: CoordinatorOptions = {
  hrEventQuietMs: 300,
  hrEventMaxDelayMs: 2_000,
  approvalTimeoutMs: 60_000,
  fastPathMaxPeople: 0,
  push: FAST_PUSH,
};

/** FAST_COORDINATOR with the fast path as configured by default: plans of up to 20 people go person by person. */
export const FAST_PATH_COORDINATOR: CoordinatorOptions = { ...FAST_COORDINATOR, fastPathMaxPeople: 20 };

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));

export interface PushHarness {
  emulator: OktaEmulator;
  /** A folder of the test's own holding a copy of examples/ (hr-export.csv, hr-okta-sync.yaml). */
  dir: string;
  hrExportPath: string;
  syncConfig: SyncConfig;
  activityDeps: ActivityDeps;
  identitySourceId: string;
  token: string;
  store: StateStore;
  storeUrl: string;
  client: Client;
  taskQueue: string;
  worker: Worker;
  okta: IdentitySourceClient;
  close(): Promise<void>;
}

/** A harness for the running test, closed once the test has finished (passed or failed), after its afterEach hooks. */
export async function harnessForTest(options: Parameters<typeof startPushHarness>[0] = {}): Promise<PushHarness> {
  const harness = await startPushHarness(options);
  onTestFinished(() => harness.close());
  return harness;
}

export async function startPushHarness(
  options: {
    emulator?: OktaEmulatorOptions;
    layoutLimits?: LayoutLimits;
    rateLimitShare?: number;
    /** Start no in-process worker (a test that runs the worker in a child process). */
    noWorker?: boolean;
    /** The coordinator's options (default FAST_COORDINATOR). */
    coordinator?: CoordinatorOptions;
  } = {},
): Promise<PushHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'hr-okta-sync-push-'));
  for (const file of ['hr-export.csv', 'hr-okta-sync.yaml']) await copyFile(join(EXAMPLES, file), join(dir, file));
  const syncConfig = await loadSyncConfig(join(dir, 'hr-okta-sync.yaml'));
  const emulator = await startOktaEmulator({
    // An identity source of the test's own: the coordinator's workflow id derives from it.
    identitySources: [
      {
        id: `0oa${randomUUID().replace(/-/g, '').slice(0, 17)}`,
        customAttributes: syncConfig.mapping.customAttributes,
      },
    ],
    ...options.emulator,
    durations: { ...FAST_OKTA, ...options.emulator?.durations },
  });
  const identitySourceId = emulator.identitySources()[0]!.id;
  const token = emulator.apiTokens[0]!.token;
  const storeUrl = `sqlite:${join(dir, 'state.db')}`;
  const store = await openStateStore(storeUrl);
  await store.migrate();
  const client = await testClient();
  const okta = new IdentitySourceClient({
    orgUrl: emulator.url,
    credentials: { kind: 'ssws', token },
    pacer: new RateLimitPacer({ share: options.rateLimitShare ?? 1 }),
    requestTimeoutMs: 5_000,
  });
  const taskQueue = uniqueTaskQueue('push');
  const activityDeps: ActivityDeps = {
    store,
    okta,
    temporal: client,
    syncConfig,
    defaults: { identitySourceId, taskQueue, coordinator: options.coordinator ?? FAST_COORDINATOR },
    ...(options.layoutLimits ? { layoutLimits: options.layoutLimits } : {}),
  };
  const worker = options.noWorker
    ? undefined
    : await testWorker({ taskQueue, activities: createActivities(activityDeps) });
  const running = worker?.run();
  return {
    emulator,
    dir,
    hrExportPath: join(dir, 'hr-export.csv'),
    syncConfig,
    activityDeps,
    identitySourceId,
    token,
    store,
    storeUrl,
    client,
    taskQueue,
    worker: worker!,
    okta,
    async close() {
      // The coordinator idles for an hour after its last request; it has no worker once this test ends.
      await client.workflow
        .getHandle(coordinatorWorkflowId(identitySourceId))
        .terminate('test finished')
        .catch(() => undefined);
      if (worker) {
        worker.shutdown();
        await running;
      }
      await store.close();
      await emulator.stop();
      await client.connection.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** People with realistic profiles; `variant` changes every profile so that a second plan updates them all. */
export function people(count: number, options: { from?: number; variant?: string } = {}): PlannedUpsert[] {
  const from = options.from ?? 0;
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    const profile = {
      userName: `person${n}@example.com`,
      email: `person${n}@example.com`,
      firstName: `First${n}`,
      lastName: `Last${n}${options.variant ?? ''}`,
    };
    return { externalId: `emp-${n}`, profile, fingerprint: `${n}:${options.variant ?? ''}` };
  });
}

export async function savePlan(store: StateStore, plan: Omit<NewPlan, 'mode'> & { mode?: NewPlan['mode'] }) {
  return store.savePlan({ mode: 'delta', ...plan });
}

/** Small sessions so that several-session runs stay quick: 3 requests of at most 5 records each. */
export const SMALL_SESSIONS: LayoutLimits = { entitiesPerRequest: 5, bytesPerRequest: 200_000, requestsPerSession: 3 };

/** Runs the `sync` workflow on the harness (as the Web UI or the CLI would) and returns its summary. */
export async function runSync(h: PushHarness, input: SyncInput = {}): Promise<SyncSummary> {
  return (await h.client.workflow.execute(sync, {
    taskQueue: h.taskQueue,
    workflowId: uniqueWorkflowId('sync'),
    args: [input],
  })) as SyncSummary;
}
