// The single-record fast path on the real stack (Temporal dev server, emulator, worker): small plans go person by
// person through Okta's single-record API, leavers from HR webhooks skip the debounce and the export, and whatever
// cannot go that way still goes through an import session.
import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { PlanningReport } from '../../activities/planning/report.ts';
import type { HrEvent } from '../../activities/store/state-store.ts';
import { notifyHrChanged } from '../../client/sync-client.ts';
import {
  approveUpdate,
  coordinatorWorkflowId,
  syncStatusQuery,
  type CoordinatorOptions,
  type SyncSummary,
} from '../../contracts/sync-messages.ts';
import { sync } from '../../workflows/sync.ts';
import { FAST_PATH_COORDINATOR, harnessForTest, type PushHarness, runSync } from '../support/push-harness.ts';
import { maybeSaveHistory, uniqueWorkflowId } from '../support/temporal.ts';
import { waitFor } from '../support/wait-for.ts';

const history = (name: string) => fileURLToPath(new URL(`../histories/${name}.json`, import.meta.url));

async function editExport(h: PushHarness, edit: (row: string[]) => string[] | undefined): Promise<void> {
  const [header, ...rows] = (await readFile(h.hrExportPath, 'utf8')).trimEnd().split('\n');
  const edited = rows.map((row) => edit(row.split(','))?.join(',')).filter((row) => row !== undefined);
  await writeFile(h.hrExportPath, [header, ...edited].join('\n') + '\n');
}

const user = (h: PushHarness, externalId: string) =>
  h.emulator.users({ identitySourceId: h.identitySourceId, externalId })[0];

/** What the webhook receiver does with an event: store it, then signal the coordinator (leavers counted apart). */
async function receiveHrEvent(
  h: PushHarness,
  coordinator: CoordinatorOptions,
  event: Omit<HrEvent, 'eventId' | 'identitySourceId' | 'occurredAt'>,
) {
  const now = new Date().toISOString();
  await h.store.recordHrEvents([
    { ...event, eventId: randomUUID(), identitySourceId: h.identitySourceId, occurredAt: now, receivedAt: now },
  ]);
  const target = { identitySourceId: h.identitySourceId, taskQueue: h.taskQueue, options: coordinator };
  await notifyHrChanged(h.client, target, 1, event.type === 'leaver' ? 1 : 0);
}

/** The Okta requests made since `seq`, as "METHOD /path-after-the-identity-source". */
function requestsSince(h: PushHarness, seq: number): string[] {
  const prefix = `/api/v1/identity-sources/${h.identitySourceId}`;
  return h.emulator
    .requests({ sinceSeq: seq })
    .requests.map((r) => `${r.method} ${r.path.startsWith(prefix) ? r.path.slice(prefix.length) : r.path}`);
}

/** Starts a full sync (it re-sends everyone as the export has them) and waits until Okta is importing it. */
async function fullSyncImporting(h: PushHarness) {
  const full = h.client.workflow.execute(sync, {
    taskQueue: h.taskQueue,
    workflowId: uniqueWorkflowId('sync'),
    args: [{ mode: 'full' }],
  }) as Promise<SyncSummary>;
  const importing = await waitFor(
    () => h.emulator.sessions({ identitySourceId: h.identitySourceId, status: 'TRIGGERED' })[0],
    "the full sync's import",
    30_000,
  );
  return { full, importing };
}

function lastSeq(h: PushHarness): number {
  return h.emulator.requests().requests.at(-1)?.seq ?? 0;
}

