import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { parseSyncConfig } from '../../activities/mapping/config.ts';
import { planSync } from '../../activities/planning/plan-sync.ts';
import type { PlanningReport } from '../../activities/planning/report.ts';
import { openStateStore } from '../../activities/store/open.ts';
import type { PlannedUpsert, StateStore } from '../../activities/store/state-store.ts';
import { applyPlan, emptyOkta } from './apply-plan.ts';

const dir = mkdtempSync(join(tmpdir(), 'hr-okta-sync-duplicates-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(matches?: string) {
  return parseSyncConfig(
    `
source: { type: csv, location: ${join(dir, 'export.csv')} }
mapping:
  externalId: id
  attributes:
    userName: { field: email, transforms: [trim, lower] }
    email: { field: email, transforms: [trim, lower] }
  customAttributes: [managerEmail]
  manager: { field: mgr, ${matches ? `matches: ${matches}, ` : ''}attribute: managerEmail, value: email }
  groups: [{ value: dept, externalIdPrefix: 'g-' }]
guardrails: { minRecords: 0, maxDeactivations: 1000, maxDeactivationPercent: 100, maxInvalidPercent: 100 }
reports: { dir: ${join(dir, 'reports')} }
`,
    'duplicates config',
  );
}

async function plan(store: StateStore, rows: string[], matches?: string) {
  writeFileSync(join(dir, 'export.csv'), ['id,email,mgr,badge,dept', ...rows].join('\n'));
  const summary = await planSync(store, config(matches), {
    identitySourceId: '0oa1',
    mode: 'delta',
    dryRun: false,
    now: '2026-06-01T00:00:00Z',
  });
  const upserts: PlannedUpsert[] = [];
  for await (const u of store.streamItems(summary.planId!, 'USER_UPSERT')) upserts.push(u);
  const memberships: string[] = [];
  for await (const m of store.streamItems(summary.planId!, 'MEMBERSHIP_UPSERT')) {
    memberships.push(`${m.groupExternalId}/${m.memberExternalId}`);
  }
  const report = JSON.parse(readFileSync(summary.reportPath, 'utf8')) as PlanningReport;
  return { summary, report, memberships, upserts: upserts.map((u) => [u.externalId, u.profile.managerEmail]) };
}

it('a manager found duplicated further down is no one’s manager, even for reports read before; a later manager is found', async () => {
  const store = await openStateStore('sqlite::memory:');
  const okta = emptyOkta();
  try {
    const first = await plan(store, [
      'E1,m1@example.com,,,ops',
      'E2,e2@example.com,E1,,ops', // takes E1's email before E1's second record is read
      'E3,e3@example.com,E4,,eng', // E4 comes later
      'E4,m4@example.com,,,eng',
      'E1,m1b@example.com,,,eng',
      'E5,same@example.com,,,ops',
      'E6,SAME@example.com,E4,,ops',
    ]);
    expect(first.report.invalid).toEqual([
      { row: 1, line: 2, externalId: 'E1', field: 'externalId', reason: 'appears more than once in the export' },
      { row: 5, line: 6, externalId: 'E1', field: 'externalId', reason: 'appears more than once in the export' },
      { row: 6, line: 7, externalId: 'E5', field: 'userName', reason: 'is used by more than one record of the export' },
      { row: 7, line: 8, externalId: 'E6', field: 'userName', reason: 'is used by more than one record of the export' },
    ]);
    expect(first.upserts).toEqual([
      ['E2', undefined],
      ['E3', 'm4@example.com'],
      ['E4', undefined],
    ]);
    expect(first.memberships).toEqual(['g-ops/E2', 'g-eng/E3', 'g-eng/E4']);
    expect(first.summary.counts).toMatchObject({ validActive: 3, invalid: 4, creates: 3, managersNotFound: 1 });
    await applyPlan(store, first.summary.planId!, okta);

    // The duplicate fixed: E1 is created and becomes E2's manager again.
    const second = await plan(store, [
      'E1,m1@example.com,,,ops',
      'E2,e2@example.com,E1,,ops',
      'E3,e3@example.com,E4,,eng',
      'E4,m4@example.com,,,eng',
    ]);
    expect(second.upserts).toEqual([
      ['E1', undefined],
      ['E2', 'm1@example.com'],
    ]);
    expect(second.summary.counts).toMatchObject({ validActive: 4, invalid: 0, unchanged: 2, creates: 1, updates: 1 });
    expect(second.memberships).toEqual(['g-ops/E1']);
  } finally {
    await store.close();
  }
});

it('a manager key held by two valid records matches neither, whichever record comes first', async () => {
  const store = await openStateStore('sqlite::memory:');
  try {
    const { upserts, summary } = await plan(
      store,
      [
        'E1,m1@example.com,,B1,ops',
        'E2,e2@example.com,B1,,ops', // B1 has one holder so far
        'E3,m3@example.com,,B1,ops',
        'E4,e4@example.com,B3,,ops', // B3 comes later
        'E5,m5@example.com,,B3,ops',
      ],
      'badge',
    );
    expect(upserts).toEqual([
      ['E1', undefined],
      ['E2', undefined],
      ['E3', undefined],
      ['E4', 'm5@example.com'],
      ['E5', undefined],
    ]);
    expect(summary.counts).toMatchObject({ validActive: 5, managersNotFound: 1 });
  } finally {
    await store.close();
  }
});
