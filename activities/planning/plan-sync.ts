import { randomUUID } from 'node:crypto';
import type { SyncConfig } from '../mapping/config.ts';
import { mappedFields } from '../mapping/fields.ts';
import { calendarDay } from '../mapping/lifecycle.ts';
import type { HrRecord } from '../mapping/expressions.ts';
import { mapRecord } from '../mapping/map-record.ts';
import type { DerivedGroup, MapOutcome } from '../mapping/map-record.ts';
import { SourceUnreadable, readHrSource, sourceProblem } from '../hr/source.ts';
import type { SourceFields } from '../hr/source.ts';
import type {
  PlanCounts,
  PlannedGroup,
  PlannedMembership,
  PlannedUpsert,
  Profile,
  StateStore,
} from '../store/state-store.ts';
import { fingerprint } from './fingerprint.ts';
import { foldHrEvents, type HrEventOverlay } from './hr-event-overlay.ts';
import { evaluateGuardrails } from './guardrails.ts';
import type { TrippedGuardrail } from './guardrails.ts';
import { MAX_INVALID_LISTED, writeReport } from './report.ts';
import type { PlanningCounts, PlanningReport } from './report.ts';
import { Scratch } from './scratch.ts';

export interface PlanSyncInput {
  identitySourceId: string;
  mode: 'delta' | 'full';
  dryRun: boolean;
  /** ISO instant the lifecycle is evaluated at; defaults to the current time. */
  now?: string;
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

interface ConfirmedEntry {
  fingerprint: string;
  active: boolean;
  /** Named by this export (validly or not), so not gone from HR. */
  seen: boolean;
}

interface PersonRow {
  row: number;
  line: number | null;
  external_id: string | null;
  disposition: string | null;
  profile: string | null;
  groups: string | null;
  manager_ref: string | null;
  next_change: string | null;
  problem_field: string | null;
  problem_reason: string | null;
}

type Problem = { field: string; reason: string };

function emptyCounts(): PlanningCounts {
  return {
    recordsRead: 0,
    validActive: 0,
    invalid: 0,
    unchanged: 0,
    held: 0,
    terminated: 0,
    outOfScope: 0,
    creates: 0,
    updates: 0,
    deactivations: 0,
    groupUpserts: 0,
    groupDeletes: 0,
    membershipUpserts: 0,
    membershipDeletes: 0,
    managersNotFound: 0,
  };
}

/**
 * Reads the HR export, maps and validates every record, and stores the change set against what Okta confirmed.
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
 */
export async function planSync(store: StateStore, config: SyncConfig, input: PlanSyncInput): Promise<PlanSummary> {
  const now = input.now ? new Date(input.now) : new Date();
  if (Number.isNaN(now.getTime())) throw new Error(`planSync: "now" is not an ISO date-time: ${input.now}`);
  const today = calendarDay(now, config.mapping.lifecycle.timeZone);
  const reportId = randomUUID();
  const counts = emptyCounts();
  const report: PlanningReport = {
    reportId,
    identitySourceId: input.identitySourceId,
    mode: input.mode,
    dryRun: input.dryRun,
    createdAt: new Date().toISOString(),
    today,
    source: describeSource(config),
    counts,
    samples: { creates: [], updates: [], deactivations: [], held: [] },
    invalid: [],
    guardrails: [],
  };
  const sampleSize = config.reports.samples;
  const scratch = new Scratch();
  try {
    const confirmed = new Map<string, ConfirmedEntry>();
    let confirmedActive = 0;
    for await (const user of store.streamConfirmedUsers(input.identitySourceId)) {
      confirmed.set(user.externalId, { fingerprint: user.fingerprint, active: user.status === 'ACTIVE', seen: false });
      if (user.status === 'ACTIVE') confirmedActive++;
    }

    // HR events not yet applied overlay the export: a joiner, mover or leaver takes effect before the export shows it.
    const retainSince = new Date(Date.now() - config.hrEvents.retainAppliedHours * 3_600_000).toISOString();
    const hrEvents = await store.pendingHrEvents(input.identitySourceId, retainSince);
    const overlays = foldHrEvents(hrEvents);

    // Pass 1: read, map and validate every record into the scratch database.
    const fields: SourceFields = { names: new Set() };
    const insertPerson = scratch.db.prepare(
      `INSERT INTO people (row, line, external_id, user_name, disposition, profile, groups, manager_ref, ref_key, next_change, problem_field, problem_reason)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertProblem = (row: number, line: number | null, externalId: string | null, problem: Problem) => {
      insertPerson.run(row, line, externalId, null, null, null, null, null, null, null, problem.field, problem.reason);
    };
    const insertTerminated = (row: number, line: number | null, externalId: string) => {
      insertPerson.run(row, line, externalId, null, 'terminated', null, null, null, null, null, null, null);
    };
    const insertMapped = (row: number, line: number | null, record: HrRecord, outcome: MapOutcome) => {
      const marked = sourceProblem(record);
      if (marked || !outcome.ok) {
        const problem = marked ?? (!outcome.ok ? outcome.problem : undefined)!;
        insertProblem(
          row,
          line,
          (outcome.ok ? outcome.person.externalId : outcome.problem.externalId) ?? null,
          problem,
        );
        return;
      }
      const p = outcome.person;
      insertPerson.run(
        row,
        line,
        p.externalId,
        p.disposition === 'active' ? (p.profile.userName ?? '').toLowerCase() : null,
        p.disposition,
        p.disposition === 'active' ? JSON.stringify(p.profile) : null,
        p.groups.length > 0 ? JSON.stringify(p.groups) : null,
        p.managerRef ?? null,
        p.disposition === 'active' ? (p.refKey ?? null) : null,
        p.nextChange ?? null,
        null,
        null,
      );
    };
    /** A person an HR event speaks of: a leaver is terminated; a record the event carried replaces fields. */
    const insertOverlaid = (row: number, line: number | null, overlay: HrEventOverlay, exported?: HrRecord) => {
      if (overlay.type === 'leaver') return insertTerminated(row, line, overlay.externalId);
      const record = { ...exported, ...overlay.record };
      const outcome = mapRecord(record, config.mapping, today);
      const mappedId = outcome.ok ? outcome.person.externalId : outcome.problem.externalId;
      if (mappedId !== overlay.externalId) {
        return insertProblem(row, line, overlay.externalId, {
          field: 'externalId',
          reason: 'the record carried by an HR event for this person maps to another externalId, or to none',
        });
      }
      insertMapped(row, line, record, outcome);
    };
    const overlaid = new Set<string>();
    try {
      for await (const { row, line, record } of readHrSource(config.source, fields)) {
        counts.recordsRead++;
        const outcome = mapRecord(record, config.mapping, today);
        const externalId = outcome.ok ? outcome.person.externalId : outcome.problem.externalId;
        const overlay = externalId === undefined ? undefined : overlays.get(externalId);
        if (overlay && !sourceProblem(record)) {
          overlaid.add(overlay.externalId);
          insertOverlaid(row, line ?? null, overlay, record);
        } else insertMapped(row, line ?? null, record, outcome);
        scratch.wrote();
      }
      // People the export does not show (yet): joiners, and leavers it already dropped.
      let row = counts.recordsRead;
      for (const overlay of overlays.values()) {
        if (overlaid.has(overlay.externalId) || (overlay.type !== 'leaver' && !overlay.record)) continue;
        insertOverlaid(++row, null, overlay);
        scratch.wrote();
      }
    } catch (error) {
      if (!(error instanceof SourceUnreadable)) throw error;
      report.unreadable = error.message;
      const reportPath = await writeReport(config.reports.dir, report);
      return {
        identitySourceId: input.identitySourceId,
        mode: input.mode,
        dryRun: input.dryRun,
        outcome: 'unreadable',
        counts,
        guardrails: { tripped: [] },
        reportId,
        reportPath,
        error: error.message,
      };
    }
    scratch.indexPeople();

    // Duplicates: no record of an ambiguous person is trusted, and none is taken for gone either.
    scratch.db.exec(`
      UPDATE people SET problem_field = 'externalId', problem_reason = 'appears more than once in the export'
      WHERE problem_field IS NULL AND external_id IN (
        SELECT external_id FROM people WHERE external_id IS NOT NULL GROUP BY external_id HAVING COUNT(*) > 1);
      UPDATE people SET problem_field = 'userName', problem_reason = 'is used by more than one record of the export'
      WHERE problem_field IS NULL AND user_name IN (
        SELECT user_name FROM people WHERE user_name IS NOT NULL AND problem_field IS NULL GROUP BY user_name HAVING COUNT(*) > 1);
    `);
    scratch.flush();

    // Pass 2: decide each record's change against the confirmed index.
    const managerOf = scratch.db.prepare(
      "SELECT profile FROM people WHERE ref_key = ? AND disposition = 'active' AND problem_field IS NULL LIMIT 2",
    );
    const manager = config.mapping.manager;
    const addUpsert = scratch.db.prepare(
      'INSERT INTO upserts (external_id, profile, fingerprint, is_new) VALUES (?, ?, ?, ?)',
    );
    const addDeactivation = scratch.db.prepare('INSERT INTO deactivations (external_id) VALUES (?)');
    const addGroup = scratch.db.prepare(
      'INSERT INTO desired_groups (external_id, profile, fingerprint) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
    );
    const addMembership = scratch.db.prepare(
      'INSERT INTO desired_memberships (group_id, member_id) VALUES (?, ?) ON CONFLICT DO NOTHING',
    );
    const protect = scratch.db.prepare('INSERT INTO protected_members (external_id) VALUES (?) ON CONFLICT DO NOTHING');
    const know = scratch.db.prepare('INSERT INTO known_members (external_id) VALUES (?) ON CONFLICT DO NOTHING');
    let unidentified = 0;
    let newDeactivations = 0;
    const noteChange = (day: string | null) => {
      if (day && day > today && (!report.nextLifecycleChange || day < report.nextLifecycleChange)) {
        report.nextLifecycleChange = day;
      }
    };
    const deactivate = (externalId: string, entry: ConfirmedEntry) => {
      addDeactivation.run(externalId);
      counts.deactivations++;
      if (entry.active) newDeactivations++;
      if (report.samples.deactivations.length < sampleSize) report.samples.deactivations.push(externalId);
      scratch.wrote();
    };

    for (const person of scratch.pages<PersonRow>('SELECT * FROM people WHERE 1 = 1', 'row')) {
      const entry = person.external_id === null ? undefined : confirmed.get(person.external_id);
      if (person.problem_field !== null) {
        counts.invalid++;
        if (person.external_id === null) unidentified++;
        else {
          if (entry) entry.seen = true;
          protect.run(person.external_id);
        }
        if (report.invalid.length < MAX_INVALID_LISTED) {
          report.invalid.push({
            row: person.row,
            ...(person.line === null ? {} : { line: person.line }),
            ...(person.external_id === null ? {} : { externalId: person.external_id }),
            field: person.problem_field,
            reason: person.problem_reason ?? '',
          });
        }
        continue;
      }
      const externalId = person.external_id!;
      noteChange(person.next_change);
      switch (person.disposition) {
        case 'pre-hire':
          counts.held++;
          if (entry) entry.seen = true;
          protect.run(externalId);
          if (report.samples.held.length < sampleSize)
            report.samples.held.push({ externalId, from: person.next_change ?? '' });
          break;
        case 'terminated':
        case 'out-of-scope':
          if (person.disposition === 'terminated') counts.terminated++;
          else counts.outOfScope++;
          // Left unseen: deactivated below if Okta has them.
          break;
        case 'active': {
          counts.validActive++;
          if (entry) entry.seen = true;
          know.run(externalId);
          const profile = JSON.parse(person.profile!) as Profile;
          if (manager && person.manager_ref !== null) {
            const found = managerOf.all(person.manager_ref) as { profile: string }[];
            const value = found.length === 1 ? (JSON.parse(found[0]!.profile) as Profile)[manager.value] : undefined;
            if (value !== undefined) profile[manager.attribute] = value;
            else counts.managersNotFound++;
          }
          const print = fingerprint(profile);
          const isNew = !entry;
          if (input.mode === 'full' || !entry || !entry.active || entry.fingerprint !== print) {
            addUpsert.run(externalId, JSON.stringify(profile), print, isNew ? 1 : 0);
            if (isNew) counts.creates++;
            else counts.updates++;
            const samples = isNew ? report.samples.creates : report.samples.updates;
            if (samples.length < sampleSize) samples.push({ externalId, profile });
          } else counts.unchanged++;
          for (const group of (person.groups === null ? [] : JSON.parse(person.groups)) as DerivedGroup[]) {
            const groupProfile: PlannedGroup['profile'] = { displayName: group.displayName };
            if (group.description !== undefined) groupProfile.description = group.description;
            addGroup.run(group.externalId, JSON.stringify(groupProfile), fingerprint(groupProfile));
            addMembership.run(group.externalId, externalId);
          }
          break;
        }
      }
      scratch.wrote();
    }
    for (const [externalId, entry] of confirmed) {
      if (!entry.seen && (entry.active || input.mode === 'full')) deactivate(externalId, entry);
    }
    confirmed.clear();

    // Groups and memberships against what Okta confirmed.
    const addConfirmedGroup = scratch.db.prepare(
      'INSERT INTO confirmed_groups (external_id, fingerprint) VALUES (?, ?)',
    );
    for await (const group of store.streamConfirmedGroups(input.identitySourceId)) {
      addConfirmedGroup.run(group.externalId, group.fingerprint);
      scratch.wrote();
    }
    const addConfirmedMembership = scratch.db.prepare(
      'INSERT INTO confirmed_memberships (group_id, member_id) VALUES (?, ?)',
    );
    for await (const m of store.streamConfirmedMemberships(input.identitySourceId)) {
      addConfirmedMembership.run(m.groupExternalId, m.memberExternalId);
      scratch.wrote();
    }
    scratch.flush();
    const full = input.mode === 'full' ? 1 : 0;
    const groupUpsertsSql = `SELECT d.rowid AS k, d.external_id, d.profile, d.fingerprint FROM desired_groups d
      LEFT JOIN confirmed_groups c ON c.external_id = d.external_id
      WHERE (? = 1 OR c.fingerprint IS NULL OR c.fingerprint <> d.fingerprint)`;
    const groupDeletesSql = `SELECT c.rowid AS k, c.external_id FROM confirmed_groups c
      WHERE NOT EXISTS (SELECT 1 FROM desired_groups d WHERE d.external_id = c.external_id)
      AND NOT EXISTS (SELECT 1 FROM confirmed_memberships m JOIN protected_members p ON p.external_id = m.member_id WHERE m.group_id = c.external_id)`;
    const membershipUpsertsSql = `SELECT d.rowid AS k, d.group_id, d.member_id FROM desired_memberships d
      WHERE (? = 1 OR NOT EXISTS (SELECT 1 FROM confirmed_memberships c WHERE c.group_id = d.group_id AND c.member_id = d.member_id))`;
    const membershipDeletesSql = `SELECT c.rowid AS k, c.group_id, c.member_id FROM confirmed_memberships c
      JOIN known_members k ON k.external_id = c.member_id
      WHERE NOT EXISTS (SELECT 1 FROM desired_memberships d WHERE d.group_id = c.group_id AND d.member_id = c.member_id)
      AND c.group_id NOT IN (SELECT external_id FROM (${groupDeletesSql}))`;
    const countOf = (sql: string, params: number[] = []) =>
      Number((scratch.db.prepare(`SELECT COUNT(*) AS n FROM (${sql})`).get(...params) as { n: number }).n);
    counts.groupUpserts = countOf(groupUpsertsSql, [full]);
    counts.groupDeletes = countOf(groupDeletesSql);
    counts.membershipUpserts = countOf(membershipUpsertsSql, [full]);
    counts.membershipDeletes = countOf(membershipDeletesSql);

    const previous = (await store.findLatestPlan(input.identitySourceId, ['applied']))?.source;
    const fieldNames = [...fields.names].sort();
    report.guardrails = evaluateGuardrails(
      {
        recordsRead: counts.recordsRead,
        validActive: counts.validActive,
        invalid: counts.invalid,
        unidentified,
        deactivations: newDeactivations,
        confirmedActive,
        ...(previous ? { previous } : {}),
        fields: fieldNames,
        mappedFields: mappedFields(config.mapping),
      },
      config.guardrails,
    );

    const status = input.dryRun ? 'dry-run' : report.guardrails.length > 0 ? 'awaiting-approval' : 'planned';
    const header = await store.savePlan({
      identitySourceId: input.identitySourceId,
      mode: input.mode,
      status,
      report,
      source: { records: counts.recordsRead, fields: fieldNames },
      upserts: map(
        scratch.pages<{ external_id: string; profile: string; fingerprint: string }>(
          'SELECT * FROM upserts WHERE 1 = 1',
          'seq',
        ),
        (r): PlannedUpsert => ({
          externalId: r.external_id,
          profile: JSON.parse(r.profile) as Profile,
          fingerprint: r.fingerprint,
        }),
      ),
      deactivations: map(
        scratch.pages<{ external_id: string }>('SELECT * FROM deactivations WHERE 1 = 1', 'seq'),
        (r) => r.external_id,
      ),
      groupUpserts: map(
        scratch.pages<{ external_id: string; profile: string; fingerprint: string }>(
          `SELECT * FROM (${groupUpsertsSql}) WHERE 1 = 1`,
          'k',
          [full],
        ),
        (r): PlannedGroup => ({
          externalId: r.external_id,
          profile: JSON.parse(r.profile) as PlannedGroup['profile'],
          fingerprint: r.fingerprint,
        }),
      ),
      groupDeletes: map(
        scratch.pages<{ external_id: string }>(`SELECT * FROM (${groupDeletesSql}) WHERE 1 = 1`, 'k'),
        (r) => r.external_id,
      ),
      membershipUpserts: map(
        scratch.pages<{ group_id: string; member_id: string }>(
          `SELECT * FROM (${membershipUpsertsSql}) WHERE 1 = 1`,
          'k',
          [full],
        ),
        toMembership,
      ),
      membershipDeletes: map(
        scratch.pages<{ group_id: string; member_id: string }>(
          `SELECT * FROM (${membershipDeletesSql}) WHERE 1 = 1`,
          'k',
        ),
        toMembership,
      ),
    });
    report.planId = header.planId;
    // Pending until this plan is applied; a dry run only looks.
    if (!input.dryRun && hrEvents.length > 0) {
      await store.markHrEventsConsumed(
        hrEvents.map((e) => e.eventId),
        header.planId,
      );
    }
    const reportPath = await writeReport(config.reports.dir, { ...report, reportId });
    return {
      planId: header.planId,
      identitySourceId: input.identitySourceId,
      mode: input.mode,
      dryRun: input.dryRun,
      outcome: status,
      counts,
      planCounts: header.counts,
      guardrails: { tripped: report.guardrails },
      reportId,
      reportPath,
    };
  } finally {
    scratch.close();
  }
}

function* map<T, U>(items: Iterable<T>, f: (item: T) => U): Iterable<U> {
  for (const item of items) yield f(item);
}

function toMembership(r: { group_id: string; member_id: string }): PlannedMembership {
  return { groupExternalId: r.group_id, memberExternalId: r.member_id };
}

function describeSource(config: SyncConfig): { type: string; location: string } {
  const location = config.source.type === 'http' ? config.source.url : config.source.location;
  if (!/^https?:\/\//i.test(location)) return { type: config.source.type, location };
  const url = new URL(location);
  return { type: config.source.type, location: `${url.origin}${url.pathname}` };
}
