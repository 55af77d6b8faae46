import type { Command } from 'commander';
import { renderReport, type PlanningReport } from '../../activities/planning/report.ts';
import { ANY_PLAN_STATUS, CommandFailure, runWithSession, withSessionOptions } from '../cli-session.ts';

/** `hr-okta-sync report [planId]`: the planning report kept with a plan, by default the identity source's latest. */
export function registerReport(program: Command): void {
  withSessionOptions(
    program
      .command('report')
      .argument('[planId]', 'the plan (default: the latest plan of the identity source)')
      .description('Print the planning report of a plan: what the export held, what the plan does, what was refused'),
  )
    .option('--json', 'print the report as JSON')
    .action((planId: string | undefined, options: { config: string; identitySource?: string; json?: boolean }) =>
      runWithSession(options, async (session) => {
        const store = await session.store();
        if (!store) throw new CommandFailure('The store holds no plans yet');
        const plan = planId
          ? await store.getPlan(planId)
          : await store.findLatestPlan(session.identitySourceId, ANY_PLAN_STATUS);
        if (!plan) {
          throw new CommandFailure(
            planId ? `No plan ${planId} in the store` : `No plan of ${session.identitySourceId} yet`,
          );
        }
        if (!plan.report) throw new CommandFailure(`Plan ${plan.planId} was stored without a report`);
        // A report is written before its plan is stored, so it may not name the plan yet.
        const report = { ...(plan.report as PlanningReport), planId: plan.planId };
        process.stdout.write(renderReport(report, options.json ? 'json' : 'text'));
      }),
    );
}
