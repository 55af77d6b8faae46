import type { Readable } from 'node:stream';
import type { HrRecord } from '../mapping/expressions.ts';
import { COLUMN_COUNT_FIELD, SourceUnreadable } from './source-record.ts';
import type { SourceFields } from './source-record.ts';

/** The bytes of a CSV export, opened afresh each time they are read, and where they come from (for messages). */
export interface CsvInput {
  open: () => Readable;
  location: string;
  delimiter: string;
  /** The export's encoding (a WHATWG label); UTF-8 when absent. */
  encoding?: string;
}

/** A CSV export's first record as its header: trimmed column names, each named once. */
export function csvHeader(record: string[], fields: SourceFields): string[] {
  const header = record.map((name) => name.trim());
  const duplicate = header.find((name, i) => header.indexOf(name) !== i);
  if (duplicate !== undefined) throw new SourceUnreadable(`header names the column "${duplicate}" twice`);
  for (const name of header) fields.names.add(name);
  return header;
}

/**
 * A CSV record as a field → value record. A line with the wrong number of columns carries the marker field
 * COLUMN_COUNT_FIELD, so that it is reported as invalid instead of guessing which column is which.
 */
export function csvRecord(header: string[], values: string[]): HrRecord {
  const record: Record<string, string> = {};
  const columns = Math.min(header.length, values.length);
  for (let i = 0; i < columns; i++) record[header[i]!] = values[i]!;
  if (values.length !== header.length) {
    // Kept with what columns it has, so that the person it names is known (and not taken for gone).
    record[COLUMN_COUNT_FIELD] = `has ${values.length} columns; the header has ${header.length}`;
  }
  return record;
}
