import type { Profile, StateStore } from '../../store/state-store.ts';
import { upsertBody } from '../clearing.ts';
import { FirstRows } from '../first-rows.ts';
import { fingerprint } from '../fingerprint.ts';
import { MAX_INVALID_LISTED } from '../report.ts';
import type { Person } from './person.ts';
import type { PlanningRun } from './planning-run.ts';

/**
 * Stage 4, diff: a valid active record against what Okta confirmed. New, changed (fingerprint) or not active in
 * Okta: an upsert (every one in `full` mode); otherwise unchanged.
 */
export function decide(run: PlanningRun, row: number, externalId: string, person: Person, profile: Profile): void {
  const print = fingerprint(profile);
  run.loginNames.note(externalId, profile, person.confirmed === undefined);
  if (run.full || person.confirmed === undefined || !person.active || person.confirmed !== print) {
    const isNew = person.confirmed === undefined;
    // A manager not found, for a person whose confirmed profile is not known: Okta's value is left alone.
    const keep = person.managerMissing ? run.manager?.attribute : undefined;
    const upsert = upsertBody(profile, !isNew, person.confirmedNames, run.clearing, run.full, keep);
    if (!upsert.ok) {
      run.refuse(externalId, person, upsert.problem);
      return;
    }
    run.addUpsert.run(row, externalId, JSON.stringify(upsert.body), print, isNew ? 1 : 0);
    run.scratch.wrote();
    person.outcome = isNew ? 'create' : 'update';
  } else person.outcome = 'unchanged';
}

/** Takes back what records found invalid after the fact had planned; the groups wanted are those left. */
export function dropInvalidated(run: PlanningRun): void {
  run.scratch.db.exec(`
    DELETE FROM upserts WHERE row IN (SELECT row FROM invalidated);
    DELETE FROM desired_memberships WHERE member_id IN (SELECT external_id FROM invalidated);
    INSERT INTO desired_groups (external_id, profile, fingerprint)
      SELECT group_id, profile, fingerprint FROM (
        SELECT group_id, profile, fingerprint, MIN(row) AS first FROM desired_memberships GROUP BY group_id)
      ORDER BY first;
  `);
}

/**
 * Counts every person's outcome and plans the deactivations: users Okta has active whom the export does not name
 * at all, or names as terminated or out of scope (in `full` mode, users already deactivated too). A person named
 * by an invalid record, or held, is left as they are.
 */
export function diffPeople(run: PlanningRun): void {
  const { counts, report, today } = run;
  const sampleSize = run.config.reports.samples;
  counts.invalid = run.unidentified;
  const held = new FirstRows<{ row: number; externalId: string; from: string }>(sampleSize);
  const addDeactivation = run.scratch.db.prepare('INSERT INTO deactivations (external_id) VALUES (?)');
  for (const [externalId, person] of run.people) {
    if (person.records > 1) {
      counts.invalid += person.records;
      continue;
    }
    if (person.outcome === 'invalid') {
      counts.invalid++;
      continue;
    }
    countOutcome(run, externalId, person, held);
    const day = person.nextChange;
    if (day && day > today && (!report.nextLifecycleChange || day < report.nextLifecycleChange)) {
      report.nextLifecycleChange = day;
    }
    // Not named by the export (or only as terminated or out of scope): gone from HR.
    const gone = person.records === 0 || person.outcome === 'terminated' || person.outcome === 'out-of-scope';
    if (gone && person.confirmed !== undefined && (person.active || run.full)) {
      addDeactivation.run(externalId);
      run.scratch.wrote();
      counts.deactivations++;
      if (person.active) {
        run.newDeactivations++;
        run.keyChanges.left(externalId);
      }
      if (report.samples.deactivations.length < sampleSize) report.samples.deactivations.push(externalId);
    }
  }
  report.samples.held = held.items.map(({ externalId, from }) => ({ externalId, from }));
}

function countOutcome(
  run: PlanningRun,
  externalId: string,
  person: Person,
  held: FirstRows<{ row: number; externalId: string; from: string }>,
): void {
  const counts = run.counts;
  switch (person.outcome) {
    case 'held':
      counts.held++;
      held.add({ row: person.row, externalId, from: person.nextChange ?? '' });
      break;
    case 'terminated':
      counts.terminated++;
      break;
    case 'out-of-scope':
      counts.outOfScope++;
      break;
    case 'unchanged':
    case 'create':
    case 'update':
      counts.validActive++;
      if (person.outcome === 'unchanged') counts.unchanged++;
      else if (person.outcome === 'create') {
        counts.creates++;
        run.keyChanges.arrived(externalId);
      } else counts.updates++;
      if (person.managerMissing) counts.managersNotFound++;
      break;
    case 'invalid':
    case 'absent':
    case 'waiting':
      break;
  }
}

