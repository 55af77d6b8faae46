import type { SyncConfig } from '../mapping/config.ts';
import type { UserSchema } from '../okta/user-schema.ts';
import type { StateStore } from '../store/state-store.ts';
import { planSync } from './plan-sync.ts';
import type { PlanSummary, PlanSyncInput } from './plan-sync.ts';

export interface PlanningDependencies {
  store: StateStore;
  /** The sync configuration, or how to find the one of an identity source. */
  config: SyncConfig | ((identitySourceId: string) => SyncConfig | Promise<SyncConfig>);
  /** Okta, to check the plan against the identity source's user schema before anything is sent. */
  okta?: { getUserSchema(identitySourceId: string): Promise<UserSchema> };
}

/** Planning activities for the worker. Results carry ids and counts only; the plan and report stay in the store. */
export function createPlanningActivities({ store, config, okta }: PlanningDependencies) {
  return {
    async planSync(input: PlanSyncInput): Promise<PlanSummary> {
      const resolved = typeof config === 'function' ? await config(input.identitySourceId) : config;
      const schema = okta ? await okta.getUserSchema(input.identitySourceId) : undefined;
      return planSync(store, resolved, input, schema ? { schema } : {});
    },
  };
}

export type PlanningActivities = ReturnType<typeof createPlanningActivities>;
