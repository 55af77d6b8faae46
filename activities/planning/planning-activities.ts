import type { SyncConfig } from '../mapping/config.ts';
import type { StateStore } from '../store/state-store.ts';
import { planSync } from './plan-sync.ts';
import type { PlanSummary, PlanSyncInput } from './plan-sync.ts';

export interface PlanningDependencies {
  store: StateStore;
  /** The sync configuration, or how to find the one of an identity source. */
  config: SyncConfig | ((identitySourceId: string) => SyncConfig | Promise<SyncConfig>);
}

/** Planning activities for the worker. Results carry ids and counts only; the plan and report stay in the store. */
export function createPlanningActivities({ store, config }: PlanningDependencies) {
  return {
    async planSync(input: PlanSyncInput): Promise<PlanSummary> {
      const resolved = typeof config === 'function' ? await config(input.identitySourceId) : config;
      return planSync(store, resolved, input);
    },
  };
}

export type PlanningActivities = ReturnType<typeof createPlanningActivities>;
