/**
 * Benchmark 6: leaver latency, from the HR webhook to the person DEACTIVATED in Okta's directory, through the fast
 * path (the coordinator's single-record calls) and through the session path (debounce, plan, import session), side by
 * side at Okta's own durations (OKTA_DURATIONS: imports of 10 s + 5 ms a record, the real five-minute rule).
 *
 * One stack (Temporal dev server, worker, Okta emulator, SQLite store, webhook receiver, the sample mapping over a
 * generated export of --people) with two identity sources, each synced once first so that everyone exists in Okta:
 * `fast` (fast path on) and `session` (`fastPathMaxPeople: 0`: the session path). On each, leaver webhooks go out at
 * --rate per second, open loop, one person each, in two conditions:
 *
 *   - a session was just triggered: a full sync (as a schedule would start) re-sends everyone, and the leavers are
 *     sent while Okta imports it, so the five-minute rule blocks any new session all along (Okta's rule holds while
 *     the triggered session is processed: 60 s for 10,000 records);
 *   - idle: no session open or importing, so the rule does not hold either, and a rate-limit window without a
 *     request, so Okta's bucket is full.
 *
 * The fast path takes --events leavers in each condition, the session path --session-events.
 *
 * A latency runs from the moment the webhook POST is sent to the instant the emulator's directory shows the person
 * DEACTIVATED (the user's `lastUpdated`, stamped by the emulator when it changes the user; the bench only polls to
 * know when to stop waiting). Okta requests per event come from the emulator's request log for the source, from the
 * first send until the coordinator is idle again, without the full sync's own calls for its session. A plan of the
 * leavers that a guardrail holds is approved by the bench at once (and shown). Every leaver must end DEACTIVATED, every
 * answer must be 202 and the condition must hold at every send; else the bench fails after printing what it measured.
 *
 *   node bench/latency.ts [--events 200] [--session-events 20] [--rate 4] [--people 10000]
 */
import { parseArgs } from 'node:util';
import { coordinatorStatus } from '../client/sync-client.ts';
import { sync } from '../workflows/sync.ts';
import {
  approveUpdate,
  coordinatorWorkflowId,
  type CoordinatorOptions,
  type SyncSummary,
} from '../contracts/sync-messages.ts';
import { syncMetadata } from '../contracts/workflow-summaries.ts';
import { employeeId } from './support/hr-export.ts';
import { MAX_DEACTIVATIONS, startLatencyStack, type LatencyStack } from './support/latency-stack.ts';
import { printTable, saveResult, seconds } from './support/report.ts';
import { startTemporal, writeWorkflowBundle } from './support/temporal-stack.ts';
import { quantile, sendDeliveries, type Delivery } from './support/webhook-load.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200' },
    'session-events': { type: 'string', default: '20' },
    rate: { type: 'string', default: '4' },
    people: { type: 'string', default: '10000' },
  },
});
const parameters = {
  events: Number(values.events),
  sessionEvents: Number(values['session-events']),
  ratePerSecond: Number(values.rate),
  people: Number(values.people),
};
// Each condition takes leavers of its own; the guardrails count an hour's deactivations.
const leavers = 2 * Math.max(parameters.events, parameters.sessionEvents);
if (leavers > Math.min(MAX_DEACTIVATIONS, parameters.people / 10))
  throw new Error(`${leavers} leavers would trip the deactivation guardrail: raise --people or lower --events`);

/** The coordinator's fast path on (its default size, set here so that a changed default shows) and off. */
const FAST_PATH_ON: Partial<CoordinatorOptions> = { fastPathMaxPeople: 20 };
const FAST_PATH_OFF: Partial<CoordinatorOptions> = { fastPathMaxPeople: 0 };
const TARGET = { p50Ms: 2_000, p99Ms: 5_000, requestsPerEvent: 2 };

