import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCsvWithCsvParse } from '../../activities/hr/csv-parse-source.ts';
import type { CsvInput } from '../../activities/hr/csv-records.ts';
import { readCsvInput } from '../../activities/hr/csv-source.ts';
import type { SourceFields, SourceRecord } from '../../activities/hr/source-record.ts';

/**
 * The CSV source reads with papaparse and must give exactly what csv-parse gives (the reference, which also names
 * what is wrong with a malformed export): the same records, line numbers, header and refusals, however the bytes
 * arrive in chunks.
 */

interface Outcome {
  records: SourceRecord[];
  fields: string[];
  error?: string;
}

async function outcome(read: (input: CsvInput, fields: SourceFields) => AsyncIterable<SourceRecord>, input: CsvInput) {
  const fields: SourceFields = { names: new Set() };
  const result: Outcome = { records: [], fields: [] };
  try {
    for await (const record of read(input, fields)) result.records.push(record);
  } catch (error) {
    result.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
  result.fields = [...fields.names];
  return result;
}

/** The bytes cut at the given places (as an HTTP body or a file may arrive). */
function inputOf(bytes: Buffer, cuts: number[], delimiter: string): CsvInput & { opened: number } {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of [...at, bytes.length]) {
    if (cut > from) chunks.push(bytes.subarray(from, cut));
    from = cut;
  }
  const input = {
    opened: 0,
    open: () => {
      input.opened++;
      return Readable.from(chunks, { objectMode: false });
    },
    location: 'test.csv',
    delimiter,
  };
  return input;
}

const delimiterArb = fc.constantFrom(',', ';', '\t', '||');
const newlineArb = fc.constantFrom('\n', '\r\n', '\r');
const cutsArb = fc.array(fc.nat({ max: 400 }), { maxLength: 12 });

/**
 * Well-formed CSV: a header of distinct names, then records whose fields are quoted when they must be (and
 * sometimes when not), with empty lines and short and long lines.
 */
const wellFormedArb = fc
  .record({
    delimiter: delimiterArb,
    newline: newlineArb,
    bom: fc.boolean(),
    leadingEmptyLines: fc.nat({ max: 2 }),
    trailingNewline: fc.boolean(),
    header: fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
    rows: fc.array(
      fc.oneof(
        { weight: 1, arbitrary: fc.constant(null) }, // an empty line
        {
          weight: 8,
          arbitrary: fc.array(
            fc.record({ value: fc.stringMatching(/^[a-zé😀 ,;|"\t\r\n-]{0,6}$/u), quoted: fc.boolean() }),
            { minLength: 1, maxLength: 5 },
          ),
        },
      ),
      { maxLength: 8 },
    ),
  })
  .map(({ delimiter, newline, bom, leadingEmptyLines, trailingNewline, header, rows }) => {
    // A value with a character of the delimiter in it is quoted: `a|` before `||` is not well-formed.
    const special = (v: string) => v === '' || /["\r\n]/.test(v) || [...delimiter].some((c) => v.includes(c));
    const field = ({ value, quoted }: { value: string; quoted: boolean }) =>
      quoted || special(value) ? `"${value.replaceAll('"', '""')}"` : value;
    const lines = [
      ...Array.from({ length: leadingEmptyLines }, () => ''),
      header.map((quoted, i) => field({ value: `col ${i}`, quoted })).join(delimiter),
      ...rows.map((row) => (row === null ? '' : row.map(field).join(delimiter))),
    ];
    const text = (bom ? '\ufeff' : '') + lines.join(newline) + (trailingNewline ? newline : '');
    return { delimiter, bytes: Buffer.from(text) };
  });

/** Anything at all made of the characters that matter to CSV: mostly malformed. */
const soupArb = fc.record({
  delimiter: delimiterArb,
  bytes: fc
    .array(fc.constantFrom('a', 'b', 'é', ',', ';', '\t', '|', '"', '""', ' ', '\n', '\r', '\r\n', '\ufeff'), {
      maxLength: 40,
    })
    .map((parts) => Buffer.from(parts.join(''))),
});

/** Reads with both; returns how often the CSV source opened the export (twice: it handed over to csv-parse). */
async function same(input: { delimiter: string; bytes: Buffer }, cuts: number[]): Promise<number> {
  const fastInput = inputOf(input.bytes, cuts, input.delimiter);
  const fast = await outcome(readCsvInput, fastInput);
  const reference = await outcome(readCsvWithCsvParse, inputOf(input.bytes, [], input.delimiter));
  if (reference.error === undefined) {
    expect(fast).toEqual(reference);
    return fastInput.opened;
  }
  // Refused with the same message. What came before the refusal is never planned; whichever reader gave more
  // records before it, they are the same records.
  expect(fast.error).toBe(reference.error);
  const given = Math.min(fast.records.length, reference.records.length);
  expect(fast.records.slice(0, given)).toEqual(reference.records.slice(0, given));
  return fastInput.opened;
}

describe('the CSV source reads exactly as csv-parse does', () => {
  it('on well-formed exports, however they arrive in chunks, without handing over to csv-parse', async () => {
    await fc.assert(
      fc.asyncProperty(wellFormedArb, cutsArb, async (input, cuts) => {
        expect(await same(input, cuts)).toBe(1);
      }),
      { numRuns: 1500 },
    );
  });

  it('on anything made of quotes, delimiters and line breaks, refusing what csv-parse refuses', async () => {
    await fc.assert(
      fc.asyncProperty(soupArb, cutsArb, async (input, cuts) => {
        await same(input, cuts);
      }),
      { numRuns: 3000 },
    );
  });

  it('on the cases named', async () => {
    const cases = [
      'id,name\r\n1,"a\r\nb"\r\n\r\n2,c\r\n', // CRLF, a quoted CRLF counts as two lines in csv-parse's numbering
      'id,name\n1,a\r\n2,b\rc\n', // CRs that are not the record delimiter stay in the values
      'id,name\n""\n\n1,x', // a quoted empty line is a record, an empty line is not
      'id,name\n1,Tur"ing\n', // a quote inside an unquoted field
      'id,name\n1,"Turing"x\n', // text after a closing quote
      'id,name\n1,"Turing" \n', // a space after a closing quote
      'id,name\n1,"Turing\n2,x\n', // a quote never closed
      'id,id\n1,2\n', // a header naming a column twice
      '\ufeff"id","name"\n"1","a"\n', // a byte order mark, then a quoted header
      '',
      '\n\n',
    ];
    for (const text of cases) {
      for (const cuts of [[], [1, 5, 9, 13, 17]]) await same({ delimiter: ',', bytes: Buffer.from(text) }, cuts);
    }
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id,name\n1,a\n', 'utf16le')]);
    for (const cuts of [[], [1], [1, 2, 3]]) await same({ delimiter: ',', bytes: utf16 }, cuts);
  });
});
