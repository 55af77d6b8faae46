import { randomUUID } from 'node:crypto';
import type { SyncConfig } from '../mapping/config.ts';
import { mappedFields } from '../mapping/fields.ts';
import { calendarDay } from '../mapping/lifecycle.ts';
import { SourceUnreadable, readHrSource } from '../hr/source.ts';
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
import { FirstRows } from './first-rows.ts';
import { foldHrEvents } from './hr-event-overlay.ts';
import { evaluateGuardrails } from './guardrails.ts';
import { KeyChanges, LoginNames } from './lookalikes.ts';
import type { TrippedGuardrail } from './guardrails.ts';
import { MAX_INVALID_LISTED, writeReport } from './report.ts';
import type { InvalidRecord, PlanningCounts, PlanningReport } from './report.ts';
import { outcomeOfOverlay, outcomeOfRecord } from './row-outcome.ts';
import type { Problem, RowOutcome } from './row-outcome.ts';
import { Scratch } from './scratch.ts';
import { BASE_ATTRIBUTES, ConfirmedNames, upsertBody } from './clearing.ts';
import type { ClearingContext } from './clearing.ts';
import { RecordFindings } from './record-findings.ts';
import type { UserSchema } from '../okta/user-schema.ts';

export interface PlanSyncInput {
  identitySourceId: string;
  mode: 'delta' | 'full';
  dryRun: boolean;
  /** ISO instant the lifecycle is evaluated at; defaults to the current time. */
  now?: string;
}

/** What planning checks the plan against, when it could read it from Okta. */
export interface OktaFacts {
  /** The identity source's user schema: a mapped attribute missing from it makes Okta refuse the record. */
  schema?: UserSchema;
  /** Why the schema could not be read, when planning went ahead without it. */
  schemaUnavailable?: string;
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
    findings: 0,
  };
}

/** What the first record naming a person plans for them (`waiting`: for a manager that comes later). */
type Outcome =
  'absent' | 'invalid' | 'held' | 'terminated' | 'out-of-scope' | 'waiting' | 'unchanged' | 'create' | 'update';

/**
 * What planning knows of one person (externalId): what Okta confirmed, and what the export's records say. One of
 * these per person is the planner's in-memory index (the confirmed snapshot plus the export's new people).
 */
class Person {
  /** Okta's confirmed fingerprint; undefined when Okta does not know the person. */
  readonly confirmed: string | undefined;
  readonly active: boolean;
  /** Records of the export naming the person: more than one makes every one of them invalid. */
  records = 0;
  /** Where the first record is, and what it plans. */
  row = 0;
  line: number | null = null;
  outcome: Outcome = 'absent';
  nextChange: string | undefined = undefined;
  managerMissing = false;
  /** Their record as a manager, when manager references are externalIds (no map of its own then). */
  ref: Ref | undefined = undefined;
  /** Attributes the profile Okta confirmed holds values for (undefined: not known, confirmed before it was kept). */
  readonly confirmedNames: readonly string[] | undefined;
  /** The manager attribute's value Okta confirmed: kept while the record's manager reference cannot be resolved. */
  readonly confirmedManager: string | undefined;
  /** The externalId of the manager whose value the person took. */
  managerId: string | undefined = undefined;

  constructor(
    confirmed: string | undefined,
    active: boolean,
    confirmedNames?: readonly string[],
    confirmedManager?: string,
  ) {
    this.confirmed = confirmed;
    this.active = active;
    this.confirmedNames = confirmedNames;
    this.confirmedManager = confirmedManager;
  }

  /** The person's one record is valid (so far: a later record can still make it a duplicate). */
  get valid(): boolean {
    return this.records === 1 && this.outcome !== 'invalid';
  }
}

interface RefHolder {
  externalId: string;
  /** The holder's mapped value of the manager attribute (`manager.value`). */
  value: string | undefined;
}

