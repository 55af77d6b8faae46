import type { Command } from 'commander';
import type { PlanningReport } from '../../activities/planning/report.ts';
import type { StateStore } from '../../activities/store/state-store.ts';
import { renderPersonDiff } from '../../client/person-diff.ts';
import { followSync, SyncRunError } from '../../client/progress.ts';
import { renderSummary, SUCCESSFUL_OUTCOMES } from '../../client/sync-text.ts';
import type { SyncInput, SyncSummary } from '../../contracts/sync-messages.ts';
import { syncMetadata } from '../../contracts/workflow-summaries.ts';
import { createOktaClient } from '../../worker/okta-client.ts';
import { sync } from '../../workflows/sync.ts';
import { CommandFailure } from '../command-failure.ts';
import { runWithSession, withSessionOptions, type CliSession } from '../cli-session.ts';

interface ProvisionOptions {
  config: string;
  identitySource?: string;
  dryRun?: boolean;
  json?: boolean;
}

/**
 * `hr-okta-sync provision <externalId>`: plans one person from the HR source now, shows what changes against what
 * Okta has (read back with GET /users/{externalId}), and applies it at once through the coordinator (the fast path:
 * Okta's single-record API). The same request as the Web UI's `sync` with `{"externalIds":["E1001"]}`.
 */
export function registerProvision(program: Command): void {
  withSessionOptions(
    program
      .command('provision <externalId>')
      .description(
        'Sync one person now: plan them from the HR source, show the diff against what Okta has, apply it at once ' +
          "through Okta's single-record API (exit 0 when applied, nothing to do, or dry run; 1 otherwise)",
      ),
  )
    .option('--dry-run', 'plan and show the diff only; send nothing to Okta')
    .option('--json', 'print only JSON on stdout: the person in Okta before, the plan, the summary')
    .action((externalId: string, options: ProvisionOptions) =>
      runWithSession(options, async (session) => {
        const okta = await createOktaClient(session.config.okta);
        const before = await okta.getUser(session.identitySourceId, externalId);
        const summary = await runProvision(session, externalId, options.dryRun === true);
        const planned = await plannedFor(await session.store(), summary, externalId);
        if (options.json) {
          console.log(JSON.stringify({ okta: before ?? null, plan: planned, summary }, null, 2));
        } else {
          process.stdout.write(renderPersonDiff(externalId, before?.profile, planned));
          process.stdout.write(renderSummary(summary));
        }
        if (!SUCCESSFUL_OUTCOMES.includes(summary.outcome)) process.exitCode = 1;
      }),
    );
}

async function runProvision(session: CliSession, externalId: string, dryRun: boolean): Promise<SyncSummary> {
  const client = await session.temporal();
  const input: SyncInput = {
    identitySourceId: session.identitySourceId,
    externalIds: [externalId],
    dryRun,
    reason: 'manual',
  };
  const workflowId = `provision-${session.identitySourceId}-${externalId}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const taskQueue = session.config.temporal.taskQueue;
  await client.workflow.start(sync, { workflowId, taskQueue, args: [input], ...syncMetadata(input, 'the CLI') });
  try {
    return await followSync(client, workflowId, () => undefined);
  } catch (error) {
    if (!(error instanceof SyncRunError)) throw error;
    throw new CommandFailure(error.message, 'the run is in the Temporal Web UI under its workflow id');
  }
}

/** What the plan does with the person: its outcome from the report, and the profile it sends (if it upserts). */
async function plannedFor(
  store: StateStore | undefined,
  summary: SyncSummary,
  externalId: string,
): Promise<{ outcome: string; profile?: Record<string, string | null> }> {
  const plan = summary.planId ? await store?.getPlan(summary.planId) : undefined;
  if (!plan) return { outcome: summary.outcome };
  const outcome =
    (plan.report as PlanningReport | undefined)?.people?.find((p) => p.externalId === externalId)?.outcome ??
    summary.outcome;
  const [upsert] = await store!.readItems(plan.planId, 'USER_UPSERT', 0, plan.counts.upserts);
  return upsert?.externalId === externalId ? { outcome, profile: upsert.profile } : { outcome };
}
