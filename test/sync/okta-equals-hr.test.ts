// Issue 14, the Okta side: what HR empties is cleared, what Okta would refuse is refused before sending, manager
// references that cannot be followed keep what Okta has, lifecycle contradictions are flagged. On the real stack:
// the Temporal dev server, the emulator, a real push.
import { randomUUID } from 'node:crypto';
import { copyFile, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { planSync } from '../../activities/planning/plan-sync.ts';
import type { PlanningReport } from '../../activities/planning/report.ts';
import { renderSummary } from '../../client/sync-text.ts';
import type { SyncSummary } from '../../contracts/sync-messages.ts';
import { harnessForTest, type PushHarness, runSync } from '../support/push-harness.ts';

const corpus = (name: string) => fileURLToPath(new URL(`./corpus/${name}`, import.meta.url));

async function reportOf(summary: SyncSummary): Promise<PlanningReport> {
  return JSON.parse(await readFile(summary.reportPath!, 'utf8')) as PlanningReport;
}

const user = (h: PushHarness, externalId: string) =>
  h.emulator.users({ identitySourceId: h.identitySourceId, externalId })[0];

describe('Okta equals HR, exactly', () => {
  it('clears in Okta what HR emptied and what the mapping stops producing, and records it as cleared', async () => {
    const h = await harnessForTest();
    expect((await runSync(h)).outcome).toBe('applied');
    expect(user(h, 'E1002')?.profile.mobilePhone).toBe('+1 415 555 1950');
    expect(user(h, 'E1003')?.profile.title).toBe('Senior Software Engineer');
    expect(user(h, 'E1004')?.profile.managerEmail).toBe('jose.nunez@example.com');

    await copyFile(corpus('cleared-values.csv'), h.hrExportPath);
    const cleared = await runSync(h);
    expect(cleared.outcome).toBe('applied');
    expect(cleared.counts).toMatchObject({ updates: 3, invalid: 0 });
    expect(user(h, 'E1002')?.profile).not.toHaveProperty('mobilePhone');
    expect(user(h, 'E1003')?.profile).not.toHaveProperty('title');
    expect(user(h, 'E1004')?.profile).not.toHaveProperty('managerEmail');
    expect(user(h, 'E1002')?.profile.firstName).toBe('José');
    // The record of what Okta has says the attributes are cleared, so the next sync neither resends nor forgets them.
    const confirmed = await h.store.getConfirmedUser(h.identitySourceId, 'E1002');
    expect(confirmed?.profile).toMatchObject({ mobilePhone: null, firstName: 'José' });
    expect((await runSync(h)).outcome).toBe('nothing-to-do');

    // The mapping stops producing an attribute: Okta loses it too.
    const { city: _city, ...attributes } = h.syncConfig.mapping.attributes;
    h.syncConfig.mapping.attributes = attributes;
    expect(h.emulator.groups({ identitySourceId: h.identitySourceId })[0]?.profile.description).toBeDefined();
    h.syncConfig.mapping.groups = h.syncConfig.mapping.groups.map(({ description: _description, ...group }) => group);
    const unmapped = await runSync(h);
    expect(unmapped.outcome).toBe('applied');
    expect(unmapped.counts?.updates).toBe(unmapped.counts?.validActive);
    const active = h.emulator.users({ identitySourceId: h.identitySourceId, status: 'ACTIVE' });
    expect(active.length).toBeGreaterThan(40);
    expect(active.filter((u) => 'city' in u.profile)).toEqual([]);
    const groups = h.emulator.groups({ identitySourceId: h.identitySourceId });
    expect(groups.length).toBeGreaterThan(3);
    expect(groups.filter((g) => 'description' in g.profile)).toEqual([]);
    expect((await runSync(h)).outcome).toBe('nothing-to-do');
  });

  it("checks the mapping against Okta's user schema before sending: refused records stay pending, the outcome says so", async () => {
    const identitySourceId = `0oa${randomUUID().replace(/-/g, '').slice(0, 17)}`;
    const declared = ['department', 'title', 'costCenter', 'employeeNumber', 'hireDate', 'displayName', 'city'];
    const h = await harnessForTest({
      emulator: { identitySources: [{ id: identitySourceId, customAttributes: [...declared, 'managerEmail'] }] },
    });
    // The mapping gains an attribute the identity source's schema in Okta does not have (only E1029 has a value).
    h.syncConfig.mapping.attributes = { ...h.syncConfig.mapping.attributes, nickname: 'preferred_name' };
    h.syncConfig.mapping.customAttributes = [...h.syncConfig.mapping.customAttributes, 'nickname'];

    const first = await runSync(h);
    expect(first.outcome).toBe('applied');
    expect(first.counts?.invalid).toBe(1);
    expect(renderSummary(first)).toContain('Sync APPLIED WITH 1 REFUSED');
    expect(user(h, 'E1029')).toBeUndefined();
    expect(user(h, 'E1028')?.status).toBe('ACTIVE');
    const report = await reportOf(first);
    expect(report.userSchema).toEqual({ checked: true });
    expect(report.invalid.map((r) => [r.externalId, r.field])).toEqual([['E1029', 'nickname']]);
    expect(report.invalid[0]?.reason).toContain("is not an attribute of the identity source's user schema in Okta");
    // Nothing Okta refused at import was recorded as applied: the session had no such record.
    for (const session of h.emulator.sessions({ identitySourceId })) expect(session.result?.failures).toEqual([]);
    expect(await h.store.getConfirmedUser(identitySourceId, 'E1029')).toBeUndefined();

    // The attribute added to the schema in Okta: the refused record was pending and is created now.
    h.emulator.defineIdentitySource({ id: identitySourceId, customAttributes: ['nickname'] });
    const second = await runSync(h);
    expect(second.outcome).toBe('applied');
    expect(renderSummary(second)).toContain('Sync APPLIED:');
    expect(second.counts).toMatchObject({ creates: 1, invalid: 0 });
    expect(user(h, 'E1029')?.profile).toMatchObject({ nickname: 'Mia', firstName: 'Mia' });
  });

  it("fails before sending anything when the credentials may not read the identity source's user schema", async () => {
    const h = await harnessForTest({
      emulator: {
        apiTokens: [{ token: 'no-schemas', scopes: ['okta.identitySources.manage', 'okta.identitySources.read'] }],
      },
    });
    const failure = await runSync(h).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause?.message).toContain('grant the scope okta.schemas.read');
    expect(h.emulator.sessions({ identitySourceId: h.identitySourceId })).toEqual([]);
  });

  it('goes ahead on the configured attributes, and says so, when Okta has no user schema at the inferred address', async () => {
    const h = await harnessForTest({
      emulator: { faults: { script: [{ endpoint: 'get-user-schema', nth: 1, respond: 404 }] } },
    });
    const summary = await runSync(h);
    expect(summary.outcome).toBe('applied');
    expect((await reportOf(summary)).userSchema).toEqual({
      checked: false,
      note: expect.stringContaining('Okta answered 404 for the user schema') as unknown,
    });
    expect(h.emulator.users({ identitySourceId: h.identitySourceId }).length).toBe(summary.counts?.creates);
  });

  it('reports unsound manager references per record and keeps the manager Okta confirmed instead of stripping it', async () => {
    const h = await harnessForTest();
    expect((await runSync(h)).outcome).toBe('applied');
    await copyFile(corpus('bad-references.csv'), h.hrExportPath);

    const second = await runSync(h);
    expect(second.outcome).toBe('applied');
    expect(renderSummary(second)).toContain('Sync APPLIED WITH 1 REFUSED');
    // E1002's row is refused: their reports keep E1002 as manager in Okta.
    for (const report of ['E1003', 'E1004', 'E1005', 'E1006', 'E1007', 'E1008', 'E1009']) {
      expect(user(h, report)?.profile.managerEmail).toBe('jose.nunez@example.com');
    }
    // Their own manager: the manager Okta confirmed stays.
    expect(user(h, 'E1010')?.profile.managerEmail).toBe('amara.okafor@example.com');
    // A cycle: each reference names a valid record, so HR's values are set, and both are flagged.
    expect(user(h, 'E1011')?.profile.managerEmail).toBe('ingrid.bergstrom@example.com');
    expect(user(h, 'E1012')?.profile.managerEmail).toBe('mateo.garcia@example.com');

    expect(renderSummary(second)).toContain(
      '0 creates, 2 updates, 0 deactivations, 1 invalid, 46 unchanged, 10 findings',
    );
    const report = await reportOf(second);
    expect(report.invalid.map((r) => r.externalId)).toEqual(['E1002']);
    const findings = Object.fromEntries(
      (report.findings ?? []).map((f): [string, string] => [f.externalId ?? '', `${f.field} ${f.reason}`]),
    );
    expect(Object.keys(findings).sort()).toEqual([
      'E1003',
      'E1004',
      'E1005',
      'E1006',
      'E1007',
      'E1008',
      'E1009',
      'E1010',
      'E1011',
      'E1012',
    ]);
    expect(findings.E1003).toBe(
      "manager_id names a manager whose own record is refused (see that record's row): the manager Okta last confirmed is kept",
    );
    expect(findings.E1010).toBe(
      'manager_id names this person as their own manager: the manager Okta last confirmed is kept',
    );
    expect(findings.E1011).toContain('is part of a manager cycle of 2 records');
    const third = await runSync(h);
    expect(third.outcome).toBe('nothing-to-do');
    expect(renderSummary(third)).toContain('Sync NOTHING-TO-DO WITH 1 REFUSED');
  });

  it('flags lifecycle contradictions per record and deactivates on the effective date, not earlier', async () => {
    const h = await harnessForTest();
    expect((await runSync(h)).outcome).toBe('applied');
    await copyFile(corpus('lifecycle-contradictions.csv'), h.hrExportPath);

    const second = await runSync(h);
    expect(second.outcome).toBe('applied');
    expect(renderSummary(second)).toContain('Sync APPLIED WITH 1 REFUSED');
    // Terminated, last day still to come: active until then.
    expect(user(h, 'E1020')?.status).toBe('ACTIVE');
    // Hired after their termination date: refused, left as Okta has them.
    expect(user(h, 'E1021')?.status).toBe('ACTIVE');
    // Active, but the termination date has passed: deactivated.
    expect(user(h, 'E1022')?.status).toBe('DEACTIVATED');

    const report = await reportOf(second);
    expect(report.invalid).toEqual([
      expect.objectContaining({
        externalId: 'E1021',
        field: 'hire_date',
        reason: 'is after the termination date (termination_date): the record is refused until HR fixes either date',
      }),
    ]);
    expect(report.findings).toEqual([
      expect.objectContaining({
        externalId: 'E1020',
        field: 'status',
        reason:
          'is a terminated status, but the termination date (termination_date) is still to come: active until then, ' +
          'deactivated on 2099-06-30',
      }),
      expect.objectContaining({
        externalId: 'E1022',
        field: 'termination_date',
        reason: 'has passed (2026-01-15) while the status is an active one: deactivated, as the termination date says',
      }),
    ]);

    // The day before the termination date E1020 is kept; on it, deactivated.
    const deactivatedOn = async (now: string) => {
      const plan = await planSync(h.store, h.syncConfig, {
        identitySourceId: h.identitySourceId,
        mode: 'delta',
        dryRun: true,
        now,
      });
      const ids: string[] = [];
      for await (const id of h.store.streamItems(plan.planId!, 'USER_DEACTIVATE')) ids.push(id);
      return ids;
    };
    expect(await deactivatedOn('2099-06-29T23:59:59Z')).not.toContain('E1020');
    expect(await deactivatedOn('2099-06-30T00:00:00Z')).toContain('E1020');
  });
});
