import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { syncRequestQuery, type RequestAccepted, type SyncInput } from '../../contracts/sync-messages.ts';
import { startSync } from '../../client/sync-client.ts';
import { runWithSession, withSessionOptions } from '../cli-session.ts';
import { followSync, innermostMessage, progressRenderer, SyncRunError } from '../../client/progress.ts';
import { CommandFailure } from '../command-failure.ts';
import { renderSummary, SUCCESSFUL_OUTCOMES } from '../../client/sync-text.ts';

interface SyncOptions {
  config: string;
  identitySource?: string;
  full?: boolean;
  dryRun?: boolean;
  wait?: boolean;
  json?: boolean;
}

/**
 * `hr-okta-sync sync`: starts the `sync` workflow, the same one the Web UI and schedules start. Without `--wait` it
 * returns once the request is queued (the run goes on in Temporal); with `--wait` it follows the run to its end and
 * exits 0 only when it applied, found nothing to do, or was a dry run.
 */
export function registerSync(program: Command): void {
  withSessionOptions(
    program
      .command('sync')
      .description(
        'Sync an identity source with the HR system: queue a run with its coordinator and, with --wait, follow it ' +
          'to the end (exit 0 when applied, nothing to do, or dry run; 1 otherwise)',
      ),
  )
    .option('--full', 're-send everyone instead of only what changed (repairs drift)')
    .option('--dry-run', 'plan and write the report only; send nothing to Okta')
    .option('--wait', 'follow the run to its end, with live progress on stderr')
    .option('--no-wait', 'return once the request is queued (default)')
    .option('--json', 'print only JSON on stdout: the summary (--wait) or the queued request')
    .action((options: SyncOptions) =>
      runWithSession(options, async (session) => {
        const client = await session.temporal();
        const input: Omit<SyncInput, 'identitySourceId'> = {
          mode: options.full ? 'full' : 'delta',
          dryRun: options.dryRun === true,
          reason: 'manual',
        };
        const taskQueue = session.config.temporal.taskQueue;
        const workflowId = await startSync(
          client,
          { identitySourceId: session.identitySourceId, taskQueue },
          input,
          'the CLI',
        );
        const quiet = options.json === true;
        if (!quiet) console.error(`Started workflow ${workflowId} (type sync, task queue ${taskQueue})`);

        if (!options.wait) {
          const accepted = await waitForAcceptance(client, workflowId);
          if (quiet) console.log(JSON.stringify({ workflowId, ...(accepted ? { accepted } : {}) }));
          else if (accepted) {
            console.log(
              `Queued request ${accepted.requestId}${accepted.merged ? ' (merged into a waiting one)' : ''}, ` +
                `position ${accepted.position}. Follow it with \`hr-okta-sync status\`.`,
            );
          } else {
            console.log(`Not queued yet: is a worker polling task queue ${taskQueue}? Follow it in the Web UI.`);
          }
          return;
        }

        const renderer = quiet ? undefined : progressRenderer(process.stderr);
        let summary;
        try {
          summary = await followSync(client, workflowId, (progress) => renderer?.update(progress));
        } catch (error) {
          if (!(error instanceof SyncRunError)) throw error;
          renderer?.stop();
          throw new CommandFailure(error.message, 'the run is in the Temporal Web UI under its workflow id');
        }
        renderer?.finish(summary);
        if (quiet) console.log(JSON.stringify(summary, null, 2));
        else process.stdout.write(renderSummary(summary));
        if (!SUCCESSFUL_OUTCOMES.includes(summary.outcome)) process.exitCode = 1;
      }),
    );
}

/** The queued request, once a worker ran the workflow's first step; undefined after a few seconds without one. */
async function waitForAcceptance(client: Client, workflowId: string): Promise<RequestAccepted | undefined> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const seen = await client
      .withDeadline(deadline, () => client.workflow.getHandle(workflowId).query(syncRequestQuery))
      .catch(() => undefined);
    if (seen?.accepted) return seen.accepted;
    const description = await client.workflow
      .getHandle(workflowId)
      .describe()
      .catch(() => undefined);
    if (description?.status.name === 'FAILED') {
      const failure = await client.workflow
        .getHandle(workflowId)
        .result()
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      throw new CommandFailure(`The sync was not queued: ${innermostMessage(failure)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return undefined;
}
