/**
 * Scale benchmark: N identity sources of one org push 20k changes each at the same time through ONE rate-limit bucket
 * (Okta's org-wide /api/v1 bucket), with 1 and 3 workers; wall time and requests against the shared-bucket theoretical
 * minimum (bench/support/shared-bucket-minimum.ts). Beside each run, a small urgent change (one leaver, on a source of
 * its own) starts while the bucket is contended: its time to COMPLETED is set against the same change on an idle org.
 *
 *   node bench/scale.ts [--sources 1,4,16] [--workers 1,3] [--records 20000] [--scale 5] [--per-window 600]
 *                       [--share 1] [--urgent-after-ms <rate window / 6>] [--upload-concurrency N] [--max-in-flight 24]
 *                       [--store <url>]
 *
 * Each worker caps its Okta requests in flight at --max-in-flight (the worker's okta.maxConcurrentRequests default).
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { NewPlan } from '../activities/store/state-store.ts';
import type { PushOptions } from '../contracts/push-messages.ts';
import { pushMetadata } from '../contracts/workflow-summaries.ts';
import { pushPlan } from '../workflows/push-plan.ts';
import { withDefaults } from '../workflows/push/options.ts';
import { startEmulatorInThread, type BenchEmulator } from './support/emulator-thread.ts';
import { CUSTOM_ATTRIBUTES, externalIdOf, plannedPeople } from './support/hr-people.ts';
import { modelParameters, scaledDurations, scaledPushOptions, upsertSizes, type OurSide } from './support/push-run.ts';
import { printTable, saveResult, seconds } from './support/report.ts';
import { sharedBucketMinimum, type SourceLoad } from './support/shared-bucket-minimum.ts';
import { connectClient, startTemporal, writeWorkflowBundle } from './support/temporal-stack.ts';
import { startWorkerPool } from './support/worker-pool.ts';

const { values } = parseArgs({
  options: {
    sources: { type: 'string', default: '1,4,16' },
    workers: { type: 'string', default: '1,3' },
    records: { type: 'string', default: '20000' },
    scale: { type: 'string', default: '5' },
    'per-window': { type: 'string', default: '600' },
    share: { type: 'string', default: '1' },
    'urgent-after-ms': { type: 'string' },
    store: { type: 'string' },
    'upload-concurrency': { type: 'string' },
    'max-in-flight': { type: 'string', default: '24' },
  },
});
const list = (v: string) => v.split(',').map(Number);
const records = Number(values.records);
const scale = Number(values.scale);
const perWindow = Number(values['per-window']);
const share = Number(values.share);
const durations = scaledDurations(scale);
const urgentAfterMs = values['urgent-after-ms'] ? Number(values['urgent-after-ms']) : durations.rateLimitWindowMs / 6;
const pushOptions: PushOptions = {
  ...scaledPushOptions(scale, durations),
  ...(values['upload-concurrency'] ? { uploadConcurrency: Number(values['upload-concurrency']) } : {}),
};
const URGENT_SOURCE = '0oascaleurgent';
const bigSourceId = (i: number) => `0oascale${String(i).padStart(3, '0')}`;

const server = await startTemporal();
const client = await connectClient(server);
const bundlePath = await writeWorkflowBundle();
const results = [];
try {
  for (const sources of list(values.sources)) {
    for (const workers of list(values.workers)) results.push(await measure(sources, workers));
  }
} finally {
  await client.connection.close();
  await server.stop();
}

printTable(
  `${records} changes per identity source, one org bucket of ${perWindow} a window (share ${share}), Okta's durations ÷ ${scale}`,
  results.map((r) => ({
    sources: r.sources,
    workers: r.workers,
    'wall s': seconds(r.wallMs),
    'min s': seconds(r.minimum.wallMs),
    'ratio ×': r.ratio.toFixed(2),
    requests: r.requests.total,
    'min req': r.minimum.requests,
    'bulk req': r.requests.bulk,
    'min bulk': r.minimum.bulkRequests,
    'read-backs': r.requests.readBacks,
    'min reads': r.minimum.readBacks,
    '429s': r.requests.rateLimited,
    'bound: rate s': seconds(r.minimum.bounds.rateLimitMs),
    'bound: imports s': seconds(r.minimum.bounds.importsMs),
    'slowest / fastest source s': `${seconds(r.perSource.slowestMs)} / ${seconds(r.perSource.fastestMs)}`,
  })),
);
printTable(
  `Fair sharing: one leaver on a source of its own, started ${seconds(urgentAfterMs)} s into the big push`,
  results.map((r) => ({
    sources: r.sources,
    workers: r.workers,
    'leaver alone s': seconds(r.urgent.aloneMs),
    'leaver during push s': seconds(r.urgent.contendedMs),
    'its requests': r.urgent.requests,
    'its 429s': r.urgent.rateLimited,
    'big push wall s': seconds(r.wallMs),
    'rate window s': seconds(durations.rateLimitWindowMs),
  })),
);
console.log(`\nJSON: ${await saveResult('scale', { records, scale, perWindow, share, durations, results })}`);

async function measure(sources: number, workers: number) {
  const ids = Array.from({ length: sources }, (_, i) => bigSourceId(i));
  const emulator = await startEmulatorInThread({
    identitySources: [...ids, URGENT_SOURCE].map((id) => ({ id, customAttributes: CUSTOM_ATTRIBUTES })),
    durations,
    rateLimit: { perWindow, concurrency: 75 },
    requestLogLimit: 200_000,
  });
  const side = await startWorkerPool(server, bundlePath, client, emulator, {
    workers,
    rateLimitShare: share,
    maxInFlight: Number(values['max-in-flight']),
    ...(values.store ? { storeUrl: values.store } : {}),
  });
  try {
    // Two people on the urgent source, then one of them leaves on an idle org: the figure to compare with. (A push
    // ends with its import COMPLETED, so the five-minute rule does not hold the next one.)
    await push(side, { identitySourceId: URGENT_SOURCE, upserts: plannedPeople(2), deactivations: [] });
    const alone = await push(side, { identitySourceId: URGENT_SOURCE, upserts: [], deactivations: [externalIdOf(0)] });

    const plans = await Promise.all(
      ids.map((identitySourceId) =>
        side.store.savePlan({ identitySourceId, mode: 'delta', upserts: plannedPeople(records), deactivations: [] }),
      ),
    );
    const model = modelParameters([upsertSizes(plannedPeople(records))], durations, { perWindow, share });
    const { operations, ...rules } = model;
    // The push reads a sample of each COMPLETED session back (pushPlan's defaults): part of its minimum too.
    const { readBackSample, readBackMaxPerSession } = withDefaults(pushOptions);
    const bucket = { ...rules, readBack: { sample: readBackSample, maxPerSession: readBackMaxPerSession } };
    const minimum = sharedBucketMinimum(
      ids.map((): SourceLoad => ({ operations })),
      bucket,
    );
    console.error(`${sources} source(s), ${workers} worker(s): minimum ${seconds(minimum.wallMs)} s…`);
    const seqBefore = (await emulator.requests()).total;
    const started = performance.now();
    const bigPushes = plans.map((plan) => start(side, plan.planId).then(() => performance.now() - started));
    await new Promise((resolve) => setTimeout(resolve, urgentAfterMs));
    const urgent = push(side, { identitySourceId: URGENT_SOURCE, upserts: [], deactivations: [externalIdOf(1)] });
    const ends = await Promise.all(bigPushes);
    const wallMs = Math.max(...ends);
    const contended = await urgent;

    await checkDirectory(emulator, ids);
    const logged = (await emulator.requests({ sinceSeq: seqBefore })).requests;
    const big = logged.filter((r) => r.identitySourceId !== URGENT_SOURCE);
    const mine = logged.filter((r) => r.identitySourceId === URGENT_SOURCE);
    return {
      sources,
      workers,
      wallMs,
      minimum: { ...minimum, sources: undefined },
      ratio: wallMs / minimum.wallMs,
      perSource: { slowestMs: Math.max(...ends), fastestMs: Math.min(...ends) },
      requests: {
        total: big.length,
        bulk: big.filter((r) => r.endpoint.startsWith('bulk-')).length,
        readBacks: big.filter((r) => r.endpoint === 'get-user').length,
        rateLimited: big.filter((r) => r.status === 429).length,
        byEndpoint: Object.fromEntries(
          [...Map.groupBy(big, (r) => `${r.endpoint} ${r.status}`)].map(([key, rs]) => [key, rs.length]),
        ),
      },
      urgent: {
        aloneMs: alone,
        contendedMs: contended,
        requests: mine.length,
        rateLimited: mine.filter((r) => r.status === 429).length,
      },
    };
  } finally {
    await side.stop();
    await emulator.stop();
  }
}

/** Starts a push of a saved plan and resolves with its result. */
async function start(side: OurSide, planId: string) {
  const handle = await side.client.workflow.start(pushPlan, {
    taskQueue: side.taskQueue,
    workflowId: `bench-scale-${randomUUID()}`,
    args: [{ planId, options: pushOptions }],
    ...pushMetadata(planId, undefined, 'the scale benchmark'),
  });
  return handle.result();
}

/** Saves and pushes a small plan; resolves with the time from the start to the result (ms). */
async function push(side: OurSide, plan: Omit<NewPlan, 'mode'>): Promise<number> {
  const started = performance.now();
  const saved = await side.store.savePlan({ ...plan, mode: 'delta' });
  await start(side, saved.planId);
  return performance.now() - started;
}

async function checkDirectory(emulator: BenchEmulator, ids: string[]): Promise<void> {
  for (const identitySourceId of ids) {
    const users = await emulator.users({ identitySourceId });
    if (users.length !== records || users.some((u) => u.status !== 'ACTIVE'))
      throw new Error(`${identitySourceId} holds ${users.length} users, expected ${records} active`);
  }
  const urgent = await emulator.users({ identitySourceId: URGENT_SOURCE });
  if (urgent.length !== 2 || urgent.some((u) => u.status !== 'DEACTIVATED'))
    throw new Error(
      `${URGENT_SOURCE}: expected both people deactivated, found ${urgent.map((u) => u.status).join(', ')}`,
    );
}
