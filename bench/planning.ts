/**
 * Benchmark 1: planning. Generates an HR export of N rows with the sample export's columns, plans it once and
 * confirms that plan as if Okta completed it (the snapshot), then plans day two (1 % changed, 0.5 % gone) against
 * that snapshot: rows per second and the process's peak RSS while planning.
 *
 *   node bench/planning.ts [--rows 100000,1000000] [--profile DIR]
 *
 * `--profile DIR` writes a V8 CPU profile of each planning run to DIR (open it in Chrome's DevTools).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse';
import Papa from 'papaparse';
import { readHrSource } from '../activities/hr/source.ts';
import { parseSyncConfig } from '../activities/mapping/config.ts';
import { planSync } from '../activities/planning/plan-sync.ts';
import { openStateStore } from '../activities/store/open.ts';
import type { PushRequest, StateStore } from '../activities/store/state-store.ts';
import { printTable, saveResult, seconds } from './support/report.ts';
import { spread } from './support/hr-people.ts';

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '100000,1000000' }, profile: { type: 'string' } },
});

const DEPARTMENTS = ['Engineering', 'Sales', 'Marketing', 'People', 'Finance', 'Customer Success', 'IT'];
const TITLES = ['Engineer', 'Senior Engineer', 'Manager', 'Account Executive', 'Analyst', 'Specialist'];
const CITIES = ['San Francisco', 'London', 'Berlin', 'Toronto', 'Singapore', 'Sydney'];
const FIRST = ['Amara', 'José', 'Mei', 'Lars', 'Priya', 'Tomasz', 'Aisha', 'Kenji', 'Sofia', 'Omar'];
const LAST = ['Okafor', 'Núñez', 'Chen', 'Nilsson', 'Sharma', 'Kowalski', 'Haddad', 'Tanaka', 'Rossi', 'Farouk'];

/** The sample export's columns; the mapping is the sample config's, without department groups. */
function configFor(csv: string, reportsDir: string) {
  return parseSyncConfig(
    `
source: { type: csv, location: ${JSON.stringify(csv)} }
mapping:
  externalId: employee_id
  attributes:
    userName: { field: work_email, transforms: [trim, lower] }
    email: { field: work_email, transforms: [trim, lower] }
    firstName: { firstOf: [preferred_name, first_name], transforms: [trim] }
    lastName: { field: last_name, transforms: [trim] }
    mobilePhone: { field: mobile, transforms: [trim] }
    department: { field: department, transforms: [trim] }
    title: { field: job_title, transforms: [trim] }
    employeeNumber: employee_id
    hireDate: { field: hire_date, transforms: [{ date: { from: yyyy-MM-dd, to: yyyy-MM-dd } }] }
    displayName: { join: [{ firstOf: [preferred_name, first_name] }, last_name], separator: ' ' }
    city: location
  customAttributes: [department, title, employeeNumber, hireDate, displayName, city, managerEmail]
  exclude: { field: employment_type, equals: Contractor }
  lifecycle:
    status: { field: status, active: [Active, Leave], terminated: [Terminated] }
    startDate: { field: hire_date, format: yyyy-MM-dd }
    terminationDate: { field: termination_date, format: yyyy-MM-dd }
    timeZone: UTC
  manager: { field: manager_id, attribute: managerEmail, value: email }
guardrails: { maxDeactivations: 100000000, maxDeactivationPercent: 100, maxShrinkPercent: 100 }
reports: { dir: ${JSON.stringify(reportsDir)}, samples: 5 }
`,
    'bench planning config',
  );
}

async function writeExport(file: string, rows: number, changed: Set<number>, gone: Set<number>): Promise<void> {
  const out = createWriteStream(file);
  const write = async (line: string) => {
    if (!out.write(line)) await once(out, 'drain');
  };
  await write(
    'employee_id,first_name,last_name,preferred_name,work_email,mobile,department,job_title,manager_id,status,hire_date,termination_date,employment_type,location\n',
  );
  for (let n = 0; n < rows; n++) {
    if (gone.has(n)) continue;
    const first = FIRST[n % FIRST.length]!;
    const last = LAST[Math.floor(n / FIRST.length) % LAST.length]!;
    const title = `${TITLES[(n >> 3) % TITLES.length]}${changed.has(n) ? ' II' : ''}`;
    const manager = n === 0 ? '' : `E${100_000 + Math.floor(n / 8)}`;
    const day = String(1 + (n % 28)).padStart(2, '0');
    await write(
      `E${100_000 + n},${first},${last},,${first.toLowerCase()}.${last.toLowerCase()}.${n}@example.com,+1 415 555 ${String(n % 10_000).padStart(4, '0')},` +
        `${DEPARTMENTS[n % DEPARTMENTS.length]},${title},${manager},Active,2020-03-${day},,Employee,${CITIES[(n >> 2) % CITIES.length]}\n`,
    );
  }
  out.end();
  await once(out, 'finish');
}

