import { SourceUnreadable } from '../hr/source-record.ts';
import type { SyncConfig } from '../mapping/config.ts';
import type { StateStore } from '../store/state-store.ts';
import type { OktaFacts, PlanningProgress, PlanSummary, PlanSyncInput } from './plan-types.ts';
import { readConfirmed, readExport } from './stages/1-read.ts';
import { refuseSharedUserNames } from './stages/2-map-validate.ts';
import { indexRow } from './stages/3-index.ts';
import { planWaiting, replanChangedManagers } from './stages/3-index-managers.ts';
import { diffGroups, diffPeople, dropInvalidated, listSamples } from './stages/4-diff.ts';
import { scopeToPeople } from './stages/4-scope.ts';
import { checkGuardrails, findLookalikes } from './stages/5-guardrails.ts';
import { reportUnreadable, savePlan } from './stages/6-save.ts';
import { PlanningRun } from './stages/planning-run.ts';

/**
 * Reads the HR export, maps and validates every record, and stores the change set against what Okta confirmed.
 * The stages, in stages/ by number: 1 read (Okta's confirmed snapshot, pending HR events, the export), 2 map and
 * validate each record, 3 index it (people, userNames, groups, managers), 4 diff against the snapshot, 5 guardrails,
 * 6 save the plan and report.
 *
 * - Upserts: valid active records that are new, changed (fingerprint), or not active in Okta; all of them in
 *   `full` mode.
 * - Deactivations: users Okta has active whom the export does not name at all, or names as terminated or out of
 *   scope. A record that is invalid, or a future hire outside the pre-hire window, still names its person:
 *   that person is left as they are, never deactivated because of bad input. In `full` mode users already
 *   deactivated are deactivated again (repairing drift).
 * - Groups and memberships: derived from valid active records; a membership is removed only for a person whose
 *   record is valid (their groups are known), and a group only when it has no members left whose record was
 *   invalid or held.
 *
 * One pass over the export decides each record against the in-memory index of people (externalId → confirmed
 * fingerprint and what their record plans, userName → person, manager key → value): only changes, group
 * memberships and records whose manager comes later are written to the scratch database. Duplicates found later
 * take back what the records they make invalid planned; reports that had taken such a manager's value are
 * planned again from a second reading of the export (rare: it takes a duplicated manager).
 *
 * `progress` is told the stage and records read as planning goes (the activity heartbeats with it).
 */
export async function planSync(
  store: StateStore,
  config: SyncConfig,
  input: PlanSyncInput,
  okta: OktaFacts = {},
  progress?: (progress: PlanningProgress) => void,
): Promise<PlanSummary> {
  const run = new PlanningRun(config, input, okta, progress);
  try {
    await readConfirmed(run, store);
    try {
      run.progress('read');
      await readExport(run, (row, line, outcome) => indexRow(run, row, line, outcome));
      refuseSharedUserNames(run);
      run.progress('managers');
      await replanChangedManagers(run);
    } catch (error) {
      if (!(error instanceof SourceUnreadable)) throw error;
      return await reportUnreadable(run, error.message);
    }
    planWaiting(run);
    run.progress('diff');
    dropInvalidated(run);
    diffPeople(run);
    const lookalikes = findLookalikes(run);
    listSamples(run);
    if (run.scope) scopeToPeople(run, run.scope);
    else await diffGroups(run, store);
    run.progress('guardrails');
    const fieldNames = await checkGuardrails(run, store, lookalikes);
    run.progress('save');
    return await savePlan(run, store, fieldNames);
  } finally {
    run.close();
  }
}
