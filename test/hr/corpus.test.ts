import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { parseSyncConfig } from '../../activities/mapping/config.ts';
import type { SyncConfig } from '../../activities/mapping/config.ts';
import { planSync } from '../../activities/planning/plan-sync.ts';
import type { PlanSummary } from '../../activities/planning/plan-types.ts';
import { renderReport } from '../../activities/planning/report.ts';
import type { PlanningReport } from '../../activities/planning/report.ts';
import { openStateStore } from '../../activities/store/open.ts';
import type { StateStore } from '../../activities/store/state-store.ts';
import { applyPlan, emptyOkta } from '../planning/apply-plan.ts';
import type { OktaModel } from '../planning/apply-plan.ts';

const corpus = join(import.meta.dirname, 'corpus');
const reports = mkdtempSync(join(tmpdir(), 'hr-okta-sync-corpus-'));
afterAll(() => rmSync(reports, { recursive: true, force: true }));

function config(file: string): SyncConfig {
  return parseSyncConfig(
    `
source: { type: csv, location: ${file} }
mapping:
  externalId: employee_id
  attributes:
    userName: { field: work_email, transforms: [trim, lower] }
    email: { field: work_email, transforms: [trim, lower] }
    firstName: first_name
    lastName: last_name
    department: department
  customAttributes: [department]
  lifecycle: { status: { field: status, active: [Active], terminated: [Terminated] } }
  groups: [{ value: department, externalIdPrefix: 'dept-' }]
guardrails: { maxDeactivations: 1, maxDeactivationPercent: 50 }
reports: { dir: ${reports} }
`,
    'corpus config',
    corpus,
  );
}

const now = '2026-06-01T12:00:00Z';
let store: StateStore;
let okta: OktaModel;

/** Every corpus case starts from Okta holding the four people of baseline.csv. */
beforeEach(async () => {
  store = await openStateStore('sqlite::memory:');
  okta = emptyOkta();
  const baseline = await planSync(store, config('baseline.csv'), {
    identitySourceId: '0oa1',
    mode: 'delta',
    dryRun: false,
    now,
  });
  expect(baseline.outcome).toBe('planned');
  await applyPlan(store, baseline.planId!, okta);
  expect(okta.users.size).toBe(4);
  return () => store.close();
});

async function plan(file: string): Promise<{ summary: PlanSummary; report: PlanningReport }> {
  const summary = await planSync(store, config(file), { identitySourceId: '0oa1', mode: 'delta', dryRun: false, now });
  const report = JSON.parse(readFileSync(summary.reportPath, 'utf8')) as PlanningReport;
  return { summary, report };
}

async function deactivations(summary: PlanSummary): Promise<string[]> {
  if (!summary.planId) return [];
  const out: string[] = [];
  for await (const id of store.streamItems(summary.planId, 'USER_DEACTIVATE')) out.push(id);
  return out;
}

