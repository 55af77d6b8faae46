import Papa from 'papaparse';
import type { SourceConfig } from '../mapping/config.ts';
import { readCsvWithCsvParse } from './csv-parse-source.ts';
import { csvHeader, csvRecord } from './csv-records.ts';
import type { CsvInput } from './csv-records.ts';
import { inputFailure, openInput } from './input.ts';
import type { SourceFields, SourceRecord } from './source-record.ts';
import { DEFAULT_ENCODING } from './encodings.ts';
import { decodedChunks } from './text-decoding.ts';

type CsvSource = Extract<SourceConfig, { type: 'csv' }>;

/**
 * Streams a CSV export (UTF-8 with or without BOM, or the configured encoding; quoted fields, any delimiter). The first line is the header.
 * A line with the wrong number of columns carries the marker field COLUMN_COUNT_FIELD, so that it is reported as
 * invalid instead of guessing which column is which.
 */
export function readCsv(config: CsvSource, fields: SourceFields): AsyncIterable<SourceRecord> {
  return readCsvInput(
    {
      open: () => openInput(config.location, config.headers),
      location: config.location,
      delimiter: config.delimiter,
      encoding: config.encoding,
    },
    fields,
  );
}

const QUOTE = '"';

/**
 * Reads with papaparse (several times faster than csv-parse), giving exactly what csv-parse gives: the same
 * records, the same line numbers (csv-parse's count: every CR or LF, a CRLF record delimiter once), empty lines
 * skipped. papaparse is more lenient than csv-parse (a quote inside an unquoted field, text after a closing quote),
 * so every record with a quote in it is checked against its text: each field must be the field as written or the
 * field quoted (quotes doubled). At anything else — a record that fails that check, an error papaparse reports, a
 * delimiter papaparse cannot take — the export is read again with csv-parse from the
 * start, skipping the records already given, so that what follows (a refusal with csv-parse's message naming the
 * line, or records) is csv-parse's own.
 */
export async function* readCsvInput(input: CsvInput, fields: SourceFields): AsyncIterable<SourceRecord> {
  const delimiter = input.delimiter;
  if (Papa.BAD_DELIMITERS.some((bad) => delimiter.includes(bad))) {
    yield* readCsvWithCsvParse(input, fields);
    return;
  }
  // The records given before handing over to csv-parse (one generator, not two: each layer costs every record).
  let handOver: number | undefined;
  const bytes = input.open();
  const chunks = decodedChunks(bytes as AsyncIterable<Buffer>, input.encoding ?? DEFAULT_ENCODING);
  let text = ''; // decoded and not yet read, starting at a record boundary
  let ended = false;
  let waitFor = 0; // text length worth parsing again (a record longer than what has come so far)
  let newline: string | undefined;
  let parser: Papa.Parser | undefined;
  let steps: Papa.ParseResult<string[]>[] = [];
  let header: string[] | undefined;
  let row = 0;
  let lines = 1; // csv-parse's line count where `text` starts
  try {
    reading: while (!ended) {
      let next: IteratorResult<string>;
      try {
        next = await chunks.next();
      } catch (error) {
        throw inputFailure(input.location, error);
      }
      if (next.done) ended = true;
      else text += next.value;
      if (!ended && text.length < waitFor) continue;
      newline ??= recordDelimiter(text, ended);
      if (newline === undefined) {
        waitFor = text.length * 2;
        continue;
      }
      parser ??= new Papa.Parser({
        delimiter,
        newline: newline as Papa.ParseConfig['newline'],
        quoteChar: QUOTE,
        escapeChar: QUOTE,
        // The low-level parser gives each record as a result of one row, with its end in the text.
        step: (step: Papa.ParseResult<string[]>) => void steps.push(step),
      });
      steps = [];
      parser.parse(text, 0, !ended);
      const nl = newline;
      let quoteAt = -1;
      let crAt = -1;
      let lfAt = -1;
      let start = 0;
      for (const step of steps) {
        const end = step.meta.cursor;
        const values = step.data[0]!;
        const terminated = end - nl.length >= start && text.startsWith(nl, end - nl.length);
        const contentEnd = terminated ? end - nl.length : end;
        if (step.errors.length > 0) {
          handOver = row;
          break reading;
        }
        if (contentEnd > start) {
          quoteAt = after(text, QUOTE, quoteAt, start);
          if (quoteAt < contentEnd && !written(text, start, contentEnd, values, delimiter)) {
            handOver = row;
            break reading;
          }
          // Line breaks inside the record (quoted, or a lone CR or LF that is not the record delimiter).
          let line = lines;
          for (crAt = after(text, '\r', crAt, start); crAt < contentEnd; crAt = after(text, '\r', crAt, crAt + 1))
            line++;
          for (lfAt = after(text, '\n', lfAt, start); lfAt < contentEnd; lfAt = after(text, '\n', lfAt, lfAt + 1))
            line++;
          // csv-parse counts a line break when it reads the character after it: the export's last one, never.
          if (contentEnd === text.length && ended && /[\r\n]$/.test(text)) line--;
          lines = line;
          if (header) yield { row: ++row, line, record: csvRecord(header, values) };
          // A header csv-parse would refuse: it may refuse something further on first (it reads ahead).
          else if (new Set(values.map((name) => name.trim())).size < values.length) {
            handOver = row;
            break reading;
          } else header = csvHeader(values, fields);
        }
        if (terminated) lines++;
        start = end;
      }
      // What is left is the start of a record that goes on in what comes next.
      text = text.slice(start);
      waitFor = start === 0 ? text.length * 2 : 0;
    }
  } finally {
    await chunks.return(undefined);
    bytes.destroy();
  }
  if (handOver !== undefined) yield* readCsvWithCsvParse(input, fields, handOver);
  else if (!header) fields.names.clear();
}

