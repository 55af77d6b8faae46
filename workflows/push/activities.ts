import { proxyActivities, type ActivityInterfaceFor } from '@temporalio/workflow';
import type { PushActivities } from '../../activities/push/push-activities.ts';
import { NON_RETRYABLE_OKTA_FAILURES } from '../../contracts/okta-failure-types.ts';
import type { PushRunOptions } from './options.ts';

/** The Okta calls of a session's life, each over in a request or a few (a pacer may hold one a rate-limit window). */
export type OktaSessionCalls = Pick<PushActivities, 'clearTheWay' | 'openSession' | 'triggerImport' | 'cancelSession'>;
/** Polling a triggered import until Okta finishes it. */
export type ImportPolling = Pick<PushActivities, 'awaitImport'>;
/** Reading back what a COMPLETED import applied, and repairing clearing Okta ignored. */
export type ReadBack = Pick<PushActivities, 'readBackImport'>;
/** Uploading a session's requests in one activity. */
export type SessionUploads = Pick<PushActivities, 'uploadSession'>;
/** The state store's record of the plan and what Okta confirmed. */
export type PushBookkeeping = Pick<PushActivities, 'prepareImport' | 'confirmImport' | 'recordPlanStatus'>;

export interface PushActivityGroups {
  okta: ActivityInterfaceFor<OktaSessionCalls>;
  importPolling: ActivityInterfaceFor<ImportPolling>;
  sessionUploads: ActivityInterfaceFor<SessionUploads>;
  readBack: ActivityInterfaceFor<ReadBack>;
  store: ActivityInterfaceFor<PushBookkeeping>;
}

/**
 * The activities, with timeouts and retries chosen per kind of call; each group can call only its own activities, so a
 * call cannot go through another kind's options. Every call heartbeats, so a worker that dies mid-call is noticed
 * after `heartbeatTimeoutMs` and the call moves to another worker.
 */
export function pushActivities(options: PushRunOptions): PushActivityGroups {
  const heartbeatTimeout = options.heartbeatTimeoutMs;
  // Okta calls may run on a queue of their own, whose activity rate the server caps across all workers.
  const oktaQueue = options.oktaTaskQueue ? { taskQueue: options.oktaTaskQueue } : {};
  const backoff = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' } as const;
  const oktaRetry = { ...backoff, nonRetryableErrorTypes: NON_RETRYABLE_OKTA_FAILURES };
  return {
    // A pacer may hold a call up to one rate-limit window (~60 s) before sending it, plus the request. 5xx and dropped
    // connections retry with backoff through 30 minutes of Okta trouble, then the run fails and says so; 429s retry
    // after Okta's announced reset (nextRetryDelay); 4xx never retry (typed nonRetryable).
    okta: proxyActivities<OktaSessionCalls>({
      ...oktaQueue,
      startToCloseTimeout: '3 minutes',
      scheduleToCloseTimeout: '30 minutes',
      heartbeatTimeout,
      retry: oktaRetry,
    }),
    // Each "still TRIGGERED" is a retry whose delay is the poll interval, so a long import costs no history events.
    // Okta expires a session after 24 h without requests: 25 h bounds the wait.
    importPolling: proxyActivities<ImportPolling>({
      ...oktaQueue,
      startToCloseTimeout: '2 minutes',
      scheduleToCloseTimeout: '25 hours',
      heartbeatTimeout,
      retry: oktaRetry,
    }),
    // A paced session may take several rate-limit windows (a minute each at Okta's rates) plus 429 waits. A dead worker
    // is noticed through the heartbeat timeout; each attempt sends only what no earlier attempt got accepted, so Okta's
    // trouble is ridden out as long as with single calls.
    sessionUploads: proxyActivities<SessionUploads>({
      ...oktaQueue,
      startToCloseTimeout: '15 minutes',
      scheduleToCloseTimeout: '1 hour',
      heartbeatTimeout,
      retry: oktaRetry,
    }),
    // Up to readBackMaxPerSession paced reads (1,000 at a 300-a-minute share take under four minutes) plus 429 waits;
    // a retried attempt reads again, and a repair sent twice clears the same attributes twice.
    readBack: proxyActivities<ReadBack>({
      ...oktaQueue,
      startToCloseTimeout: '15 minutes',
      scheduleToCloseTimeout: '1 hour',
      heartbeatTimeout,
      retry: oktaRetry,
    }),
    // Database work that must eventually succeed; a store outage is waited out for an hour. Laying out a plan of a
    // million records reads them all once, hence the long start-to-close.
    store: proxyActivities<PushBookkeeping>({
      startToCloseTimeout: '10 minutes',
      scheduleToCloseTimeout: '1 hour',
      heartbeatTimeout,
      retry: { ...backoff, nonRetryableErrorTypes: ['PlanNotFound', 'PlanNotLaidOut', 'OversizedItemError'] },
    }),
  };
}
