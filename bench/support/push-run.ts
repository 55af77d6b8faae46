import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { IdentitySourceClient } from '../../activities/okta/identity-source-client.ts';
import { RateLimitPacer, type PacerOptions } from '../../activities/okta/rate-limit-pacer.ts';
import { OKTA_LIMITS, serializeBody } from '../../activities/okta/bulk-requests.ts';
import { openStateStore } from '../../activities/store/open.ts';
import type { NewPlan, PlannedUpsert, StateStore } from '../../activities/store/state-store.ts';
import type { BenchEmulator } from './emulator-thread.ts';
import type { Durations } from '../../okta-emulator/index.ts';
import { createPushActivities } from '../../activities/push/push-activities.ts';
import { pushPlan } from '../../workflows/push-plan.ts';
import type { PushOptions, PushResult } from '../../contracts/push-messages.ts';
import { pushMetadata } from '../../contracts/workflow-summaries.ts';
import { historyEvents, runInProcessWorker } from './temporal-stack.ts';
import type { PushModelParameters } from './theoretical-minimum.ts';

export const OKTA_DURATIONS_REAL: Pick<
  Durations,
  'fiveMinuteRuleMs' | 'importProcessingMs' | 'importProcessingPerRecordMs' | 'rateLimitWindowMs'
> = {
  fiveMinuteRuleMs: 300_000,
  importProcessingMs: 10_000,
  importProcessingPerRecordMs: 5,
  rateLimitWindowMs: 60_000,
};

/** Okta's durations divided by `scale` (every one, so the ratios between them stay Okta's). */
export function scaledDurations(scale: number, overrides: Partial<typeof OKTA_DURATIONS_REAL> = {}) {
  const real = { ...OKTA_DURATIONS_REAL, ...overrides };
  return {
    fiveMinuteRuleMs: real.fiveMinuteRuleMs / scale,
    importProcessingMs: real.importProcessingMs / scale,
    importProcessingPerRecordMs: real.importProcessingPerRecordMs / scale,
    rateLimitWindowMs: real.rateLimitWindowMs / scale,
  };
}

/** The workflow's timings on the same scale as the emulator's: its 15 s poll and 30 s re-checks divided alike. */
export function scaledPushOptions(scale: number, durations: { fiveMinuteRuleMs: number }): PushOptions {
  return {
    pollIntervalMs: Math.max(50, 15_000 / scale),
    fiveMinuteRuleMs: durations.fiveMinuteRuleMs,
    blockedSessionPollMs: Math.max(100, 30_000 / scale),
  };
}

/** Item sizes of a list of upserts, as the layout measures them. */
export function upsertSizes(upserts: Iterable<PlannedUpsert>): PushModelParameters['operations'][number] {
  let items = 0;
  let itemBytes = 0;
  for (const { externalId, profile } of upserts) {
    items++;
    itemBytes += Buffer.byteLength(JSON.stringify({ externalId, profile })) + 1;
  }
  return { items, itemBytes, envelopeBytes: Buffer.byteLength(serializeBody('USER_UPSERT', [])) - 1 };
}

export function modelParameters(
  operations: PushModelParameters['operations'],
  durations: ReturnType<typeof scaledDurations>,
  rateLimit: { perWindow: number; share: number },
): PushModelParameters {
  return {
    operations,
    ...OKTA_LIMITS,
    ...durations,
    rateLimitPerWindow: rateLimit.perWindow,
    rateLimitShare: rateLimit.share,
  };
}

export interface OurSide {
  store: StateStore;
  client: Client;
  taskQueue: string;
  stop(): Promise<void>;
}

/**
 * An in-process worker on `taskQueue` with the real push activities: the state store, a Temporal client, and an Okta
 * client of its own on the emulator's first API token with a rate-limit pacer of its own (as a worker process has).
 * Resolves to what stops it.
 */
