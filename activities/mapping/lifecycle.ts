/** Calendar arithmetic on HR dates (`yyyy-MM-dd`), which are days in the HR system's time zone, not instants. */

/** The calendar day `now` falls on in a time zone. */
export function calendarDay(now: Date, timeZone: string): string {
  // en-CA formats as yyyy-MM-dd.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}