/** Marks every request of a plan confirmed, as the push does once Okta reports its sessions COMPLETED. */
async function confirmAll(store: StateStore, planId: string): Promise<void> {
  const plan = (await store.getPlan(planId))!;
  const requests: PushRequest[] = [];
  for (let first = 0; first < plan.counts.upserts; first += 200) {
    const index = requests.length;
    requests.push({
      index,
      sessionIndex: Math.floor(index / 50),
      operation: 'USER_UPSERT',
      firstItem: first,
      itemCount: Math.min(200, plan.counts.upserts - first),
      bytes: 0,
    });
  }
  await store.savePushLayout(planId, requests);
  await store.confirmRequests(planId, 0, requests.length, new Date().toISOString());
}

/**
 * Runs `work` while sampling the process's RSS; returns its duration, the CPU time the process spent (on a shared
 * machine, less noisy than the wall clock) and the peak RSS seen.
 */
async function measured<T>(work: () => Promise<T>) {
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const cpu = process.cpuUsage();
  const started = performance.now();
  try {
    const value = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    const used = process.cpuUsage(cpu);
    return {
      value,
      ms: performance.now() - started,
      cpuMs: (used.user + used.system) / 1000,
      rssBeforeMiB: before / 2 ** 20,
      peakRssMiB: peak / 2 ** 20,
    };
  } finally {
    clearInterval(timer);
  }
}

