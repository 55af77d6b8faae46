import { OKTA_LIMITS } from '../okta/bulk-requests.ts';
import type { PushActivityDeps } from './deps.ts';
import { awaitImportActivity, triggerImportActivity } from './import-activities.ts';
import { keepAlive } from './keep-alive.ts';
import { confirmImportActivity, recordPlanStatusActivity } from './plan-bookkeeping.ts';
import { planLayouts, prepareImportActivity } from './plan-layout.ts';
import { readBackImportActivity } from './read-back.ts';
import { cancelSessionActivity, clearTheWayActivity, openSessionActivity } from './session-activities.ts';
import { uploadSessionActivity } from './upload-session.ts';

export type { PushActivityDeps } from './deps.ts';

/**
 * Activities that push a stored plan through Okta import sessions. Built by a factory so that the worker (and each
 * test) injects its own store, Okta client and Temporal client; each activity is defined in a file of its kind.
 */
export function createPushActivities({ store, okta, temporal, layoutLimits = OKTA_LIMITS }: PushActivityDeps) {
  const layouts = planLayouts(store);
  return {
    prepareImport: withKeepAlive(prepareImportActivity(store, layouts, layoutLimits)),
    clearTheWay: withKeepAlive(clearTheWayActivity({ store, okta, temporal })),
    openSession: withKeepAlive(openSessionActivity({ store, okta })),
    // Keeps itself alive, with the uploads accepted so far in its heartbeat details.
    uploadSession: uploadSessionActivity({ store, okta, layouts }),
    triggerImport: withKeepAlive(triggerImportActivity({ store, okta })),
    awaitImport: withKeepAlive(awaitImportActivity({ store, okta })),
    // Keeps itself alive, with the people read so far in its heartbeat details.
    readBackImport: readBackImportActivity({ store, okta, layouts }),
    confirmImport: withKeepAlive(confirmImportActivity(store)),
    cancelSession: withKeepAlive(cancelSessionActivity({ store, okta })),
    recordPlanStatus: withKeepAlive(recordPlanStatusActivity(store)),
  };
}

/** An activity that heartbeats while it runs (see keepAlive). */
function withKeepAlive<I, R>(activity: (input: I) => Promise<R>): (input: I) => Promise<R> {
  return (input) => keepAlive(() => activity(input));
}

export type PushActivities = ReturnType<typeof createPushActivities>;
