import type { PlannedGroup, PlannedMembership, Profile, PlannedUpsert, StateStore } from '../../store/state-store.ts';
import type { PlanSummary } from '../plan-types.ts';
import { writeReport } from '../report.ts';
import { GROUP_DELETES, GROUP_UPSERTS, MEMBERSHIP_DELETES, MEMBERSHIP_UPSERTS } from './4-diff.ts';
import { outcomesOf } from './4-scope.ts';
import type { PlanningRun } from './planning-run.ts';

/**
 * Stage 6, save: the plan (read from the scratch database page by page), the HR events it consumed, and the
 * report. A dry run is stored for inspection only and consumes no HR events.
 */
export async function savePlan(run: PlanningRun, store: StateStore, fieldNames: string[]): Promise<PlanSummary> {
  const { input, report, counts, scratch } = run;
  const full = [run.full ? 1 : 0];
  const status = input.dryRun ? 'dry-run' : report.guardrails.length > 0 ? 'awaiting-approval' : 'planned';
  const pages = <T>(sql: string, key: string, params?: number[]) =>
    withProgress(run, scratch.pages<T>(sql, key, params));
  const changes = (sql: string) => `SELECT * FROM (${sql}) WHERE 1 = 1`;
  // A plan of named people changes no group: its group tables were never filled.
  const groups = run.scope === undefined;
  if (run.scope) report.people = outcomesOf(run, run.scope);
  const header = await store.savePlan({
    identitySourceId: input.identitySourceId,
    mode: input.mode,
    status,
    report,
    source: { records: counts.recordsRead, fields: fieldNames },
    upserts: map(pages<UpsertRow>('SELECT * FROM upserts WHERE 1 = 1', 'row'), toUpsert),
    deactivations: map(
      pages<{ external_id: string }>('SELECT * FROM deactivations WHERE 1 = 1', 'seq'),
      (r) => r.external_id,
    ),
    ...(groups
      ? {
          groupUpserts: map(pages<UpsertRow>(changes(GROUP_UPSERTS), 'k', full), toGroup),
          groupDeletes: map(pages<{ external_id: string }>(changes(GROUP_DELETES), 'k'), (r) => r.external_id),
          membershipUpserts: map(pages<MembershipRow>(changes(MEMBERSHIP_UPSERTS), 'k', full), toMembership),
          membershipDeletes: map(pages<MembershipRow>(changes(MEMBERSHIP_DELETES), 'k'), toMembership),
        }
      : {}),
  });
  report.planId = header.planId;
  // Pending until this plan is applied; a dry run only looks.
  const consumed = run.scope ? run.hrEvents.filter((e) => run.scope!.has(e.externalId)) : run.hrEvents;
  if (!input.dryRun && consumed.length > 0) {
    await store.markHrEventsConsumed(
      consumed.map((e) => e.eventId),
      header.planId,
    );
  }
  const reportPath = await writeReport(run.config.reports.dir, { ...report, reportId: run.reportId });
  return {
    planId: header.planId,
    identitySourceId: input.identitySourceId,
    mode: input.mode,
    dryRun: input.dryRun,
    outcome: status,
    counts,
    planCounts: header.counts,
    guardrails: { tripped: report.guardrails },
    reportId: run.reportId,
    reportPath,
  };
}

/** An export that could not be read: nothing is planned; the report says why. */
export async function reportUnreadable(run: PlanningRun, reason: string): Promise<PlanSummary> {
  const { input, report } = run;
  report.unreadable = reason;
  const reportPath = await writeReport(run.config.reports.dir, report);
  return {
    identitySourceId: input.identitySourceId,
    mode: input.mode,
    dryRun: input.dryRun,
    outcome: 'unreadable',
    counts: run.counts,
    guardrails: { tripped: [] },
    reportId: run.reportId,
    reportPath,
    error: reason,
  };
}

type UpsertRow = { external_id: string; profile: string; fingerprint: string };
type MembershipRow = { group_id: string; member_id: string };

function* withProgress<T>(run: PlanningRun, rows: Iterable<T>): Iterable<T> {
  let done = 0;
  for (const row of rows) {
    run.progress('save', ++done);
    yield row;
  }
}

function* map<T, U>(items: Iterable<T>, f: (item: T) => U): Iterable<U> {
  for (const item of items) yield f(item);
}

function toUpsert(r: UpsertRow): PlannedUpsert {
  return { externalId: r.external_id, profile: JSON.parse(r.profile) as Profile, fingerprint: r.fingerprint };
}

function toGroup(r: UpsertRow): PlannedGroup {
  return {
    externalId: r.external_id,
    profile: JSON.parse(r.profile) as PlannedGroup['profile'],
    fingerprint: r.fingerprint,
  };
}

function toMembership(r: MembershipRow): PlannedMembership {
  return { groupExternalId: r.group_id, memberExternalId: r.member_id };
}
