import { heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { SyncConfig } from '../mapping/config.ts';
import { OKTA_FAILURE } from '../okta/failures.ts';
import type { UserSchema } from '../okta/user-schema.ts';
import type { StateStore } from '../store/state-store.ts';
import { planLeavers } from './plan-leavers.ts';
import { planSync } from './plan-sync.ts';
import type { OktaFacts, PlanSummary, PlanSyncInput } from './plan-types.ts';

export interface PlanningDependencies {
  store: StateStore;
  /** The sync configuration, or how to find the one of an identity source. */
  config: SyncConfig | ((identitySourceId: string) => SyncConfig | Promise<SyncConfig>);
  /** Okta, to check the plan against the identity source's user schema before anything is sent. */
  okta?: { getUserSchema(identitySourceId: string): Promise<UserSchema> };
}

/**
 * Planning activities for the worker. Results carry ids and counts only; the plan and report stay in the store.
 * Planning heartbeats its progress (stage, records read) as it goes, so that a heartbeat timeout notices a worker
 * that died mid-plan long before the start-to-close timeout would.
 */
export function createPlanningActivities({ store, config, okta }: PlanningDependencies) {
  return {
    async planSync(input: PlanSyncInput): Promise<PlanSummary> {
      const resolved = typeof config === 'function' ? await config(input.identitySourceId) : config;
      const facts = okta ? await oktaFacts(okta, input.identitySourceId) : {};
      return planSync(store, resolved, input, facts, heartbeat);
    },
    /** Plans the pending leavers alone, without reading the export: a leaver waits for no full re-read. */
    async planLeavers(input: { identitySourceId: string; afterImportOf?: string }): Promise<PlanSummary> {
      const resolved = typeof config === 'function' ? await config(input.identitySourceId) : config;
      return planLeavers(store, resolved, input);
    },
  };
}

/**
 * The identity source's user schema. That it is the app user schema of the same id is inferred, not documented: a
 * 404 there (the sessions of the same id being found) is taken as the inference failing for this org, and the plan
 * is checked against the configured attributes only, which the report says. Any other failure (no permission, say)
 * fails planning: nothing is sent unchecked.
 */
async function oktaFacts(
  okta: NonNullable<PlanningDependencies['okta']>,
  identitySourceId: string,
): Promise<OktaFacts> {
  try {
    return { schema: await okta.getUserSchema(identitySourceId) };
  } catch (error) {
    if (!(error instanceof ApplicationFailure) || error.type !== OKTA_FAILURE.identitySourceNotFound) throw error;
    return {
      schemaUnavailable:
        `Okta answered 404 for the user schema at /api/v1/meta/schemas/apps/${identitySourceId}/default: ` +
        'the mapping was checked against the configured attributes only',
    };
  }
}

export type PlanningActivities = ReturnType<typeof createPlanningActivities>;
