import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Command } from 'commander';
import { approveUpdate, coordinatorWorkflowId, rejectUpdate, syncStatusQuery } from '../../contracts/sync-messages.ts';
import { CommandFailure, defaultActor, runWithSession, withSessionOptions } from '../cli-session.ts';

interface DecisionOptions {
  config: string;
  identitySource?: string;
  by?: string;
  reason?: string;
  plan?: string;
}

/**
 * `hr-okta-sync approve` and `hr-okta-sync reject`: a person's decision on a plan a guardrail holds. Exit 1 when
 * nothing awaits approval (the coordinator refuses the decision) or when `--plan` names another plan than the held one.
 */
export function registerApproval(program: Command): void {
  for (const verb of ['approve', 'reject'] as const) {
    withSessionOptions(
      program
        .command(verb)
        .description(
          verb === 'approve'
            ? 'Approve the plan a guardrail holds: the push to Okta starts'
            : 'Reject the plan a guardrail holds: nothing is sent to Okta',
        ),
    )
      .option('--by <name>', 'who decides, recorded with the decision (default: your user name)')
      .option('--reason <text>', 'why, recorded with the decision')
      .option('--plan <planId>', 'decide only if this is the plan on hold (the one `status` showed you)')
      .action((options: DecisionOptions) =>
        runWithSession(options, async (session) => {
          const client = await session.temporal();
          const coordinator = client.workflow.getHandle(coordinatorWorkflowId(session.identitySourceId));
          const decision = { by: options.by ?? defaultActor(), ...(options.reason ? { reason: options.reason } : {}) };
          try {
            if (options.plan) {
              const held = (await coordinator.query(syncStatusQuery)).current?.planId;
              if (held !== options.plan) {
                throw new CommandFailure(
                  `Plan ${options.plan} is not the one on hold (${held ? `plan ${held} is` : 'none is'}); nothing decided`,
                );
              }
            }
            const answer = await coordinator.executeUpdate(verb === 'approve' ? approveUpdate : rejectUpdate, {
              args: [decision],
            });
            console.log(answer);
          } catch (error) {
            if (error instanceof WorkflowNotFoundError) {
              throw new CommandFailure(`No sync of ${session.identitySourceId} is running, so none awaits approval`);
            }
            if (error instanceof WorkflowUpdateFailedError) {
              throw new CommandFailure(`${error.cause?.message ?? error.message} (${session.identitySourceId})`);
            }
            throw error;
          }
        }),
      );
  }
}