type Condition = 'rule-in-force' | 'idle';
interface Phase {
  path: 'fast' | 'session';
  condition: Condition;
  events: number;
  /** Events whose condition held when they were sent. */
  conditionHeld: number;
  latencyMs: { p50: number; p99: number; max: number; min: number };
  /** The receiver's answer time (the 202). */
  answerMs: { p50: number; p99: number };
  /** For the rule: how much of it was left when the events were sent. */
  ruleLeftAtSendMs?: { min: number; max: number };
  okta: { requests: number; perEvent: number; byEndpoint: Record<string, number>; sessions: number };
  /** Plans of the leavers a guardrail held, approved by the bench at once (what tripped). */
  approved: string[];
  wallMs: number;
}
const phases: Phase[] = [];
const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  if (!ok) failures.push(what);
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for a condition, polling every `everyMs`; fails the bench after `timeoutMs`. */
async function waitFor(condition: () => Promise<boolean> | boolean, what: string, timeoutMs: number, everyMs = 1_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

function leaver(identitySourceId: string, externalId: string, phase: string): Delivery {
  const id = `evt_latency_${phase}_${externalId}`;
  const body = JSON.stringify({
    id,
    type: 'leaver',
    identitySourceId,
    occurredAt: new Date().toISOString(),
    person: { externalId },
  });
  return { webhookId: `msg_${id}`, body };
}

/**
 * A plan of the leavers that a guardrail holds (more deactivations in an hour than it allows) would wait for a person until its
 * timeout: the bench approves it at once, as `hr-okta-sync approve` would, and returns what tripped, for the table.
 */
async function approveIfHeld(stack: LatencyStack, identitySourceId: string): Promise<string | undefined> {
  const status = await coordinatorStatus(stack.client, identitySourceId).catch(() => undefined);
  if (status?.phase !== 'awaiting-approval') return undefined;
  await stack.client.workflow
    .getHandle(coordinatorWorkflowId(identitySourceId))
    .executeUpdate(approveUpdate, { args: [{ by: 'the latency benchmark', reason: 'measuring the wait' }] });
  return (status.current?.guardrails ?? []).map((g) => `${g.guardrail} ${g.measured} > ${g.threshold}`).join(', ');
}

/** The coordinator has nothing waiting or running and the store no event pending. */
async function settled(stack: LatencyStack, identitySourceId: string): Promise<boolean> {
  if ((await stack.store.pendingHrEvents(identitySourceId)).length > 0) return false;
  const status = await coordinatorStatus(stack.client, identitySourceId).catch(() => undefined);
  return status?.phase === 'idle' && status.queued.length === 0 && status.pendingHrEvents === 0;
}

/** The source's sessions: when each was created, triggered, done processing, and closed or expired. */
function sessionsOf(stack: LatencyStack, identitySourceId: string) {
  return stack.emulator.sessions({ identitySourceId }).map((s) => ({
    id: s.id,
    created: Date.parse(s.created),
    triggered: s.triggeredAt === undefined ? undefined : Date.parse(s.triggeredAt),
    processed: s.processingEndsAt === undefined ? undefined : Date.parse(s.processingEndsAt),
    closed: s.history.find((h) => ['CLOSED', 'EXPIRED'].includes(h.status)),
    records: s.records,
  }));
}

/**
 * At `at`: how long the five-minute rule still blocks a new session (0: it does not), and whether a session is open
 * or importing. Okta's rule (docs/okta-emulator.md) holds within five minutes of a trigger while that session is still
 * being processed.
 */
function oktaStateAt(stack: LatencyStack, identitySourceId: string, at: number) {
  const ruleMs = stack.emulator.durations.fiveMinuteRuleMs;
  let ruleLeftMs = 0;
  let sessionActive = false;
  for (const s of sessionsOf(stack, identitySourceId)) {
    if (s.created > at) continue;
    if (s.triggered === undefined || s.triggered > at) {
      if (!s.closed || Date.parse(s.closed.at) > at) sessionActive = true;
      continue;
    }
    const processed = s.processed ?? Infinity;
    if (processed > at) sessionActive = true;
    ruleLeftMs = Math.max(ruleLeftMs, Math.min(s.triggered + ruleMs, processed) - at);
  }
  return { ruleLeftMs, sessionActive };
}

/** Waits until no session of the source is open or importing (so the five-minute rule does not hold either). */
async function oktaIdle(stack: LatencyStack, identitySourceId: string): Promise<void> {
  await waitFor(
    () => !oktaStateAt(stack, identitySourceId, Date.now()).sessionActive,
    'no session active',
    stack.emulator.durations.fiveMinuteRuleMs,
  );
}

/**
 * Waits until Okta's rate-limit bucket is full again: a whole window without a request (the bucket is the org's, so
 * both sources count). Right after a sync, its read-back of up to 1,000 people has spent most of it.
 */
async function bucketRested(stack: LatencyStack): Promise<void> {
  const windowMs = stack.emulator.durations.rateLimitWindowMs;
  const lastAt = () => Date.parse(stack.emulator.requests().requests.at(-1)?.time ?? '1970-01-01T00:00:00Z');
  await waitFor(() => Date.now() - lastAt() > windowMs, 'a rate-limit window without a request', 5 * windowMs);
}

/**
 * What a scheduled full sync does to the source: the coordinator re-sends everyone, so Okta imports --people records
 * (10 s + 5 ms each: 60 s for 10,000) and the five-minute rule blocks a new session all that time. Resolves once the
 * session is TRIGGERED, with its id.
 */
async function busyImport(stack: LatencyStack, identitySourceId: string): Promise<string> {
  const since = Date.now();
  await stack.client.workflow.start(sync, {
    taskQueue: stack.taskQueue,
    workflowId: `bench-latency-full-${identitySourceId}-${since}`,
    args: [{ identitySourceId, mode: 'full' }],
    ...syncMetadata({ identitySourceId, mode: 'full' }, 'the latency benchmark'),
  });
  let triggered: ReturnType<typeof sessionsOf>[number] | undefined;
  await waitFor(
    () => {
      triggered = sessionsOf(stack, identitySourceId).find((s) => s.created >= since && s.triggered !== undefined);
      return triggered !== undefined;
    },
    'the full sync to trigger its import',
    120_000,
    100,
  );
  console.error(`  a full sync triggered an import of ${triggered!.records} records`);
  return triggered!.id;
}

const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted.at(-1) ?? NaN,
    min: sorted[0] ?? NaN,
  };
};

