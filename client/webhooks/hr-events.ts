import { createHash } from 'node:crypto';
import { z } from 'zod';
import { normalizedKey } from '../../activities/mapping/keys.ts';
import type { HrEvent } from '../../activities/store/state-store.ts';

/** HR fields as the export names them (a CSV's headers, a JSON export's keys). */
const HrRecordSchema = z.record(z.string(), z.unknown());

const EVENT_TYPES = ['joiner', 'mover', 'leaver'] as const;

/** The generic event (docs/webhooks.md): one person's change, with their record or only their id. */
export const GenericHrEvent = z
  .object({
    id: z.string().min(1).max(200).optional().describe('Unique per event; retries resend the same id'),
    type: z.enum(EVENT_TYPES),
    identitySourceId: z.string().min(1).max(100).optional(),
    occurredAt: z.iso.datetime({ offset: true }),
    person: z
      .object({
        externalId: z.string().min(1).max(255),
        record: HrRecordSchema.optional().describe('HR fields as in the export; fields given replace the export’s'),
      })
      .strict(),
  })
  .strict();

const MAX_EVENTS_PER_REQUEST = 1000;

const GenericHrEventBatch = z.object({ events: z.array(GenericHrEvent).min(1).max(MAX_EVENTS_PER_REQUEST) }).strict();

/** A body that is no valid event: the reason names the event and field, never a value from it. */
export class InvalidEvents extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEvents';
  }
}

/**
 * Events of a generic body. An event without an id takes the delivery's id (Standard Webhooks' `webhook-id`,
 * the same on every retry), suffixed with its position in a batch.
 */
export function genericEvents(body: unknown, deliveryId: string, defaultIdentitySourceId: string): HrEvent[] {
  // Told apart by shape, so that a refusal names the field of the event that is wrong.
  const batch = typeof body === 'object' && body !== null && 'events' in body;
  const parsed = batch ? GenericHrEventBatch.safeParse(body) : GenericHrEvent.safeParse(body);
  if (!parsed.success) throw new InvalidEvents(describeIssues(parsed.error));
  const events = 'events' in parsed.data ? parsed.data.events : [parsed.data];
  return events.map((event, i) => ({
    eventId: event.id ?? (batch ? `${deliveryId}#${i}` : deliveryId),
    identitySourceId: event.identitySourceId ?? defaultIdentitySourceId,
    type: event.type,
    externalId: eventKey(event.person.externalId, `${batch ? `events.${i}.` : ''}person.externalId`),
    ...(event.person.record ? { record: event.person.record } : {}),
    // UTC, so that the store orders one person's events by comparing text.
    occurredAt: new Date(event.occurredAt).toISOString(),
  }));
}

const BambooHrBody = z.object({
  employees: z
    .array(
      z.object({
        id: z.union([z.string().min(1).max(255), z.number().int()]),
        action: z.enum(['Created', 'Updated', 'Deleted']),
        timestamp: z.string().optional(),
        changedFields: z.array(z.string()).optional(),
        fields: HrRecordSchema.optional(),
      }),
    )
    .min(1)
    .max(MAX_EVENTS_PER_REQUEST),
});

const BAMBOOHR_TYPES = { Created: 'joiner', Updated: 'mover', Deleted: 'leaver' } as const;

/**
 * Events of a BambooHR webhook: Created is a joiner, Updated a mover, Deleted a leaver; the posted `fields` are the
 * record (configure the webhook to post them under the export's field names). BambooHR sends no event id, so the
 * id is a hash of the employee entry and the delivery's timestamp: a retried delivery dedups, a new change does not.
 */
export function bambooHrEvents(
  body: unknown,
  deliveryTimestamp: string,
  identitySourceId: string,
  receivedAt: Date,
): HrEvent[] {
  const parsed = BambooHrBody.safeParse(body);
  if (!parsed.success) throw new InvalidEvents(describeIssues(parsed.error));
  return parsed.data.employees.map((employee, i) => {
    const occurred = employee.timestamp ? new Date(employee.timestamp) : undefined;
    const hash = createHash('sha256')
      .update(JSON.stringify([deliveryTimestamp, employee.timestamp ?? '', employee]))
      .digest('hex');
    return {
      eventId: `bamboohr:${hash.slice(0, 40)}`,
      identitySourceId,
      type: BAMBOOHR_TYPES[employee.action],
      externalId: eventKey(String(employee.id), `employees.${i}.id`),
      ...(employee.fields ? { record: employee.fields } : {}),
      occurredAt: (occurred && !Number.isNaN(occurred.getTime()) ? occurred : receivedAt).toISOString(),
    };
  });
}

/** A person's key as the export's keys are read (trimmed, NFC); one that names nobody for certain is refused. */
function eventKey(text: string, field: string): string {
  const key = normalizedKey(text);
  if (key === undefined) throw new InvalidEvents(`${field}: is empty`);
  if (!key.ok) throw new InvalidEvents(`${field}: ${key.reason}`);
  return key.key;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`)
    .join('; ');
}
