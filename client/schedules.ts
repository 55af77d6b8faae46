import {
  ScheduleNotFoundError,
  type CalendarSpec,
  type Client,
  type ScheduleDescription,
  type ScheduleOptions,
  type ScheduleOverlapPolicy,
  type ScheduleSummary,
} from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { ScheduleDeclarationSchema, type OverlapPolicy, type ScheduleDeclaration } from '../config/schedules.ts';
import type { SyncInput } from '../contracts/sync-messages.ts';
import { sync } from '../workflows/sync.ts';
import { syncMetadata } from '../contracts/workflow-summaries.ts';

/** Every schedule this tool makes is named `hr-okta-sync/<id>`: `list` and `apply --prune` touch those only. */
export const SCHEDULE_PREFIX = 'hr-okta-sync/';

/**
 * The declaration a schedule was made from travels in the memo of the workflows it starts: Temporal normalizes a
 * schedule's spec (a cron becomes calendars), so `apply` compares declarations, not specs. A schedule's own memo
 * cannot be updated, its action's can.
 */
const DECLARATION_MEMO = 'hrOktaSyncSchedule';

export const OVERLAP: Record<OverlapPolicy, ScheduleOverlapPolicy> = {
  skip: 'SKIP',
  'buffer-one': 'BUFFER_ONE',
  'buffer-all': 'BUFFER_ALL',
  'cancel-other': 'CANCEL_OTHER',
  'terminate-other': 'TERMINATE_OTHER',
  'allow-all': 'ALLOW_ALL',
};

/** What a declaration leaves to the service config: where the workflows run, which identity source by default. */
export interface ScheduleTarget {
  taskQueue: string;
  identitySourceId: string;
}

/** A declaration as applied: defaults filled from the config, so that a config change shows up as a change. */
interface AppliedDeclaration extends ScheduleDeclaration {
  identitySourceId: string;
  taskQueue: string;
}

export function scheduleIdOf(id: string): string {
  return `${SCHEDULE_PREFIX}${id}`;
}

function resolve(declaration: ScheduleDeclaration, target: ScheduleTarget): AppliedDeclaration {
  return {
    ...declaration,
    identitySourceId: declaration.identitySourceId ?? target.identitySourceId,
    taskQueue: target.taskQueue,
  };
}

/** The Temporal schedule for a declaration: start the `sync` workflow with `reason: 'schedule'`. */
export function scheduleOptions(
  declaration: ScheduleDeclaration,
  target: ScheduleTarget,
): Pick<ScheduleOptions, 'scheduleId' | 'spec' | 'action' | 'policies'> {
  const applied = resolve(declaration, target);
  const input: SyncInput = {
    reason: 'schedule',
    mode: applied.mode,
    dryRun: applied.dryRun,
    identitySourceId: applied.identitySourceId,
  };
  const calendars = applied.calendar === undefined ? undefined : [applied.calendar].flat();
  return {
    scheduleId: scheduleIdOf(applied.id),
    spec: {
      ...(applied.cron !== undefined ? { cronExpressions: [applied.cron] } : {}),
      ...(applied.interval !== undefined
        ? {
            intervals: [
              {
                every: applied.interval as Duration,
                ...(applied.offset !== undefined ? { offset: applied.offset as Duration } : {}),
              },
            ],
          }
        : {}),
      ...(calendars ? { calendars: calendars as CalendarSpec[] } : {}),
      ...(applied.timeZone !== undefined ? { timezone: applied.timeZone } : {}),
      ...(applied.jitter !== undefined ? { jitter: applied.jitter as Duration } : {}),
    },
    action: {
      type: 'startWorkflow',
      workflowType: sync,
      // The server appends the scheduled time to this id.
      workflowId: `sync-${applied.identitySourceId}-scheduled`,
      taskQueue: applied.taskQueue,
      args: [input],
      ...syncMetadata(input, `schedule ${applied.id}`),
      memo: { [DECLARATION_MEMO]: applied },
    },
    policies: { overlap: OVERLAP[applied.overlap] },
  };
}

