/**
 * Benchmark 2: push a change set through the emulator under Okta's limits (durations scaled down by --scale) and
 * compare wall time and requests with the theoretical minimum computed from the same parameters.
 *
 *   node bench/push.ts [--records 100000] [--scale 20] [--upload-concurrency N] [--preset enterprise,free-org]
 *                      [--emulator thread|in-process] [--read-back-sample N] [--read-back-max N]
 *
 * Without --upload-concurrency (--read-back-*) the workflow's default is used; --read-back-max 0 turns read-back off. The emulator runs in a thread of its own by default, so
 * that Okta's work does not run on the event loop of the worker being measured.
 */
import { parseArgs } from 'node:util';
import { startOktaEmulator, type OktaEmulatorOptions } from '../okta-emulator/index.ts';
import { inProcess, startEmulatorInThread } from './support/emulator-thread.ts';
import { CUSTOM_ATTRIBUTES, plannedPeople } from './support/hr-people.ts';
import type { OKTA_DURATIONS_REAL } from './support/push-run.ts';
import {
  modelParameters,
  pushAndMeasure,
  scaledDurations,
  scaledPushOptions,
  startOurSide,
  upsertSizes,
} from './support/push-run.ts';
import { printTable, saveResult, seconds } from './support/report.ts';
import { connectClient, startTemporal, writeWorkflowBundle } from './support/temporal-stack.ts';
import { pushMinimum } from './support/theoretical-minimum.ts';

interface Preset {
  name: string;
  what: string;
  perWindow: number;
  share: number;
  /** Okta durations before scaling, where they differ from Okta's. */
  real?: Partial<typeof OKTA_DURATIONS_REAL>;
  /** Records, when the preset uses fewer than --records to stay short. */
  records?: number;
}

const PRESETS: Preset[] = [
  {
    name: 'enterprise',
    what: "Okta's durations, a 600/min bucket all ours (share 1.0): imports and the five-minute rule dominate",
    perWindow: 600,
    share: 1,
  },
  {
    name: 'free-org',
    what: 'a 100/min bucket at the default 50 % share: the rate limit dominates',
    perWindow: 100,
    share: 0.5,
  },
  {
    name: 'slow-import',
    what: 'imports of 40 ms a record (a 10k session takes 6.8 min, past the five-minute rule): sessions pipeline',
    perWindow: 600,
    share: 1,
    real: { importProcessingPerRecordMs: 40 },
    records: 30_000,
  },
];

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    scale: { type: 'string', default: '20' },
    'upload-concurrency': { type: 'string' },
    preset: { type: 'string', default: 'enterprise,free-org,slow-import' },
    emulator: { type: 'string', default: 'thread' },
    'read-back-sample': { type: 'string' },
    'read-back-max': { type: 'string' },
  },
});
const scale = Number(values.scale);
if (values.emulator !== 'thread' && values.emulator !== 'in-process') {
  throw new Error(`--emulator is thread or in-process, not ${values.emulator}`);
}
const startEmulator = (options: OktaEmulatorOptions) =>
  values.emulator === 'thread' ? startEmulatorInThread(options) : startOktaEmulator(options).then(inProcess);
const uploadConcurrency = values['upload-concurrency'] === undefined ? undefined : Number(values['upload-concurrency']);
const readBack = {
  ...(values['read-back-sample'] === undefined ? {} : { readBackSample: Number(values['read-back-sample']) }),
  ...(values['read-back-max'] === undefined ? {} : { readBackMaxPerSession: Number(values['read-back-max']) }),
};
const chosen = values.preset.split(',').map((name) => {
  const preset = PRESETS.find((p) => p.name === name);
  if (!preset) throw new Error(`unknown preset ${name}; known: ${PRESETS.map((p) => p.name).join(', ')}`);
  return preset;
});

const server = await startTemporal();
const client = await connectClient(server);
const bundlePath = await writeWorkflowBundle();
const results = [];
try {
  for (const preset of chosen) {
    const records = preset.records ?? Number(values.records);
    const durations = scaledDurations(scale, preset.real);
    const emulator = await startEmulator({
      identitySources: [{ id: '0oabenchpush', customAttributes: CUSTOM_ATTRIBUTES }],
      durations,
      rateLimit: { perWindow: preset.perWindow, concurrency: 75 },
    });
    const side = await startOurSide(server, bundlePath, client, emulator, preset.share);
    try {
      const minimum = pushMinimum(
        modelParameters([upsertSizes(plannedPeople(records))], durations, {
          perWindow: preset.perWindow,
          share: preset.share,
        }),
      );
      console.error(`${preset.name}: pushing ${records} records (minimum ${seconds(minimum.wallMs)} s)…`);
      const measured = await pushAndMeasure(
        side,
        emulator,
        {
          identitySourceId: '0oabenchpush',
          mode: 'delta',
          upserts: plannedPeople(records),
          deactivations: [],
        },
        {
          ...scaledPushOptions(scale, durations),
          ...(uploadConcurrency === undefined ? {} : { uploadConcurrency }),
          ...readBack,
        },
      );
      const users = await emulator.users({ identitySourceId: '0oabenchpush' });
      if (users.length !== records || users.some((u) => u.status !== 'ACTIVE')) {
        throw new Error(`${preset.name}: the emulator holds ${users.length} users, expected ${records} active`);
      }
      results.push({
        preset: preset.name,
        what: preset.what,
        records,
        scale,
        durations,
        rateLimit: { perWindow: preset.perWindow, share: preset.share },
        uploadConcurrency: uploadConcurrency ?? 'default',
        readBack,
        emulator: values.emulator,
        minimum,
        measured: {
          ...measured,
          result: { totals: measured.result.totals, sessions: measured.result.sessions.length },
        },
        ratio: measured.wallMs / minimum.wallMs,
        timeline: timeline(
          await emulator.sessions({ identitySourceId: '0oabenchpush' }),
          (await emulator.requests()).requests,
          measured.wallMs,
        ),
      });
    } finally {
      await side.stop();
      await emulator.stop();
    }
  }
} finally {
  await client.connection.close();
  await server.stop();
}

