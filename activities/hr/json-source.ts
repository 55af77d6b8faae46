import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import { parser } from 'stream-json';
import { pick } from 'stream-json/filters/pick.js';
import { streamArray } from 'stream-json/streamers/stream-array.js';
import type { SourceConfig } from '../mapping/config.ts';
import type { HrRecord } from '../mapping/expressions.ts';
import { inputFailure, openInput } from './input.ts';
import { NOT_AN_OBJECT, SourceUnreadable, noteFields } from './source-record.ts';
import type { SourceFields, SourceRecord } from './source-record.ts';
import { decodedText } from './text-decoding.ts';

type JsonSource = Extract<SourceConfig, { type: 'json' }>;
type NdjsonSource = Extract<SourceConfig, { type: 'ndjson' }>;

/**
 * Streams the records of a JSON document: the array at `recordsPath` (e.g. Workday RaaS's `Report_Entry`),
 * parsed token by token so that only one record is in memory at a time.
 */
export async function* readJson(config: JsonSource, fields: SourceFields): AsyncIterable<SourceRecord> {
  const input = decodedText(openInput(config.location, config.headers), config.encoding);
  yield* recordsOf(input, config.recordsPath, fields, (error) => inputFailure(config.location, error));
}

/** The records of one JSON document stream; shared with the paginated HTTP source. */
async function* recordsOf(
  input: Readable,
  recordsPath: string,
  fields: SourceFields,
  describe: (error: unknown) => Error,
  firstRow = 1,
): AsyncIterable<SourceRecord> {
  const stages = [
    input,
    parser.asStream(),
    ...(recordsPath ? [pick.asStream({ filter: recordsPath })] : []),
    streamArray.asStream(),
  ];
  let failure: unknown;
  const output = (pipeline as (...streams: unknown[]) => Readable)(...stages, (error: unknown) => {
    if (error) failure = error;
  });
  let row = firstRow - 1;
  try {
    for await (const item of output as AsyncIterable<{ value: unknown }>) {
      row++;
      yield { row, record: asRecord(item.value, row, fields) };
    }
  } catch (error) {
    throw error instanceof SourceUnreadable ? error : describe(failure ?? error);
  }
  if (failure) throw describe(failure);
}

/** Streams newline-delimited JSON, one record per line; a line that is not a JSON object is a bad record. */
export async function* readNdjson(config: NdjsonSource, fields: SourceFields): AsyncIterable<SourceRecord> {
  const input = decodedText(openInput(config.location, config.headers), config.encoding);
  const lines = createInterface({ input, crlfDelay: Infinity });
  let row = 0;
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      const trimmed = text.trim();
      if (trimmed === '') continue;
      row++;
      let value: unknown;
      try {
        value = JSON.parse(trimmed);
      } catch {
        yield { row, line, record: { [NOT_AN_OBJECT]: 'is not valid JSON' } };
        continue;
      }
      yield { row, line, record: asRecord(value, row, fields) };
    }
  } catch (error) {
    throw inputFailure(config.location, error);
  }
}

function asRecord(value: unknown, _row: number, fields: SourceFields): HrRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { [NOT_AN_OBJECT]: 'is not a JSON object' };
  }
  const record = value as HrRecord;
  noteFields(record, fields);
  return record;
}
