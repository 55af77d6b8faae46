// Okta's rate limiting: a bucket of requests per window and a limit on requests in flight. A window ends on a whole
// second, because X-Rate-Limit-Reset announces it in epoch seconds and a client that waits for it must find the
// bucket full again.
import type { RateLimitSettings } from './options.ts';

export interface RateLimitHeaders {
  limit: number;
  remaining: number;
  /** Epoch seconds. */
  reset: number;
}

export interface RateDecision {
  allowed: boolean;
  headers: RateLimitHeaders;
  /** Why a request was refused. */
  reason?: 'rate' | 'concurrency';
}

export class RateLimiter {
  private readonly settings: RateLimitSettings;
  private readonly windowMs: () => number;
  private windowEndsAt = 0;
  private used = 0;
  /** A 429 burst or scripted 429: the bucket reads empty until then (ms, a whole second). */
  private blockedUntil = 0;
  inFlight = 0;

  constructor(settings: RateLimitSettings, windowMs: () => number) {
    this.settings = settings;
    this.windowMs = windowMs;
  }

  /** Takes a slot for a request arriving now; the caller must call release() when it has been answered. */
  admit(now: number): RateDecision {
    this.inFlight++;
    if (this.inFlight > this.settings.concurrency) {
      // Okta answers a concurrency 429 with Limit and Remaining 0 and an estimated Reset.
      return {
        allowed: false,
        reason: 'concurrency',
        headers: { limit: 0, remaining: 0, reset: Math.ceil((now + 1) / 1000) },
      };
    }
    this.roll(now);
    if (now < this.blockedUntil || this.used >= this.settings.perWindow) {
      return { allowed: false, reason: 'rate', headers: this.headers(now) };
    }
    this.used++;
    return { allowed: true, headers: this.headers(now) };
  }

  release(): void {
    this.inFlight--;
  }

  /** The headers a response sent now carries. */
  current(now: number): RateLimitHeaders {
    this.roll(now);
    return this.headers(now);
  }

  /** Empties the bucket until `untilMs` (rounded up to a whole second), as a burst of other traffic would. */
  exhaust(untilMs: number): number {
    this.blockedUntil = Math.max(this.blockedUntil, Math.ceil(untilMs / 1000) * 1000);
    return this.blockedUntil;
  }

  /** The end of the current window (ms), the default for announced resets. */
  windowEnd(now: number): number {
    this.roll(now);
    return this.windowEndsAt;
  }

  reset(): void {
    this.windowEndsAt = 0;
    this.used = 0;
    this.blockedUntil = 0;
  }

  private roll(now: number): void {
    if (now >= this.windowEndsAt) {
      this.windowEndsAt = Math.ceil((now + this.windowMs()) / 1000) * 1000;
      this.used = 0;
    }
  }

  private headers(now: number): RateLimitHeaders {
    if (now < this.blockedUntil) {
      return { limit: this.settings.perWindow, remaining: 0, reset: this.blockedUntil / 1000 };
    }
    return {
      limit: this.settings.perWindow,
      remaining: Math.max(0, this.settings.perWindow - this.used),
      reset: this.windowEndsAt / 1000,
    };
  }
}