/**
 * The valid active records whose manager reference key (`manager.matches`, default the externalId) is `key`.
 * A report takes the manager's value as soon as the manager has been read; whether it did so while the key had one
 * holder or several is noted, so that a holder found invalid later (a duplicate) is caught.
 */
interface Ref extends RefHolder {
  key: string;
  more: RefHolder[] | undefined;
  takenAlone: boolean;
  takenShared: boolean;
}

const DUPLICATE_ID: Problem = { field: 'externalId', reason: 'appears more than once in the export' };
const DUPLICATE_USER_NAME: Problem = { field: 'userName', reason: 'is used by more than one record of the export' };

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
 *
 * One pass over the export decides each record against the in-memory index of people (externalId → confirmed
 * fingerprint and what their record plans, userName → person, manager key → value): only changes, group
 * memberships and records whose manager comes later are written to the scratch database. Duplicates found later
 * take back what the records they make invalid planned; reports that had taken such a manager's value are
 * planned again from a second reading of the export (rare: it takes a duplicated manager).
 */
export async function planSync(
  store: StateStore,
  config: SyncConfig,
  input: PlanSyncInput,
  okta: OktaFacts = {},
): Promise<PlanSummary> {
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
    findings: [],
    guardrails: [],
  };
  if (okta.schema) report.userSchema = { checked: true };
  else if (okta.schemaUnavailable) report.userSchema = { checked: false, note: okta.schemaUnavailable };
  const sampleSize = config.reports.samples;
  const mapping = config.mapping;
  const manager = mapping.manager;
  const full = input.mode === 'full';
  const scratch = new Scratch();
  try {
    const people = new Map<string, Person>();
    let confirmedActive = 0;
    const names = new ConfirmedNames();
    for await (const user of store.streamConfirmedUsers(input.identitySourceId)) {
      const confirmedManager = manager ? (user.profile?.[manager.attribute] ?? undefined) : undefined;
      people.set(
        user.externalId,
        new Person(user.fingerprint, user.status === 'ACTIVE', names.of(user.profile), confirmedManager),
      );
      if (user.status === 'ACTIVE') confirmedActive++;
    }
    const clearing: ClearingContext = okta.schema
      ? { attributes: okta.schema.attributes, fromSchema: true }
      : { attributes: [...BASE_ATTRIBUTES, ...mapping.customAttributes], fromSchema: false };
    const personOf = (externalId: string): Person => {
      let person = people.get(externalId);
      if (!person) people.set(externalId, (person = new Person(undefined, false)));
      return person;
    };

    // HR events not yet applied overlay the export: a joiner, mover or leaver takes effect before the export shows it.
    const retainSince = new Date(Date.now() - config.hrEvents.retainAppliedHours * 3_600_000).toISOString();
    const hrEvents = await store.pendingHrEvents(input.identitySourceId, retainSince);
    const overlays = foldHrEvents(hrEvents);

    const addUpsert = scratch.db.prepare(
      'INSERT INTO upserts (row, external_id, profile, fingerprint, is_new) VALUES (?, ?, ?, ?, ?)',
    );
    const addWaiting = scratch.db.prepare(
      'INSERT INTO waiting (row, external_id, profile, manager_ref) VALUES (?, ?, ?, ?)',
    );
    const addMembership = scratch.db.prepare(
      'INSERT INTO desired_memberships (group_id, member_id, row, profile, fingerprint) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
    );
    const invalidate = scratch.db.prepare('INSERT INTO invalidated (external_id, row) VALUES (?, ?)');

    const deleteUpsert = scratch.db.prepare('DELETE FROM upserts WHERE row = ?');
    /** Reads the export again, rows numbered as in the first pass. */
    const readAgain = async (visit: (row: number, outcome: RowOutcome) => void) => {
      const again = new Set<string>();
      let rows = 0;
      for await (const { row, record } of readHrSource(config.source, { names: new Set() })) {
        rows++;
        visit(row, outcomeOfRecord(record, mapping, today, overlays, again));
      }
      if (rows !== counts.recordsRead) {
        throw new SourceUnreadable('the export changed while it was being planned: read it again');
      }
      let row = rows;
      for (const overlay of overlaysOutsideExport()) visit(++row, outcomeOfOverlay(overlay, mapping, today));
    };
    /** People the export does not show (yet): joiners, and leavers it already dropped. */
    const overlaysOutsideExport = () =>
      [...overlays.values()].filter(
        (overlay) => !overlaid.has(overlay.externalId) && (overlay.type === 'leaver' || overlay.record),
      );

    const invalidListed = new FirstRows<InvalidRecord>(MAX_INVALID_LISTED);
    const listInvalid = (row: number, line: number | null, externalId: string | undefined, problem: Problem) => {
      invalidListed.add({
        row,
        ...(line === null ? {} : { line }),
        ...(externalId === undefined ? {} : { externalId }),
        field: problem.field,
        reason: problem.reason,
      });
    };
    let unidentified = 0;
    const userNames = new Map<string, string | string[]>();
    const sharedUserNames: string[] = [];
    const byExternalId = manager !== undefined && manager.matches === undefined;
    const refs = new Map<string, Ref>();
    const refOf = (key: string) => (byExternalId ? people.get(key)?.ref : refs.get(key));
    const takenRefs: Ref[] = [];
    const loginNames = new LoginNames();
    const keyChanges = new KeyChanges();

    /** The person a record names, when it is the first to; a second record makes every record of theirs invalid. */
    const firstNaming = (row: number, line: number | null, externalId: string, invalid: boolean) => {
      const person = personOf(externalId);
      if (++person.records === 1) {
        person.row = row;
        person.line = line;
        return person;
      }
      if (!invalid) listInvalid(row, line, externalId, DUPLICATE_ID);
      if (person.records === 2) {
        if (person.outcome !== 'invalid') listInvalid(person.row, person.line, externalId, DUPLICATE_ID);
        invalidate.run(externalId, person.row);
        scratch.wrote();
      }
      return undefined;
    };
    const decide = (row: number, externalId: string, person: Person, profile: Profile) => {
      const print = fingerprint(profile);
      loginNames.note(externalId, profile, person.confirmed === undefined);
      if (full || person.confirmed === undefined || !person.active || person.confirmed !== print) {
        const isNew = person.confirmed === undefined;
        // A manager not found, for a person whose confirmed profile is not known: Okta's value is left alone.
        const keep = person.managerMissing ? manager?.attribute : undefined;
        const upsert = upsertBody(profile, !isNew, person.confirmedNames, clearing, full, keep);
        if (!upsert.ok) {
          refuse(externalId, person, upsert.problem);
          return;
        }
        addUpsert.run(row, externalId, JSON.stringify(upsert.body), print, isNew ? 1 : 0);
        scratch.wrote();
        person.outcome = isNew ? 'create' : 'update';
      } else person.outcome = 'unchanged';
    };
    /** A record refused after it was read (its upsert could not be sent as is): nothing of it is planned. */
    const refuse = (externalId: string, person: Person, problem: Problem) => {
      person.outcome = 'invalid';
      listInvalid(person.row, person.line, externalId, problem);
      invalidate.run(externalId, person.row);
      scratch.wrote();
    };
    const findings = new RecordFindings();
    /**
     * Sets the manager attribute from the manager found; when none is (not in the export, refused, ambiguous, the
     * person themselves), the value Okta confirmed is kept rather than stripped.
     */
    const withManager = (
      externalId: string,
      person: Person,
      profile: Profile,
      holder: RefHolder | undefined,
      managerRef: string,
      self = false,
    ) => {
      person.managerId = holder?.externalId;
      person.managerMissing = holder === undefined;
      if (holder) {
        findings.managerResolved(externalId);
        if (holder.value !== undefined) profile[manager!.attribute] = holder.value;
        return;
      }
      if (person.confirmedManager !== undefined) profile[manager!.attribute] = person.confirmedManager;
      const named = byExternalId ? people.get(managerRef) : undefined;
      const problem = self
        ? 'self'
        : named !== undefined && named.records > 0 && !named.valid
          ? 'refused'
          : refOf(managerRef)?.more
            ? 'ambiguous'
            : undefined;
      findings.managerUnresolved(externalId, person, manager!.field, problem, person.confirmedManager);
    };
    const takeValue = (ref: Ref): RefHolder | undefined => {
      if (!ref.takenAlone && !ref.takenShared) takenRefs.push(ref);
      if (ref.more) {
        ref.takenShared = true;
        return undefined;
      }
      ref.takenAlone = true;
      return ref;
    };
    /** The manager once the whole export is known: exactly one valid holder of the key. */
    const finalHolder = (ref: Ref | undefined): RefHolder | undefined => {
      if (!ref) return undefined;
      let found: RefHolder | undefined;
      for (const holder of ref.more ? [ref, ...ref.more] : [ref]) {
        if (!people.get(holder.externalId)!.valid) continue;
        if (found) return undefined;
        found = holder;
      }
      return found;
    };
    const finalValue = (ref: Ref | undefined): string | undefined => finalHolder(ref)?.value;

    const plan = (row: number, line: number | null, outcome: RowOutcome) => {
      if (outcome.type === 'invalid') {
        listInvalid(row, line, outcome.externalId, outcome.problem);
        if (outcome.externalId === undefined) unidentified++;
        else {
          const person = firstNaming(row, line, outcome.externalId, true);
          if (person) person.outcome = 'invalid';
        }
        return;
      }
      if (outcome.type === 'terminated') {
        const person = firstNaming(row, line, outcome.externalId, false);
        if (person) person.outcome = 'terminated';
        return;
      }
      const mapped = outcome.person;
      const externalId = mapped.externalId;
      const person = firstNaming(row, line, externalId, false);
      if (!person) return;
      if (mapped.finding) findings.note(externalId, 'lifecycle', person, mapped.finding.field, mapped.finding.reason);
      if (mapped.disposition !== 'active') {
        person.outcome = mapped.disposition === 'pre-hire' ? 'held' : mapped.disposition;
        if (mapped.disposition === 'pre-hire') person.nextChange = mapped.nextChange;
        return;
      }
      person.nextChange = mapped.nextChange;
      const profile = mapped.profile;
      const userName = (profile.userName ?? '').toLowerCase();
      const sharing = userNames.get(userName);
      if (sharing === undefined) userNames.set(userName, externalId);
      else if (typeof sharing === 'string') {
        userNames.set(userName, [sharing, externalId]);
        sharedUserNames.push(userName);
      } else sharing.push(externalId);
      for (const group of mapped.groups) {
        const groupProfile: { displayName: string; description?: string } = { displayName: group.displayName };
        if (group.description !== undefined) groupProfile.description = group.description;
        // A group without a description says so to Okta (null clears one the mapping no longer gives); the
        // fingerprint is of the values.
        const sent: PlannedGroup['profile'] = { description: null, ...groupProfile };
        addMembership.run(group.externalId, externalId, row, JSON.stringify(sent), fingerprint(groupProfile));
        scratch.wrote();
      }
      if (manager) {
        const key = mapped.refKey;
        if (key !== undefined) {
          const value = profile[manager.value];
          const ref = refOf(key);
          if (ref) (ref.more ??= []).push({ externalId, value });
          else {
            const added: Ref = { externalId, value, key, more: undefined, takenAlone: false, takenShared: false };
            if (byExternalId) person.ref = added;
            else refs.set(key, added);
          }
        }
        if (mapped.managerRef !== undefined) {
          const ref = refOf(mapped.managerRef);
          if (mapped.managerRef === key) withManager(externalId, person, profile, undefined, mapped.managerRef, true);
          else if (!ref) {
            person.outcome = 'waiting';
            addWaiting.run(row, externalId, JSON.stringify(profile), mapped.managerRef);
            scratch.wrote();
            return;
          } else withManager(externalId, person, profile, takeValue(ref), mapped.managerRef);
        }
      }
      decide(row, externalId, person, profile);
    };

    // The one pass over the export.
    const fields: SourceFields = { names: new Set() };
    const overlaid = new Set<string>();
    try {
      for await (const { row, line, record } of readHrSource(config.source, fields)) {
        counts.recordsRead++;
        plan(row, line ?? null, outcomeOfRecord(record, mapping, today, overlays, overlaid));
      }
      let row = counts.recordsRead;
      for (const overlay of overlaysOutsideExport()) plan(++row, null, outcomeOfOverlay(overlay, mapping, today));

      // A userName shared by valid records (duplicated ids aside): no record of it is trusted.
      for (const userName of sharedUserNames) {
        const holders = (userNames.get(userName) as string[]).filter((id) => people.get(id)!.records === 1);
        if (holders.length < 2) continue;
        for (const externalId of holders) {
          const person = people.get(externalId)!;
          person.outcome = 'invalid';
          listInvalid(person.row, person.line, externalId, DUPLICATE_USER_NAME);
          invalidate.run(externalId, person.row);
          scratch.wrote();
        }
      }
      userNames.clear();

      const changed = new Set<string>();
      for (const ref of takenRefs) {
        const value = finalValue(ref);
        if ((ref.takenAlone && value !== ref.value) || (ref.takenShared && value !== undefined)) changed.add(ref.key);
      }
      if (changed.size > 0) {
        await readAgain((row, outcome) => {
          if (outcome.type === 'invalid' && outcome.externalId === undefined) return;
          const externalId = outcome.type === 'mapped' ? outcome.person.externalId : outcome.externalId!;
          const person = people.get(externalId);
          if (!person || (person.records === 1 && person.row !== row)) {
            throw new SourceUnreadable('the export changed while it was being planned: read it again');
          }
          if (outcome.type !== 'mapped' || outcome.person.disposition !== 'active') return;
          const managerRef = outcome.person.managerRef;
          if (managerRef === undefined || !changed.has(managerRef) || !person.valid || person.outcome === 'waiting') {
            return;
          }
          if (person.outcome !== 'unchanged') deleteUpsert.run(row);
          withManager(externalId, person, outcome.person.profile, finalHolder(refOf(managerRef)), managerRef);
          decide(row, externalId, person, outcome.person.profile);
        });
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

    // Records that waited for a manager further down the export.
    scratch.flush();
    for (const waiting of scratch.pages<{ row: number; external_id: string; profile: string; manager_ref: string }>(
      'SELECT * FROM waiting WHERE 1 = 1',
      'row',
    )) {
      const person = people.get(waiting.external_id)!;
      if (!person.valid) continue;
      const profile = JSON.parse(waiting.profile) as Profile;
      withManager(waiting.external_id, person, profile, finalHolder(refOf(waiting.manager_ref)), waiting.manager_ref);
      decide(waiting.row, waiting.external_id, person, profile);
    }
    refs.clear();
    findings.cycles(people, (person) => (person.valid ? person.managerId : undefined), manager?.field);
    // What records found invalid after the fact had planned.
    scratch.db.exec(`
      DELETE FROM upserts WHERE row IN (SELECT row FROM invalidated);
      DELETE FROM desired_memberships WHERE member_id IN (SELECT external_id FROM invalidated);
      INSERT INTO desired_groups (external_id, profile, fingerprint)
        SELECT group_id, profile, fingerprint FROM (
          SELECT group_id, profile, fingerprint, MIN(row) AS first FROM desired_memberships GROUP BY group_id)
        ORDER BY first;
    `);

    counts.invalid = unidentified;
    const held = new FirstRows<{ row: number; externalId: string; from: string }>(sampleSize);
    const addDeactivation = scratch.db.prepare('INSERT INTO deactivations (external_id) VALUES (?)');
    let newDeactivations = 0;
    for (const [externalId, person] of people) {
      if (person.records > 1) {
        counts.invalid += person.records;
        continue;
      }
      switch (person.outcome) {
        case 'invalid':
          counts.invalid++;
          continue;
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
            keyChanges.arrived(externalId);
          } else counts.updates++;
          if (person.managerMissing) counts.managersNotFound++;
          break;
        case 'absent':
        case 'waiting':
          break;
      }
      const day = person.nextChange;
      if (day && day > today && (!report.nextLifecycleChange || day < report.nextLifecycleChange)) {
        report.nextLifecycleChange = day;
      }
      // Not named by the export (or only as terminated or out of scope): gone from HR.
      const gone = person.records === 0 || person.outcome === 'terminated' || person.outcome === 'out-of-scope';
      if (gone && person.confirmed !== undefined && (person.active || full)) {
        addDeactivation.run(externalId);
        scratch.wrote();
        counts.deactivations++;
        if (person.active) {
          newDeactivations++;
          keyChanges.left(externalId);
        }
        if (report.samples.deactivations.length < sampleSize) report.samples.deactivations.push(externalId);
      }
    }
    const lookalikes = loginNames.pairs((id) => {
      const person = people.get(id);
      return person !== undefined && person.valid && ['unchanged', 'create', 'update'].includes(person.outcome);
    });
    loginNames.clear();
    report.samples.held = held.items.map(({ externalId, from }) => ({ externalId, from }));
    report.invalid = [...invalidListed.items];
    report.findings = findings.list(MAX_INVALID_LISTED);
    counts.findings = findings.count;
    const firstUpserts = scratch.db.prepare(
      'SELECT external_id, profile FROM upserts WHERE is_new = ? ORDER BY row LIMIT ?',
    );
    for (const [isNew, samples] of [
      [1, report.samples.creates],
      [0, report.samples.updates],
    ] as const) {
      for (const r of firstUpserts.all(isNew, sampleSize) as { external_id: string; profile: string }[]) {
        samples.push({ externalId: r.external_id, profile: JSON.parse(r.profile) as Profile });
      }
    }

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
    let confirmedMemberships = 0;
    for await (const m of store.streamConfirmedMemberships(input.identitySourceId)) {
      addConfirmedMembership.run(m.groupExternalId, m.memberExternalId);
      confirmedMemberships++;
      scratch.wrote();
    }
    if (confirmedMemberships > 0) {
      // Whose memberships are known (valid active) and whose are not to be touched (invalid or held).
      const protect = scratch.db.prepare('INSERT INTO protected_members (external_id) VALUES (?)');
      const know = scratch.db.prepare('INSERT INTO known_members (external_id) VALUES (?)');
      for (const [externalId, person] of people) {
        if (person.records > 1 || person.outcome === 'invalid' || person.outcome === 'held') protect.run(externalId);
        else if (person.outcome === 'unchanged' || person.outcome === 'create' || person.outcome === 'update') {
          know.run(externalId);
        } else continue;
        scratch.wrote();
      }
    }
    people.clear();
    scratch.flush();
    const fullParam = full ? 1 : 0;
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
    counts.groupUpserts = countOf(groupUpsertsSql, [fullParam]);
    counts.groupDeletes = countOf(groupDeletesSql);
    counts.membershipUpserts = countOf(membershipUpsertsSql, [fullParam]);
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
        suspiciousKeys: keyChanges.pairs(),
        lookalikes,
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
          'row',
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
          [fullParam],
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
          [fullParam],
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
