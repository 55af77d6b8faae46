import type { Command } from 'commander';
import type { PlanHeader } from '../../activities/store/state-store.ts';
import { pushProgressQuery } from '../../contracts/push-messages.ts';
import { identitySourceCheck, type IdentitySourceVerdict } from '../../activities/okta/identity-source-check.ts';
import { createOktaClient } from '../../worker/okta-client.ts';
import {
  ANY_PLAN_STATUS,
  CommandFailure,
  runWithSession,
  withSessionOptions,
  type CliSession,
} from '../cli-session.ts';
import { coordinatorStatus } from '../../client/sync-client.ts';
import { renderIdle, renderStatus } from '../../client/sync-text.ts';

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
        if (latestPlans.length === 0 && (await askOkta(session)) === 'unknown') {
          throw new CommandFailure(
            `Okta does not know identity source ${session.identitySourceId}, and nothing was ever synced to it`,
            'check the id given with -s (or okta.identitySourceId of the config) and okta.orgUrl',
          );
        }
        if (options.json) {
          console.log(
            JSON.stringify({ running: false, identitySourceId: session.identitySourceId, latestPlans }, null, 2),
          );
        } else process.stdout.write(renderIdle(session.identitySourceId, latestPlans));
      }),
    );
}

/** Whether Okta knows the identity source, when this machine holds the config's Okta credentials. */
async function askOkta(session: CliSession): Promise<IdentitySourceVerdict> {
  const okta = await createOktaClient(session.config.okta).catch(() => undefined);
  return okta ? identitySourceCheck(okta)(session.identitySourceId) : 'unverified';
}
