import { parse } from 'csv-parse';
import type { SourceConfig } from '../mapping/config.ts';
import { inputFailure, openInput } from './input.ts';
import { COLUMN_COUNT_FIELD, SourceUnreadable } from './source.ts';
import type { SourceFields, SourceRecord } from './source.ts';

type CsvSource = Extract<SourceConfig, { type: 'csv' }>;

/**
 * Streams a CSV export (UTF-8 with or without BOM, quoted fields, any delimiter). The first line is the header.
 * A line with the wrong number of columns carries the marker field COLUMN_COUNT_FIELD, so that it is reported as
 * invalid instead of guessing which column is which.
 */
export async function* readCsv(config: CsvSource, fields: SourceFields): AsyncIterable<SourceRecord> {
  const parser = parse({
    bom: true,
    delimiter: config.delimiter,
    relax_column_count: true,
    skip_empty_lines: true,
    info: true,
  });
  const input = openInput(config.location, config.headers);
  input.on('error', (error) => parser.destroy(inputFailure(config.location, error)));
  input.pipe(parser);
  let header: string[] | undefined;
  let row = 0;
  try {
    for await (const chunk of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const { record, info } = chunk;
      if (!header) {
        header = record.map((name) => name.trim());
        const duplicate = header.find((name, i) => header!.indexOf(name) !== i);
        if (duplicate !== undefined) throw new SourceUnreadable(`header names the column "${duplicate}" twice`);
        for (const name of header) fields.names.add(name);
        continue;
      }
      row++;
      const values: Record<string, string> = {};
      const columns = Math.min(header.length, record.length);
      for (let i = 0; i < columns; i++) values[header[i]!] = record[i]!;
      if (record.length !== header.length) {
        // Kept with what columns it has, so that the person it names is known (and not taken for gone).
        values[COLUMN_COUNT_FIELD] = `has ${record.length} columns; the header has ${header.length}`;
      }
      yield { row, line: info.lines, record: values };
    }
  } catch (error) {
    if (error instanceof SourceUnreadable) throw error;
    // csv-parse names the line and the problem (unclosed quote, …), never the data.
    throw new SourceUnreadable(
      `malformed CSV after record ${row}: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    input.destroy();
  }
  if (!header) fields.names.clear();
}
