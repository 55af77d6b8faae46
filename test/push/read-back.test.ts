// Read-back after each COMPLETED import (Okta reports no per-record results): a person Okta did not apply as sent
// stays pending (not confirmed, sent again by the next delta plan) and is reported by id and attribute names; clearing
// Okta ignored in a bulk upsert is repaired with a single-record replace. On the real stack: the Temporal dev server,
// the emulator, a real push.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderSummary } from '../../client/sync-text.ts';
import type { PushResult } from '../../contracts/push-messages.ts';
import type { SyncSummary } from '../../contracts/sync-messages.ts';
import { outcomeText } from '../../contracts/sync-outcome.ts';
import { pushPlan } from '../../workflows/push-plan.ts';
import { FAST_PUSH, harnessForTest, people, savePlan, type PushHarness, runSync } from '../support/push-harness.ts';
import { maybeSaveHistory, uniqueWorkflowId } from '../support/temporal.ts';

const corpus = (name: string) => fileURLToPath(new URL(`../sync/corpus/${name}`, import.meta.url));

async function pushResultOf(h: PushHarness, summary: SyncSummary): Promise<PushResult> {
  return (await h.client.workflow.getHandle(summary.push!.workflowId).result()) as PushResult;
}

const user = (h: PushHarness, externalId: string) =>
  h.emulator.users({ identitySourceId: h.identitySourceId, externalId })[0];

const reads = (h: PushHarness) => h.emulator.requests({ endpoint: 'get-user' }).requests.length;

