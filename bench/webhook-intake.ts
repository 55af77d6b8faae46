/**
 * Benchmark 4: HR webhook intake. The stack `npm start` runs (Temporal dev server, Okta emulator with Okta's durations
 * ÷ --scale, the worker, a SQLite store, the sample sync config, the webhook receiver on a real socket), fed signed
 * Standard Webhooks deliveries from a worker thread.
 *
 * A. Intake: --events joiners (one event per delivery, distinct people) at each --concurrency, then --duplicates of
 *    them re-sent: accepted events/s, latency p50/p95/p99/max, non-2xx answers, and signals per delivery.
 * B. End to end: from an event's 202 to the COMPLETED of the Okta import session that carried it, for one event on
 *    an idle coordinator (--samples times) and for a burst of --burst events, split into debounce, planning, session,
 *    uploads and import.
 *
 * B runs first, on a coordinator with a short history; A's thousands of signals lengthen it (concurrency 1 last: it
 * sends the most signals). Every event's person must end ACTIVE in the emulator, every answer must be the expected
 * one and the signals must count exactly the new events; else it fails, after printing what it measured.
 *
 *   node bench/webhook-intake.ts [--events 2000] [--concurrency 64,16,1] [--duplicates 200] [--scale 20]
 *     [--quiet-ms 10000] [--max-delay-ms 60000] [--samples 3] [--burst 200] [--burst-concurrency 16]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { coordinatorStatus } from '../client/sync-client.ts';
import { sync } from '../workflows/sync.ts';
import type { SyncSummary } from '../contracts/sync-messages.ts';
import { syncMetadata } from '../contracts/workflow-summaries.ts';
import { printTable, saveResult, seconds } from './support/report.ts';
import { connectClient, startTemporal, writeWorkflowBundle } from './support/temporal-stack.ts';
import { quantile, sendDeliveries, type Delivery, type DeliveryResult } from './support/webhook-load.ts';
import { startWebhookStack, type WebhookStack } from './support/webhook-stack.ts';
import { hrSignals, syncTimeline, type SyncTimeline } from './support/webhook-timeline.ts';
import { timeReceiverCalls } from './support/webhook-spans.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '64,16,1' },
    duplicates: { type: 'string', default: '200' },
    scale: { type: 'string', default: '20' },
    'quiet-ms': { type: 'string', default: '10000' },
    'max-delay-ms': { type: 'string', default: '60000' },
    samples: { type: 'string', default: '3' },
    burst: { type: 'string', default: '200' },
    'burst-concurrency': { type: 'string', default: '16' },
    'okta-activities-per-second': { type: 'string', default: '4' },
  },
});
const eventsPerLevel = Number(values.events);
const levels = values.concurrency.split(',').map(Number);
const duplicateCount = Math.min(Number(values.duplicates), eventsPerLevel);
const scale = Number(values.scale);
const samples = Number(values.samples);
const burstSize = Number(values.burst);
const burstConcurrency = Number(values['burst-concurrency']);
const parameters = {
  eventsPerLevel,
  concurrency: levels,
  duplicates: duplicateCount,
  scale,
  hrEventQuietMs: Number(values['quiet-ms']),
  hrEventMaxDelayMs: Number(values['max-delay-ms']),
  oktaActivitiesPerSecond: Number(values['okta-activities-per-second']),
  samples,
  burst: burstSize,
  burstConcurrency,
  receiverLogLevel: 'info' as const,
};

const DEPARTMENTS = ['Engineering', 'Sales', 'Marketing', 'People', 'Finance', 'Customer Success', 'IT'];
const hireDate = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
let nextPerson = 1;

/** A joiner for a new person, as docs/webhooks.md shows it: one event per delivery, its id the delivery's too. */
function joiner(): { externalId: string; delivery: Delivery } {
  const n = nextPerson++;
  const externalId = `W${String(n).padStart(6, '0')}`;
  const eventId = `evt_bench_${externalId}`;
  const body = JSON.stringify({
    id: eventId,
    type: 'joiner',
    occurredAt: new Date().toISOString(),
    person: {
      externalId,
      record: {
        employee_id: externalId,
        first_name: `Ada${n}`,
        last_name: `Lovelace${n}`,
        work_email: `ada.lovelace.${n}@example.com`,
        department: DEPARTMENTS[n % DEPARTMENTS.length],
        job_title: 'Analyst',
        manager_id: 'E1001',
        status: 'Active',
        hire_date: hireDate,
        employment_type: 'Employee',
        location: 'London',
      },
    },
  });
  return { externalId, delivery: { webhookId: `msg_${eventId}`, body } };
}

const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  if (!ok) failures.push(what);
};

