import type { PlanningRun } from './planning-run.ts';

/**
 * Stage 4, for a plan of named people only: their upserts and deactivations stay, everyone else's changes and every
 * group change go. The deactivation guardrail then counts theirs alone; the export's own checks (empty, shrunken,
 * invalid share) still judge the export they were read from.
 */
export function scopeToPeople(run: PlanningRun, scope: ReadonlySet<string>): void {
  const db = run.scratch.db;
  db.exec('CREATE TEMP TABLE scope (external_id TEXT PRIMARY KEY)');
  const add = db.prepare('INSERT OR IGNORE INTO scope (external_id) VALUES (?)');
  for (const externalId of scope) add.run(externalId);
  db.exec(`
    DELETE FROM upserts WHERE external_id NOT IN (SELECT external_id FROM scope);
    DELETE FROM deactivations WHERE external_id NOT IN (SELECT external_id FROM scope);
  `);
  run.newDeactivations = [...scope].filter((id) => {
    const person = run.people.get(id);
    return person?.active === true && isDeactivated(run, id);
  }).length;
  countScoped(run, scope);
}

/** The report's changes and samples for the named people only (the export's own counts stay). */
function countScoped(run: PlanningRun, scope: ReadonlySet<string>): void {
  const count = (sql: string) => Number((run.scratch.db.prepare(sql).get() as { n: number }).n);
  const { counts, report } = run;
  counts.creates = count('SELECT COUNT(*) AS n FROM upserts WHERE is_new = 1');
  counts.updates = count('SELECT COUNT(*) AS n FROM upserts WHERE is_new = 0');
  counts.deactivations = count('SELECT COUNT(*) AS n FROM deactivations');
  counts.unchanged = [...scope].filter((id) => run.people.get(id)?.outcome === 'unchanged').length;
  const samples = report.samples;
  samples.creates = samples.creates.filter((s) => scope.has(s.externalId));
  samples.updates = samples.updates.filter((s) => scope.has(s.externalId));
  samples.deactivations = samples.deactivations.filter((id) => scope.has(id));
}

/** What the plan does with each named person, in the order they were named. */
export function outcomesOf(run: PlanningRun, scope: ReadonlySet<string>): { externalId: string; outcome: string }[] {
  return [...scope].map((externalId) => {
    const person = run.people.get(externalId);
    if (isDeactivated(run, externalId)) return { externalId, outcome: 'deactivate' };
    if (!person || person.records === 0) return { externalId, outcome: 'not in the HR export' };
    if (person.records > 1) return { externalId, outcome: 'invalid: named by more than one record (see the report)' };
    if (person.outcome === 'invalid') return { externalId, outcome: 'invalid (see the report)' };
    return { externalId, outcome: person.outcome };
  });
}

function isDeactivated(run: PlanningRun, externalId: string): boolean {
  return run.scratch.db.prepare('SELECT 1 FROM deactivations WHERE external_id = ?').get(externalId) !== undefined;
}
