import type { PlannedUpsert } from '../../activities/store/state-store.ts';

/** The custom attributes the generated people carry, to declare in the emulator's identity source. */
export const CUSTOM_ATTRIBUTES = ['employeeNumber', 'department', 'title', 'costCenter', 'managerId', 'location'];

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Margaret', 'Tim'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Hamilton', 'Lee'];
const DEPARTMENTS = ['Engineering', 'Sales', 'Finance', 'People', 'Support', 'Marketing', 'Legal', 'Operations'];
const TITLES = ['Engineer', 'Senior Engineer', 'Manager', 'Director', 'Analyst', 'Specialist', 'Associate'];
const CITIES = ['Berlin', 'Lisbon', 'Toronto', 'Austin', 'Singapore', 'Sydney', 'Dublin', 'Nairobi'];

/**
 * One employee's Okta profile as the mapping would produce it: base attributes plus six custom ones, about 420 bytes
 * of JSON, so 200 of them fill a request by count well within 200 KB (as real HR profiles do).
 * `variant` changes the title, so a later plan updates the person.
 */
export function personProfile(n: number, variant = ''): Record<string, string> {
  const first = FIRST[n % FIRST.length]!;
  const last = LAST[Math.floor(n / FIRST.length) % LAST.length]!;
  const login = `${first}.${last}.${n}@example.com`.toLowerCase();
  return {
    userName: login,
    email: login,
    firstName: first,
    lastName: last,
    secondEmail: `${first}.${n}@personal.example.org`.toLowerCase(),
    mobilePhone: `+1 555 ${String(1_000_000 + n).slice(-7)}`,
    homeAddress: `${100 + (n % 900)} Main Street, ${CITIES[n % CITIES.length]}`,
    employeeNumber: String(100_000 + n),
    department: DEPARTMENTS[n % DEPARTMENTS.length]!,
    title: `${TITLES[(n >> 3) % TITLES.length]}${variant}`,
    costCenter: `CC-${1000 + (n % 250)}`,
    managerId: `emp-${Math.floor(n / 8)}`,
    location: CITIES[(n >> 2) % CITIES.length]!,
  };
}

export function externalIdOf(n: number): string {
  return `emp-${n}`;
}

/** People [from, from + count) as planned upserts, generated lazily so a million never sit in memory at once. */
export function* plannedPeople(count: number, options: { from?: number; variant?: string } = {}) {
  const from = options.from ?? 0;
  for (let n = from; n < from + count; n++) {
    const upsert: PlannedUpsert & { profile: Record<string, string> } = {
      externalId: externalIdOf(n),
      profile: personProfile(n, options.variant),
      fingerprint: `${n}${options.variant ?? ''}`,
    };
    yield upsert;
  }
}

/** Indexes of `share` of `count` people, spread evenly (every k-th), so changes land in every session. */
export function spread(count: number, share: number, offset = 0): number[] {
  const picked = Math.round(count * share);
  const step = count / picked;
  return Array.from({ length: picked }, (_, i) => Math.floor(i * step + offset) % count);
}
