/**
 * Dates in the strict form yyyy-MM-dd (the configuration's default and the usual HR export format), recognised
 * without date-fns: most HR dates are in this form and parsing them with date-fns dominated planning. Any other
 * text (say `2026-1-5`, which date-fns's yyyy-MM-dd also takes) is left to date-fns, so what is accepted stays
 * exactly what date-fns accepts.
 */
const STRICT_DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Answers by text: HR dates repeat (hire dates, start dates), and this ran two or three times for every record. */
const known = new Map<string, string | null | undefined>();
const KNOWN_MAX = 10_000;

/** For text in the strict form: the text itself if it names a real calendar day, else null; undefined otherwise. */
export function strictDay(text: string): string | null | undefined {
  const answer = known.get(text);
  if (answer !== undefined || known.has(text)) return answer;
  if (known.size >= KNOWN_MAX) known.clear();
  const found = check(text);
  known.set(text, found);
  return found;
}

function check(text: string): string | null | undefined {
  if (!STRICT_DAY.test(text)) return undefined;
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  // date-fns refuses year 0 (there is none between 1 BC and AD 1) and checks the day against the month.
  if (year < 1 || month < 1 || month > 12 || day < 1) return null;
  return day <= daysIn(year, month) ? text : null;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