/**
 * The first position at or after `from` of `char`, reusing `known` when it is still ahead (so that a character the
 * text does not have is looked for once, not once per record); Infinity when there is none.
 */
function after(text: string, char: string, known: number, from: number): number {
  if (known >= from) return known;
  const at = text.indexOf(char, from);
  return at === -1 ? Infinity : at;
}

/**
 * The record delimiter csv-parse discovers: CRLF, LF or CR, whichever comes first outside quotes (after an even
 * number of quote characters). Undefined while the text so far has none and more is to come.
 */
function recordDelimiter(text: string, ended: boolean): string | undefined {
  let quotes = 0;
  let from = 0;
  for (;;) {
    const cr = text.indexOf('\r', from);
    const lf = text.indexOf('\n', from);
    const at = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
    if (at === -1) return ended ? '\n' : undefined;
    for (let q = text.indexOf(QUOTE, from); q !== -1 && q < at; q = text.indexOf(QUOTE, q + 1)) quotes++;
    if (quotes % 2 === 0) {
      if (at === cr && at + 1 === text.length && !ended) return undefined; // CR, or the first half of CRLF
      return at === cr ? (text[at + 1] === '\n' ? '\r\n' : '\r') : '\n';
    }
    from = at + 1;
  }
}

/**
 * Whether text[start, end) is exactly `values` written as csv-parse reads them: each value as it is (with no quote
 * in it), or quoted with its quotes doubled, separated by the delimiter.
 */
function written(text: string, start: number, end: number, values: string[], delimiter: string): boolean {
  let at = start;
  for (let i = 0; i < values.length; i++) {
    if (i > 0) {
      if (!text.startsWith(delimiter, at)) return false;
      at += delimiter.length;
    }
    const value = values[i]!;
    const field = text[at] === QUOTE ? QUOTE + value.replaceAll(QUOTE, QUOTE + QUOTE) + QUOTE : value;
    if (field === value && value.includes(QUOTE)) return false;
    if (!text.startsWith(field, at)) return false;
    at += field.length;
  }
  return at === end;
}
