import { randomUUID } from 'node:crypto';
import type { StatementSync } from 'node:sqlite';
import type { SyncConfig } from '../../mapping/config.ts';
import { calendarDay } from '../../mapping/lifecycle.ts';
import type { SourceFields } from '../../hr/source-record.ts';
import type { StoredHrEvent } from '../../store/state-store.ts';
import { BASE_ATTRIBUTES } from '../clearing.ts';
import type { ClearingContext } from '../clearing.ts';
import { FirstRows } from '../first-rows.ts';
import type { HrEventOverlay } from '../hr-event-overlay.ts';
import { KeyChanges, LoginNames } from '../lookalikes.ts';
import { RecordFindings } from '../record-findings.ts';
import { MAX_INVALID_LISTED } from '../report.ts';
import type { InvalidRecord, PlanningCounts, PlanningReport } from '../report.ts';
import type { Problem } from '../row-outcome.ts';
import { Scratch } from '../scratch.ts';
import { Person } from './person.ts';
import type { Ref } from './person.ts';
import type { OktaFacts, PlanningProgress, PlanSyncInput } from '../plan-types.ts';

/** Rows between two progress reports while Okta's snapshot or the export is read, or the plan is saved. */
const PROGRESS_EVERY = 1000;

/**
 * Everything one planning run knows while its stages run: the people index, the scratch database the changes go
 * to, the counts and the report. Each stage (stages/1-read.ts … 6-save.ts) reads and adds to it.
 */
export class PlanningRun {
  readonly reportId = randomUUID();
  readonly counts: PlanningCounts = emptyCounts();
  readonly report: PlanningReport;
  readonly today: string;
  readonly full: boolean;
  readonly mapping: SyncConfig['mapping'];
  readonly manager: SyncConfig['mapping']['manager'];
  readonly clearing: ClearingContext;
  readonly scratch: Scratch;
  /** The people index: externalId → what Okta confirmed and what the export says. */
  readonly people = new Map<string, Person>();
  confirmedActive = 0;
  hrEvents: StoredHrEvent[] = [];
  overlays = new Map<string, HrEventOverlay>();
  /** People whose HR events found their record in the export. */
  readonly overlaid = new Set<string>();
  readonly fields: SourceFields = { names: new Set() };
  readonly invalidListed = new FirstRows<InvalidRecord>(MAX_INVALID_LISTED);
  /** Invalid records that name no person. */
  unidentified = 0;
  readonly userNames = new Map<string, string | string[]>();
  readonly sharedUserNames: string[] = [];
  /** Manager references are externalIds: a person's own record holds their ref. */
  readonly byExternalId: boolean;
  readonly refs = new Map<string, Ref>();
  readonly takenRefs: Ref[] = [];
  readonly loginNames = new LoginNames();
  readonly keyChanges = new KeyChanges();
  readonly findings = new RecordFindings();
  /** Deactivations of users Okta has active (what the deactivation guardrail counts). */
  newDeactivations = 0;
  readonly addUpsert: StatementSync;
  readonly addWaiting: StatementSync;
  readonly addMembership: StatementSync;
  readonly deleteUpsert: StatementSync;
  readonly #invalidate: StatementSync;
  readonly #progress: (progress: PlanningProgress) => void;

  readonly config: SyncConfig;
  readonly input: PlanSyncInput;
  /** The people a plan is limited to (`input.people`), if any. */
  readonly scope: ReadonlySet<string> | undefined;

  constructor(
    config: SyncConfig,
    input: PlanSyncInput,
    okta: OktaFacts,
    progress: (progress: PlanningProgress) => void = () => {},
  ) {
    this.config = config;
    this.input = input;
    this.scope = input.people ? new Set(input.people) : undefined;
    const now = input.now ? new Date(input.now) : new Date();
    if (Number.isNaN(now.getTime())) throw new Error(`planSync: "now" is not an ISO date-time: ${input.now}`);
    this.today = calendarDay(now, config.mapping.lifecycle.timeZone);
    this.report = {
      reportId: this.reportId,
      identitySourceId: input.identitySourceId,
      mode: input.mode,
      dryRun: input.dryRun,
      createdAt: new Date().toISOString(),
      today: this.today,
      source: describeSource(config),
      counts: this.counts,
      samples: { creates: [], updates: [], deactivations: [], held: [] },
      invalid: [],
      findings: [],
      guardrails: [],
    };
    if (okta.schema) this.report.userSchema = { checked: true };
    else if (okta.schemaUnavailable) this.report.userSchema = { checked: false, note: okta.schemaUnavailable };
    this.mapping = config.mapping;
    this.manager = config.mapping.manager;
    this.full = input.mode === 'full';
    this.byExternalId = this.manager !== undefined && this.manager.matches === undefined;
    this.clearing = okta.schema
      ? { attributes: okta.schema.attributes, fromSchema: true }
      : { attributes: [...BASE_ATTRIBUTES, ...this.mapping.customAttributes], fromSchema: false };
    this.#progress = progress;
    this.scratch = new Scratch();
    const db = this.scratch.db;
    this.addUpsert = db.prepare(
      'INSERT INTO upserts (row, external_id, profile, fingerprint, is_new) VALUES (?, ?, ?, ?, ?)',
    );
    this.addWaiting = db.prepare('INSERT INTO waiting (row, external_id, profile, manager_ref) VALUES (?, ?, ?, ?)');
    this.addMembership = db.prepare(
      'INSERT INTO desired_memberships (group_id, member_id, row, profile, fingerprint) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
    );
    this.#invalidate = db.prepare('INSERT INTO invalidated (external_id, row) VALUES (?, ?)');
    this.deleteUpsert = db.prepare('DELETE FROM upserts WHERE row = ?');
  }

  personOf(externalId: string): Person {
    let person = this.people.get(externalId);
    if (!person) this.people.set(externalId, (person = new Person(undefined, false)));
    return person;
  }

  refOf(key: string): Ref | undefined {
    return this.byExternalId ? this.people.get(key)?.ref : this.refs.get(key);
  }

  listInvalid(row: number, line: number | null, externalId: string | undefined, problem: Problem): void {
    this.invalidListed.add({
      row,
      ...(line === null ? {} : { line }),
      ...(externalId === undefined ? {} : { externalId }),
      field: problem.field,
      reason: problem.reason,
    });
  }

  /** Marks what a record found invalid after it was read had planned, to be taken back (4-diff.ts). */
  invalidate(externalId: string, row: number): void {
    this.#invalidate.run(externalId, row);
    this.scratch.wrote();
  }

  /** A record refused after it was read (its upsert could not be sent as is): nothing of it is planned. */
  refuse(externalId: string, person: Person, problem: Problem): void {
    person.outcome = 'invalid';
    this.listInvalid(person.row, person.line, externalId, problem);
    this.invalidate(externalId, person.row);
  }

  /** Reports progress at a stage's start, and every PROGRESS_EVERY rows within it (`done`). */
  progress(stage: PlanningProgress['stage'], done = 0): void {
    if (done % PROGRESS_EVERY === 0) this.#progress({ stage, recordsRead: this.counts.recordsRead });
  }

  close(): void {
    this.scratch.close();
  }
}

export function emptyCounts(): PlanningCounts {
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

function describeSource(config: SyncConfig): { type: string; location: string } {
  const location = config.source.type === 'http' ? config.source.url : config.source.location;
  if (!/^https?:\/\//i.test(location)) return { type: config.source.type, location };
  const url = new URL(location);
  return { type: config.source.type, location: `${url.origin}${url.pathname}` };
}
