/**
 * Paces Okta calls from the rate-limit headers so that a healthy run rarely meets a 429.
 *
 * Okta counts a bucket per org and endpoint family, and lets one token or OAuth app use a share of it (50 % by
 * default). X-Rate-Limit-Remaining is the bucket as the org sees it, shared by every worker that uses the same
 * credentials; so when each worker stops at the same floor (Limit × (1 − share)) they stop together, without talking
 * to each other. Requests in flight in this process count against the budget before their answers arrive.
 *
 * Okta also limits the requests an org has in flight at once (35 to 75); `maxInFlight` keeps this process under its
 * part of that, whatever the number of identity sources it pushes at once: a request past it waits for an answer.
 *
 * Single-record writes (a leaver's DELETE, one person provisioned) are urgent: a person waits for each, while an
 * upload or a read-back is one of many. While urgent requests follow one another, the others wait, so that a burst of
 * leavers spends the window's budget before a read-back does, not after it and the reset.
 */
export type PacedPriority = 'urgent' | 'background';
export interface RateLimitSnapshot {
  limit: number;
  remaining: number;
  /** Local clock time (ms) at which the window resets, converted from the server's Reset − Date. */
  resetAt: number;
}

export interface PacerOptions {
  /** Share of the bucket this tool may use, 0 < share ≤ 1. */
  share: number;
  /** Requests this process may have in flight at once. Default: no limit. */
  maxInFlight?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export class RateLimitPacer {
  private snapshot: RateLimitSnapshot | undefined;
  private inFlight = 0;
  private readonly maxInFlight: number;
  /** Requests waiting for one in flight to be answered, urgent ones first, otherwise first come first served. */
  private readonly slotWaiters: (() => void)[] = [];
  /** Until when (local clock) background requests hold back for the urgent ones going out one after another. */
  private urgentUntil = 0;
  /**
   * How far the server's clock is ahead of ours, at least (ms). Its Date header is whole seconds, so one answer only
   * says the server's clock is between Date and Date + 1 s; the largest Date − now of all answers is the tightest
   * bound, and it makes a wait for a reset end near the reset instead of up to a second after it.
   */
  private serverAheadAtLeast: number | undefined;
  private readonly share: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: PacerOptions) {
    if (!(options.share > 0 && options.share <= 1))
      throw new Error(`rate limit share must be in (0, 1], got ${options.share}`);
    this.share = options.share;
    this.maxInFlight = options.maxInFlight ?? Number.POSITIVE_INFINITY;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Waits until the budget allows one more request, then counts it in flight. Returns the time waited (ms). */
  async acquire(priority: PacedPriority = 'background'): Promise<number> {
    // Answers that have already arrived are read first: a request decided on in the same turn as an earlier answer
    // would otherwise go out before a 429 waiting behind that answer is seen.
    await nextTurn();
    await nextTurn();
    const urgent = priority === 'urgent';
    let waited = 0;
    for (;;) {
      if (this.inFlight >= this.maxInFlight) {
        const since = this.now();
        await new Promise<void>((resolve) =>
          urgent ? this.slotWaiters.unshift(resolve) : this.slotWaiters.push(resolve),
        );
        waited += this.now() - since;
        continue;
      }
      const wait = Math.max(this.waitNeeded(), urgent ? 0 : this.urgentUntil - this.now());
      if (wait <= 0) break;
      await this.sleep(wait);
      waited += wait;
    }
    if (urgent) this.urgentUntil = this.now() + URGENT_HOLD_MS;
    this.inFlight++;
    return waited;
  }

  /** Records the answer's headers (any status, 429 included) and releases the in-flight slot. */
  release(headers: { limit?: number; remaining?: number; reset?: number; serverDate?: number } | undefined): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.slotWaiters.shift()?.();
    if (!headers) return;
    const { limit, remaining, reset, serverDate } = headers;
    const now = this.now();
    if (serverDate !== undefined) {
      const ahead = serverDate - now;
      // A figure far below the bound means a clock was set back: start over from it.
      const known = this.serverAheadAtLeast;
      if (known === undefined || ahead > known || ahead < known - CLOCK_JUMP_MS) this.serverAheadAtLeast = ahead;
    }
    if (limit === undefined || remaining === undefined || reset === undefined) return;
    const resetAt = Math.max(now, reset * 1000 - (this.serverAheadAtLeast ?? 0));
    // Answers arrive out of order; within one window the lowest Remaining is the most recent truth.
    const current = this.snapshot;
    if (current && Math.abs(current.resetAt - resetAt) < 1_500 && current.remaining < remaining) return;
    this.snapshot = { limit, remaining, resetAt };
  }

  private waitNeeded(): number {
    const s = this.snapshot;
    if (!s) return 0;
    const now = this.now();
    if (now >= s.resetAt) {
      // A new window: assume it is full until an answer says otherwise.
      this.snapshot = undefined;
      return 0;
    }
    const floor = Math.floor(s.limit * (1 - this.share));
    if (s.remaining - this.inFlight > floor) return 0;
    // Past the reset by a little: the server's window boundary is only known to the second.
    return s.resetAt - now + 250;
  }
}

/**
 * How long background requests hold back after an urgent one goes out: longer than the gap between one person's
 * answer and the next person's request (a store write), short enough that a lone urgent write costs the others
 * nothing they would notice.
 */
const URGENT_HOLD_MS = 100;

/** More than a Date header's second and an answer's way back: only a clock that was set back explains it. */
const CLOCK_JUMP_MS = 2_000;

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
