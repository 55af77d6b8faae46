import type { UserSchema } from '../okta/user-schema.ts';
import type { PlanCounts } from '../store/state-store.ts';
import type { TrippedGuardrail } from './guardrails.ts';
import type { PlanningCounts } from './report.ts';

export interface PlanSyncInput {
  identitySourceId: string;
  mode: 'delta' | 'full';
  dryRun: boolean;
  /** ISO instant the lifecycle is evaluated at; defaults to the current time. */
  now?: string;
  /**
   * Plan these people only (externalIds, e.g. `provision E1001`): the export is read and checked as always, but the
   * plan holds only their upserts and deactivations (no group changes), and consumes only their HR events.
   */
  people?: string[];
}

/** What planning checks the plan against, when it could read it from Okta. */
export interface OktaFacts {
  /** The identity source's user schema: a mapped attribute missing from it makes Okta refuse the record. */
  schema?: UserSchema;
  /** Why the schema could not be read, when planning went ahead without it. */
  schemaUnavailable?: string;
}

/**
 * Where planning is, for a heartbeat: the stage (snapshot: reading what Okta confirmed; read: the export; managers:
 * resolving manager references; diff; guardrails; save) and how many records of the export it has read.
 */
export interface PlanningProgress {
  stage: 'snapshot' | 'read' | 'managers' | 'diff' | 'guardrails' | 'save';
  recordsRead: number;
}

/**
 * What planning returns to a workflow: ids, counts and the guardrail verdict only, never personal data (it is
 * recorded in workflow history).
 */
export interface PlanSummary {
  /** Absent when the export could not be read. */
  planId?: string;
  identitySourceId: string;
  mode: 'delta' | 'full';
  dryRun: boolean;
  /**
   * planned: ready to push; awaiting-approval: a guardrail tripped (the plan is stored with that status);
   * dry-run: stored for inspection, never to be pushed; unreadable: nothing planned.
   */
  outcome: 'planned' | 'awaiting-approval' | 'dry-run' | 'unreadable';
  counts: PlanningCounts;
  /** The plan's item counts as stored (what the push lays out). */
  planCounts?: PlanCounts;
  guardrails: { tripped: TrippedGuardrail[] };
  reportId: string;
  reportPath: string;
  /** For an unreadable export: why (no record contents). */
  error?: string;
}
