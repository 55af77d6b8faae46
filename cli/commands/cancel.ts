import type { Command } from 'commander';
import { cancelCurrentSignal, coordinatorWorkflowId } from '../../contracts/sync-messages.ts';
import { CommandFailure, runWithSession, withSessionOptions } from '../cli-session.ts';
import { coordinatorStatus } from '../../client/sync-client.ts';

/**
 * `hr-okta-sync cancel`: cancels the request the coordinator runs now. Its push closes the session it has open; the
 * record of what Okta has stays where it was, so the next run sends the same changes again. Queued requests stay.
 */
export function registerCancel(program: Command): void {
  withSessionOptions(
    program
      .command('cancel')
      .description(
        'Cancel the running sync of an identity source (its open Okta session is closed); exit 1 if none runs',
      ),
  ).action((options: { config: string; identitySource?: string }) =>
    runWithSession(options, async (session) => {
      const client = await session.temporal();
      const status = await coordinatorStatus(client, session.identitySourceId);
      const current = status?.current;
      if (!current) throw new CommandFailure(`No sync of ${session.identitySourceId} is running; nothing to cancel`);
      await client.workflow.getHandle(coordinatorWorkflowId(session.identitySourceId)).signal(cancelCurrentSignal);
      console.log(
        `Cancel requested for ${current.requestId} (${status.phase}${current.planId ? `, plan ${current.planId}` : ''})` +
          `${status.queued.length > 0 ? `; ${status.queued.length} queued request(s) still follow` : ''}`,
      );
    }),
  );
}
