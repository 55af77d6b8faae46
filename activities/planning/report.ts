import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { UpsertProfile } from '../store/state-store.ts';
import type { TrippedGuardrail } from './guardrails.ts';
import { printable, printableJson } from './printable.ts';

export interface InvalidRecord {
  row: number;
  line?: number;
  externalId?: string;
  field: string;
  reason: string;
}

export interface PlanningCounts {
  recordsRead: number;
  validActive: number;
  invalid: number;
  unchanged: number;
  /** Future hires outside the pre-hire window. */
  held: number;
  terminated: number;
  outOfScope: number;
  creates: number;
  updates: number;
  deactivations: number;
  groupUpserts: number;
  groupDeletes: number;
  membershipUpserts: number;
  membershipDeletes: number;
  managersNotFound: number;
  /** Records planned despite something HR should fix (the report's `findings`). */
  findings?: number;
}

/** The planning report: what the export held, what the plan does, what was refused and why. */
export interface PlanningReport {
  reportId: string;
  planId?: string;
  identitySourceId: string;
  mode: 'delta' | 'full';
  dryRun: boolean;
  createdAt: string;
  /** The HR calendar day the lifecycle was evaluated on. */
  today: string;
  source: { type: string; location: string };
  /** Set when the export could not be read at all: nothing was planned. */
  unreadable?: string;
  counts: PlanningCounts;
  samples: {
    creates: { externalId: string; profile: UpsertProfile }[];
    updates: { externalId: string; profile: UpsertProfile }[];
    deactivations: string[];
    held: { externalId: string; from: string }[];
  };
  /** The first invalid records (all of them up to a cap); `counts.invalid` is the total. */
  invalid: InvalidRecord[];
  /**
   * Records planned despite something HR should fix (a lifecycle contradiction, a manager reference that cannot
   * be followed), each saying what the plan does about it; the first MAX_INVALID_LISTED by row.
   */
  findings?: InvalidRecord[];
  /** Whether profiles were checked against the identity source's user schema in Okta (absent: no Okta to ask). */
  userSchema?: { checked: boolean; note?: string };
  guardrails: TrippedGuardrail[];
  /** For a plan of named people (`provision`): what it does with each of them. */
  people?: { externalId: string; outcome: string }[];
  /** The earliest day on which a record's lifecycle changes (a pre-hire window opens, a termination date comes). */
  nextLifecycleChange?: string;
}

/** Cap on invalid records listed in a report; the count is always complete. */
export const MAX_INVALID_LISTED = 1000;

/** The report as a person reads it (text) or a program does (JSON), with nothing in it a terminal would act on. */
export function renderReport(report: PlanningReport, format: 'text' | 'json'): string {
  if (format === 'json') return `${printableJson(JSON.stringify(report, null, 2))}\n`;
  return printable(reportText(report));
}

function reportText(report: PlanningReport): string {
  const c = report.counts;
  const out: string[] = [];
  const title = report.unreadable
    ? 'NOT PLANNED'
    : report.dryRun
      ? 'DRY RUN'
      : report.guardrails.length > 0
        ? 'AWAITING APPROVAL'
        : 'PLANNED';
  out.push(`HR → Okta plan report (${title})`);
  out.push(`  identity source  ${report.identitySourceId}`);
  if (report.planId) out.push(`  plan             ${report.planId}`);
  out.push(`  mode             ${report.mode}${report.dryRun ? ' (dry run: nothing will be sent)' : ''}`);
  out.push(`  created          ${report.createdAt} (HR day ${report.today})`);
  out.push(`  source           ${report.source.type} ${report.source.location}`);
  if (report.userSchema) {
    out.push(
      `  user schema      ${report.userSchema.checked ? "checked against Okta's" : `NOT checked: ${report.userSchema.note}`}`,
    );
  }
  if (report.unreadable) {
    out.push('', `The export could not be read: ${report.unreadable}`, 'Nothing was planned; Okta is untouched.');
    return `${out.join('\n')}\n`;
  }
  out.push('', 'Export');
  out.push(`  records read       ${c.recordsRead}`);
  out.push(`  valid, active      ${c.validActive}`);
  out.push(`  invalid (skipped)  ${c.invalid}`);
  out.push(`  terminated         ${c.terminated}`);
  out.push(`  future hires held  ${c.held}`);
  out.push(`  out of scope       ${c.outOfScope}`);
  out.push('', 'Changes');
  out.push(`  create             ${c.creates}`);
  out.push(`  update             ${c.updates}`);
  out.push(`  unchanged          ${c.unchanged}`);
  out.push(`  deactivate         ${c.deactivations}`);
  out.push(`  groups             +${c.groupUpserts} −${c.groupDeletes}`);
  out.push(`  memberships        +${c.membershipUpserts} −${c.membershipDeletes}`);
  if (c.managersNotFound > 0) {
    out.push(`  managers not found ${c.managersNotFound} (the manager Okta last confirmed is kept, if any)`);
  }
  if (report.nextLifecycleChange) out.push(`  next lifecycle change on ${report.nextLifecycleChange}`);
  if (report.people) {
    out.push('', 'People named (the plan holds their changes only)');
    for (const p of report.people) out.push(`  ${p.externalId}: ${p.outcome}`);
  }
  out.push(
    '',
    report.guardrails.length > 0 ? 'Guardrails TRIPPED (a person must approve or reject)' : 'Guardrails: none tripped',
  );
  for (const g of report.guardrails)
    out.push(`  ${g.guardrail}: ${g.message} (measured ${g.measured}, threshold ${g.threshold})`);
  if (report.invalid.length > 0) {
    out.push(
      '',
      `Invalid records (${c.invalid}${c.invalid > report.invalid.length ? `, first ${report.invalid.length} listed` : ''})`,
    );
    for (const r of report.invalid) {
      const where = `row ${r.row}${r.line !== undefined ? ` (line ${r.line})` : ''}`;
      out.push(`  ${where}${r.externalId !== undefined ? ` ${r.externalId}` : ''}: ${r.field} ${r.reason}`);
    }
  }
  if (report.findings?.length) {
    out.push('', `Findings (planned as described; HR should fix these records)`);
    for (const r of report.findings) {
      const where = `row ${r.row}${r.line !== undefined ? ` (line ${r.line})` : ''}`;
      out.push(`  ${where}${r.externalId !== undefined ? ` ${r.externalId}` : ''}: ${r.field} ${r.reason}`);
    }
  }
  const sample = (label: string, items: string[]) => {
    if (items.length > 0) out.push('', label, ...items.map((i) => `  ${i}`));
  };
  sample(
    'Sample creates',
    report.samples.creates.map((s) => `${s.externalId} ${JSON.stringify(s.profile)}`),
  );
  sample(
    'Sample updates',
    report.samples.updates.map((s) => `${s.externalId} ${JSON.stringify(s.profile)}`),
  );
  sample('Sample deactivations', report.samples.deactivations);
  sample(
    'Sample future hires held',
    report.samples.held.map((h) => `${h.externalId} (created from ${h.from})`),
  );
  return `${out.join('\n')}\n`;
}

/** Writes the report as JSON and text under `<dir>/<identitySourceId>/`; returns the JSON file's path. */
export async function writeReport(dir: string, report: PlanningReport): Promise<string> {
  const folder = join(dir, safeName(report.identitySourceId));
  await mkdir(folder, { recursive: true });
  const base = join(folder, safeName(report.reportId));
  await writeFile(`${base}.txt`, renderReport(report, 'text'));
  await writeFile(`${base}.json`, renderReport(report, 'json'));
  return `${base}.json`;
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}
