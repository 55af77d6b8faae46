import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loadSyncConfig } from '../../activities/mapping/config.ts';
import { planSync } from '../../activities/planning/plan-sync.ts';
import { openStateStore } from '../../activities/store/open.ts';
import type { HrEvent } from '../../activities/store/state-store.ts';
import { applyPlan, emptyOkta } from '../planning/apply-plan.ts';

const reports = mkdtempSync(join(tmpdir(), 'hr-okta-sync-overlay-'));
afterAll(() => rmSync(reports, { recursive: true, force: true }));

const NOW = '2026-12-01T09:00:00Z';

it('applies pending HR events over the export until a plan that took them is applied', async () => {
  const config = await loadSyncConfig(join(import.meta.dirname, '../../examples/hr-okta-sync.yaml'));
  config.reports.dir = reports;
  const store = await openStateStore('sqlite::memory:');
  const okta = emptyOkta();
  const plan = (dryRun = false) =>
    planSync(store, config, { identitySourceId: '0oa1', mode: 'delta', dryRun, now: NOW });
  const record = (event: Omit<HrEvent, 'identitySourceId'>) =>
    store.recordHrEvents([{ identitySourceId: '0oa1', ...event, receivedAt: event.occurredAt }]);
  try {
    const first = await plan();
    await applyPlan(store, first.planId!, okta);

    // A joiner the export does not show yet, a mover in two steps (the later one wins), a leaver by id only,
    // an id-only mover (the export's record stands), and a joiner whose record names another person.
    await record({
      eventId: 'j1',
      type: 'joiner',
      externalId: 'E2001',
      occurredAt: '2026-12-01T08:00:00.000Z',
      record: {
        employee_id: 'E2001',
        first_name: 'Ada',
        last_name: 'Lovelace',
        work_email: 'ada.lovelace@example.com',
        department: 'Engineering',
        job_title: 'Analyst',
        status: 'Active',
        hire_date: '2026-11-01',
        employment_type: 'Employee',
      },
    });
    await record({
      eventId: 'm2',
      type: 'mover',
      externalId: 'E1003',
      occurredAt: '2026-12-01T08:30:00.000Z',
      record: { job_title: 'Principal Engineer' },
    });
    await record({
      eventId: 'm1',
      type: 'mover',
      externalId: 'E1003',
      occurredAt: '2026-12-01T08:10:00.000Z',
      record: { job_title: 'Staff Engineer', department: 'Sales' },
    });
    await record({ eventId: 'l1', type: 'leaver', externalId: 'E1004', occurredAt: '2026-12-01T08:20:00.000Z' });
    await record({ eventId: 'm3', type: 'mover', externalId: 'E1005', occurredAt: '2026-12-01T08:20:00.000Z' });
    await record({
      eventId: 'x1',
      type: 'joiner',
      externalId: 'E2002',
      occurredAt: '2026-12-01T08:40:00.000Z',
      record: { employee_id: 'E9999', work_email: 'someone@example.com', status: 'Active' },
    });

    const dryRun = await plan(true);
    expect(dryRun.counts).toMatchObject({ creates: 1, updates: 1, deactivations: 1, invalid: 1 });
    expect((await store.pendingHrEvents('0oa1')).every((e) => e.consumedByPlan === undefined)).toBe(true);

    const second = await plan();
    expect(second.counts).toMatchObject({ creates: 1, updates: 1, deactivations: 1, invalid: 1 });
    await applyPlan(store, second.planId!, okta);
    expect(okta.users.get('E2001')).toMatchObject({ active: true, profile: { userName: 'ada.lovelace@example.com' } });
    // Fields from both movers: the later title, the earlier department.
    expect(okta.users.get('E1003')?.profile).toMatchObject({ title: 'Principal Engineer', department: 'Sales' });
    expect(okta.users.get('E1004')?.active).toBe(false);
    expect(okta.users.has('E2002')).toBe(false);
    expect(okta.users.has('E9999')).toBe(false);

    // Not applied yet (say the push failed): the events still count, and the next plan sends the same changes.
    await store.setPlanStatus(second.planId!, 'failed');
    const all = await store.pendingHrEvents('0oa1');
    expect(all).toHaveLength(6);
    await store.setPlanStatus(second.planId!, 'applied');
    expect(await store.pendingHrEvents('0oa1')).toEqual([]);
    // Applied, but the export may still lag behind: events received within the retention keep overlaying it.
    const cutoff = '2026-12-01T08:15:00.000Z';
    const retained = await store.pendingHrEvents('0oa1', cutoff);
    expect(retained.map((e) => e.eventId)).toEqual(all.filter((e) => e.receivedAt >= cutoff).map((e) => e.eventId));
    expect(retained.length).toBeGreaterThan(0);
    expect(retained.length).toBeLessThan(all.length);
  } finally {
    await store.close();
  }
});
