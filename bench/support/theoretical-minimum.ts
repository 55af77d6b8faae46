/**
 * The fastest and cheapest any client could push a change set through Okta's rules, computed from the same
 * parameters the emulator runs with. What counts:
 *
 * Requests: one list of sessions at the start (to find stale ones), then per session one create, its bulk
 * requests, one start-import and one status check that finds it COMPLETED. Bulk requests per operation are
 * max(⌈items / 200⌉, ⌈item bytes / (200 KB − envelope)⌉), 50 to a session.
 *
 * Time: an ideal client with zero network latency that knows exactly when each import finishes. Session k can be
 * created once session k−1 is triggered and either finished or five minutes past its trigger (Okta's rule);
 * imports are processed one at a time in trigger order, each taking importMs + perRecordMs × records; every request
 * takes a token from a bucket of ⌊share × perWindow⌋ per window. As in the emulator (and Okta, whose reset is a whole
 * epoch second), a window opens with the first request after the last one ended and ends windowMs later, rounded up to
 * a whole second: an idle client finds a full bucket. The run ends with the status check that sees the last session
 * COMPLETED.
 *
 * When the rate limit binds this is not a lower bound: the model's requests fall on whole seconds (Okta's durations
 * are whole seconds at these scales), so the rounding never lengthens its windows, while a real client's fall between
 * seconds, and a window it opens just before an import can last up to a second past the import's end with tokens
 * left. Only `bounds.rateLimitMs` holds for every client.
 */
export interface PushModelParameters {
  /** Per operation: how many items and how many bytes they serialize to (commas included). */
  operations: { items: number; itemBytes: number; envelopeBytes: number }[];
  entitiesPerRequest: number;
  bytesPerRequest: number;
  requestsPerSession: number;
  fiveMinuteRuleMs: number;
  importProcessingMs: number;
  importProcessingPerRecordMs: number;
  rateLimitWindowMs: number;
  rateLimitPerWindow: number;
  /** Share of the bucket the client may use. */
  rateLimitShare: number;
}

export interface PushMinimum {
  bulkRequests: number;
  sessions: number;
  controlRequests: number;
  requests: number;
  wallMs: number;
  /** Lower bounds that each ignore the other rules, to tell which one dominates. */
  bounds: { rateLimitMs: number; importsMs: number };
}

export function pushMinimum(p: PushModelParameters): PushMinimum {
  // Items of each bulk request, in push order, so that sessions know their record counts.
  const requestItems: number[] = [];
  for (const op of p.operations) {
    if (op.items === 0) continue;
    const byCount = Math.ceil(op.items / p.entitiesPerRequest);
    const byBytes = Math.ceil(op.itemBytes / (p.bytesPerRequest - op.envelopeBytes));
    const requests = Math.max(byCount, byBytes);
    for (let i = 0; i < requests; i++) {
      requestItems.push(Math.floor(((i + 1) * op.items) / requests) - Math.floor((i * op.items) / requests));
    }
  }
  const bulkRequests = requestItems.length;
  const sessions = Math.ceil(bulkRequests / p.requestsPerSession);
  const controlRequests = 1 + sessions * 3;
  const requests = bulkRequests + controlRequests;

  const perWindow = Math.max(1, Math.floor(p.rateLimitShare * p.rateLimitPerWindow));
  let windowEnd = -Infinity;
  let used = 0;
  /** Status checks that find an import COMPLETED: they take their token when the clock gets there. */
  const checksAt: number[] = [];
  /** The earliest instant ≥ t at which the bucket has a token, for requests taken in time order; takes it. */
  const takeNow = (t: number): number => {
    if (t >= windowEnd || used >= perWindow) {
      const start = t >= windowEnd ? t : windowEnd;
      windowEnd = Math.ceil((start + p.rateLimitWindowMs) / 1000) * 1000;
      used = 0;
      t = start;
    }
    used++;
    return t;
  };
  const take = (t: number): number => {
    while (checksAt.length > 0 && checksAt[0]! <= t) takeNow(checksAt.shift()!);
    return takeNow(t);
  };

  let t = take(0);
  let previous: { triggeredAt: number; doneAt: number } | undefined;
  let importsMs = 0;
  for (let s = 0; s < sessions; s++) {
    const items = requestItems.slice(s * p.requestsPerSession, (s + 1) * p.requestsPerSession);
    const records = items.reduce((a, b) => a + b, 0);
    const ready = previous ? Math.min(previous.triggeredAt + p.fiveMinuteRuleMs, previous.doneAt) : t;
    t = take(Math.max(ready, previous?.triggeredAt ?? 0));
    for (let i = 0; i < items.length; i++) t = take(t);
    const triggeredAt = take(t);
    const processing = p.importProcessingMs + p.importProcessingPerRecordMs * records;
    importsMs += processing;
    const doneAt = Math.max(triggeredAt, previous?.doneAt ?? 0) + processing;
    checksAt.push(doneAt);
    previous = { triggeredAt, doneAt };
    t = triggeredAt;
  }
  for (const at of checksAt) takeNow(at);
  const wallMs = previous?.doneAt ?? t;
  const rateLimitMs = Math.floor((requests - 1) / perWindow) * p.rateLimitWindowMs;
  return {
    bulkRequests,
    sessions,
    controlRequests,
    requests,
    wallMs,
    bounds: { rateLimitMs, importsMs },
  };
}
