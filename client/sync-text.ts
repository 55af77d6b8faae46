import { printable } from '../activities/planning/printable.ts';
import type { PlanHeader } from '../activities/store/state-store.ts';
import type { PushProgress } from '../contracts/push-messages.ts';
import type { SyncStatus, SyncSummary } from '../contracts/sync-messages.ts';
import { outcomeText } from '../contracts/sync-outcome.ts';

/** Outcomes after which a sync counts as successful (exit code 0). */
export const SUCCESSFUL_OUTCOMES: readonly SyncSummary['outcome'][] = ['applied', 'nothing-to-do', 'dry-run'];

/** How a finished sync request reads for a person. */
export function renderSummary(summary: SyncSummary): string {
  const out = [
    `Sync ${outcomeText(summary).toUpperCase()}: ${summary.identitySourceId}, ${summary.mode}${summary.dryRun ? ' dry run' : ''}` +
      ` (${summary.reasons.join(', ')})`,
    `  request   ${summary.requestId}`,
  ];
  if (summary.planId) out.push(`  plan      ${summary.planId}`);
  if (summary.counts) out.push(`  changes   ${countsLine(summary.counts)}`);
  for (const g of summary.guardrails ?? []) {
    out.push(`  guardrail ${g.guardrail}: ${g.message} (measured ${g.measured}, threshold ${g.threshold})`);
  }
  const totals = summary.push?.totals;
  if (totals) {
    out.push(
      `  pushed    ${totals.recordsApplied} records applied in ${summary.push?.sessionIds?.length ?? '?'} session(s), ` +
        `${totals.requestsUploaded} uploads, ${totals.rateLimitWaits} rate-limit waits`,
    );
    if (totals.recordsReadBack !== undefined) {
      out.push(
        `  read back ${totals.recordsReadBack} records: ${totals.recordsRefusedByOkta ?? 0} not applied by Okta ` +
          `(pending, sent again next sync), ${totals.recordsRepaired ?? 0} clearings repaired`,
      );
      // The summary lists them (up to a thousand); the push's result has them all.
      if (totals.recordsRefusedByOkta && totals.recordsRefusedByOkta > (summary.refused?.length ?? 0)) {
        out.push(`            who and why: the result of workflow ${summary.push?.workflowId} (refusedByOkta)`);
      }
    }
  }
  if (summary.singleRecord) {
    out.push(`  applied   ${summary.singleRecord.applied} people through Okta's single-record API (no import session)`);
  }
  for (const r of summary.refused ?? []) out.push(`  refused   ${r.externalId} by Okta: ${r.reason}`);
  if (summary.error) out.push(`  error     ${summary.error}`);
  if (summary.reportPath) out.push(`  report    ${summary.reportPath}`);
  out.push(
    `  took      ${seconds(summary.startedAt, summary.finishedAt)} s (${summary.startedAt} → ${summary.finishedAt})`,
  );
  return printable(`${out.join('\n')}\n`);
}

/** The coordinator's status (and the push's progress when it pushes), for a person. */
export function renderStatus(status: SyncStatus, push?: PushProgress): string {
  const out = [`Identity source ${status.identitySourceId}: ${status.phase}`];
  const current = status.current;
  if (current) {
    out.push(
      `  running   ${current.requestId}: ${current.mode}${current.dryRun ? ' dry run' : ''} (${current.reasons.join(', ')})`,
    );
    if (current.planId) out.push(`  plan      ${current.planId}`);
    if (current.counts) out.push(`  changes   ${countsLine(current.counts)}`);
    for (const g of current.guardrails ?? []) {
      out.push(`  TRIPPED   ${g.guardrail}: ${g.message} (measured ${g.measured}, threshold ${g.threshold})`);
    }
    if (status.phase === 'awaiting-approval') {
      out.push(
        `  waiting   for \`hr-okta-sync approve\` or \`hr-okta-sync reject\`` +
          (current.approvalDeadline ? ` until ${current.approvalDeadline}` : ''),
      );
    }
    if (push) {
      out.push(
        `  push      ${push.phase}, session ${push.session}/${push.sessionsTotal}, ` +
          `${push.totals.recordsUploaded}/${push.recordsTotal} records uploaded, ${push.totals.recordsApplied} applied, ` +
          `${push.totals.rateLimitWaits} rate-limit waits`,
      );
      if (push.blockedBy) {
        out.push(
          `  blocked   by session ${push.blockedBy.sessionId} (${push.blockedBy.status}): ${push.blockedBy.reason}`,
        );
      }
    }
  }
  out.push(`  queued    ${status.queued.length === 0 ? 'nothing' : ''}`);
  for (const q of status.queued) {
    out.push(`    ${q.requestId}: ${q.mode}${q.dryRun ? ' dry run' : ''} (${q.reasons.join(', ')})`);
  }
  out.push(`  HR events ${status.pendingHrEvents} pending`);
  if (status.recent.length > 0) out.push('  recent');
  for (const s of status.recent.slice(0, 10)) out.push(`    ${recentLine(s)}`);
  return printable(`${out.join('\n')}\n`);
}

/** When no coordinator runs: nothing queued or running; the latest plans say what happened last. */
export function renderIdle(identitySourceId: string, plans: PlanHeader[]): string {
  const out = [`Identity source ${identitySourceId}: no sync running or queued`];
  if (plans.length === 0) out.push('  no plans in the store yet');
  for (const plan of plans) {
    out.push(
      `  ${plan.status.padEnd(17)} ${plan.planId} ${plan.mode}, ${plan.createdAt}: ` +
        `${plan.counts.upserts} upserts, ${plan.counts.deactivations} deactivations`,
    );
  }
  return printable(`${out.join('\n')}\n`);
}

function recentLine(s: SyncSummary): string {
  return (
    `${s.finishedAt} ${outcomeText(s).padEnd(18)} ${s.mode}${s.dryRun ? ' dry run' : ''} (${s.reasons.join(', ')})` +
    `${s.planId ? ` plan ${s.planId}` : ''}${s.error ? `: ${s.error}` : ''}`
  );
}

function countsLine(counts: Record<string, number>): string {
  const keys = ['creates', 'updates', 'deactivations', 'invalid', 'unchanged', 'findings'];
  const shown = keys.filter((k) => counts[k] !== undefined).map((k) => `${counts[k]} ${k}`);
  return shown.length > 0 ? shown.join(', ') : JSON.stringify(counts);
}

function seconds(from: string, to: string): string {
  return ((Date.parse(to) - Date.parse(from)) / 1000).toFixed(1);
}
