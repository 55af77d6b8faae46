import type { Command } from 'commander';
import type { PlanHeader } from '../../activities/store/state-store.ts';
import { pushProgressQuery } from '../../workflows/push-messages.ts';
import { ANY_PLAN_STATUS, runWithSession, withSessionOptions } from '../cli-session.ts';
import { coordinatorStatus } from '../sync-client.ts';
import { renderIdle, renderStatus } from '../sync-text.ts';

/** `hr-okta-sync status`: what the identity source's coordinator does now, or the latest plans when it is idle. */
export function registerStatus(program: Command): void {
  withSessionOptions(
    program
      .command('status')
      .description(
        'Show the sync of an identity source: phase, the running request and any tripped guardrails, the queue, ' +
          'pending HR events, recent outcomes; when nothing runs, the latest plans',
      ),
  )
    .option('--json', 'print JSON')
    .action((options: { config: string; identitySource?: string; json?: boolean }) =>
      runWithSession(options, async (session) => {
        const client = await session.temporal();
        const status = await coordinatorStatus(client, session.identitySourceId);
        if (status) {
          const pushWorkflowId = status.phase === 'pushing' ? status.current?.pushWorkflowId : undefined;
          const push = pushWorkflowId
            ? await client.workflow
                .getHandle(pushWorkflowId)
                .query(pushProgressQuery)
                .catch(() => undefined)
            : undefined;
          if (options.json) console.log(JSON.stringify({ running: true, status, ...(push ? { push } : {}) }, null, 2));
          else process.stdout.write(renderStatus(status, push));
          return;
        }
        const store = await session.store();
        const plans: PlanHeader[] = [];
        const latest = await store?.findLatestPlan(session.identitySourceId, ANY_PLAN_STATUS);
        if (latest) plans.push(latest);
        const applied = await store?.findLatestPlan(session.identitySourceId, ['applied']);
        if (applied && applied.planId !== latest?.planId) plans.push(applied);
        const latestPlans = plans.map(({ report: _report, ...header }) => header);
        if (options.json) {
          console.log(
            JSON.stringify({ running: false, identitySourceId: session.identitySourceId, latestPlans }, null, 2),
          );
        } else process.stdout.write(renderIdle(session.identitySourceId, latestPlans));
      }),
    );
}
