import type { HrRecord } from '../mapping/expressions.ts';
import type { HrEventType, StoredHrEvent } from '../store/state-store.ts';

/** What a person's pending HR events say, folded in order: the latest type, and every field the events carried. */
export interface HrEventOverlay {
  externalId: string;
  type: HrEventType;
  /** Fields the events carried, a later event's value winning; replaces the export's. Absent: ids only. */
  record?: HrRecord;
}

/**
 * Folds pending HR events (ordered by occurredAt) per person. The latest event decides the type (a leaver is
 * terminated whatever came before); records merge field by field, so a mover carrying only changed fields applies
 * on top of the export's record or an earlier joiner's. An event with only an id adds no field: for a full-export
 * source, re-reading the person means the export's record.
 */
export function foldHrEvents(events: StoredHrEvent[]): Map<string, HrEventOverlay> {
  const overlays = new Map<string, HrEventOverlay>();
  for (const event of events) {
    const earlier = overlays.get(event.externalId);
    const record = event.record ? { ...earlier?.record, ...event.record } : earlier?.record;
    overlays.set(event.externalId, { externalId: event.externalId, type: event.type, ...(record ? { record } : {}) });
  }
  return overlays;
}
