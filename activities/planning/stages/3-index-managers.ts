import { SourceUnreadable } from '../../hr/source-record.ts';
import type { Profile } from '../../store/state-store.ts';
import { readExportAgain } from './1-read.ts';
import { decide } from './4-diff.ts';
import type { Person, Ref, RefHolder } from './person.ts';
import type { PlanningRun } from './planning-run.ts';

/**
 * Sets the manager attribute from the manager found; when none is (not in the export, refused, ambiguous, the
 * person themselves), the value Okta confirmed is kept rather than stripped.
 */
export function withManager(
  run: PlanningRun,
  externalId: string,
  person: Person,
  profile: Profile,
  holder: RefHolder | undefined,
  managerRef: string,
  self = false,
): void {
  const manager = run.manager!;
  person.managerId = holder?.externalId;
  person.managerMissing = holder === undefined;
  if (holder) {
    run.findings.managerResolved(externalId);
    if (holder.value !== undefined) profile[manager.attribute] = holder.value;
    return;
  }
  if (person.confirmedManager !== undefined) profile[manager.attribute] = person.confirmedManager;
  const named = run.byExternalId ? run.people.get(managerRef) : undefined;
  const problem = self
    ? 'self'
    : named !== undefined && named.records > 0 && !named.valid
      ? 'refused'
      : run.refOf(managerRef)?.more
        ? 'ambiguous'
        : undefined;
  run.findings.managerUnresolved(externalId, person, manager.field, problem, person.confirmedManager);
}

/** The manager's value while the export is read: none while the key has more than one holder. */
export function takeValue(run: PlanningRun, ref: Ref): RefHolder | undefined {
  if (!ref.takenAlone && !ref.takenShared) run.takenRefs.push(ref);
  if (ref.more) {
    ref.takenShared = true;
    return undefined;
  }
  ref.takenAlone = true;
  return ref;
}

/** The manager once the whole export is known: exactly one valid holder of the key. */
function finalHolder(run: PlanningRun, ref: Ref | undefined): RefHolder | undefined {
  if (!ref) return undefined;
  let found: RefHolder | undefined;
  for (const holder of ref.more ? [ref, ...ref.more] : [ref]) {
    if (!run.people.get(holder.externalId)!.valid) continue;
    if (found) return undefined;
    found = holder;
  }
  return found;
}

/**
 * Reports that took a manager's value which the whole export changed (the manager turned out duplicated, or a
 * second holder of the key appeared) are planned again from a second reading of the export.
 */
export async function replanChangedManagers(run: PlanningRun): Promise<void> {
  const changed = new Set<string>();
  for (const ref of run.takenRefs) {
    const value = finalHolder(run, ref)?.value;
    if ((ref.takenAlone && value !== ref.value) || (ref.takenShared && value !== undefined)) changed.add(ref.key);
  }
  if (changed.size === 0) return;
  await readExportAgain(run, (row, outcome) => {
    if (outcome.type === 'invalid' && outcome.externalId === undefined) return;
    const externalId = outcome.type === 'mapped' ? outcome.person.externalId : outcome.externalId!;
    const person = run.people.get(externalId);
    if (!person || (person.records === 1 && person.row !== row)) {
      throw new SourceUnreadable('the export changed while it was being planned: read it again');
    }
    if (outcome.type !== 'mapped' || outcome.person.disposition !== 'active') return;
    const managerRef = outcome.person.managerRef;
    if (managerRef === undefined || !changed.has(managerRef) || !person.valid || person.outcome === 'waiting') {
      return;
    }
    if (person.outcome !== 'unchanged') run.deleteUpsert.run(row);
    withManager(run, externalId, person, outcome.person.profile, finalHolder(run, run.refOf(managerRef)), managerRef);
    decide(run, row, externalId, person, outcome.person.profile);
  });
}

/** Records that waited for a manager further down the export, now that all of it is known. */
export function planWaiting(run: PlanningRun): void {
  run.scratch.flush();
  for (const waiting of run.scratch.pages<{ row: number; external_id: string; profile: string; manager_ref: string }>(
    'SELECT * FROM waiting WHERE 1 = 1',
    'row',
  )) {
    const person = run.people.get(waiting.external_id)!;
    if (!person.valid) continue;
    const profile = JSON.parse(waiting.profile) as Profile;
    const holder = finalHolder(run, run.refOf(waiting.manager_ref));
    withManager(run, waiting.external_id, person, profile, holder, waiting.manager_ref);
    decide(run, waiting.row, waiting.external_id, person, profile);
  }
  run.refs.clear();
  run.findings.cycles(run.people, (person) => (person.valid ? person.managerId : undefined), run.manager?.field);
}
