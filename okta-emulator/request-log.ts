// What the emulator was asked and what it answered, for tests that assert on a client's behaviour on the wire.
import type { EndpointName } from './options.ts';

export interface LoggedRequest {
  seq: number;
  time: string;
  method: string;
  path: string;
  endpoint: EndpointName | 'unknown';
  status: number;
  durationMs: number;
  requestId: string;
  identitySourceId?: string;
  sessionId?: string;
  /** For 429s: the X-Rate-Limit-Reset announced (epoch seconds). */
  rateLimitReset?: number;
  /** 'script' or 'random' when a fault was injected. */
  fault?: string;
  /** The connection was destroyed without an answer (status is then 0). */
  dropped?: boolean;
  /** The client went away before its request body ended: nothing was applied, nothing answered (status 0). */
  abortedByClient?: boolean;
  /** Whether the request's effect was applied (for faults that apply first). */
  applied?: boolean;
}

export interface EndpointCounters {
  requests: number;
  byStatus: Record<string, number>;
}

export class RequestLog {
  private entries: LoggedRequest[] = [];
  private counters = new Map<string, EndpointCounters>();
  private seq = 0;
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  add(entry: Omit<LoggedRequest, 'seq'>): void {
    const logged = { seq: ++this.seq, ...entry };
    this.entries.push(logged);
    if (this.entries.length > this.limit * 1.25) this.entries = this.entries.slice(-this.limit);
    const counters = this.counters.get(entry.endpoint) ?? { requests: 0, byStatus: {} };
    counters.requests++;
    const status = entry.dropped ? 'dropped' : String(entry.status);
    counters.byStatus[status] = (counters.byStatus[status] ?? 0) + 1;
    this.counters.set(entry.endpoint, counters);
  }

  query(filter: { endpoint?: string; sinceSeq?: number; status?: number }): {
    requests: LoggedRequest[];
    counters: Record<string, EndpointCounters>;
    total: number;
  } {
    const requests = this.entries
      .slice(-this.limit)
      .filter(
        (e) =>
          (filter.endpoint === undefined || e.endpoint === filter.endpoint) &&
          (filter.sinceSeq === undefined || e.seq > filter.sinceSeq) &&
          (filter.status === undefined || e.status === filter.status),
      );
    return { requests, counters: Object.fromEntries(this.counters), total: this.seq };
  }

  clear(): void {
    this.entries = [];
    this.counters.clear();
  }
}
