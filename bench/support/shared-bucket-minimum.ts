/**
 * The theoretical minimum of bench/push.ts (theoretical-minimum.ts), extended to several identity sources of one org
 * pushing at once. Each source keeps Okta's per-source session rules (one open session, the five-minute rule, its own
 * imports processed one at a time in trigger order) and sends the same requests as in the one-source model; all of
 * them take their tokens from ONE bucket of ⌊share × perWindow⌋ a window (Okta's org-wide /api/v1 bucket), windows
 * opened as in that model. The ideal client has zero latency and hands each token to the request that became ready
 * first (ties: the source listed first), so no source waits for a token while another, ready later, gets one.
 *
 * A source's run ends with the status check that finds its last import COMPLETED (and, with read-back, its reads of
 * that session's people): those requests may wait for a token when the bucket is empty, so a source's end is the later
 * of its last import's end and their tokens. For one source with tokens to spare and no read-back this is the
 * one-source model's figure.
 */
import type { PushModelParameters } from './theoretical-minimum.ts';

export type SharedBucketParameters = Omit<PushModelParameters, 'operations'> & {
  /**
   * People the push reads back (GET /users/{externalId}) once a session's import COMPLETED, as pushPlan does
   * (`readBackSample`, `readBackMaxPerSession`): everyone of a session of at most `sample` people, else `sample` of
   * them (the bench's people clear no attribute, so no one must be read besides). Absent: no read-back.
   */
  readBack?: { sample: number; maxPerSession: number };
};

export interface SourceMinimum {
  bulkRequests: number;
  sessions: number;
  readBacks: number;
  requests: number;
  /** When the source's last import is seen COMPLETED, from the start of the first source's run (ms). */
  doneMs: number;
  startsAtMs: number;
}

export interface SharedBucketMinimum {
  sources: SourceMinimum[];
  requests: number;
  readBacks: number;
  bulkRequests: number;
  /** The last source's end (ms). */
  wallMs: number;
  /** Lower bounds that each ignore the other rules: the shared bucket alone, the slowest source's imports alone. */
  bounds: { rateLimitMs: number; importsMs: number };
}

/** One source's requests as a chain of steps; each becomes ready when the one before it got its token. */
interface SourceRun {
  requestItems: number[][];
  session: number;
  /** Next step: list sessions, create, upload k, trigger. */
  step: { kind: 'list' } | { kind: 'create' } | { kind: 'upload'; k: number } | { kind: 'trigger' } | { kind: 'done' };
  readyAt: number;
  previous?: { triggeredAt: number; doneAt: number };
  /** Status checks that find an import COMPLETED, at its end. */
  checks: number[];
  doneMs: number;
  importsMs: number;
  startsAtMs: number;
  readBacks: number;
}

/** A source's change set, and when its run starts (ms after the first source's; default 0). */
export interface SourceLoad {
  operations: PushModelParameters['operations'];
  startsAtMs?: number;
}

export function sharedBucketMinimum(sources: SourceLoad[], p: SharedBucketParameters): SharedBucketMinimum {
  const bucket = sharedBucket(p);
  const runs = sources.map((source) => startRun(source, p));
  for (;;) {
    // The earliest ready request of any source, status checks included.
    let best: { run: SourceRun; at: number; check: boolean } | undefined;
    for (const run of runs) {
      const check = run.checks[0];
      if (check !== undefined && (!best || check < best.at)) best = { run, at: check, check: true };
      if (run.step.kind !== 'done' && (!best || run.readyAt < best.at)) best = { run, at: run.readyAt, check: false };
    }
    if (!best) break;
    const granted = bucket.take(best.at);
    if (best.check) {
      best.run.checks.shift();
      best.run.doneMs = Math.max(best.run.doneMs, granted);
    } else advance(best.run, granted, p);
  }
  const perWindow = Math.max(1, Math.floor(p.rateLimitShare * p.rateLimitPerWindow));
  const summaries = runs.map((run) => {
    const bulkRequests = run.requestItems.flat().length;
    const sessions = run.requestItems.length;
    return {
      bulkRequests,
      sessions,
      readBacks: run.readBacks,
      requests: bulkRequests + 1 + 3 * sessions + run.readBacks,
      doneMs: run.doneMs,
      startsAtMs: run.startsAtMs,
    };
  });
  const requests = summaries.reduce((sum, s) => sum + s.requests, 0);
  return {
    sources: summaries,
    requests,
    readBacks: summaries.reduce((sum, s) => sum + s.readBacks, 0),
    bulkRequests: summaries.reduce((sum, s) => sum + s.bulkRequests, 0),
    wallMs: Math.max(0, ...summaries.map((s) => s.doneMs)),
    bounds: {
      rateLimitMs: Math.floor((requests - 1) / perWindow) * p.rateLimitWindowMs,
      importsMs: Math.max(0, ...runs.map((r) => r.importsMs)),
    },
  };
}