export function startPushWorker(
  server: { address: string; namespace: string },
  bundlePath: string,
  options: {
    taskQueue: string;
    store: StateStore;
    client: Client;
    emulator: Pick<BenchEmulator, 'url' | 'apiTokens'>;
    pacer: PacerOptions;
  },
): Promise<() => Promise<void>> {
  const okta = new IdentitySourceClient({
    orgUrl: options.emulator.url,
    credentials: { kind: 'ssws', token: options.emulator.apiTokens[0]!.token },
    pacer: new RateLimitPacer(options.pacer),
  });
  return runInProcessWorker(server, bundlePath, {
    taskQueue: options.taskQueue,
    activities: createPushActivities({ store: options.store, okta, temporal: options.client }),
    // Enough slots for the uploads in flight plus the import polling (of every source, when several share a queue).
    maxConcurrentActivityTaskExecutions: 100,
  });
}

/** A state store in a temp dir and an in-process worker with the real activities against the emulator. */
export async function startOurSide(
  server: { address: string; namespace: string },
  bundlePath: string,
  client: Client,
  emulator: Pick<BenchEmulator, 'url' | 'apiTokens'>,
  rateLimitShare: number,
): Promise<OurSide> {
  const dir = await mkdtemp(join(tmpdir(), 'hr-okta-sync-bench-'));
  const store = await openStateStore(`sqlite:${join(dir, 'state.db')}`);
  const taskQueue = `bench-${randomUUID()}`;
  const stopWorker = await startPushWorker(server, bundlePath, {
    taskQueue,
    store,
    client,
    emulator,
    pacer: { share: rateLimitShare },
  });
  return {
    store,
    client,
    taskQueue,
    async stop() {
      await stopWorker();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface PushMeasurement {
  wallMs: number;
  result: PushResult;
  historyEvents: number;
  requests: {
    total: number;
    bulk: number;
    control: number;
    rateLimited: number;
    byEndpoint: Record<string, unknown>;
    /** Time the emulator took to answer an upload (arrival to answer), to tell Okta's share of upload time. */
    bulkServiceMs: { p50: number; p95: number };
  };
}

/** Saves the plan, pushes it with the pushPlan workflow and measures what Okta saw. */
export async function pushAndMeasure(
  side: OurSide,
  emulator: Pick<BenchEmulator, 'requests'>,
  plan: NewPlan,
  options: PushOptions,
): Promise<PushMeasurement> {
  const saved = await side.store.savePlan(plan);
  const before = await emulator.requests();
  const seqBefore = before.total;
  const workflowId = `bench-push-${randomUUID()}`;
  const started = performance.now();
  const handle = await side.client.workflow.start(pushPlan, {
    taskQueue: side.taskQueue,
    workflowId,
    args: [{ planId: saved.planId, options }],
    ...pushMetadata(saved.planId, undefined, 'the push benchmark'),
  });
  const result = await handle.result();
  const wallMs = performance.now() - started;
  const logged = (await emulator.requests({ sinceSeq: seqBefore })).requests;
  const byEndpoint: Record<string, Record<string, number>> = {};
  for (const r of logged) {
    const counts = (byEndpoint[r.endpoint] ??= {});
    const key = r.dropped ? 'dropped' : String(r.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  const bulkLogged = logged.filter((r) => r.endpoint.startsWith('bulk-'));
  const bulk = bulkLogged.length;
  const service = bulkLogged.map((r) => r.durationMs).sort((a, b) => a - b);
  const percentile = (p: number) => service[Math.min(service.length - 1, Math.floor(p * service.length))] ?? 0;
  return {
    wallMs,
    result,
    historyEvents: await historyEvents(side.client, workflowId, handle.firstExecutionRunId),
    requests: {
      total: logged.length,
      bulk,
      control: logged.length - bulk,
      rateLimited: logged.filter((r) => r.status === 429).length,
      byEndpoint,
      bulkServiceMs: { p50: percentile(0.5), p95: percentile(0.95) },
    },
  };
}