/** Runs `work` under the CPU profiler when --profile is given, writing DIR/NAME.cpuprofile. */
async function profiled<T>(name: string, work: () => Promise<T>): Promise<T> {
  if (values.profile === undefined) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    await mkdir(values.profile, { recursive: true });
    await writeFile(join(values.profile, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

/** The store, timing its savePlan (which also pulls the planned items out of the planner's scratch database). */
function timingSavePlan(store: StateStore): { store: StateStore; savePlanMs: () => number } {
  let total = 0;
  const timed = new Proxy(store, {
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown;
      if (typeof value !== 'function') return value;
      if (key !== 'savePlan') return (value as (...args: unknown[]) => unknown).bind(target);
      return async (...args: unknown[]) => {
        const started = performance.now();
        try {
          return (await value.apply(target, args)) as unknown;
        } finally {
          total += performance.now() - started;
        }
      };
    },
  });
  return { store: timed, savePlanMs: () => total };
}

const results = [];
for (const rows of values.rows.split(',').map(Number)) {
  const dir = await mkdtemp(join(tmpdir(), 'hr-okta-sync-planning-'));
  const opened = await openStateStore(`sqlite:${join(dir, 'state.db')}`);
  const { store, savePlanMs } = timingSavePlan(opened);
  try {
    const changed = new Set(spread(rows, 0.01));
    const gone = new Set(spread(rows, 0.005, 3));
    const day1 = join(dir, 'day1.csv');
    const day2 = join(dir, 'day2.csv');
    await writeExport(day1, rows, new Set(), new Set());
    await writeExport(day2, rows, changed, gone);
    const input = {
      identitySourceId: '0oabenchplan',
      mode: 'delta' as const,
      dryRun: false,
      now: '2026-06-01T00:00:00Z',
    };
    // The ceiling: csv-parse alone (the options the CSV source's reference reader uses), papaparse alone (what the
    // CSV source reads with) and the CSV source (line numbers, checks, records as objects).
    const parseOnly = await measured(async () => {
      let n = 0;
      const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true });
      for await (const _ of createReadStream(day2).pipe(parser)) n++;
      return n;
    });
    const papaOnly = await measured(async () => {
      let n = 0;
      let rest = '';
      const parser = new Papa.Parser({ delimiter: ',', newline: '\n', quoteChar: '"', step: () => void n++ });
      for await (const chunk of createReadStream(day2, 'utf8')) {
        const text = rest + (chunk as string);
        rest = text.slice((parser.parse(text, 0, true) as Papa.ParseResult<string[]>).meta.cursor);
      }
      parser.parse(rest, 0, false);
      return n;
    });
    const sourceOnly = await measured(async () => {
      let n = 0;
      for await (const _ of readHrSource(configFor(day2, join(dir, 'reports')).source, { names: new Set() })) n++;
      return n;
    });
    console.error(`${rows} rows: planning day one against an empty snapshot…`);
    const first = await measured(() =>
      profiled(`day-one-${rows}`, () => planSync(store, configFor(day1, join(dir, 'reports')), input)),
    );
    const firstSaveMs = savePlanMs();
    await confirmAll(store, first.value.planId!);
    global.gc?.();
    console.error(`${rows} rows: planning day two against the confirmed snapshot…`);
    const second = await measured(() =>
      profiled(`day-two-${rows}`, () => planSync(store, configFor(day2, join(dir, 'reports')), input)),
    );
    const secondSaveMs = savePlanMs() - firstSaveMs;
    const counts = second.value.counts;
    // Changed people are updated; people whose manager is gone keep the manager Okta confirmed (no change).
    let expectChanged = 0;
    for (let n = 0; n < rows; n++) if (!gone.has(n) && changed.has(n)) expectChanged++;
    if (counts.updates !== expectChanged || counts.deactivations !== gone.size) {
      throw new Error(
        `day two planned ${counts.updates} updates / ${counts.deactivations} deactivations, expected ${expectChanged} / ${gone.size}`,
      );
    }
    results.push({
      rows,
      load: loadavg()[0]!,
      parseOnly: { ms: parseOnly.ms, cpuMs: parseOnly.cpuMs },
      papaOnly: { ms: papaOnly.ms, cpuMs: papaOnly.cpuMs },
      sourceOnly: { ms: sourceOnly.ms, cpuMs: sourceOnly.cpuMs },
      first: { ...first, savePlanMs: firstSaveMs, value: first.value.counts },
      second: { ...second, savePlanMs: secondSaveMs, value: counts },
    });
  } finally {
    await opened.close();
    await rm(dir, { recursive: true, force: true });
  }
}

printTable(
  'Planning: HR export → plan, against a confirmed snapshot of the same size (1 % changed, 0.5 % gone)',
  results.flatMap((r) => [
    row(r.rows, r.load, 'day one (empty snapshot)', r.first, `${r.first.value.creates} creates`),
    row(
      r.rows,
      r.load,
      'day two (full snapshot)',
      r.second,
      `${r.second.value.updates} updates, ${r.second.value.deactivations} deactivations`,
    ),
  ]),
);
printTable(
  'Ceiling: reading the day-two export alone',
  results.flatMap((r) =>
    (
      [
        ['csv-parse alone', r.parseOnly],
        ['papaparse alone', r.papaOnly],
        ['CSV source (papaparse, line numbers, checks, record objects)', r.sourceOnly],
      ] as const
    ).map(([run, m]) => ({
      rows: r.rows,
      run,
      s: seconds(m.ms),
      'rows/s': Math.round(r.rows / (m.ms / 1000)),
      'CPU s': seconds(m.cpuMs),
      'rows/CPU-s': Math.round(r.rows / (m.cpuMs / 1000)),
    })),
  ),
);
console.log(`\nJSON: ${await saveResult('planning', { results })}`);

/** One planning run as a table row. */
function row(
  rows: number,
  load: number,
  run: string,
  m: { ms: number; cpuMs: number; savePlanMs: number; rssBeforeMiB: number; peakRssMiB: number },
  planned: string,
) {
  return {
    rows,
    run,
    s: seconds(m.ms),
    'rows/s': Math.round(rows / (m.ms / 1000)),
    'CPU s': seconds(m.cpuMs),
    'rows/CPU-s': Math.round(rows / (m.cpuMs / 1000)),
    'savePlan s': seconds(m.savePlanMs),
    load: load.toFixed(1),
    'RSS before MiB': Math.round(m.rssBeforeMiB),
    'peak RSS MiB': Math.round(m.peakRssMiB),
    planned,
  };
}