/** Items of each bulk request in push order, 50 requests to a session (as the one-source model lays them out). */
function startRun({ operations, startsAtMs = 0 }: SourceLoad, p: SharedBucketParameters): SourceRun {
  const items: number[] = [];
  for (const op of operations) {
    if (op.items === 0) continue;
    const byCount = Math.ceil(op.items / p.entitiesPerRequest);
    const byBytes = Math.ceil(op.itemBytes / (p.bytesPerRequest - op.envelopeBytes));
    const requests = Math.max(byCount, byBytes);
    for (let i = 0; i < requests; i++)
      items.push(Math.floor(((i + 1) * op.items) / requests) - Math.floor((i * op.items) / requests));
  }
  const requestItems: number[][] = [];
  for (let i = 0; i < items.length; i += p.requestsPerSession)
    requestItems.push(items.slice(i, i + p.requestsPerSession));
  return {
    requestItems,
    session: 0,
    step: { kind: 'list' },
    readyAt: startsAtMs,
    checks: [],
    doneMs: startsAtMs,
    importsMs: 0,
    startsAtMs,
    readBacks: 0,
  };
}

/** Moves a source past the request that got its token at `t`. */
function advance(run: SourceRun, t: number, p: SharedBucketParameters): void {
  const step = run.step;
  const items = run.requestItems[run.session] ?? [];
  if (step.kind === 'list' || step.kind === 'trigger') {
    if (step.kind === 'trigger') {
      const records = items.reduce((a, b) => a + b, 0);
      const processing = p.importProcessingMs + p.importProcessingPerRecordMs * records;
      run.importsMs += processing;
      const doneAt = Math.max(t, run.previous?.doneAt ?? 0) + processing;
      // The status check that finds it COMPLETED, then the read-backs: each a request at the import's end.
      const reads = p.readBack ? Math.min(records, p.readBack.sample, p.readBack.maxPerSession) : 0;
      run.readBacks += reads;
      for (let i = 0; i <= reads; i++) run.checks.push(doneAt);
      run.doneMs = Math.max(run.doneMs, doneAt);
      run.previous = { triggeredAt: t, doneAt };
      run.session++;
    }
    if (run.session >= run.requestItems.length) {
      run.step = { kind: 'done' };
      return;
    }
    // Okta's rules: the next session once the previous one is COMPLETED or five minutes past its trigger.
    const previous = run.previous;
    run.readyAt = previous
      ? Math.max(previous.triggeredAt, Math.min(previous.triggeredAt + p.fiveMinuteRuleMs, previous.doneAt))
      : t;
    run.step = { kind: 'create' };
    return;
  }
  run.readyAt = t;
  const next = step.kind === 'upload' ? step.k + 1 : 0;
  run.step = next < items.length ? { kind: 'upload', k: next } : { kind: 'trigger' };
}

/**
 * The org's bucket as the one-source model runs it: a window opens with the first request after the last one ended
 * and ends `windowMs` later, rounded up to a whole second. Requests must be taken in time order.
 */
function sharedBucket(p: SharedBucketParameters) {
  const perWindow = Math.max(1, Math.floor(p.rateLimitShare * p.rateLimitPerWindow));
  let windowEnd = -Infinity;
  let used = 0;
  let clock = 0;
  return {
    take(readyAt: number): number {
      let t = Math.max(readyAt, clock);
      if (t >= windowEnd || used >= perWindow) {
        t = t >= windowEnd ? t : windowEnd;
        windowEnd = Math.ceil((t + p.rateLimitWindowMs) / 1000) * 1000;
        used = 0;
      }
      used++;
      clock = t;
      return t;
    },
  };
}
