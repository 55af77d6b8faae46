import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * A process's registry, with Node's own metrics (heap, event loop lag, …). Each server creates its own, so that tests
 * and several servers in one process do not share counters; the webhook receiver adds its counters to one.
 */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'hr_okta_sync_' });
  return registry;
}

/** The sync's metrics, fed by the worker's activity interceptor (activity-metrics.ts). */
export function createMetrics(registry: Registry = createRegistry()) {
  return {
    registry,
    recordsPlanned: new Counter({
      name: 'hr_okta_sync_records_planned_total',
      help: 'Records (upserts and deactivations) laid out for pushing to Okta',
      labelNames: ['identity_source'],
      registers: [registry],
    }),
    recordsApplied: new Counter({
      name: 'hr_okta_sync_records_applied_total',
      help: 'Records whose import session Okta reported COMPLETED and whose state was confirmed',
      labelNames: ['identity_source'],
      registers: [registry],
    }),
    recordsUploaded: new Counter({
      name: 'hr_okta_sync_records_uploaded_total',
      help: 'Records uploaded into import sessions (an upload retried after a crash counts again)',
      registers: [registry],
    }),
    sessionsOpened: new Counter({
      name: 'hr_okta_sync_sessions_opened_total',
      help: 'Okta import sessions opened',
      registers: [registry],
    }),
    sessions: new Counter({
      name: 'hr_okta_sync_sessions_total',
      help: "Import sessions by outcome: Okta's final status, or UNCHANGED when nothing needed importing",
      labelNames: ['outcome'],
      registers: [registry],
    }),
    rateLimitWaits: new Counter({
      name: 'hr_okta_sync_rate_limit_waits_total',
      help: 'Okta 429 answers, each waited out until the announced reset',
      labelNames: ['activity'],
      registers: [registry],
    }),
    activityFailures: new Counter({
      name: 'hr_okta_sync_activity_failures_total',
      help: 'Failed activity attempts by activity and failure type (429s and pending imports excluded)',
      labelNames: ['activity', 'type'],
      registers: [registry],
    }),
    changeToCompleted: new Histogram({
      name: 'hr_okta_sync_change_to_completed_seconds',
      help: 'From the HR read that produced a plan to Okta reporting its session COMPLETED',
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 21600],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