/** The declaration a schedule of ours was made from; undefined for a schedule this tool did not make. */
export function declarationOf(description: ScheduleDescription | ScheduleSummary): AppliedDeclaration | undefined {
  const action = description.action as { memo?: Record<string, unknown> };
  const stored = action.memo?.[DECLARATION_MEMO] as Partial<AppliedDeclaration> | undefined;
  if (!stored || typeof stored.taskQueue !== 'string' || typeof stored.identitySourceId !== 'string') return undefined;
  const { taskQueue, ...declared } = stored;
  const parsed = ScheduleDeclarationSchema.safeParse(declared);
  return parsed.success ? { ...parsed.data, identitySourceId: stored.identitySourceId, taskQueue } : undefined;
}

export async function describeSchedule(client: Client, id: string): Promise<ScheduleDescription | undefined> {
  try {
    return await client.schedule.getHandle(scheduleIdOf(id)).describe();
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return undefined;
    throw error;
  }
}

export async function createSchedule(
  client: Client,
  declaration: ScheduleDeclaration,
  target: ScheduleTarget,
): Promise<void> {
  await client.schedule.create(scheduleOptions(declaration, target));
}

/** Replaces a schedule's spec, action and policies; its state (paused or not, note) stays as a person left it. */
export async function updateSchedule(
  client: Client,
  declaration: ScheduleDeclaration,
  target: ScheduleTarget,
): Promise<void> {
  const { spec, action, policies } = scheduleOptions(declaration, target);
  await client.schedule
    .getHandle(scheduleIdOf(declaration.id))
    .update((previous) => ({ spec, action, policies, state: previous.state }));
}

/** Our schedules (by prefix), as the server lists them; the list lags creations and deletions by a moment. */
export async function listSchedules(client: Client): Promise<ScheduleSummary[]> {
  const ours: ScheduleSummary[] = [];
  for await (const schedule of client.schedule.list()) {
    if (schedule.scheduleId.startsWith(SCHEDULE_PREFIX)) ours.push(schedule);
  }
  return ours.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}

export interface AppliedChange {
  id: string;
  change: 'created' | 'updated' | 'unchanged' | 'deleted';
}

/**
 * Makes the server's schedules match the declarations: creates missing ones, updates changed ones, leaves equal ones
 * alone (so applying twice changes nothing) and, with `prune`, deletes schedules of ours that are not declared.
 * Pausing is left to people: a schedule paused with `schedule pause` stays paused across applies.
 */
export async function applySchedules(
  client: Client,
  declarations: ScheduleDeclaration[],
  target: ScheduleTarget,
  options: { prune?: boolean } = {},
): Promise<AppliedChange[]> {
  const changes: AppliedChange[] = [];
  for (const declaration of declarations) {
    const existing = await describeSchedule(client, declaration.id);
    if (!existing) {
      await createSchedule(client, declaration, target);
      changes.push({ id: declaration.id, change: 'created' });
      continue;
    }
    const current = declarationOf(existing);
    if (current && canonical(current) === canonical(resolve(declaration, target))) {
      changes.push({ id: declaration.id, change: 'unchanged' });
      continue;
    }
    await updateSchedule(client, declaration, target);
    changes.push({ id: declaration.id, change: 'updated' });
  }
  if (options.prune) {
    const declared = new Set(declarations.map((d) => scheduleIdOf(d.id)));
    for (const schedule of await listSchedules(client)) {
      if (declared.has(schedule.scheduleId)) continue;
      try {
        await client.schedule.getHandle(schedule.scheduleId).delete();
      } catch (error) {
        // Deleted meanwhile: the list lags.
        if (!(error instanceof ScheduleNotFoundError)) throw error;
        continue;
      }
      changes.push({ id: schedule.scheduleId.slice(SCHEDULE_PREFIX.length), change: 'deleted' });
    }
  }
  return changes;
}

/** JSON with keys sorted, so that two equal declarations compare equal whatever order their keys came in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}