describe('read-back after an import', () => {
  it('keeps a person Okta refused at import pending and reports them; the next delta sync sends them again', async () => {
    const h = await harnessForTest({
      emulator: {
        faults: { refuseAtImport: [{ externalId: 'E1005', reason: 'Matching rule found two Okta users' }] },
      },
    });
    const first = await runSync(h);
    expect(outcomeText(first)).toBe('applied with 1 refused by Okta');
    expect(renderSummary(first)).toContain('APPLIED WITH 1 REFUSED BY OKTA');
    expect(first.refused).toEqual([
      { externalId: 'E1005', reason: 'not in Okta after the import (refused at import)' },
    ]);
    expect(renderSummary(first)).toContain('refused   E1005 by Okta: not in Okta after the import (refused at import)');
    expect(first.push?.totals).toMatchObject({ recordsRefusedByOkta: 1, recordsRepaired: 0 });
    expect((await pushResultOf(h, first)).refusedByOkta).toEqual([
      { externalId: 'E1005', problem: 'missing', sessionIndex: 0 },
    ]);
    expect(user(h, 'E1005')).toBeUndefined();
    expect(await h.store.getConfirmedUser(h.identitySourceId, 'E1005')).toBeUndefined();
    expect(await h.store.getConfirmedUser(h.identitySourceId, 'E1006')).toMatchObject({ status: 'ACTIVE' });

    h.emulator.setFaults({});
    const second = await runSync(h);
    expect(outcomeText(second)).toBe('applied');
    expect(second.counts).toMatchObject({ creates: 1 });
    expect(user(h, 'E1005')?.status).toBe('ACTIVE');
    expect(await h.store.getConfirmedUser(h.identitySourceId, 'E1005')).toMatchObject({ status: 'ACTIVE' });

    // A leaver whose deactivation Okta refuses stays active in the record, so the next sync deactivates them again.
    const lines = (await readFile(h.hrExportPath, 'utf8')).split('\n');
    await writeFile(h.hrExportPath, lines.filter((line) => !line.startsWith('E1008,')).join('\n'));
    h.emulator.setFaults({ refuseAtImport: [{ externalId: 'E1008', reason: 'Okta says no' }] });
    const leaver = await runSync(h);
    expect(outcomeText(leaver)).toBe('applied with 1 refused by Okta');
    expect((await pushResultOf(h, leaver)).refusedByOkta).toEqual([
      { externalId: 'E1008', problem: 'still-active', sessionIndex: 0 },
    ]);
    expect(await h.store.getConfirmedUser(h.identitySourceId, 'E1008')).toMatchObject({ status: 'ACTIVE' });
    h.emulator.setFaults({});
    const again = await runSync(h);
    expect(again.counts).toMatchObject({ deactivations: 1 });
    expect(outcomeText(again)).toBe('applied');
    expect(await h.store.getConfirmedUser(h.identitySourceId, 'E1008')).toMatchObject({ status: 'DEACTIVATED' });
  });

  it('repairs clearing Okta ignored in a bulk upsert with a single-record replace, then confirms it', async () => {
    const h = await harnessForTest({ emulator: { nullInBulkUpsert: 'ignored' } });
    expect((await runSync(h)).outcome).toBe('applied');
    await writeFile(h.hrExportPath, await readFile(corpus('cleared-values.csv')));
    const cleared = await runSync(h);
    expect(outcomeText(cleared)).toBe('applied');
    expect(cleared.push?.totals).toMatchObject({ recordsRepaired: 3, recordsRefusedByOkta: 0 });
    expect(user(h, 'E1002')?.profile).not.toHaveProperty('mobilePhone');
    expect(user(h, 'E1003')?.profile).not.toHaveProperty('title');
    expect(user(h, 'E1004')?.profile).not.toHaveProperty('managerEmail');
    // The replace changed nothing else.
    expect(user(h, 'E1002')?.profile).toMatchObject({ firstName: 'José', title: 'Engineering Manager' });
    expect(h.emulator.requests({ endpoint: 'replace-user' }).requests.map((r) => r.status)).toEqual([200, 200, 200]);
    expect((await h.store.getConfirmedUser(h.identitySourceId, 'E1002'))?.profile).toMatchObject({
      mobilePhone: null,
    });
    expect((await runSync(h)).outcome).toBe('nothing-to-do');
  });

  it('keeps a person pending when Okta ignored a clearing and refuses the replace too', async () => {
    const h = await harnessForTest({ emulator: { nullInBulkUpsert: 'ignored' } });
    expect((await runSync(h)).outcome).toBe('applied');
    await writeFile(h.hrExportPath, await readFile(corpus('cleared-values.csv')));
    h.emulator.setFaults({ script: [{ endpoint: 'replace-user', nth: 1, respond: 400 }] });
    const cleared = await runSync(h);
    expect(outcomeText(cleared)).toBe('applied with 1 refused by Okta');
    const [refused] = (await pushResultOf(h, cleared)).refusedByOkta ?? [];
    expect(refused).toMatchObject({ problem: 'refused', sessionIndex: 0 });
    expect(['E1002', 'E1003', 'E1004']).toContain(refused?.externalId);
    expect(user(h, refused!.externalId)?.profile).toHaveProperty(
      ({ E1002: 'mobilePhone', E1003: 'title', E1004: 'managerEmail' } as Record<string, string>)[refused!.externalId]!,
    );
    const confirmed = await h.store.getConfirmedUser(h.identitySourceId, refused!.externalId);
    expect(Object.values(confirmed?.profile ?? {})).not.toContain(null);

    const next = await runSync(h);
    expect(next.counts).toMatchObject({ updates: 1 });
    expect(outcomeText(next)).toBe('applied');
    expect((await runSync(h)).outcome).toBe('nothing-to-do');
  });

  it('reads each person once when a 429 stops a read-back midway', async () => {
    const h = await harnessForTest({
      emulator: { faults: { script: [{ endpoint: 'get-user', nth: 12, respond: 429, resetInMs: 300 }] } },
    });
    const plan = await savePlan(h.store, {
      identitySourceId: h.identitySourceId,
      upserts: people(30),
      deactivations: [],
    });
    const result = await h.client.workflow.execute(pushPlan, {
      taskQueue: h.taskQueue,
      workflowId: uniqueWorkflowId('push-read-back-429'),
      args: [{ planId: plan.planId, options: FAST_PUSH }],
    });
    expect(result.totals).toMatchObject({ recordsReadBack: 30, recordsRefusedByOkta: 0, recordsApplied: 30 });
    const gets = h.emulator.requests({ endpoint: 'get-user' }).requests;
    // The scripted 429 empties the bucket until its reset: the reads in flight beside it meet one too.
    expect(gets.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(1);
    // The retried attempt reads only those the first did not: 30 answers, one each.
    const answered = gets.filter((r) => r.status === 200).map((r) => r.path);
    expect(answered).toHaveLength(30);
    expect(new Set(answered).size).toBe(30);
  });

  it('reads back a sample of a big session, every deactivation and clearing first, within the maximum', async () => {
    const h = await harnessForTest();
    const { store, client, taskQueue, identitySourceId } = h;
    const push = async (plan: Parameters<typeof savePlan>[1], options = {}) => {
      const saved = await savePlan(store, plan);
      const workflowId = uniqueWorkflowId('push-read-back');
      const result = await client.workflow.execute(pushPlan, {
        taskQueue,
        workflowId,
        args: [{ planId: saved.planId, options: { ...FAST_PUSH, ...options } }],
      });
      return { result, workflowId };
    };
    // A small session is read back whole.
    const small = await push({ identitySourceId, upserts: people(30), deactivations: [] });
    expect(small.result.totals).toMatchObject({ recordsReadBack: 30, recordsRefusedByOkta: 0, recordsApplied: 30 });
    expect(reads(h)).toBe(30);
    await maybeSaveHistory(
      client,
      small.workflowId,
      fileURLToPath(new URL('../histories/push-plan-read-back.json', import.meta.url)),
    );

    // A big one: 5 deactivations and 5 clearings always, 20 of the others, 25 at most.
    await push(
      { identitySourceId, upserts: people(300, { from: 30 }), deactivations: [] },
      { readBackMaxPerSession: 0 },
    );
    expect(reads(h)).toBe(30);
    const clearing = people(5, { from: 30, variant: 'x' }).map((p) => ({
      ...p,
      profile: { ...p.profile, firstName: null },
    }));
    const big = await push(
      {
        identitySourceId,
        upserts: [...clearing, ...people(200, { from: 100, variant: 'y' })],
        deactivations: ['emp-0', 'emp-1', 'emp-2', 'emp-3', 'emp-4'],
      },
      { readBackSample: 20, readBackMaxPerSession: 25 },
    );
    expect(big.result.totals).toMatchObject({ recordsReadBack: 25, recordsRefusedByOkta: 0 });
    const read = h.emulator
      .requests({ endpoint: 'get-user' })
      .requests.slice(30)
      .map((r) => decodeURIComponent(r.path.split('/').at(-1)!));
    expect(read).toHaveLength(25);
    expect(read).toEqual(expect.arrayContaining(['emp-0', 'emp-4', 'emp-30', 'emp-34']));

    // Okta ignores clearing in bulk: once a read shows it, every clearing of the session is read and repaired, past the
    // maximum.
    h.emulator.setNullInBulkUpsert('ignored');
    const lastNames = people(6, { from: 100, variant: 'z' }).map((p) => ({
      ...p,
      profile: { ...p.profile, lastName: null },
    }));
    const ignored = await push(
      { identitySourceId, upserts: [...lastNames, ...people(100, { from: 150, variant: 'z' })], deactivations: [] },
      { readBackSample: 3, readBackMaxPerSession: 2 },
    );
    expect(ignored.result.totals).toMatchObject({ recordsReadBack: 6, recordsRepaired: 6, recordsRefusedByOkta: 0 });
    for (const { externalId } of lastNames) {
      expect(user(h, externalId)?.profile).not.toHaveProperty('lastName');
    }
  });
});
