import { createPushActivities, type PushActivityDeps } from '../activities/push/push-activities.ts';
import type { StateStore } from '../activities/store/state-store.ts';
import { describeWorker } from '../activities/worker-info.ts';

export type ActivityDeps = PushActivityDeps & { store: StateStore };

/** Every activity the worker hosts, built from the clients it was given (real ones, or a test's local ones). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createPushActivities(deps),
    describeWorker,
  };
}
