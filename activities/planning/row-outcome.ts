import type { MappingConfig } from '../mapping/config.ts';
import type { HrRecord } from '../mapping/expressions.ts';
import { mapRecord } from '../mapping/map-record.ts';
import type { MapOutcome, MappedPerson } from '../mapping/map-record.ts';
import { sourceProblem } from '../hr/source-record.ts';
import type { HrEventOverlay } from './hr-event-overlay.ts';

export type Problem = { field: string; reason: string };

/** What one row of the export means for planning, pending HR events applied. */
export type RowOutcome =
  | { type: 'invalid'; externalId: string | undefined; problem: Problem }
  | { type: 'terminated'; externalId: string }
  | { type: 'mapped'; person: MappedPerson };

/**
 * A record of the export. An HR event not yet applied overlays it (a joiner, mover or leaver takes effect before
 * the export shows it); `overlaid` collects the people whose events found their record.
 */
export function outcomeOfRecord(
  record: HrRecord,
  mapping: MappingConfig,
  today: string,
  overlays: Map<string, HrEventOverlay>,
  overlaid: Set<string>,
): RowOutcome {
  const outcome = mapRecord(record, mapping, today);
  const externalId = outcome.ok ? outcome.person.externalId : outcome.problem.externalId;
  const overlay = externalId === undefined ? undefined : overlays.get(externalId);
  if (overlay && !sourceProblem(record)) {
    overlaid.add(overlay.externalId);
    return outcomeOfOverlay(overlay, mapping, today, record);
  }
  return outcomeOfMapped(record, outcome);
}

/** A person an HR event speaks of: a leaver is terminated; a record the event carried replaces fields. */
export function outcomeOfOverlay(
  overlay: HrEventOverlay,
  mapping: MappingConfig,
  today: string,
  exported?: HrRecord,
): RowOutcome {
  if (overlay.type === 'leaver') return { type: 'terminated', externalId: overlay.externalId };
  const record = { ...exported, ...overlay.record };
  const outcome = mapRecord(record, mapping, today);
  const mappedId = outcome.ok ? outcome.person.externalId : outcome.problem.externalId;
  if (mappedId !== overlay.externalId) {
    return {
      type: 'invalid',
      externalId: overlay.externalId,
      problem: {
        field: 'externalId',
        reason: 'the record carried by an HR event for this person maps to another externalId, or to none',
      },
    };
  }
  return outcomeOfMapped(record, outcome);
}

function outcomeOfMapped(record: HrRecord, outcome: MapOutcome): RowOutcome {
  const marked = sourceProblem(record);
  if (outcome.ok && !marked) return { type: 'mapped', person: outcome.person };
  return {
    type: 'invalid',
    externalId: outcome.ok ? outcome.person.externalId : outcome.problem.externalId,
    problem: marked ?? (outcome.ok ? undefined : outcome.problem)!,
  };
}
