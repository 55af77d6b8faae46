import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, expect, it } from 'vitest';
import { parseSyncConfig } from '../../activities/mapping/config.ts';
import { planSync } from '../../activities/planning/plan-sync.ts';
import type { PlanningReport } from '../../activities/planning/report.ts';
import { openStateStore } from '../../activities/store/open.ts';
import type { PlannedUpsert, StateStore } from '../../activities/store/state-store.ts';
import { applyPlan, emptyOkta } from './apply-plan.ts';

const dir = mkdtempSync(join(tmpdir(), 'hr-okta-sync-clearing-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = parseSyncConfig(
  `
source: { type: csv, location: ${join(dir, 'export.csv')} }
mapping:
  externalId: id
  attributes:
    userName: email
    email: email
    secondEmail: home
    mobilePhone: phone
    title: title
  customAttributes: [title]
guardrails: { minRecords: 0, maxDeactivations: 1000, maxDeactivationPercent: 100, maxInvalidPercent: 100 }
reports: { dir: ${join(dir, 'reports')} }
`,
  'clearing config',
);

async function plan(store: StateStore, rows: string[], options: { full?: boolean } = {}) {
  writeFileSync(join(dir, 'export.csv'), ['id,email,home,phone,title', ...rows].join('\n'));
  const summary = await planSync(store, config, {
    identitySourceId: '0oa1',
    mode: options.full ? 'full' : 'delta',
    dryRun: false,
  });
  const upserts: PlannedUpsert[] = [];
  for await (const u of store.streamItems(summary.planId!, 'USER_UPSERT')) upserts.push(u);
  const report = JSON.parse(readFileSync(summary.reportPath, 'utf8')) as PlanningReport;
  return { summary, upserts, report };
}

it('sends null for what HR emptied, never for secondEmail (refused by name), and only for what Okta holds', async () => {
  const store = await openStateStore('sqlite::memory:');
  const okta = emptyOkta();
  try {
    const first = await plan(store, [
      'E1,e1@example.com,e1@home.example,+1 555 0001,Engineer',
      'E2,e2@example.com,e2@home.example,+1 555 0002,',
    ]);
    // New people: nothing to clear.
    expect(first.upserts.map((u) => u.profile)).toEqual([
      {
        userName: 'e1@example.com',
        email: 'e1@example.com',
        secondEmail: 'e1@home.example',
        mobilePhone: '+1 555 0001',
        title: 'Engineer',
      },
      {
        userName: 'e2@example.com',
        email: 'e2@example.com',
        secondEmail: 'e2@home.example',
        mobilePhone: '+1 555 0002',
      },
    ]);
    await applyPlan(store, first.summary.planId!, okta);

    const second = await plan(store, [
      'E1,e1@example.com,e1@home.example,,', // phone and title emptied
      'E2,e2@example.com,,+1 555 0002,', // secondEmail emptied: bulk upsert cannot clear it
    ]);
    expect(second.upserts).toEqual([
      expect.objectContaining({
        externalId: 'E1',
        profile: {
          userName: 'e1@example.com',
          email: 'e1@example.com',
          secondEmail: 'e1@home.example',
          mobilePhone: null,
          title: null,
        },
      }),
    ]);
    expect(second.report.invalid.map((r) => [r.externalId, r.field])).toEqual([['E2', 'secondEmail']]);
    expect(second.report.invalid[0]?.reason).toContain('cannot clear secondEmail');
    await applyPlan(store, second.summary.planId!, okta);
    expect(okta.users.get('E1')?.profile).toEqual({
      userName: 'e1@example.com',
      email: 'e1@example.com',
      secondEmail: 'e1@home.example',
    });
    expect(okta.users.get('E2')?.profile.secondEmail).toBe('e2@home.example');
    expect((await store.getConfirmedUser('0oa1', 'E1'))?.profile).toMatchObject({ mobilePhone: null, title: null });

    // Nothing left to clear for E1; E2 stays refused until HR gives a secondEmail again.
    const third = await plan(store, ['E1,e1@example.com,e1@home.example,,', 'E2,e2@example.com,,+1 555 0002,']);
    expect(third.upserts).toEqual([]);
    expect(third.summary.counts).toMatchObject({ unchanged: 1, invalid: 1 });
    // A full sync repairs drift: it clears every nullable attribute Okta may hold that HR does not give.
    const full = await plan(store, ['E1,e1@example.com,e1@home.example,,'], { full: true });
    expect(full.upserts[0]?.profile).toEqual({
      userName: 'e1@example.com',
      email: 'e1@example.com',
      secondEmail: 'e1@home.example',
      firstName: null,
      lastName: null,
      mobilePhone: null,
      homeAddress: null,
      title: null,
    });
  } finally {
    await store.close();
  }
});

it('for people confirmed before the store kept profiles: clears every attribute HR does not give, keeps an unfound manager', async () => {
  const file = join(dir, 'legacy.db');
  const managed = parseSyncConfig(
    `
source: { type: csv, location: ${join(dir, 'legacy.csv')} }
mapping:
  externalId: id
  attributes: { userName: email, email: email, mobilePhone: phone }
  customAttributes: [managerEmail]
  manager: { field: mgr, attribute: managerEmail, value: email }
guardrails: { minRecords: 0, maxDeactivations: 1000, maxDeactivationPercent: 100, maxInvalidPercent: 100 }
reports: { dir: ${join(dir, 'reports')} }
`,
    'legacy config',
  );
  const planned = async (store: StateStore, rows: string[]) => {
    writeFileSync(join(dir, 'legacy.csv'), ['id,email,phone,mgr', ...rows].join('\n'));
    const summary = await planSync(store, managed, { identitySourceId: '0oa1', mode: 'delta', dryRun: false });
    const upserts: PlannedUpsert[] = [];
    for await (const u of store.streamItems(summary.planId!, 'USER_UPSERT')) upserts.push(u);
    return { summary, upserts };
  };
  const store = await openStateStore(`sqlite:${file}`);
  try {
    await store.migrate();
    const first = await planned(store, ['M1,m1@example.com,,', 'E1,e1@example.com,+1 555 0001,M1']);
    await applyPlan(store, first.summary.planId!, emptyOkta());
    // As a store upgraded from before the profile column has them.
    const db = new DatabaseSync(file);
    db.exec('UPDATE confirmed_users SET profile = NULL');
    db.close();
    expect((await store.getConfirmedUser('0oa1', 'E1'))?.profile).toBeUndefined();

    // E1's phone emptied and their manager gone from the export.
    const second = await planned(store, ['E1,e1@example.com,,M1']);
    expect(second.upserts.map((u) => u.profile)).toEqual([
      {
        userName: 'e1@example.com',
        email: 'e1@example.com',
        firstName: null,
        lastName: null,
        mobilePhone: null,
        homeAddress: null,
      },
    ]);
  } finally {
    await store.close();
  }
});