/** The report's lists: invalid records, findings, and the first creates and updates. */
export function listSamples(run: PlanningRun): void {
  const { report, counts } = run;
  report.invalid = [...run.invalidListed.items];
  report.findings = run.findings.list(MAX_INVALID_LISTED);
  counts.findings = run.findings.count;
  const firstUpserts = run.scratch.db.prepare(
    'SELECT external_id, profile FROM upserts WHERE is_new = ? ORDER BY row LIMIT ?',
  );
  for (const [isNew, samples] of [
    [1, report.samples.creates],
    [0, report.samples.updates],
  ] as const) {
    for (const r of firstUpserts.all(isNew, run.config.reports.samples) as { external_id: string; profile: string }[]) {
      samples.push({ externalId: r.external_id, profile: JSON.parse(r.profile) as Profile });
    }
  }
}

/** The queries of the group and membership changes (`?`: 1 in `full` mode), against what Okta confirmed. */
export const GROUP_UPSERTS = `SELECT d.rowid AS k, d.external_id, d.profile, d.fingerprint FROM desired_groups d
  LEFT JOIN confirmed_groups c ON c.external_id = d.external_id
  WHERE (? = 1 OR c.fingerprint IS NULL OR c.fingerprint <> d.fingerprint)`;
export const GROUP_DELETES = `SELECT c.rowid AS k, c.external_id FROM confirmed_groups c
  WHERE NOT EXISTS (SELECT 1 FROM desired_groups d WHERE d.external_id = c.external_id)
  AND NOT EXISTS (SELECT 1 FROM confirmed_memberships m JOIN protected_members p ON p.external_id = m.member_id WHERE m.group_id = c.external_id)`;
export const MEMBERSHIP_UPSERTS = `SELECT d.rowid AS k, d.group_id, d.member_id FROM desired_memberships d
  WHERE (? = 1 OR NOT EXISTS (SELECT 1 FROM confirmed_memberships c WHERE c.group_id = d.group_id AND c.member_id = d.member_id))`;
export const MEMBERSHIP_DELETES = `SELECT c.rowid AS k, c.group_id, c.member_id FROM confirmed_memberships c
  JOIN known_members k ON k.external_id = c.member_id
  WHERE NOT EXISTS (SELECT 1 FROM desired_memberships d WHERE d.group_id = c.group_id AND d.member_id = c.member_id)
  AND c.group_id NOT IN (SELECT external_id FROM (${GROUP_DELETES}))`;

/**
 * Groups and memberships against what Okta confirmed. A membership is removed only for a person whose record is
 * valid (their groups are known), and a group only when no member whose record was invalid or held is left in it.
 * The people index is no longer needed after this.
 */
export async function diffGroups(run: PlanningRun, store: StateStore): Promise<void> {
  const { identitySourceId } = run.input;
  const { scratch, counts } = run;
  const addConfirmedGroup = scratch.db.prepare('INSERT INTO confirmed_groups (external_id, fingerprint) VALUES (?, ?)');
  for await (const group of store.streamConfirmedGroups(identitySourceId)) {
    addConfirmedGroup.run(group.externalId, group.fingerprint);
    scratch.wrote();
  }
  const addConfirmedMembership = scratch.db.prepare(
    'INSERT INTO confirmed_memberships (group_id, member_id) VALUES (?, ?)',
  );
  let confirmedMemberships = 0;
  for await (const m of store.streamConfirmedMemberships(identitySourceId)) {
    addConfirmedMembership.run(m.groupExternalId, m.memberExternalId);
    confirmedMemberships++;
    scratch.wrote();
  }
  if (confirmedMemberships > 0) {
    // Whose memberships are known (valid active) and whose are not to be touched (invalid or held).
    const protect = scratch.db.prepare('INSERT INTO protected_members (external_id) VALUES (?)');
    const know = scratch.db.prepare('INSERT INTO known_members (external_id) VALUES (?)');
    for (const [externalId, person] of run.people) {
      if (person.records > 1 || person.outcome === 'invalid' || person.outcome === 'held') protect.run(externalId);
      else if (person.planned) know.run(externalId);
      else continue;
      scratch.wrote();
    }
  }
  run.people.clear();
  scratch.flush();
  const full = run.full ? 1 : 0;
  const countOf = (sql: string, params: number[] = []) =>
    Number((scratch.db.prepare(`SELECT COUNT(*) AS n FROM (${sql})`).get(...params) as { n: number }).n);
  counts.groupUpserts = countOf(GROUP_UPSERTS, [full]);
  counts.groupDeletes = countOf(GROUP_DELETES);
  counts.membershipUpserts = countOf(MEMBERSHIP_UPSERTS, [full]);
  counts.membershipDeletes = countOf(MEMBERSHIP_DELETES);
}