/** Sends one leaver for each of `people` at the steady rate and measures until every one is DEACTIVATED. */
async function measure(
  stack: LatencyStack,
  source: string,
  path: Phase['path'],
  condition: Condition,
  people: string[],
): Promise<void> {
  const { id } = stack.sources.get(source)!;
  console.error(`${path} path, ${condition}: ${people.length} leavers at ${parameters.ratePerSecond}/s…`);
  if (condition === 'idle') {
    await oktaIdle(stack, id);
    await bucketRested(stack);
  }
  const busySession = condition === 'rule-in-force' ? await busyImport(stack, id) : undefined;
  const seqBefore = stack.emulator.requests().total;
  const started = Date.now();
  const sent = await sendDeliveries({
    url: stack.receiver.url,
    secret: stack.secret,
    deliveries: people.map((p) => leaver(id, p, `${path}_${condition}`)),
    concurrency: 16,
    intervalMs: 1000 / parameters.ratePerSecond,
  });
  const refused = sent.results.filter((r) => r.status !== 202);
  check(
    refused.length === 0,
    `${path} ${condition}: ${refused.length} deliveries not answered 202 (${refused.map((r) => r.status).join(', ')})`,
  );

  const wanted = new Set(people);
  const deactivated = () =>
    stack.emulator.users({ identitySourceId: id, status: 'DEACTIVATED' }).filter((u) => wanted.has(u.externalId));
  // The session path waits for the rest of the import, a debounce, a plan and an import of its own.
  let polls = 0;
  const approved: string[] = [];
  await waitFor(
    async () => {
      if (deactivated().length === people.length) return true;
      const held = ++polls % 5 === 0 ? await approveIfHeld(stack, id) : undefined;
      if (held) approved.push(held);
      return false;
    },
    `${path} ${condition}: the leavers deactivated`,
    480_000,
  );
  await waitFor(() => settled(stack, id), `${path} ${condition}: the coordinator idle`, 120_000);
  const wallMs = Date.now() - started;

  const at = new Map(deactivated().map((u) => [u.externalId, Date.parse(u.lastUpdated)]));
  const latencies = people.map((p, i) => at.get(p)! - sent.results[i]!.sentAt);
  check(
    latencies.every((ms) => ms >= 0),
    `${path} ${condition}: a leaver was deactivated before its webhook was sent`,
  );
  const states = sent.results.map((r) => oktaStateAt(stack, id, r.sentAt));
  const held = states.filter((s) =>
    condition === 'idle' ? s.ruleLeftMs === 0 && !s.sessionActive : s.ruleLeftMs > 0,
  ).length;
  check(held === people.length, `${path} ${condition}: the condition held for ${held} of ${people.length} sends`);

  // The full sync's own polling of its import is not the leavers' doing.
  const requests = stack.emulator
    .requests({ sinceSeq: seqBefore })
    .requests.filter((r) => r.identitySourceId === id && (busySession === undefined || r.sessionId !== busySession));
  const byEndpoint: Record<string, number> = {};
  for (const r of requests) byEndpoint[r.endpoint] = (byEndpoint[r.endpoint] ?? 0) + 1;
  const ruleLeft = states.map((s) => s.ruleLeftMs);
  phases.push({
    path,
    condition,
    events: people.length,
    conditionHeld: held,
    latencyMs: summary(latencies),
    answerMs: summary(sent.results.map((r) => r.latencyMs)),
    ...(condition === 'rule-in-force'
      ? { ruleLeftAtSendMs: { min: Math.min(...ruleLeft), max: Math.max(...ruleLeft) } }
      : {}),
    okta: {
      requests: requests.length,
      perEvent: requests.length / people.length,
      byEndpoint,
      sessions: sessionsOf(stack, id).filter((s) => s.created >= started && s.id !== busySession).length,
    },
    approved,
    wallMs,
  });
}

