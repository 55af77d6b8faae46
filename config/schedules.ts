import ms from 'ms';
import { z } from 'zod';

/** How a schedule treats a start that comes while its previous run still runs (Temporal's overlap policies). */
export const OVERLAP_POLICIES = [
  'skip',
  'buffer-one',
  'buffer-all',
  'cancel-other',
  'terminate-other',
  'allow-all',
] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

const Duration = z
  .string()
  .refine((value) => typeof ms(value as ms.StringValue) === 'number', 'expected a duration such as 30s, 5m or 1h');

const CalendarValue = z.union([z.number().int(), z.string().min(1)]);
const CalendarRange = z.union([
  CalendarValue,
  z.object({ start: CalendarValue, end: CalendarValue.optional(), step: z.number().int().positive().optional() }),
]);
const CalendarField = z.union([CalendarRange, z.array(CalendarRange).min(1)]);
/** Temporal's calendar spec: each field a value, a range `{ start, end, step }`, a list of those, or `*`. */
const Calendar = z
  .object({
    second: CalendarField.optional(),
    minute: CalendarField.optional(),
    hour: CalendarField.optional(),
    dayOfMonth: CalendarField.optional(),
    month: CalendarField.optional(),
    year: CalendarField.optional(),
    dayOfWeek: CalendarField.optional(),
    comment: z.string().optional(),
  })
  .strict();

/**
 * One schedule of syncs, as declared under `schedules:` in the service config or given to `schedule create`.
 * Exactly one of `cron`, `interval` or `calendar` says when.
 */
export const ScheduleDeclarationSchema = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,100}$/, 'a schedule id is 1-100 letters, digits, dots, dashes or underscores'),
    cron: z.string().min(1).optional().describe('e.g. `0 2 * * *` (minute hour day-of-month month day-of-week)'),
    interval: Duration.optional().describe('e.g. `1h`: every hour, counted from the Unix epoch (plus `offset`)'),
    offset: Duration.optional().describe('Shifts an interval, e.g. interval `1h` offset `15m`: at :15 each hour'),
    calendar: z.union([Calendar, z.array(Calendar).min(1)]).optional(),
    timeZone: z
      .string()
      .refine(isTimeZone, 'expected an IANA time zone such as Europe/Berlin')
      .optional()
      .describe('Time zone of cron and calendar specs. Default: UTC'),
    jitter: Duration.optional().describe('Each run starts up to this much later, at random'),
    overlap: z.enum(OVERLAP_POLICIES).default('skip').describe('When the previous scheduled sync still runs'),
    mode: z.enum(['delta', 'full']).default('delta'),
    dryRun: z.boolean().default(false),
    identitySourceId: z.string().min(1).optional().describe('Default: okta.identitySourceId'),
  })
  .strict()
  .superRefine((schedule, ctx) => {
    const specs = (['cron', 'interval', 'calendar'] as const).filter((key) => schedule[key] !== undefined);
    if (specs.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `schedule ${schedule.id} needs exactly one of cron, interval or calendar${
          specs.length > 1 ? ` (has ${specs.join(' and ')})` : ''
        }`,
      });
    }
    if (schedule.offset !== undefined && schedule.interval === undefined) {
      ctx.addIssue({ code: 'custom', path: ['offset'], message: 'offset goes with interval only' });
    }
  });

export type ScheduleDeclaration = z.output<typeof ScheduleDeclarationSchema>;

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The `schedules:` section: ids unique, so that `schedule apply` knows which one is which. */
export const ScheduleDeclarationList = z.array(ScheduleDeclarationSchema).superRefine((schedules, ctx) => {
  const ids = schedules.map((s) => s.id);
  ids.forEach((id, i) => {
    if (ids.indexOf(id) !== i) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `schedule id ${id} twice` });
  });
});
