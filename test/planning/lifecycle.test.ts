import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loadSyncConfig } from '../../activities/mapping/config.ts';
import { planSync } from '../../activities/planning/plan-sync.ts';
import { openStateStore } from '../../activities/store/open.ts';
import type { PlannedUpsert } from '../../activities/store/state-store.ts';
import { applyPlan, emptyOkta } from './apply-plan.ts';

const reports = mkdtempSync(join(tmpdir(), 'hr-okta-sync-lifecycle-'));
afterAll(() => rmSync(reports, { recursive: true, force: true }));

it('follows the sample export through time: pre-hire window, future termination, managers, groups', async () => {
  const config = await loadSyncConfig(join(import.meta.dirname, '../../examples/hr-okta-sync.yaml'));
  config.reports.dir = reports;
  const store = await openStateStore('sqlite::memory:');
  const okta = emptyOkta();
  const plan = async (now: string) => {
    const summary = await planSync(store, config, { identitySourceId: '0oa1', mode: 'delta', dryRun: false, now });
    await applyPlan(store, summary.planId!, okta);
    return summary;
  };
  try {
    const first = await plan('2026-12-01T09:00:00Z');
    expect(first.counts).toMatchObject({
      recordsRead: 52,
      validActive: 49,
      held: 1,
      terminated: 1,
      outOfScope: 1,
      creates: 49,
    });
    expect(first.guardrails.tripped).toEqual([]);
    expect(okta.users.has('E1047')).toBe(false); // starts 2027-09-01, window opens 2027-08-18
    expect(okta.users.has('E1048')).toBe(false); // terminated, never known to Okta
    expect(okta.users.has('E1049')).toBe(false); // contractor, out of scope
    expect(okta.users.get('E1003')?.profile.managerEmail).toBe('jose.nunez@example.com');
    expect(okta.users.get('E1003')?.profile.costCenter).toBe('CC-100');
    expect(okta.memberships.has('dept-engineering/E1003')).toBe(true);

    const upserts: PlannedUpsert[] = [];
    const inWindow = await plan('2027-08-18T09:00:00Z');
    for await (const u of store.streamItems(inWindow.planId!, 'USER_UPSERT')) upserts.push(u);
    expect(upserts.map((u) => u.externalId)).toEqual(['E1047']);
    expect(inWindow.counts).toMatchObject({ deactivations: 1, unchanged: 48 }); // Felix left on 2027-03-31
    expect(okta.users.get('E1050')?.active).toBe(false);
    expect(okta.users.get('E1047')?.active).toBe(true);
  } finally {
    await store.close();
  }
});
