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
 * takes a token from a bucket of ⌊share × perWindow⌋ per window (the bucket full at t = 0). The run ends with the
 * status check that sees the last session COMPLETED.
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
  const used = new Map<number, number>();
  /** The earliest instant ≥ t at which the bucket has a token; takes it. */
  const take = (t: number): number => {
    let window = Math.floor(t / p.rateLimitWindowMs);
    while ((used.get(window) ?? 0) >= perWindow) window++;
    used.set(window, (used.get(window) ?? 0) + 1);
    return Math.max(t, window * p.rateLimitWindowMs);
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
    take(doneAt);
    previous = { triggeredAt, doneAt };
    t = triggeredAt;
  }
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
