import type { PushOptions } from '../../contracts/push-messages.ts';

/** A push's options with every default filled in (the Okta task queue stays optional: absent, the workflow's own). */
export type PushRunOptions = Required<Omit<PushOptions, 'oktaTaskQueue'>> & Pick<PushOptions, 'oktaTaskQueue'>;

const DEFAULTS: Required<Omit<PushOptions, 'oktaTaskQueue'>> = {
  pollIntervalMs: 15_000,
  fiveMinuteRuleMs: 5 * 60_000,
  blockedSessionPollMs: 30_000,
  // Well under Okta's concurrency limit (35 to 75 requests an org) and the pacer holds requests to the rate limit
  // anyway; more did not go faster (bench/push.ts), and the pacer counts requests in flight against the budget.
  uploadConcurrency: 8,
  reclaimForeignSessions: false,
  heartbeatTimeoutMs: 30_000,
  // Reads share the rate limit with the uploads: 20 beside a full session's 50 uploads (docs/benchmarks.md, section 2).
  // A session that clears or deactivates thousands is bounded by the maximum (clearing Okta ignored excepted).
  readBackSample: 20,
  readBackMaxPerSession: 200,
  readBackDeactivations: true,
};

export function withDefaults(options: PushOptions | undefined): PushRunOptions {
  return { ...DEFAULTS, ...options };
}
