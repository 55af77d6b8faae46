import { SourceUnreadable } from '../../hr/source-record.ts';
import { readHrSource } from '../../hr/source.ts';
import type { StateStore } from '../../store/state-store.ts';
import { ConfirmedNames } from '../clearing.ts';
import { foldHrEvents } from '../hr-event-overlay.ts';
import type { RowOutcome } from '../row-outcome.ts';
import { mapOverlay, mapRecord, overlaysOutsideExport } from './2-map-validate.ts';
import { Person } from './person.ts';
import type { PlanningRun } from './planning-run.ts';

/** Stage 1, read: what Okta confirmed (the people index starts from it) and the HR events not yet applied. */
export async function readConfirmed(run: PlanningRun, store: StateStore): Promise<void> {
  const { identitySourceId } = run.input;
  const manager = run.manager;
  const names = new ConfirmedNames();
  let confirmed = 0;
  run.progress('snapshot');
  for await (const user of store.streamConfirmedUsers(identitySourceId)) {
    const confirmedManager = manager ? (user.profile?.[manager.attribute] ?? undefined) : undefined;
    run.people.set(
      user.externalId,
      new Person(user.fingerprint, user.status === 'ACTIVE', names.of(user.profile), confirmedManager),
    );
    if (user.status === 'ACTIVE') run.confirmedActive++;
    run.progress('snapshot', ++confirmed);
  }
  // HR events not yet applied overlay the export: a joiner, mover or leaver takes effect before the export shows it.
  const retainSince = new Date(Date.now() - run.config.hrEvents.retainAppliedHours * 3_600_000).toISOString();
  run.hrEvents = await store.pendingHrEvents(identitySourceId, retainSince);
  run.overlays = foldHrEvents(run.hrEvents);
}

type Visit = (row: number, line: number | null, outcome: RowOutcome) => void;

/**
 * Stage 1, read: the one pass over the export. Each record is mapped and validated (stage 2) and handed to `visit`;
 * then the people HR events speak of whom the export does not show, numbered after its last row.
 */
export async function readExport(run: PlanningRun, visit: Visit): Promise<void> {
  const counts = run.counts;
  for await (const { row, line, record } of readHrSource(run.config.source, run.fields)) {
    counts.recordsRead++;
    visit(row, line ?? null, mapRecord(run, record, run.overlaid));
    run.progress('read', counts.recordsRead);
  }
  let row = counts.recordsRead;
  for (const overlay of overlaysOutsideExport(run)) visit(++row, null, mapOverlay(run, overlay));
}

/** Reads the export again, rows numbered as in the first pass; an export that changed meanwhile is unreadable. */
export async function readExportAgain(run: PlanningRun, visit: (row: number, outcome: RowOutcome) => void) {
  const again = new Set<string>();
  let rows = 0;
  for await (const { row, record } of readHrSource(run.config.source, { names: new Set() })) {
    rows++;
    visit(row, mapRecord(run, record, again));
  }
  if (rows !== run.counts.recordsRead) {
    throw new SourceUnreadable('the export changed while it was being planned: read it again');
  }
  let row = rows;
  for (const overlay of overlaysOutsideExport(run)) visit(++row, mapOverlay(run, overlay));
}
