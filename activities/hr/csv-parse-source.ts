import { parse } from 'csv-parse';
import { inputFailure } from './input.ts';
import { csvHeader, csvRecord } from './csv-records.ts';
import type { CsvInput } from './csv-records.ts';
import { SourceUnreadable } from './source.ts';
import type { SourceFields, SourceRecord } from './source.ts';

/**
 * Reads a CSV export with csv-parse: the reference for what the CSV source accepts, numbers and refuses. The fast
 * reader hands over to it (from the start, skipping the records it already gave) whenever it meets anything it
 * does not read exactly as this does, so that a malformed export is refused with csv-parse's message, which names
 * the line and the problem (unclosed quote, …), never the data.
 */
export async function* readCsvWithCsvParse(
  input: CsvInput,
  fields: SourceFields,
  skipRecords = 0,
): AsyncIterable<SourceRecord> {
  const parser = parse({
    bom: true,
    delimiter: input.delimiter,
    relax_column_count: true,
    skip_empty_lines: true,
    info: true,
  });
  const bytes = input.open();
  bytes.on('error', (error) =>
    parser.destroy(error instanceof SourceUnreadable ? error : inputFailure(input.location, error)),
  );
  bytes.pipe(parser);
  let header: string[] | undefined;
  let row = 0;
  try {
    for await (const chunk of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const { record, info } = chunk;
      if (!header) {
        header = csvHeader(record, fields);
        continue;
      }
      if (++row <= skipRecords) continue;
      yield { row, line: info.lines, record: csvRecord(header, record) };
    }
  } catch (error) {
    if (error instanceof SourceUnreadable) throw error;
    throw new SourceUnreadable(
      `malformed CSV after record ${row}: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    bytes.destroy();
  }
  if (!header) fields.names.clear();
}
