import type { ImportTimes, SessionSummary } from '../../contracts/push-messages.ts';

/** The first poll of an import nothing is known of: its end comes no sooner than this, and often not much later. */
const FIRST_POLL_OF_UNKNOWN_IMPORT_MS = 1_000;

/**
 * A margin on an import's estimated end: polling a little late costs that little, polling too early a whole poll
 * interval.
 */
const IMPORT_ESTIMATE_MARGIN = 1.01;

/**
 * The soonest Okta can have finished an import triggered at `trigger.atMs` (workflow time), from one learned import of
 * `records` records that took `msPerRecord` each: Okta's time is a fixed cost plus a cost per record, neither known
 * alone, so a larger session takes at least the whole learned time and a smaller one at least its share of it. Polls
 * after the first come sooner the younger the import (awaitImport), so an import is seen done shortly after it is.
 * Durations come from Okta's own timestamps, so clocks are never compared.
 */
export function firstPollAt(
  summary: SessionSummary,
  trigger: { atMs: number; triggeredAt?: string },
  seen: { importTimes?: ImportTimes; lastImportTime?: { msPerRecord: number; records: number } },
  pollIntervalMs: number,
): number {
  const learned = seen.importTimes ?? seen.lastImportTime;
  if (!learned) return trigger.atMs + Math.min(pollIntervalMs, FIRST_POLL_OF_UNKNOWN_IMPORT_MS);
  const triggeredAt = Date.parse(trigger.triggeredAt ?? '');
  const queuedMs =
    seen.importTimes && !Number.isNaN(triggeredAt) ? Math.max(0, seen.importTimes.lastEndedAt - triggeredAt) : 0;
  const records = Math.min(summary.records, learned.records ?? summary.records);
  return trigger.atMs + queuedMs + learned.msPerRecord * records * IMPORT_ESTIMATE_MARGIN;
}

/**
 * What a completed import of `records` records teaches of how long Okta takes a record (it processes a source's
 * imports one at a time, so an import starts when it was triggered or when the one before it ended). `learned` is the
 * per-record time this import taught, if it taught one.
 */
export function learnFromImport(
  known: ImportTimes | undefined,
  records: number,
  triggeredAt: string | undefined,
  endedAt: string | undefined,
): { importTimes: ImportTimes | undefined; learned?: number } {
  const triggered = Date.parse(triggeredAt ?? '');
  const ended = Date.parse(endedAt ?? '');
  if (Number.isNaN(triggered) || Number.isNaN(ended)) return { importTimes: known };
  const startedAt = Math.max(triggered, known?.lastEndedAt ?? triggered);
  if (records > 0 && ended > startedAt) {
    const msPerRecord = (ended - startedAt) / records;
    return { importTimes: { msPerRecord, records, lastEndedAt: ended }, learned: msPerRecord };
  }
  return { importTimes: known && { ...known, lastEndedAt: ended } };
}