describe('bad HR input: reported, skipped, never destructive', () => {
  it('reads a CSV with a BOM and quoted fields (delimiters and quotes inside)', async () => {
    const { summary } = await plan('bom.csv');
    expect(summary.counts).toMatchObject({ recordsRead: 4, validActive: 4, invalid: 0, updates: 2, unchanged: 2 });
    const upserts = await store.readItems(summary.planId!, 'USER_UPSERT', 0, 10);
    expect(upserts.map((u) => [u.externalId, u.profile.department, u.profile.lastName])).toEqual([
      ['E1', 'Research, Engineering', 'Lovelace'],
      ['E2', 'Engineering', 'Turing "the" Great'],
    ]);
  });

  it('skips both records of a duplicated externalId and deactivates nobody', async () => {
    const { summary, report } = await plan('duplicates.csv');
    expect(summary.counts).toMatchObject({ invalid: 2, deactivations: 0 });
    expect(report.invalid).toEqual([
      { row: 2, line: 3, externalId: 'E2', field: 'externalId', reason: 'appears more than once in the export' },
      { row: 3, line: 4, externalId: 'E2', field: 'externalId', reason: 'appears more than once in the export' },
    ]);
    expect(await deactivations(summary)).toEqual([]);
  });

  it('skips a record without an email and keeps the person active in Okta', async () => {
    const { summary, report } = await plan('missing-email.csv');
    expect(report.invalid).toEqual([
      { row: 2, line: 3, externalId: 'E2', field: 'userName', reason: 'is empty; Okta needs it to create the user' },
    ]);
    expect(summary.counts).toMatchObject({ validActive: 3, invalid: 1, deactivations: 0, unchanged: 3 });
    expect(summary.guardrails.tripped).toEqual([
      expect.objectContaining({ guardrail: 'too-many-invalid', measured: 1, threshold: 0 }),
    ]);
  });

  it('skips an over-long attribute with its length and the limit', async () => {
    const { report, summary } = await plan('over-long.csv');
    expect(report.invalid).toEqual([
      { row: 2, line: 3, externalId: 'E2', field: 'firstName', reason: 'is 60 characters long; at most 50 allowed' },
    ]);
    expect(await deactivations(summary)).toEqual([]);
  });

  it('keeps non-ASCII names exactly as HR has them', async () => {
    const { summary } = await plan('non-ascii.csv');
    expect(summary.counts).toMatchObject({ invalid: 0, updates: 2 });
    const upserts = await store.readItems(summary.planId!, 'USER_UPSERT', 0, 10);
    expect(upserts.map((u) => `${u.profile.firstName} ${u.profile.lastName}`)).toEqual([
      'Łukasz Wiśniewski-Núñez',
      'Zoë Søndergård',
    ]);
  });

  it('reports the cut-off last line of a truncated file and does not deactivate its person', async () => {
    const { summary, report } = await plan('truncated.csv');
    expect(report.invalid).toEqual([
      { row: 4, line: 5, externalId: 'E4', field: '(columns)', reason: 'has 3 columns; the header has 6' },
    ]);
    expect(summary.counts).toMatchObject({ deactivations: 0, unchanged: 3 });
  });

  it('plans nothing from a malformed CSV', async () => {
    const { summary, report } = await plan('malformed.csv');
    expect(summary.outcome).toBe('unreadable');
    expect(summary.planId).toBeUndefined();
    expect(report.unreadable).toBe(
      'malformed CSV after record 1, at line 3, field 3 (last_name): Quote Not Closed: a quote opens a field that no quote closes',
    );
    expect(await store.findLatestPlan('0oa1', ['planned', 'awaiting-approval', 'dry-run'])).toBeUndefined();
  });

  it('holds a renamed header for approval: header drift, every record invalid, nobody deactivated', async () => {
    const { summary } = await plan('renamed-header.csv');
    expect(summary.outcome).toBe('awaiting-approval');
    expect(summary.counts).toMatchObject({ invalid: 4, deactivations: 0, creates: 0, updates: 0 });
    expect(summary.guardrails.tripped.map((t) => t.guardrail)).toEqual([
      'empty-export',
      'header-drift',
      'too-many-invalid',
    ]);
    expect(summary.guardrails.tripped[1]!.message).toBe('fields missing from the export: work_email');
    expect((await store.getPlan(summary.planId!))?.status).toBe('awaiting-approval');
  });

  it('holds an empty export for approval with the numbers that tripped', async () => {
    const { summary } = await plan('empty.csv');
    expect(summary.outcome).toBe('awaiting-approval');
    expect(summary.counts.deactivations).toBe(4);
    expect(summary.guardrails.tripped).toEqual([
      expect.objectContaining({ guardrail: 'empty-export', measured: 0, threshold: 1 }),
      expect.objectContaining({ guardrail: 'shrunken-export', measured: 0, threshold: 4 }),
      expect.objectContaining({ guardrail: 'too-many-deactivations', measured: 4, threshold: 1 }),
      expect.objectContaining({ guardrail: 'too-many-deactivations-relative', measured: 4, threshold: 2 }),
    ]);
  });

  it('refuses both records of ids that differ only in Unicode form, by name: one key after NFC', async () => {
    const { summary, report } = await plan('nfc-collision.csv');
    const id = 'É5'.normalize('NFC');
    expect(report.invalid).toEqual([
      { row: 5, line: 6, externalId: id, field: 'externalId', reason: 'appears more than once in the export' },
      { row: 6, line: 7, externalId: id, field: 'externalId', reason: 'appears more than once in the export' },
    ]);
    expect(summary.counts).toMatchObject({ creates: 0, invalid: 2, deactivations: 0 });
  });

  it('refuses an id with a zero-width character by reason and holds the deactivation it would cause', async () => {
    const { summary, report } = await plan('zero-width-key.csv');
    expect(report.invalid).toEqual([
      {
        row: 2,
        line: 3,
        field: 'externalId',
        reason: 'contains an invisible (zero-width) character (U+200B) at character 3',
      },
    ]);
    expect(summary.outcome).toBe('awaiting-approval');
    expect(summary.guardrails.tripped.map((t) => t.guardrail)).toContain('unidentified-records');
    expect(await deactivations(summary)).toEqual(['E2']);
  });

  it('refuses a record whose group value holds a bidirectional mark, keeping the person and the group as they are', async () => {
    const { summary, report } = await plan('invisible-group.csv');
    expect(report.invalid).toEqual([
      {
        row: 3,
        line: 4,
        externalId: 'E3',
        field: 'department',
        reason: 'contains a bidirectional control (U+200E) at character 6',
      },
    ]);
    expect(summary.counts).toMatchObject({ deactivations: 0, groupUpserts: 0, groupDeletes: 0, membershipDeletes: 0 });
  });

  it('escapes control and bidirectional characters in the report, text and JSON alike', async () => {
    const { summary, report } = await plan('terminal-escapes.csv');
    const lastName = 'Turing\u009b2J\u202e';
    expect(report.samples.updates).toEqual([expect.objectContaining({ externalId: 'E2' })]);
    const text = readFileSync(summary.reportPath.replace(/\.json$/, '.txt'), 'utf8');
    const json = readFileSync(summary.reportPath, 'utf8');
    for (const shown of [text, json, renderReport(report, 'text'), renderReport(report, 'json')]) {
      expect(shown).not.toMatch(/[\u0080-\u009f\u202e]/u);
    }
    expect(text).toContain(
      String.raw`E2 {"userName":"alan@example.com","email":"alan@example.com","firstName":"Alan","lastName":"Turing\x9B2J\u202E"`,
    );
    expect(json).toContain(String.raw`"lastName": "Turing\u009B2J\u202E"`);
    expect(JSON.parse(json)).toMatchObject({ samples: { updates: [{ profile: { lastName } }] } });
  });

  it('keeps personal data out of the summary that goes into workflow history', async () => {
    const { summary } = await plan('non-ascii.csv');
    const text = JSON.stringify(summary);
    for (const personal of ['Łukasz', 'alan@example.com', 'Lovelace', 'Engineering'])
      expect(text).not.toContain(personal);
  });
});