/** The initial sync of a source: everyone in the export created in Okta, through one import session. */
async function initialSync(stack: LatencyStack, source: string): Promise<void> {
  const { id } = stack.sources.get(source)!;
  const summary = (await stack.client.workflow.execute(sync, {
    taskQueue: stack.taskQueue,
    workflowId: `bench-latency-initial-${source}-${Date.now()}`,
    args: [{ identitySourceId: id }],
    ...syncMetadata({ identitySourceId: id }, 'the latency benchmark'),
  })) as SyncSummary;
  if (summary.outcome !== 'applied') throw new Error(`the initial sync of ${source} ended ${summary.outcome}`);
  const active = stack.emulator.users({ identitySourceId: id, status: 'ACTIVE' }).length;
  if (active !== parameters.people) throw new Error(`${source}: ${active} people active after the initial sync`);
}

const people = (from: number, count: number) => Array.from({ length: count }, (_, i) => employeeId(from + i));

const server = await startTemporal();
const bundlePath = await writeWorkflowBundle();
const stack = await startLatencyStack(server, bundlePath, {
  people: parameters.people,
  sources: [
    { name: 'fast', coordinator: FAST_PATH_ON },
    { name: 'session', coordinator: FAST_PATH_OFF },
  ],
});
const startedAt = Date.now();
try {
  console.error(`Initial sync of ${parameters.people} people into each identity source…`);
  await Promise.all([...stack.sources.keys()].map((source) => initialSync(stack, source)));
  await measure(stack, 'fast', 'fast', 'rule-in-force', people(0, parameters.events));
  await measure(stack, 'fast', 'fast', 'idle', people(parameters.events, parameters.events));
  await measure(stack, 'session', 'session', 'rule-in-force', people(0, parameters.sessionEvents));
  await measure(stack, 'session', 'session', 'idle', people(parameters.sessionEvents, parameters.sessionEvents));
} catch (error) {
  // What was measured up to here is still printed and saved, with the failure.
  failures.push(error instanceof Error ? error.message : String(error));
} finally {
  await stack.stop();
  await server.stop();
}

const verdict = (p: Phase) =>
  p.path !== 'fast'
    ? ''
    : p.latencyMs.p50 <= TARGET.p50Ms && p.latencyMs.p99 <= TARGET.p99Ms && p.okta.perEvent <= TARGET.requestsPerEvent
      ? 'met'
      : 'missed';
const order = (p: Phase) => (p.condition === 'idle' ? 0 : 1) * 2 + (p.path === 'fast' ? 0 : 1);
printTable(
  `Leaver latency, webhook sent → DEACTIVATED in Okta's directory, at Okta's durations (${parameters.ratePerSecond} events/s; target for the fast path: p50 ≤ 2 s, p99 ≤ 5 s, ≤ 2 Okta requests an event)`,
  [...phases]
    .sort((a, b) => order(a) - order(b))
    .map((p) => ({
      path: p.path,
      condition: p.condition === 'idle' ? 'idle: no session, no rule' : 'import running: rule in force',
      events: p.events,
      'p50 s': seconds(p.latencyMs.p50),
      'p99 s': seconds(p.latencyMs.p99),
      'max s': seconds(p.latencyMs.max),
      'rule left at send s': p.ruleLeftAtSendMs
        ? `${seconds(p.ruleLeftAtSendMs.min)}–${seconds(p.ruleLeftAtSendMs.max)}`
        : '—',
      'Okta requests/event': Math.round(p.okta.perEvent * 100) / 100,
      sessions: p.okta.sessions,
      '202 p50 ms': Math.round(p.answerMs.p50),
      'held for approval': p.approved.length === 0 ? '—' : p.approved.join('; '),
      target: verdict(p),
    })),
);
console.log(`wall time ${seconds(Date.now() - startedAt)} s`);
console.log(`\nJSON: ${await saveResult('latency', { parameters, phases, failures })}`);
if (failures.length > 0) {
  console.error(`\nFAILED (${failures.length}):\n  ${failures.join('\n  ')}`);
  process.exitCode = 1;
}