describe('the single-record fast path', () => {
  it('applies a small delta person by person, leavers first: no import session, Okta equals HR', async () => {
    const h = await harnessForTest({ coordinator: FAST_PATH_COORDINATOR });
    expect((await runSync(h)).push).toBeDefined(); // 50 people: an import session
    const sessions = h.emulator.sessions({ identitySourceId: h.identitySourceId }).length;
    expect(user(h, 'E1002')?.profile.mobilePhone).toBeDefined();
    await editExport(h, (row) => {
      if (row[0] === 'E1005') return undefined; // gone from HR
      if (row[0] === 'E1003') row[7] = 'Principal Engineer';
      if (row[0] === 'E1002') row[5] = ''; // HR cleared the mobile number
      return row;
    });
    const since = lastSeq(h);

    const summary = await runSync(h);

    expect(summary.outcome).toBe('applied');
    expect(summary.singleRecord).toEqual({ applied: 3 });
    expect(summary.push).toBeUndefined();
    expect(h.emulator.sessions({ identitySourceId: h.identitySourceId })).toHaveLength(sessions);
    expect(requestsSince(h, since).filter((r) => !r.includes('/meta/schemas/'))).toEqual([
      'GET /sessions',
      'DELETE /users/E1005',
      'PUT /users/E1002',
      'PUT /users/E1003',
    ]);
    expect(user(h, 'E1005')?.status).toBe('DEACTIVATED');
    expect(user(h, 'E1003')?.profile.title).toBe('Principal Engineer');
    expect(user(h, 'E1002')?.profile).not.toHaveProperty('mobilePhone');
    expect(user(h, 'E1002')?.profile.firstName).toBe('José');
    expect((await h.store.getConfirmedUser(h.identitySourceId, 'E1005'))?.status).toBe('DEACTIVATED');
    expect((await h.store.getConfirmedUser(h.identitySourceId, 'E1002'))?.profile).toMatchObject({ mobilePhone: null });
    expect((await runSync(h)).outcome).toBe('nothing-to-do');
    await maybeSaveHistory(
      h.client,
      coordinatorWorkflowId(h.identitySourceId),
      history('identity-source-coordinator-delta-fast-path'),
    );
  });

  it('deactivates a leaver from HR webhooks at once: no debounce, no read of the export', async () => {
    const coordinator = { ...FAST_PATH_COORDINATOR, hrEventQuietMs: 600_000, hrEventMaxDelayMs: 600_000 };
    const h = await harnessForTest({ coordinator });
    await runSync(h);
    // A mover starts a ten-minute debounce; the export then becomes unreadable.
    await receiveHrEvent(h, coordinator, { type: 'mover', externalId: 'E1003', record: { job_title: 'Chief Wizard' } });
    await rename(h.hrExportPath, `${h.hrExportPath}.gone`);

    await receiveHrEvent(h, coordinator, { type: 'leaver', externalId: 'E1004' });

    await waitFor(() => user(h, 'E1004')?.status === 'DEACTIVATED', 'the leaver deactivated in Okta', 30_000);
    const coordinatorHandle = h.client.workflow.getHandle(coordinatorWorkflowId(h.identitySourceId));
    const status = await waitFor(async () => {
      const s = await coordinatorHandle.query(syncStatusQuery);
      return s.recent.length > 1 && s.phase === 'debouncing-hr-events' ? s : undefined;
    }, 'the coordinator back to gathering HR events');
    expect(status.recent[0]).toMatchObject({ outcome: 'applied', reasons: ['webhook'], singleRecord: { applied: 1 } });
    // The mover still waits for its debounce; the leaver did not.
    expect(status.pendingHrEvents).toBe(1);
    expect(user(h, 'E1003')?.profile.title).not.toBe('Chief Wizard');
    expect((await h.store.getConfirmedUser(h.identitySourceId, 'E1004'))?.status).toBe('DEACTIVATED');
    await maybeSaveHistory(
      h.client,
      coordinatorWorkflowId(h.identitySourceId),
      history('identity-source-coordinator-leaver-fast-path'),
    );
  });

  it('deactivates a leaver beside a running push, and again after it should the push bring them back', async () => {
    const coordinator = { ...FAST_PATH_COORDINATOR, hrEventQuietMs: 600_000, hrEventMaxDelayMs: 600_000 };
    // Imports long enough that the leaver comes while the full sync's import is processed.
    const h = await harnessForTest({ coordinator, emulator: { durations: { importProcessingMs: 15_000 } } });
    await runSync(h);
    const { full, importing } = await fullSyncImporting(h);

    await receiveHrEvent(h, coordinator, { type: 'leaver', externalId: 'E1004' });

    await waitFor(() => user(h, 'E1004')?.status === 'DEACTIVATED', 'the leaver deactivated', 30_000);
    // Okta is still importing the full sync, which re-sends E1004 as it was.
    expect(h.emulator.sessions({ id: importing.id })[0]?.status).toBe('TRIGGERED');
    const fullSummary = await full;
    expect(fullSummary.outcome).toBe('applied');
    const handle = h.client.workflow.getHandle(coordinatorWorkflowId(h.identitySourceId));
    const status = await waitFor(async () => {
      const s = await handle.query(syncStatusQuery);
      return s.phase === 'debouncing-hr-events' || (s.phase === 'idle' && s.pendingHrEvents === 0) ? s : undefined;
    }, 'the coordinator done with the leaver after the push');
    expect(user(h, 'E1004')?.status).toBe('DEACTIVATED');
    expect((await h.store.getConfirmedUser(h.identitySourceId, 'E1004'))?.status).toBe('DEACTIVATED');
    const beside = status.recent.find((r) => r.singleRecord !== undefined);
    expect(beside).toMatchObject({ outcome: 'applied', reasons: ['webhook'], singleRecord: { applied: 1 } });
    // The full sync's import made E1004 active again; told of the confirmed import, the coordinator deactivated them
    // again.
    const deletes = requestsSince(h, 0).filter((r) => r === 'DELETE /users/E1004');
    expect(deletes).toHaveLength(2);
    await maybeSaveHistory(
      h.client,
      coordinatorWorkflowId(h.identitySourceId),
      history('identity-source-coordinator-leaver-beside-push-imports-told'),
    );
    await maybeSaveHistory(h.client, fullSummary.push!.workflowId, history('push-plan-tells-coordinator'));
  });

  it('deactivates a leaver again as soon as Okta completed the import that brought them back, before its read-back', async () => {
    const coordinator = { ...FAST_PATH_COORDINATOR, hrEventQuietMs: 600_000, hrEventMaxDelayMs: 600_000 };
    const h = await harnessForTest({ coordinator, emulator: { durations: { importProcessingMs: 10_000 } } });
    await runSync(h);
    const { full, importing } = await fullSyncImporting(h);
    await receiveHrEvent(h, coordinator, { type: 'leaver', externalId: 'E1004' });
    await waitFor(() => user(h, 'E1004')?.status === 'DEACTIVATED', 'the leaver deactivated beside the push', 30_000);
    expect(h.emulator.sessions({ id: importing.id })[0]?.status).toBe('TRIGGERED');
    // The read-back of the import's 50 people takes seconds: each read waits 2 s at Okta.
    h.emulator.setFaults({ endpoints: ['get-user'], latencyMs: { min: 2_000, max: 2_000 } });

    const fullSummary = await full;

    expect(fullSummary.outcome).toBe('applied');
    // Not reported as refused by Okta: the read-back may have found E1004 already deactivated again.
    expect(fullSummary.refused).toBeUndefined();
    const prefix = `/api/v1/identity-sources/${h.identitySourceId}`;
    const log = h.emulator.requests().requests;
    const deletes = log.filter((r) => r.method === 'DELETE' && r.path === `${prefix}/users/E1004`);
    const reads = log.filter((r) => r.method === 'GET' && r.path.startsWith(`${prefix}/users/`));
    expect(deletes).toHaveLength(2);
    expect(reads.length).toBeGreaterThan(40);
    // Deactivated again while the read-back still ran, not after it and the import's confirmation.
    expect(Date.parse(deletes[1]!.time)).toBeLessThan(Date.parse(reads.at(-1)!.time));
    expect(user(h, 'E1004')?.status).toBe('DEACTIVATED');
    // The push's confirmation of that import did not take the newer deactivation back.
    expect((await h.store.getConfirmedUser(h.identitySourceId, 'E1004'))?.status).toBe('DEACTIVATED');
    await maybeSaveHistory(
      h.client,
      coordinatorWorkflowId(h.identitySourceId),
      history('identity-source-coordinator-leaver-again-when-import-completes'),
    );
    await maybeSaveHistory(h.client, fullSummary.push!.workflowId, history('push-plan-tells-coordinator-completed'));
  });

  it('deactivates a burst of leavers beyond fastPathMaxPeople person by person, idle and beside a push', async () => {
    // Room for one person a plan, but any number of leavers; the example's guardrail lets 4 of 49 leave in an hour.
    const coordinator = {
      ...FAST_PATH_COORDINATOR,
      fastPathMaxPeople: 1,
      hrEventQuietMs: 600_000,
      hrEventMaxDelayMs: 600_000,
    };
    const h = await harnessForTest({ coordinator, emulator: { durations: { importProcessingMs: 15_000 } } });
    await runSync(h);
    const sessionsBefore = h.emulator.sessions({ identitySourceId: h.identitySourceId }).length;
    const target = { identitySourceId: h.identitySourceId, taskQueue: h.taskQueue, options: coordinator };
    const now = new Date().toISOString();
    const leaverEvent = (externalId: string) => ({
      eventId: randomUUID(),
      identitySourceId: h.identitySourceId,
      type: 'leaver' as const,
      externalId,
      occurredAt: now,
      receivedAt: now,
    });

    // Idle: two leavers in one signal make one plan of two.
    await h.store.recordHrEvents(['E1001', 'E1002'].map(leaverEvent));
    await notifyHrChanged(h.client, target, 2, 2);
    await waitFor(
      () => ['E1001', 'E1002'].every((id) => user(h, id)?.status === 'DEACTIVATED'),
      'the two leavers deactivated',
      30_000,
    );
    const handle = h.client.workflow.getHandle(coordinatorWorkflowId(h.identitySourceId));
    const idle = await waitFor(async () => {
      const s = await handle.query(syncStatusQuery);
      return s.recent.length > 1 && s.phase !== 'planning' && s.phase !== 'pushing' ? s : undefined;
    }, 'the leavers plan recorded');
    expect(idle.recent[0]).toMatchObject({ outcome: 'applied', singleRecord: { applied: 2 } });

    // Beside a full sync whose import re-sends two more leavers as active: both are deactivated beside it in one plan,
    // and again in one plan once Okta applied that import.
    const { full } = await fullSyncImporting(h);
    await h.store.recordHrEvents(['E1003', 'E1004'].map(leaverEvent));
    await notifyHrChanged(h.client, target, 2, 2);
    await waitFor(() => user(h, 'E1004')?.status === 'DEACTIVATED', 'the leavers deactivated beside the push', 30_000);
    const fullSummary = await full;
    expect(fullSummary.outcome).toBe('applied');
    await waitFor(async () => {
      const s = await handle.query(syncStatusQuery);
      return s.phase === 'debouncing-hr-events' || (s.phase === 'idle' && s.pendingHrEvents === 0);
    }, 'the coordinator done with the leavers after the push');

    const leavers = ['E1001', 'E1002', 'E1003', 'E1004'];
    for (const id of leavers) {
      expect(user(h, id)?.status).toBe('DEACTIVATED');
      expect((await h.store.getConfirmedUser(h.identitySourceId, id))?.status).toBe('DEACTIVATED');
    }
    // The full sync's import brought E1003 and E1004 back; they were deactivated again, person by person too.
    for (const id of ['E1003', 'E1004']) {
      expect(requestsSince(h, 0).filter((r) => r === `DELETE /users/${id}`)).toHaveLength(2);
    }
    // Never an import session of leavers: the first sync's and the full sync's only.
    expect(h.emulator.sessions({ identitySourceId: h.identitySourceId })).toHaveLength(sessionsBefore + 1);
    await maybeSaveHistory(
      h.client,
      coordinatorWorkflowId(h.identitySourceId),
      history('identity-source-coordinator-leavers-beyond-max-people'),
    );
  });

  it('holds leavers past the deactivation guardrail for approval, counting the last hour, then applies them', async () => {
    const coordinator = { ...FAST_PATH_COORDINATOR, hrEventQuietMs: 600_000, hrEventMaxDelayMs: 600_000 };
    const h = await harnessForTest({ coordinator });
    await runSync(h);
    const status = (id: string) => user(h, id)?.status;
    const active = h.emulator
      .users({ identitySourceId: h.identitySourceId, status: 'ACTIVE' })
      .map((u) => u.externalId);
    // The example's sync config lets 10 % of the active people leave without approval; within an hour, one by one.
    const allowed = Math.floor((active.length * 10) / 100);
    expect(allowed).toBeGreaterThan(2);
    const [last, ...leavers] = active.slice(0, allowed + 1).reverse();
    for (const externalId of leavers) {
      await receiveHrEvent(h, coordinator, { type: 'leaver', externalId });
      await waitFor(() => status(externalId) === 'DEACTIVATED', `${externalId} deactivated`, 30_000);
    }
    // One more within the hour trips the guardrail, although its plan holds one deactivation.
    await receiveHrEvent(h, coordinator, { type: 'leaver', externalId: last! });
    const coordinatorHandle = h.client.workflow.getHandle(coordinatorWorkflowId(h.identitySourceId));
    const held = await waitFor(async () => {
      const s = await coordinatorHandle.query(syncStatusQuery);
      return s.phase === 'awaiting-approval' ? s : undefined;
    }, 'the sixth leaver held for approval');
    expect(held.current?.guardrails?.map((g) => g.guardrail)).toEqual(['too-many-deactivations-relative']);
    expect(held.current?.guardrails?.[0]?.measured).toBe(allowed + 1);
    expect(status(last!)).toBe('ACTIVE');

    await coordinatorHandle.executeUpdate(approveUpdate, { args: [{ by: 'test' }] });

    await waitFor(() => status(last!) === 'DEACTIVATED', 'the approved leaver deactivated', 30_000);
    expect(h.emulator.sessions({ identitySourceId: h.identitySourceId })).toHaveLength(1); // the first sync's only
  });

  it('syncs one named person now, whatever else changed in the export', async () => {
    const h = await harnessForTest({ coordinator: FAST_PATH_COORDINATOR });
    await runSync(h);
    await editExport(h, (row) => {
      if (row[0] === 'E1003') row[7] = 'Principal Engineer';
      if (row[0] === 'E1004') row[7] = 'Staff Engineer';
      return row;
    });

    const summary = await runSync(h, { externalIds: ['E1003'] });

    expect(summary).toMatchObject({ outcome: 'applied', singleRecord: { applied: 1 } });
    expect(user(h, 'E1003')?.profile.title).toBe('Principal Engineer');
    expect(user(h, 'E1004')?.profile.title).not.toBe('Staff Engineer');
    const report = JSON.parse(await readFile(summary.reportPath!, 'utf8')) as PlanningReport;
    expect(report.people).toEqual([{ externalId: 'E1003', outcome: 'update' }]);
    expect(report.counts).toMatchObject({ updates: 1, creates: 0, deactivations: 0 });
    // The rest follows with the next sync.
    expect((await runSync(h)).singleRecord).toEqual({ applied: 1 });
    expect(user(h, 'E1004')?.profile.title).toBe('Staff Engineer');
  });

  it('hands a small plan to an import session while one is open, and Okta still ends equal to HR', async () => {
    const h = await harnessForTest({ coordinator: FAST_PATH_COORDINATOR });
    await runSync(h);
    // A session left open by a run of ours that crashed: a single-record write must not race its uploads.
    const stale = await h.okta.createSession(h.identitySourceId);
    await h.store.recordSessionOpened({
      identitySourceId: h.identitySourceId,
      oktaSessionId: stale.id,
      planId: 'plan-of-a-crashed-run',
      sessionIndex: 0,
      workflowId: uniqueWorkflowId('crashed-push'),
      runId: randomUUID(),
      openedAt: new Date().toISOString(),
    });
    await editExport(h, (row) => {
      if (row[0] === 'E1003') row[7] = 'Principal Engineer';
      return row;
    });

    const summary = await runSync(h);

    expect(summary.outcome).toBe('applied');
    expect(summary.singleRecord).toBeUndefined();
    expect(summary.push?.sessionIds).toHaveLength(1);
    expect(h.emulator.sessions({ id: stale.id })[0]?.status).toBe('CLOSED');
    expect(user(h, 'E1003')?.profile.title).toBe('Principal Engineer');
  });
});