function latencies(results: DeliveryResult[]) {
  const sorted = results.map((r) => r.latencyMs).sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    p50: round(quantile(sorted, 0.5)),
    p95: round(quantile(sorted, 0.95)),
    p99: round(quantile(sorted, 0.99)),
    max: round(sorted.at(-1) ?? NaN),
  };
}

/** Waits for a condition, polling; fails the bench loudly after `timeoutMs`. */
async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs / 1000} s waiting for ${what}` +
          (lastQueryError ? ` (last coordinator query: ${lastQueryError})` : ''),
      );
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

let lastQueryError: string | undefined;

/** The coordinator has nothing waiting or running and the store no event pending. */
async function settled(stack: WebhookStack): Promise<boolean> {
  // The store first: it answers locally, while a query costs the coordinator a workflow task.
  if ((await stack.store.pendingHrEvents(stack.identitySourceId)).length > 0) return false;
  try {
    const status = await coordinatorStatus(stack.client, stack.identitySourceId);
    return status?.phase === 'idle' && status.queued.length === 0 && status.pendingHrEvents === 0;
  } catch (error) {
    lastQueryError = error instanceof Error ? error.message : String(error);
    return false;
  }
}

/** When each person was created in Okta (= its session's COMPLETED); fails the bench for anyone missing. */
function completedAt(stack: WebhookStack, externalIds: string[]): Map<string, number> {
  const users = new Map(
    stack.emulator.users({ identitySourceId: stack.identitySourceId }).map((u) => [u.externalId, u]),
  );
  const at = new Map<string, number>();
  for (const id of externalIds) {
    const user = users.get(id);
    check(user?.status === 'ACTIVE', `${id} is ${user ? user.status : 'missing'} in Okta, expected ACTIVE`);
    if (user) at.set(id, Date.parse(user.created));
  }
  return at;
}

/** Waits until the five-minute rule allows a new session, so that a sample starts on an idle Okta too. */
async function oktaIdle(stack: WebhookStack): Promise<void> {
  const lastTrigger = Math.max(
    0,
    ...stack.emulator
      .sessions({ identitySourceId: stack.identitySourceId })
      .map((s) => (s.triggeredAt ? Date.parse(s.triggeredAt) : 0)),
  );
  const wait = lastTrigger + stack.durations.fiveMinuteRuleMs + 200 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

const load = () => Math.round(loadavg()[0]! * 100) / 100;

const server = await startTemporal();
const bundlePath = await writeWorkflowBundle();
const client = await connectClient(server);
const stack = await startWebhookStack(server, bundlePath, {
  scale,
  hrEventQuietMs: parameters.hrEventQuietMs,
  hrEventMaxDelayMs: parameters.hrEventMaxDelayMs,
  oktaActivitiesPerSecond: parameters.oktaActivitiesPerSecond,
  receiverLogLevel: parameters.receiverLogLevel,
});
const spans = timeReceiverCalls(stack);
interface IntakeLevel {
  concurrency: number;
  events: number;
  wallMs: number;
  eventsPerSecond: number;
  latencyMs: ReturnType<typeof latencies>;
  non202: number;
  statuses: Record<string, number>;
  receiver: ReturnType<typeof spans.take>;
  loadAverage: { before: number; after: number };
  /** Signals the coordinator received for the level, and the events they counted. */
  signals?: number;
  signalledEvents?: number;
  coordinatorHistoryEvents?: number;
  /** Last 202 → every event applied and the coordinator idle again. */
  lastAcceptedToSettledMs?: number;
}
const intake: IntakeLevel[] = [];
const duplicates: {
  concurrency: number;
  repeats: number;
  wallMs: number;
  perSecond: number;
  latencyMs: ReturnType<typeof latencies>;
  notAnsweredAsDuplicate: number;
  signalsSent: number;
}[] = [];
const endToEnd: { what: string; events: number; loadAverage: number; perEventMs?: object; timeline: SyncTimeline }[] =
  [];

/** A. N distinct events at one concurrency, then repeats of some of them; waits until all are in Okta. */
async function intakeLevel(concurrency: number): Promise<void> {
  await oktaIdle(stack);
  const people = Array.from({ length: eventsPerLevel }, joiner);
  const before = await hrSignals(client, stack.coordinator);
  spans.reset();
  const loadBefore = load();
  console.error(`A: ${eventsPerLevel} events at concurrency ${concurrency}…`);
  const sent = await sendDeliveries({
    url: stack.receiver.url,
    secret: stack.secret,
    deliveries: people.map((p) => p.delivery),
    concurrency,
  });
  const receiverSpans = spans.take();
  const lastAccepted = Math.max(...sent.results.map((r) => r.answeredAt));
  const nonAccepted = sent.results.filter(
    (r) => r.status !== 202 || (JSON.parse(r.body) as { accepted?: number }).accepted !== 1,
  );
  check(nonAccepted.length === 0, `${nonAccepted.length} deliveries at concurrency ${concurrency} not answered 202`);
  const level: IntakeLevel = {
    concurrency,
    events: eventsPerLevel,
    wallMs: sent.wallMs,
    eventsPerSecond: (eventsPerLevel / sent.wallMs) * 1000,
    latencyMs: latencies(sent.results),
    non202: nonAccepted.length,
    statuses: Object.fromEntries(
      Object.entries(Object.groupBy(sent.results, (r) => String(r.status))).map(([k, v]) => [k, v?.length ?? 0]),
    ),
    receiver: receiverSpans,
    loadAverage: { before: loadBefore, after: load() },
  };
  intake.push(level);

  const repeats = people.slice(0, duplicateCount).map((p) => p.delivery);
  spans.reset();
  const again = await sendDeliveries({
    url: stack.receiver.url,
    secret: stack.secret,
    deliveries: repeats,
    concurrency,
  });
  const repeatSpans = spans.take();
  const notDuplicate = again.results.filter(
    (r) => r.status !== 200 || (JSON.parse(r.body) as { duplicates?: number }).duplicates !== 1,
  );
  check(notDuplicate.length === 0, `${notDuplicate.length} repeats at concurrency ${concurrency} not answered 200`);
  check(repeatSpans.signal.count === 0, `${repeatSpans.signal.count} signals sent for repeats`);
  duplicates.push({
    concurrency,
    repeats: repeats.length,
    wallMs: again.wallMs,
    perSecond: (repeats.length / again.wallMs) * 1000,
    latencyMs: latencies(again.results),
    notAnsweredAsDuplicate: notDuplicate.length,
    signalsSent: repeatSpans.signal.count,
  });

  console.error(`A: waiting for the ${eventsPerLevel} people to be imported…`);
  await waitFor(() => settled(stack), `the events of concurrency ${concurrency} to be applied`);
  level.lastAcceptedToSettledMs = Date.now() - lastAccepted;
  // Counted once the coordinator is idle: signals that arrive during a workflow task are buffered by Temporal and
  // reach the history only when the task ends.
  const after = await hrSignals(client, stack.coordinator);
  Object.assign(level, {
    signals: after.signals - before.signals,
    signalledEvents: after.events - before.events,
    coordinatorHistoryEvents: after.historyEvents,
  });
  check(
    after.events - before.events === eventsPerLevel,
    `concurrency ${concurrency}: signals counting ${after.events - before.events} events for ${eventsPerLevel} ` +
      `new events and ${duplicateCount} repeats (expected exactly the new ones)`,
  );
  completedAt(
    stack,
    people.map((p) => p.externalId),
  );
}

/** B. One event on an idle coordinator and an idle Okta. */
async function singleEvent(sample: number): Promise<void> {
  await waitFor(() => settled(stack), 'an idle coordinator');
  await oktaIdle(stack);
  const person = joiner();
  console.error(`B: one event (sample ${sample} of ${samples})…`);
  const [answer] = (
    await sendDeliveries({
      url: stack.receiver.url,
      secret: stack.secret,
      deliveries: [person.delivery],
      concurrency: 1,
    })
  ).results;
  check(answer?.status === 202, `sample ${sample}: answered ${answer?.status}`);
  await waitFor(() => settled(stack), `sample ${sample} to be applied`);
  const done = completedAt(stack, [person.externalId]).get(person.externalId);
  if (done === undefined) return;
  endToEnd.push({
    what: 'one event, idle coordinator',
    events: 1,
    loadAverage: load(),
    timeline: await syncTimeline(
      client,
      stack.coordinator,
      stack.emulator,
      stack.identitySourceId,
      answer!.answeredAt,
      done,
    ),
  });
}

/** B. A burst of events, sent together: one delta sync, one session. */
async function burst(): Promise<void> {
  await waitFor(() => settled(stack), 'an idle coordinator');
  await oktaIdle(stack);
  const people = Array.from({ length: burstSize }, joiner);
  console.error(`B: a burst of ${burstSize} events at concurrency ${burstConcurrency}…`);
  const sent = await sendDeliveries({
    url: stack.receiver.url,
    secret: stack.secret,
    deliveries: people.map((p) => p.delivery),
    concurrency: burstConcurrency,
  });
  check(
    sent.results.every((r) => r.status === 202),
    'a burst delivery was not answered 202',
  );
  await waitFor(() => settled(stack), 'the burst to be applied');
  const done = completedAt(
    stack,
    people.map((p) => p.externalId),
  );
  const perEvent = people
    .map((p, i) => (done.get(p.externalId) ?? NaN) - sent.results[i]!.answeredAt)
    .sort((a, b) => a - b);
  const lastAccepted = Math.max(...sent.results.map((r) => r.answeredAt));
  const sessionsCompleted = new Set(done.values());
  check(sessionsCompleted.size === 1, `the burst was carried by ${sessionsCompleted.size} sessions, expected 1`);
  endToEnd.push({
    what: `burst of ${burstSize} at concurrency ${burstConcurrency} (from the last 202)`,
    events: burstSize,
    loadAverage: load(),
    perEventMs: { p50: quantile(perEvent, 0.5), max: perEvent.at(-1), sendingMs: Math.round(sent.wallMs) },
    timeline: await syncTimeline(
      client,
      stack.coordinator,
      stack.emulator,
      stack.identitySourceId,
      lastAccepted,
      Math.max(...sessionsCompleted),
    ),
  });
}

try {
  console.error('Initial sync of the sample export…');
  const first = (await client.workflow.execute(sync, {
    taskQueue: 'hr-okta-sync',
    workflowId: `bench-webhooks-first-${Date.now()}`,
    args: [{ identitySourceId: stack.identitySourceId }],
    ...syncMetadata({ identitySourceId: stack.identitySourceId }, 'the webhook benchmark'),
  })) as SyncSummary;
  if (first.outcome !== 'applied') throw new Error(`the initial sync ended ${first.outcome}: ${first.error ?? ''}`);
  // B first, on a coordinator with a short history; then A, whose thousands of signals lengthen it.
  for (let i = 1; i <= samples; i++) await singleEvent(i);
  if (burstSize > 0) await burst();
  for (const concurrency of levels) await intakeLevel(concurrency);

  // No sync of the bench may have failed.
  const status = await coordinatorStatus(client, stack.identitySourceId);
  const unapplied = (status?.recent ?? []).filter((r) => r.outcome !== 'applied');
  check(unapplied.length === 0, `syncs not applied: ${unapplied.map((r) => `${r.requestId} ${r.outcome}`).join(', ')}`);
} catch (error) {
  // What was measured up to here is still printed and saved, with the failure.
  failures.push(error instanceof Error ? error.message : String(error));
} finally {
  await stack.stop();
  await client.connection.close();
  await server.stop();
}

printTable(
  `A. Intake: ${eventsPerLevel} joiners (one per delivery, distinct people), receiver log level ${parameters.receiverLogLevel}`,
  intake.map((r) => ({
    concurrency: r.concurrency,
    'wall s': seconds(r.wallMs),
    'events/s': Math.round(r.eventsPerSecond),
    'p50 ms': r.latencyMs.p50,
    'p95 ms': r.latencyMs.p95,
    'p99 ms': r.latencyMs.p99,
    'max ms': r.latencyMs.max,
    'non-202': r.non202,
    signals: r.signals ?? '',
    'applied after s': r.lastAcceptedToSettledMs === undefined ? 'never' : seconds(r.lastAcceptedToSettledMs),
    'store p50 ms': r.receiver.store.p50,
    'signal p50 ms': r.receiver.signal.p50,
    'signal p99 ms': r.receiver.signal.p99,
    'mark p50 ms': r.receiver.handedOff.p50,
    load: `${r.loadAverage.before}→${r.loadAverage.after}`,
  })),
);
printTable(
  `A. Repeats: ${duplicateCount} of the accepted events re-sent (same ids)`,
  duplicates.map((r) => ({
    concurrency: r.concurrency,
    repeats: r.repeats,
    'per s': Math.round(r.perSecond),
    'p50 ms': r.latencyMs.p50,
    'p99 ms': r.latencyMs.p99,
    'max ms': r.latencyMs.max,
    'not 200 duplicate': r.notAnsweredAsDuplicate,
    'signals sent': r.signalsSent,
  })),
);
printTable(
  `B. From 202 to the session's COMPLETED (debounce: ${parameters.hrEventQuietMs} ms quiet, at most ${parameters.hrEventMaxDelayMs} ms; Okta ÷ ${scale})`,
  endToEnd.map((r) => ({
    run: r.what,
    'total s': seconds(r.timeline.totalMs),
    'debounce s': seconds(r.timeline.debounceMs),
    'beyond debounce s': seconds(r.timeline.totalMs - r.timeline.debounceMs),
    'planning s': seconds(r.timeline.planningMs),
    'to session s': seconds(r.timeline.toSessionMs),
    'uploads s': seconds(r.timeline.uploadsMs),
    'import s': seconds(r.timeline.importMs),
    'noticed s': seconds(r.timeline.noticedMs),
    records: r.timeline.session.records,
    load: r.loadAverage,
  })),
);
console.log(`\nJSON: ${await saveResult('webhooks', { parameters, intake, duplicates, endToEnd, failures })}`);
if (failures.length > 0) {
  console.error(`\nFAILED (${failures.length}):\n  ${failures.join('\n  ')}`);
  process.exitCode = 1;
}
