import type { MappedPerson } from '../../mapping/map-record.ts';
import type { PlannedGroup } from '../../store/state-store.ts';
import { fingerprint } from '../fingerprint.ts';
import type { RowOutcome } from '../row-outcome.ts';
import { claimUserName, firstNaming } from './2-map-validate.ts';
import { takeValue, withManager } from './3-index-managers.ts';
import { decide } from './4-diff.ts';
import type { Person, Ref } from './person.ts';
import type { PlanningRun } from './planning-run.ts';

/**
 * Stage 3, index: one row's outcome goes into the people index (what the person's first record plans), the
 * userNames claimed, the groups wanted and the manager references; a valid active record is then diffed (stage 4)
 * unless its manager comes later in the export.
 */
export function indexRow(run: PlanningRun, row: number, line: number | null, outcome: RowOutcome): void {
  if (outcome.type === 'invalid') {
    run.listInvalid(row, line, outcome.externalId, outcome.problem);
    if (outcome.externalId === undefined) run.unidentified++;
    else {
      const person = firstNaming(run, row, line, outcome.externalId, true);
      if (person) person.outcome = 'invalid';
    }
    return;
  }
  if (outcome.type === 'terminated') {
    const person = firstNaming(run, row, line, outcome.externalId, false);
    if (person) person.outcome = 'terminated';
    return;
  }
  const mapped = outcome.person;
  const externalId = mapped.externalId;
  const person = firstNaming(run, row, line, externalId, false);
  if (!person) return;
  if (mapped.finding) run.findings.note(externalId, 'lifecycle', person, mapped.finding.field, mapped.finding.reason);
  if (mapped.disposition !== 'active') {
    person.outcome = mapped.disposition === 'pre-hire' ? 'held' : mapped.disposition;
    if (mapped.disposition === 'pre-hire') person.nextChange = mapped.nextChange;
    return;
  }
  person.nextChange = mapped.nextChange;
  claimUserName(run, (mapped.profile.userName ?? '').toLowerCase(), externalId);
  indexGroups(run, row, mapped);
  if (run.manager && !indexManager(run, row, person, mapped)) return;
  decide(run, row, externalId, person, mapped.profile);
}

/** The groups a valid active record puts its person in. */
function indexGroups(run: PlanningRun, row: number, mapped: MappedPerson): void {
  for (const group of mapped.groups) {
    const groupProfile: { displayName: string; description?: string } = { displayName: group.displayName };
    if (group.description !== undefined) groupProfile.description = group.description;
    // A group without a description says so to Okta (null clears one the mapping no longer gives); the
    // fingerprint is of the values.
    const sent: PlannedGroup['profile'] = { description: null, ...groupProfile };
    run.addMembership.run(group.externalId, mapped.externalId, row, JSON.stringify(sent), fingerprint(groupProfile));
    run.scratch.wrote();
  }
}

/**
 * The record as a manager others may name (its reference key), and the manager it names: taken when already read,
 * or the record waits for it (false: not to be diffed yet).
 */
function indexManager(run: PlanningRun, row: number, person: Person, mapped: MappedPerson): boolean {
  const manager = run.manager!;
  const { externalId, profile } = mapped;
  const key = mapped.refKey;
  if (key !== undefined) {
    const value = profile[manager.value];
    const ref = run.refOf(key);
    if (ref) (ref.more ??= []).push({ externalId, value });
    else {
      const added: Ref = { externalId, value, key, more: undefined, takenAlone: false, takenShared: false };
      if (run.byExternalId) person.ref = added;
      else run.refs.set(key, added);
    }
  }
  if (mapped.managerRef === undefined) return true;
  const ref = run.refOf(mapped.managerRef);
  if (mapped.managerRef === key) withManager(run, externalId, person, profile, undefined, mapped.managerRef, true);
  else if (!ref) {
    person.outcome = 'waiting';
    run.addWaiting.run(row, externalId, JSON.stringify(profile), mapped.managerRef);
    run.scratch.wrote();
    return false;
  } else withManager(run, externalId, person, profile, takeValue(run, ref), mapped.managerRef);
  return true;
}
