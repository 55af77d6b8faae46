/** Calendar arithmetic on HR dates (`yyyy-MM-dd`), which are days in the HR system's time zone, not instants. */

/** The calendar day `now` falls on in a time zone. */
export function calendarDay(now: Date, timeZone: string): string {
  // en-CA formats as yyyy-MM-dd.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** Results of addDays by shift and day: HR dates repeat (hire dates), and this ran for every record. */
const shifted = new Map<number, Map<string, string>>();
const SHIFTED_MAX = 10_000;

export function addDays(day: string, days: number): string {
  let byDay = shifted.get(days);
  if (!byDay) shifted.set(days, (byDay = new Map<string, string>()));
  let result = byDay.get(day);
  if (result === undefined) {
    if (byDay.size >= SHIFTED_MAX) byDay.clear();
    byDay.set(day, (result = shift(day, days)));
  }
  return result;
}

function shift(day: string, days: number): string {
  // Fields, not `new Date(text)`: parsing and printing ISO text was a visible part of planning.
  const date = new Date(0);
  date.setUTCFullYear(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)) + days);
  const year = date.getUTCFullYear();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || year < 1 || year > 9999) {
    const exact = new Date(`${day}T00:00:00Z`);
    exact.setUTCDate(exact.getUTCDate() + days);
    return exact.toISOString().slice(0, 10);
  }
  return `${pad(year, 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}`;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}
