import type { HrRecord } from '../mapping/expressions.ts';

/** One record of an HR export, with where it was (1-based record number; the line too for text formats). */
export interface SourceRecord {
  row: number;
  line?: number;
  record: HrRecord;
}

/** The field names an export carried: a CSV's header; for JSON sources, the keys seen (up to a cap). */
export interface SourceFields {
  names: Set<string>;
}

/** An export that cannot be read at all (as opposed to one bad record): nothing is planned from it. */
export class SourceUnreadable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceUnreadable';
  }
}

/** Marker field of a CSV line whose column count differs from the header's (a truncated line, a stray delimiter). */
export const COLUMN_COUNT_FIELD = '(columns)';
/** Marker field of a JSON record that is not an object. */
export const NOT_AN_OBJECT = '(record)';

/** The problem a source marked on a record, if any. */
export function sourceProblem(record: HrRecord): { field: string; reason: string } | undefined {
  for (const field of [COLUMN_COUNT_FIELD, NOT_AN_OBJECT]) {
    const reason = record[field];
    if (typeof reason === 'string') return { field, reason };
  }
  return undefined;
}

/** At most this many distinct field names are remembered for JSON sources, so memory stays bounded. */
const MAX_FIELDS = 1000;

export function noteFields(record: HrRecord, fields: SourceFields): void {
  if (fields.names.size >= MAX_FIELDS) return;
  for (const name of Object.keys(record)) fields.names.add(name);
}
