import type { HrRecord } from '../../mapping/expressions.ts';
import type { HrEventOverlay } from '../hr-event-overlay.ts';
import { outcomeOfOverlay, outcomeOfRecord } from '../row-outcome.ts';
import type { Problem, RowOutcome } from '../row-outcome.ts';
import type { Person } from './person.ts';
import type { PlanningRun } from './planning-run.ts';

const DUPLICATE_ID: Problem = { field: 'externalId', reason: 'appears more than once in the export' };
const DUPLICATE_USER_NAME: Problem = { field: 'userName', reason: 'is used by more than one record of the export' };

/** Stage 2, map/validate: what one record of the export means, pending HR events applied (`overlaid` fills). */
export function mapRecord(run: PlanningRun, record: HrRecord, overlaid: Set<string>): RowOutcome {
  return outcomeOfRecord(record, run.mapping, run.today, run.overlays, overlaid);
}

/** Stage 2, map/validate: a person an HR event speaks of whom the export does not show. */
export function mapOverlay(run: PlanningRun, overlay: HrEventOverlay): RowOutcome {
  return outcomeOfOverlay(overlay, run.mapping, run.today);
}

/** People the export does not show (yet): joiners, and leavers it already dropped. */
export function overlaysOutsideExport(run: PlanningRun): HrEventOverlay[] {
  return [...run.overlays.values()].filter(
    (overlay) => !run.overlaid.has(overlay.externalId) && (overlay.type === 'leaver' || overlay.record),
  );
}

/**
 * The person a record names, when it is the first to; a second record makes every record of theirs invalid
 * (undefined then: the record plans nothing).
 */
export function firstNaming(
  run: PlanningRun,
  row: number,
  line: number | null,
  externalId: string,
  invalid: boolean,
): Person | undefined {
  const person = run.personOf(externalId);
  if (++person.records === 1) {
    person.row = row;
    person.line = line;
    return person;
  }
  if (!invalid) run.listInvalid(row, line, externalId, DUPLICATE_ID);
  if (person.records === 2) {
    if (person.outcome !== 'invalid') run.listInvalid(person.row, person.line, externalId, DUPLICATE_ID);
    run.invalidate(externalId, person.row);
  }
  return undefined;
}

/** Notes the userName a valid active record claims, to find the ones claimed by more than one record. */
export function claimUserName(run: PlanningRun, userName: string, externalId: string): void {
  const sharing = run.userNames.get(userName);
  if (sharing === undefined) run.userNames.set(userName, externalId);
  else if (typeof sharing === 'string') {
    run.userNames.set(userName, [sharing, externalId]);
    run.sharedUserNames.push(userName);
  } else sharing.push(externalId);
}

/** A userName shared by valid records (duplicated ids aside): no record of it is trusted. */
export function refuseSharedUserNames(run: PlanningRun): void {
  for (const userName of run.sharedUserNames) {
    const holders = (run.userNames.get(userName) as string[]).filter((id) => run.people.get(id)!.records === 1);
    if (holders.length < 2) continue;
    for (const externalId of holders) {
      const person = run.people.get(externalId)!;
      person.outcome = 'invalid';
      run.listInvalid(person.row, person.line, externalId, DUPLICATE_USER_NAME);
      run.invalidate(externalId, person.row);
    }
  }
  run.userNames.clear();
}
