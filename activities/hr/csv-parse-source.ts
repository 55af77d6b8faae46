import { parse } from 'csv-parse';
import { describeCsvError } from './csv-parse-errors.ts';
import { inputFailure } from './input.ts';
import { csvHeader, csvRecord } from './csv-records.ts';
import type { CsvInput } from './csv-records.ts';
import { SourceUnreadable } from './source-record.ts';
import type { SourceFields, SourceRecord } from './source-record.ts';
import { DEFAULT_ENCODING } from './encodings.ts';
import { decodedText } from './text-decoding.ts';

/**
 * Reads a CSV export with csv-parse: the reference for what the CSV source accepts, numbers and refuses. The fast
 * reader hands over to it (from the start, skipping the records it already gave) whenever it meets anything it
 * does not read exactly as this does, so that a malformed export is refused as csv-parse finds it: by the line,
 * the field and the problem (unclosed quote, …), never the data.
 */
export async function* readCsvWithCsvParse(
  input: CsvInput,
  fields: SourceFields,
  skipRecords = 0,
): AsyncIterable<SourceRecord> {
  // The header as parsed, for naming the field of a refusal (csv-parse refuses before it hands over what it read).
  let parsedHeader: string[] | undefined;
  // Where the last record parsed ends: a record that never ends (an unclosed quote) starts after it.
  let parsedUpTo = 0;
  const parser = parse({
    bom: false, // dropped by the decoder, once
    delimiter: input.delimiter,
    relax_column_count: true,
    skip_empty_lines: true,
    info: true,
    // With `info`, csv-parse hands each record over as { record, info } (its types do not say so).
    on_record: ((chunk: { record: string[]; info: { lines: number } }) => {
      parsedHeader ??= chunk.record.map((name) => name.trim());
      parsedUpTo = chunk.info.lines;
      return chunk;
    }) as unknown as (record: string[]) => string[],
  });
  const bytes = input.open();
  const text = decodedText(bytes, input.encoding ?? DEFAULT_ENCODING);
  text.on('error', (error) =>
    parser.destroy(error instanceof SourceUnreadable ? error : inputFailure(input.location, error)),
  );
  text.pipe(parser);
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
      describeCsvError(error, { recordsBefore: row, header: parsedHeader, lastLine: parsedUpTo }),
    );
  } finally {
    text.destroy();
    bytes.destroy();
  }
  if (!header) fields.names.clear();
}
