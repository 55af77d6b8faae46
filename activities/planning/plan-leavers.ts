import { randomUUID } from 'node:crypto';
import type { SyncConfig } from '../mapping/config.ts';
import { calendarDay } from '../mapping/lifecycle.ts';
import type { StateStore } from '../store/state-store.ts';
import { evaluateGuardrails } from './guardrails.ts';
import { foldHrEvents } from './hr-event-overlay.ts';
import type { PlanSummary } from './plan-types.ts';
import { writeReport, type PlanningReport } from './report.ts';
import { emptyCounts } from './stages/planning-run.ts';

/** The guardrails a plan of leavers alone can trip: it reads no export, so only its deactivations are judged. */
const DEACTIVATION_GUARDRAILS = new Set(['too-many-deactivations', 'too-many-deactivations-relative']);
/**
 * Leavers come one request at a time, so each plan alone would rarely trip a deactivation guardrail: a burst of
 * leaver events (an HR system gone wrong) would be applied a few at a time. The guardrails therefore count the
 * deactivations Okta confirmed in the last hour too.
 */
const DEACTIVATION_WINDOW_MS = 3_600_000;

/**
 * Plans the leavers among the pending HR events without reading the HR export: a person whose latest event is a
 * leaver is terminated whatever the export says (docs/webhooks.md), so nothing in the export can change the
 * decision. Each such person Okta has active becomes a deactivation; the plan consumes their events only. The
 * deactivation guardrails hold it as they hold any plan. It keeps the last applied plan's export snapshot, as it
 * read none, so the next plan's export guardrails still compare with a real export.
 *
 * `afterImportOf`: a push plan whose import Okta has just applied. Leavers deactivated since that plan was made, and
 * whom it upserts, may be active again: they are deactivated again, without counting twice against the guardrails,
 * which judged them the first time. The store still has them DEACTIVATED until the push confirms that import.
 */
export async function planLeavers(
  store: StateStore,
  config: SyncConfig,
  input: { identitySourceId: string; afterImportOf?: string },
): Promise<PlanSummary> {
  const { identitySourceId } = input;
  const retainSince = new Date(Date.now() - config.hrEvents.retainAppliedHours * 3_600_000).toISOString();
  const events = await store.pendingHrEvents(identitySourceId, retainSince);
  const leavers = [...foldHrEvents(events).values()].filter((o) => o.type === 'leaver').map((o) => o.externalId);
  const deactivations: string[] = [];
  const deactivatedBeside: string[] = [];
  const pushPlan = input.afterImportOf ? await store.getPlan(input.afterImportOf) : undefined;
  const confirmedUsers = await store.getConfirmedUsers(identitySourceId, leavers);
  for (const externalId of leavers) {
    const confirmed = confirmedUsers.get(externalId);
    if (confirmed?.status === 'ACTIVE') deactivations.push(externalId);
    else if (pushPlan && confirmed && confirmed.confirmedAt >= pushPlan.createdAt) deactivatedBeside.push(externalId);
  }
  const again = pushPlan ? await store.plannedUpserts(pushPlan.planId, deactivatedBeside) : [];
  const { active } = await store.countConfirmedUsers(identitySourceId);
  const since = new Date(Date.now() - DEACTIVATION_WINDOW_MS).toISOString();
  const recent = deactivations.length > 0 ? await store.countDeactivatedSince(identitySourceId, since) : 0;
  const guardrails = evaluateGuardrails(
    {
      recordsRead: 0,
      validActive: 0,
      invalid: 0,
      unidentified: 0,
      deactivations: deactivations.length + recent,
      // Okta's active users as they were before the last hour's deactivations.
      confirmedActive: active + recent,
      fields: [],
      mappedFields: [],
    },
    config.guardrails,
  ).filter((g) => DEACTIVATION_GUARDRAILS.has(g.guardrail));
  deactivations.push(...again);
  const report = leaverReport(config, identitySourceId, deactivations, guardrails);
  const previous = await store.findLatestPlan(identitySourceId, ['applied']);
  const status = guardrails.length > 0 ? 'awaiting-approval' : 'planned';
  const header = await store.savePlan({
    identitySourceId,
    mode: 'delta',
    status,
    report,
    upserts: [],
    deactivations,
    ...(previous?.source ? { source: previous.source } : {}),
  });
  report.planId = header.planId;
  const leaving = new Set(leavers);
  const consumed = events.filter((e) => leaving.has(e.externalId));
  if (consumed.length > 0)
    await store.markHrEventsConsumed(
      consumed.map((e) => e.eventId),
      header.planId,
    );
  const reportPath = await writeReport(config.reports.dir, report);
  return {
    planId: header.planId,
    identitySourceId,
    mode: 'delta',
    dryRun: false,
    outcome: status,
    counts: report.counts,
    planCounts: header.counts,
    guardrails: { tripped: guardrails },
    reportId: report.reportId,
    reportPath,
  };
}

function leaverReport(
  config: SyncConfig,
  identitySourceId: string,
  deactivations: string[],
  guardrails: PlanningReport['guardrails'],
): PlanningReport {
  const counts = { ...emptyCounts(), deactivations: deactivations.length };
  return {
    reportId: randomUUID(),
    identitySourceId,
    mode: 'delta',
    dryRun: false,
    createdAt: new Date().toISOString(),
    today: calendarDay(new Date(), config.mapping.lifecycle.timeZone),
    source: { type: 'hr-events', location: 'leaver events from HR webhooks (the export was not read)' },
    counts,
    samples: {
      creates: [],
      updates: [],
      deactivations: deactivations.slice(0, config.reports.samples),
      held: [],
    },
    invalid: [],
    guardrails,
  };
}
