import {
  createCoordinationActivities,
  type CoordinationDeps,
} from '../activities/coordination/coordination-activities.ts';
import { createPlanningActivities, type PlanningDependencies } from '../activities/planning/planning-activities.ts';
import { createPushActivities, type PushActivityDeps } from '../activities/push/push-activities.ts';
import { createSingleRecordActivities } from '../activities/single-record/single-record-activities.ts';
import { describeWorker } from '../activities/worker-info.ts';
import { identitySourceCheck } from '../activities/okta/identity-source-check.ts';
import { identitySourceCoordinator } from '../workflows/identity-source-coordinator.ts';

export type ActivityDeps = PushActivityDeps & {
  syncConfig: PlanningDependencies['config'];
  defaults: CoordinationDeps['defaults'];
};

/** Every activity the worker hosts, built from the clients it was given (real ones, or a test's local ones). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createPushActivities(deps),
    ...createSingleRecordActivities({ store: deps.store, okta: deps.okta }),
    ...createPlanningActivities({ store: deps.store, config: deps.syncConfig, okta: deps.okta }),
    ...createCoordinationActivities({
      temporal: deps.temporal,
      defaults: deps.defaults,
      checkIdentitySource: identitySourceCheck(deps.okta),
      coordinator: identitySourceCoordinator,
    }),
    describeWorker,
  };
}