printTable(
  `Push through the emulator (${values.emulator}), Okta's durations ÷ ${scale}, uploadConcurrency ${uploadConcurrency ?? "the workflow's default"}, read-back ${JSON.stringify(readBack)}`,
  results.map((r) => ({
    preset: r.preset,
    records: r.records,
    sessions: r.minimum.sessions,
    'wall s': seconds(r.measured.wallMs),
    'min s': seconds(r.minimum.wallMs),
    'ratio ×': r.ratio.toFixed(2),
    'bulk req': r.measured.requests.bulk,
    'min bulk': r.minimum.bulkRequests,
    'all req': r.measured.requests.total,
    'min all': r.minimum.requests,
    '429s': r.measured.requests.rateLimited,
    'read back': r.measured.result.totals.recordsReadBack ?? 0,
    'history ev': r.measured.historyEvents,
    'bound: imports s': seconds(r.minimum.bounds.importsMs),
    'bound: rate s': seconds(r.minimum.bounds.rateLimitMs),
    'okta ms/upload p50': r.measured.requests.bulkServiceMs.p50,
  })),
);
printTable(
  'Where the time went (s): Okta processing imports vs Okta idle, waiting for the client',
  results.map((r) => ({ preset: r.preset, ...r.timeline.summary })),
);
console.log(`\nJSON: ${await saveResult('push', { results })}`);

/**
 * Splits a run by what Okta was doing, from the emulator's own session records: processing an import, or idle
 * between the previous import's end and the next trigger (the client noticing, opening and uploading). The uploads
 * are split further by the request log: from the create to the first upload's arrival, from there to the last
 * upload's answer, and from that answer to the trigger.
 */
function timeline(
  sessions: {
    id: string;
    created: string;
    triggeredAt?: string;
    processingStartsAt?: string;
    processingEndsAt?: string;
  }[],
  requests: { time: string; durationMs: number; endpoint: string; sessionId?: string }[],
  wallMs: number,
) {
  const at = (iso: string | undefined) => (iso ? Date.parse(iso) : NaN);
  let processing = 0;
  let noticeAndOpen = 0;
  let upload = 0;
  let queued = 0;
  let toFirstUpload = 0;
  let uploading = 0;
  let toTrigger = 0;
  let previousEnd: number | undefined;
  const perSession = sessions.map((s) => {
    const created = at(s.created);
    const triggered = at(s.triggeredAt);
    const start = at(s.processingStartsAt);
    const end = at(s.processingEndsAt);
    processing += end - start;
    upload += triggered - created;
    queued += start - triggered;
    const gap = previousEnd === undefined ? 0 : Math.max(0, created - previousEnd);
    noticeAndOpen += gap;
    previousEnd = end;
    const uploads = requests.filter((r) => r.sessionId === s.id && r.endpoint.startsWith('bulk-'));
    const firstArrival = Math.min(...uploads.map((r) => at(r.time)));
    const lastAnswer = Math.max(...uploads.map((r) => at(r.time) + r.durationMs));
    if (uploads.length > 0) {
      toFirstUpload += firstArrival - created;
      uploading += lastAnswer - firstArrival;
      toTrigger += triggered - lastAnswer;
    }
    return {
      openAfterPreviousMs: gap,
      uploadMs: triggered - created,
      toFirstUploadMs: firstArrival - created,
      uploadingMs: lastAnswer - firstArrival,
      toTriggerMs: triggered - lastAnswer,
      processingMs: end - start,
    };
  });
  return {
    summary: {
      wall: seconds(wallMs),
      'okta processing': seconds(processing),
      'uploads (Σ per session)': seconds(upload),
      '· create → 1st upload': seconds(toFirstUpload),
      '· uploading': seconds(uploading),
      '· last answer → trigger': seconds(toTrigger),
      'notice + open after an import': seconds(noticeAndOpen),
      'queued behind an import': seconds(queued),
    },
    perSession,
  };
}
