import { CsvError } from 'csv-parse';

/** What each csv-parse refusal means, in words that quote nothing of the export (csv-parse's own messages do). */
const PROBLEMS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'Quote Not Closed: a quote opens a field that no quote closes',
  CSV_INVALID_CLOSING_QUOTE: 'Invalid Closing Quote: a closing quote is followed by something other than a delimiter',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'a closing quote is followed by something other than a delimiter',
  INVALID_OPENING_QUOTE: 'Invalid Opening Quote: a quote inside a field that does not start with one',
  CSV_MAX_RECORD_SIZE: 'a record is longer than the reader takes',
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'a record has a different number of fields',
};

/**
 * A malformed CSV export, described by where it went wrong — the record before it, the line, the field (its number
 * and, when the header is known, its name) — and what is wrong, never by its text: the export is personal data and
 * this message reaches workflow history, logs and the CLI.
 */
export function describeCsvError(
  error: unknown,
  read: {
    /** Records the reader had given. */
    recordsBefore: number;
    /** The header as parsed, if it was. */
    header: string[] | undefined;
    /** The line the last record parsed ended on. */
    lastLine: number;
  },
): string {
  const { recordsBefore, header } = read;
  if (!(error instanceof CsvError)) return `malformed CSV after record ${recordsBefore}`;
  const context = error as CsvError & { lines?: unknown; column?: unknown; records?: unknown };
  // csv-parse reads ahead: the records it had parsed when it refused may not all have reached the reader.
  const parsed = typeof context.records === 'number' ? Math.max(0, context.records - 1) : 0;
  const before = Math.max(recordsBefore, parsed);
  const where: string[] = [];
  // A quote never closed is found at the end of the export; the record it opened starts after the last one parsed.
  if (error.code === 'CSV_QUOTE_NOT_CLOSED') where.push(`line ${read.lastLine + 1}`);
  else if (typeof context.lines === 'number') where.push(`line ${context.lines}`);
  if (typeof context.column === 'number') {
    const name = header?.[context.column];
    where.push(`field ${context.column + 1}${name ? ` (${name})` : ''}`);
  }
  const problem = PROBLEMS[error.code] ?? `the CSV reader refused it (${error.code})`;
  return `malformed CSV after record ${before}${where.length > 0 ? `, at ${where.join(', ')}` : ''}: ${problem}`;
}
