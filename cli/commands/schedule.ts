import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client } from '@temporalio/client';
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { OVERLAP_POLICIES, ScheduleDeclarationSchema, type ScheduleDeclaration } from '../../config/schedules.ts';
import { CommandFailure, runWithSession, type CliSession } from '../cli-session.ts';
import {
  OVERLAP,
  applySchedules,
  createSchedule,
  declarationOf,
  describeSchedule,
  listSchedules,
  scheduleIdOf,
  updateSchedule,
  type ScheduleTarget,
} from '../../client/schedules.ts';
import { configOption } from '../config-option.ts';

interface CommonOptions {
  config: string;
  identitySource?: string;
  json?: boolean;
}

interface SpecOptions extends CommonOptions {
  cron?: string;
  interval?: string;
  offset?: string;
  calendar?: string;
  timeZone?: string;
  jitter?: string;
  overlap?: (typeof OVERLAP_POLICIES)[number];
  full?: boolean;
  delta?: boolean;
  dryRun?: boolean;
}

/**
 * `hr-okta-sync schedule …`: Temporal Schedules that start the `sync` workflow. Ids are given without the
 * `hr-okta-sync/` prefix the server sees.
 */
export function registerSchedule(program: Command): void {
  const schedule = program
    .command('schedule')
    .description('Schedules of syncs (Temporal Schedules starting the `sync` workflow)');

  withSpecOptions(
    common(schedule.command('create').argument('<id>', 'schedule id, e.g. nightly')).description(
      'Create a schedule: exactly one of --cron, --interval or --calendar',
    ),
  ).action((id: string, options: SpecOptions) =>
    runWithSession(options, async (session) => {
      const declaration = parseDeclaration({ id, ...specFields(options), ...runFields(options, session) });
      try {
        await createSchedule(await session.temporal(), declaration, target(session));
      } catch (error) {
        if (error instanceof ScheduleAlreadyRunning) {
          throw new CommandFailure(`Schedule ${id} exists already: change it with \`schedule update ${id}\``);
        }
        throw error;
      }
      print(options, { id, change: 'created' }, `Created schedule ${id}`);
    }),
  );

  withSpecOptions(
    common(schedule.command('update').argument('<id>', 'schedule id')).description(
      'Change a schedule made by this tool: the options given replace the ones it has (a new --cron, --interval ' +
        'or --calendar replaces the timing); a schedule from the config is set back by the next `schedule apply`',
    ),
  )
    .addOption(new Option('--delta', 'sync only what changed').conflicts('full'))
    .option('--no-dry-run', 'really sync (undo --dry-run)')
    .action((id: string, options: SpecOptions) =>
      runWithSession(options, async (session) => {
        const client = await session.temporal();
        const existing = declarationOf(await mustDescribe(client, id));
        if (!existing) throw new CommandFailure(`Schedule ${id} was not made by hr-okta-sync; delete and create it`);
        const { taskQueue: _taskQueue, ...previous } = existing;
        const spec = specFields(options);
        const timing = spec.cron ?? spec.interval ?? spec.calendar;
        const base: Record<string, unknown> = timing
          ? { ...previous, cron: undefined, interval: undefined, offset: undefined, calendar: undefined }
          : previous;
        const declaration = parseDeclaration({
          ...base,
          ...spec,
          ...(options.full ? { mode: 'full' } : options.delta ? { mode: 'delta' } : {}),
          ...(options.dryRun !== undefined ? { dryRun: options.dryRun } : {}),
          ...(options.identitySource ? { identitySourceId: options.identitySource } : {}),
          id,
        });
        await updateSchedule(client, declaration, target(session));
        print(options, { id, change: 'updated' }, `Updated schedule ${id}`);
      }),
    );

  common(schedule.command('describe').argument('<id>', 'schedule id'))
    .description('Show a schedule: its declaration, state, next runs and recent runs')
    .action((id: string, options: CommonOptions) =>
      runWithSession(options, async (session) => {
        const description = await mustDescribe(await session.temporal(), id);
        const view = {
          id,
          declaration: declarationOf(description),
          paused: description.state.paused,
          note: description.state.note,
          nextRuns: description.info.nextActionTimes.slice(0, 5).map((t) => t.toISOString()),
          recentRuns: description.info.recentActions.slice(-5).map((a) => ({
            scheduledAt: a.scheduledAt.toISOString(),
            takenAt: a.takenAt.toISOString(),
            workflowId: a.action.workflow.workflowId,
          })),
          running: description.info.runningActions.map((a) => a.workflow.workflowId),
        };
        if (options.json) {
          console.log(JSON.stringify(view, null, 2));
          return;
        }
        const lines = [
          `Schedule ${id}${view.paused ? ' (PAUSED)' : ''}${view.note ? `: ${view.note}` : ''}`,
          `  declared    ${view.declaration ? JSON.stringify(view.declaration) : '(not made by hr-okta-sync)'}`,
          `  next runs   ${view.nextRuns.join(', ') || 'none'}`,
          `  running     ${view.running.join(', ') || 'nothing'}`,
          ...view.recentRuns.map((r) => `  ran         ${r.takenAt} ${r.workflowId}`),
        ];
        console.log(lines.join('\n'));
      }),
    );

  common(schedule.command('list'))
    .description('List the schedules made by hr-okta-sync')
    .action((options: CommonOptions) =>
      runWithSession(options, async (session) => {
        const schedules = (await listSchedules(await session.temporal())).map((s) => ({
          id: s.scheduleId.slice(scheduleIdOf('').length),
          paused: s.state.paused,
          nextRun: s.info.nextActionTimes[0]?.toISOString(),
          lastRun: s.info.recentActions.at(-1)?.takenAt.toISOString(),
        }));
        if (options.json) console.log(JSON.stringify(schedules, null, 2));
        else if (schedules.length === 0) console.log('No schedules');
        else {
          for (const s of schedules) {
            console.log(
              `${s.id}${s.paused ? ' (PAUSED)' : ''}  next ${s.nextRun ?? 'none'}  last ${s.lastRun ?? 'never'}`,
            );
          }
        }
      }),
    );

  for (const verb of ['pause', 'unpause'] as const) {
    common(schedule.command(verb).argument('<id>', 'schedule id'))
      .description(verb === 'pause' ? 'Pause a schedule: no runs until unpaused' : 'Resume a paused schedule')
      .option('--note <text>', 'why, shown with the schedule')
      .action((id: string, options: CommonOptions & { note?: string }) =>
        runWithSession(options, async (session) => {
          const handle = (await session.temporal()).schedule.getHandle(scheduleIdOf(id));
          await orNotFound(id, () => (verb === 'pause' ? handle.pause(options.note) : handle.unpause(options.note)));
          print(options, { id, change: `${verb}d` }, `${verb === 'pause' ? 'Paused' : 'Unpaused'} schedule ${id}`);
        }),
      );
  }

  common(schedule.command('trigger').argument('<id>', 'schedule id'))
    .description('Start a run of a schedule now; prints the workflow id of the run')
    .addOption(
      new Option('--overlap <policy>', 'if a run of it still runs (default allow-all: the coordinator queues)').choices(
        OVERLAP_POLICIES,
      ),
    )
    .action((id: string, options: CommonOptions & { overlap?: (typeof OVERLAP_POLICIES)[number] }) =>
      runWithSession(options, async (session) => {
        const client = await session.temporal();
        const before = (await mustDescribe(client, id)).info.recentActions.at(-1)?.action.workflow.workflowId;
        const handle = client.schedule.getHandle(scheduleIdOf(id));
        await handle.trigger(options.overlap ? OVERLAP[options.overlap] : undefined);
        // The run shows in the schedule's recent actions once the scheduler took it.
        const deadline = Date.now() + 10_000;
        let workflowId: string | undefined;
        while (!workflowId && Date.now() < deadline) {
          const latest = (await handle.describe()).info.recentActions.at(-1)?.action.workflow.workflowId;
          if (latest && latest !== before) workflowId = latest;
          else await new Promise((resolve) => setTimeout(resolve, 200));
        }
        print(
          options,
          { id, change: 'triggered', ...(workflowId ? { workflowId } : {}) },
          `Triggered schedule ${id}${workflowId ? `: workflow ${workflowId}` : ' (the run is not listed yet)'}`,
        );
      }),
    );

  common(schedule.command('delete').argument('<id>', 'schedule id'))
    .description('Delete a schedule (runs it started go on)')
    .action((id: string, options: CommonOptions) =>
      runWithSession(options, async (session) => {
        const handle = (await session.temporal()).schedule.getHandle(scheduleIdOf(id));
        await orNotFound(id, () => handle.delete());
        print(options, { id, change: 'deleted' }, `Deleted schedule ${id}`);
      }),
    );

  common(schedule.command('apply'))
    .description(
      'Make the schedules match `schedules:` in the config: create missing, update changed, leave equal ones ' +
        '(idempotent; pausing is left to people)',
    )
    .option('--prune', 'also delete schedules of hr-okta-sync that the config does not declare')
    .action((options: CommonOptions & { prune?: boolean }) =>
      runWithSession(options, async (session) => {
        const declarations = session.config.schedules ?? [];
        const changes = await applySchedules(await session.temporal(), declarations, target(session), {
          prune: options.prune === true,
        });
        if (options.json) {
          console.log(JSON.stringify(changes, null, 2));
          return;
        }
        for (const { id, change } of changes) console.log(`${change.padEnd(9)} ${id}`);
        const count = (change: string) => changes.filter((c) => c.change === change).length;
        const changed = changes.length - count('unchanged');
        console.log(
          changed === 0
            ? `No changes (${count('unchanged')} schedule(s) as declared)`
            : `${count('created')} created, ${count('updated')} updated, ${count('unchanged')} unchanged, ` +
                `${count('deleted')} deleted`,
        );
      }),
    );
}

