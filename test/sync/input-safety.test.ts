import { readFile, writeFile } from 'node:fs/promises';
import { WorkflowFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { PlanningReport } from '../../activities/planning/report.ts';
import {
  coordinatorWorkflowId,
  rejectUpdate,
  syncStatusQuery,
  type SyncStatus,
} from '../../contracts/sync-messages.ts';
import { harnessForTest, type PushHarness, runSync } from '../support/push-harness.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * Exports that went wrong on a Friday night, derived from examples/hr-export.csv, synced for real: Temporal dev
 * server, the Okta emulator, a push. Each case starts from Okta holding everyone of the sample export.
 */

/** A sync the workflow refuses (an unreadable export fails the request): why, as the workflow says it. */
async function refusedSync(h: PushHarness): Promise<string> {
  const failure = await runSync(h).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  return String((failure as WorkflowFailedError).cause?.message);
}

async function syncedHarness(): Promise<PushHarness> {
  const harness = await harnessForTest();
  expect((await runSync(harness)).outcome).toBe('applied');
  return harness;
}

const COLUMNS = ['employee_id', 'first_name', 'last_name', 'preferred_name', 'work_email', 'mobile', 'department'];

/** Rewrites the export's data rows: `edit` gets each row's columns (header kept) and returns the new rows. */
async function editRows(h: PushHarness, edit: (rows: string[][]) => string[][]): Promise<void> {
  const [header, ...rows] = (await readFile(h.hrExportPath, 'utf8')).trimEnd().split('\n');
  const edited = edit(rows.map((row) => row.split(',')));
  await writeFile(h.hrExportPath, [header, ...edited.map((columns) => columns.join(','))].join('\n') + '\n');
}

const column = (name: string) => COLUMNS.indexOf(name);

/** Starts a sync that a guardrail holds; returns the verdict and the report, then rejects the plan. */
async function heldAndRejected(h: PushHarness): Promise<{ status: SyncStatusCurrent; report: PlanningReport }> {
  const coordinator = h.client.workflow.getHandle(coordinatorWorkflowId(h.identitySourceId));
  const run = runSync(h);
  const held = await waitFor(async () => {
    const status = await coordinator.query(syncStatusQuery);
    return status.phase === 'awaiting-approval' ? status.current : undefined;
  }, 'a guardrail to hold the plan');
  const plan = await h.store.getPlan(held.planId!);
  await coordinator.executeUpdate(rejectUpdate, { args: [{ by: 'test', reason: 'not the same people' }] });
  const failure = await run.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  return { status: held, report: plan!.report as PlanningReport };
}

type SyncStatusCurrent = NonNullable<SyncStatus['current']>;

function activeUser(h: PushHarness, externalId: string) {
  return h.emulator.users({ identitySourceId: h.identitySourceId, externalId }).find((u) => u.status === 'ACTIVE');
}

describe('keys are safe (class 2)', () => {
  it('normalizes spaces around a key, refuses invisible characters by name, and holds a near-identical re-key', async () => {
    const harness = await syncedHarness();
    const sessions = harness.emulator.sessions({ identitySourceId: harness.identitySourceId }).length;
    await editRows(harness, (rows) =>
      rows.map((row) => {
        const id = row[0];
        // A spreadsheet's no-break space after the id, and a space before it: the same person.
        if (id === 'E1003') return [` E1003\u00a0`, ...row.slice(1)];
        // Someone typed the letter O for the digit 0: the person "leaves" and a new key "arrives".
        if (id === 'E1005') return ['E1OO5', ...row.slice(1)];
        // A right-to-left override pasted into the manager reference.
        if (id === 'E1007') return row.map((value, i) => (i === 8 ? `${value}\u202e` : value));
        return row;
      }),
    );

    const { status, report } = await heldAndRejected(harness);

    expect(status.guardrails?.map((g) => g.guardrail)).toEqual(['suspicious-key-change']);
    expect(status.guardrails?.[0]?.message).toBe(
      'people leave while a near-identical externalId arrives (the same person re-keyed?): ' +
        'E1005 leaves, E1OO5 arrives (U+004F instead of U+0030 at character 3)',
    );
    expect(report.invalid).toEqual([
      {
        row: 7,
        line: 8,
        externalId: 'E1007',
        field: 'manager_id',
        reason: 'contains a bidirectional control (U+202E) at character 6',
      },
    ]);
    // E1003 is the same person (only employeeNumber, mapped from the raw field, changes): no create, no deactivation.
    expect(report.samples.creates.map((c) => c.externalId)).toEqual(['E1OO5']);
    expect(report.samples.updates.map((u) => [u.externalId, u.profile.employeeNumber])).toEqual([
      ['E1003', ' E1003\u00a0'],
    ]);
    expect(report.samples.deactivations).toEqual(['E1005']);
    // Rejected: Okta is as it was, E1005 active, no E1OO5, E1007 with their manager.
    expect(harness.emulator.sessions({ identitySourceId: harness.identitySourceId })).toHaveLength(sessions);
    expect(activeUser(harness, 'E1005')).toBeDefined();
    expect(harness.emulator.users({ identitySourceId: harness.identitySourceId, externalId: 'E1OO5' })).toEqual([]);
    expect(activeUser(harness, 'E1007')?.profile.managerEmail).toBe('jose.nunez@example.com');
  });
});

describe('text is what HR meant (class 3)', () => {
  it('refuses an export with invalid UTF-8 by line and column, sending nothing', async () => {
    const harness = await syncedHarness();
    const sessions = harness.emulator.sessions({ identitySourceId: harness.identitySourceId }).length;
    // One row re-saved in Latin-1 by a spreadsheet: "Zoë" as the single byte 0xEB.
    const text = await readFile(harness.hrExportPath, 'utf8');
    const [before, after] = text.split('Zoë');
    await writeFile(
      harness.hrExportPath,
      Buffer.concat([Buffer.from(before!), Buffer.from('Zo\xeb', 'latin1'), Buffer.from(after!)]),
    );

    const refusal = await refusedSync(harness);

    expect(refusal).toContain(
      'ended unreadable-export: not valid utf-8 at line 4, column 9; if the export is in another encoding, name it in source.encoding',
    );
    expect(harness.emulator.sessions({ identitySourceId: harness.identitySourceId })).toHaveLength(sessions);
    expect(activeUser(harness, 'E1003')?.profile.firstName).toBe('Zoë');
  });

  it('reads a windows-1252 export when the source names the encoding, and finds it unchanged', async () => {
    const harness = await harnessForTest();
    // The people whose names windows-1252 can write, first exported in UTF-8.
    const text = await readFile(harness.hrExportPath, 'utf8');
    const writable = text.split('\n').filter((line) => [...line].every((c) => c.charCodeAt(0) < 0x100));
    expect(writable.join('\n')).toMatch(/José,Núñez/);
    await writeFile(harness.hrExportPath, writable.join('\n'));
    expect((await runSync(harness)).outcome).toBe('applied');
    await writeFile(harness.hrExportPath, Buffer.from(writable.join('\n'), 'latin1'));
    harness.syncConfig.source = {
      ...harness.syncConfig.source,
      encoding: 'windows-1252',
    };

    const summary = await runSync(harness);

    expect(summary.outcome).toBe('nothing-to-do');
    expect(activeUser(harness, 'E1002')?.profile).toMatchObject({ firstName: 'José', lastName: 'Núñez' });
  });

  it('takes a change of Unicode form alone (NFC to NFD) for no change', async () => {
    const harness = await syncedHarness();
    const text = await readFile(harness.hrExportPath, 'utf8');
    expect(text.normalize('NFD')).not.toBe(text);
    await writeFile(harness.hrExportPath, text.normalize('NFD'));

    const summary = await runSync(harness);

    expect(summary.outcome).toBe('nothing-to-do');
    expect(activeUser(harness, 'E1003')?.profile.firstName).toBe('Zoë'.normalize('NFC'));
  });
});

describe('lookalike accounts are caught (class 7)', () => {
  it('holds a new account whose userName and email are confusable with an existing one, naming the pair', async () => {
    const harness = await syncedHarness();
    await editRows(harness, (rows) => {
      const amara = rows.find((row) => row[0] === 'E1001')!;
      // "аmara.okafor@example.com" with a Cyrillic а (U+0430): it reads as Amara's address.
      const email = `\u0430${amara[column('work_email')]!.slice(1)}`;
      return [...rows, ['E1099', 'Amara', 'Okafor', '', email, ...amara.slice(5)]];
    });

    const { status } = await heldAndRejected(harness);

    expect(status.guardrails?.map((g) => [g.guardrail, g.measured, g.message])).toEqual([
      [
        'lookalike-account',
        2,
        "new accounts look like another person's (Unicode confusables): " +
          "E1099's userName looks like E1001's; E1099's email looks like E1001's",
      ],
    ]);
    expect(harness.emulator.users({ identitySourceId: harness.identitySourceId, externalId: 'E1099' })).toEqual([]);
  });
});

describe('messages are safe to show (class 8)', () => {
  it('refuses a malformed export by record count, line and field, with no HR value in workflow history', async () => {
    const harness = await syncedHarness();
    await editRows(harness, (rows) =>
      rows.map((row) => (row[0] === 'E1010' ? row.map((v, i) => (i === 2 ? `"${v}` : v)) : row)),
    );

    const refusal = await refusedSync(harness);

    expect(refusal).toContain(
      'ended unreadable-export: malformed CSV after record 9, at line 11, field 3 (last_name): Quote Not Closed: a quote opens a field that no quote closes',
    );
    const history = JSON.stringify(
      await harness.client.workflow.getHandle(coordinatorWorkflowId(harness.identitySourceId)).fetchHistory(),
    );
    for (const value of ['Sato', 'hana.sato', 'Mateo', 'Ingrid']) expect(history).not.toContain(value);
  });
});