function common(command: Command): Command {
  return command.addOption(configOption()).option('--json', 'print JSON');
}

function withSpecOptions(command: Command): Command {
  return command
    .option('--cron <expr>', 'cron expression, e.g. "0 2 * * *" (02:00 every day)')
    .option('--interval <duration>', 'every so long, e.g. 1h')
    .option('--offset <duration>', 'shift of --interval, e.g. 15m')
    .option(
      '--calendar <json>',
      'Temporal calendar spec(s) as JSON, e.g. \'{"hour":2,"dayOfWeek":{"start":"MONDAY","end":"FRIDAY"}}\'',
    )
    .option('--time-zone <iana>', 'time zone of --cron and --calendar, e.g. Europe/Berlin (default UTC)')
    .option('--jitter <duration>', 'start each run up to this much later, at random, e.g. 5m')
    .addOption(
      new Option('--overlap <policy>', 'when the previous scheduled run still runs (default skip)').choices(
        OVERLAP_POLICIES,
      ),
    )
    .option('--full', 're-send everyone (repairs drift) instead of only what changed')
    .option('--dry-run', 'plan and report only; send nothing to Okta')
    .option('-s, --identity-source <id>', 'identity source (default: okta.identitySourceId of the config)');
}

function specFields(options: SpecOptions): Partial<ScheduleDeclaration> {
  let calendar: unknown;
  if (options.calendar !== undefined) {
    try {
      calendar = JSON.parse(options.calendar) as unknown;
    } catch (error) {
      throw new CommandFailure(`--calendar is not JSON: ${(error as Error).message}`);
    }
  }
  return {
    ...(options.cron !== undefined ? { cron: options.cron } : {}),
    ...(options.interval !== undefined ? { interval: options.interval } : {}),
    ...(options.offset !== undefined ? { offset: options.offset } : {}),
    ...(calendar !== undefined ? { calendar: calendar as ScheduleDeclaration['calendar'] } : {}),
    ...(options.timeZone !== undefined ? { timeZone: options.timeZone } : {}),
    ...(options.jitter !== undefined ? { jitter: options.jitter } : {}),
    ...(options.overlap !== undefined ? { overlap: options.overlap } : {}),
  };
}

function runFields(options: SpecOptions, session: CliSession): Partial<ScheduleDeclaration> {
  return {
    mode: options.full ? 'full' : 'delta',
    dryRun: options.dryRun === true,
    ...(options.identitySource ? { identitySourceId: session.identitySourceId } : {}),
  };
}

function parseDeclaration(raw: Record<string, unknown>): ScheduleDeclaration {
  const parsed = ScheduleDeclarationSchema.safeParse(
    Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined)),
  );
  if (!parsed.success) throw new CommandFailure(`Schedule ${String(raw.id)}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function target(session: CliSession): ScheduleTarget {
  return { taskQueue: session.config.temporal.taskQueue, identitySourceId: session.config.okta.identitySourceId };
}

async function mustDescribe(client: Client, id: string) {
  const description = await describeSchedule(client, id);
  if (!description) throw new CommandFailure(`No schedule ${id}`);
  return description;
}

async function orNotFound(id: string, call: () => Promise<void>): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) throw new CommandFailure(`No schedule ${id}`);
    throw error;
  }
}

function print(options: CommonOptions, json: Record<string, unknown>, text: string): void {
  console.log(options.json ? JSON.stringify(json) : text);
}
