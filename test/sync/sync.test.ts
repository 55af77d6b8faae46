import { readFile, writeFile } from 'node:fs/promises';
import { WorkflowFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { coordinatorStatus, notifyHrChanged } from '../../client/sync-client.ts';
import { sync } from '../../workflows/sync.ts';
import {
  approveUpdate,
  coordinatorWorkflowId,
  rejectUpdate,
  syncStatusQuery,
  type SyncSummary,
} from '../../contracts/sync-messages.ts';
import { FAST_COORDINATOR, harnessForTest, type PushHarness, runSync } from '../support/push-harness.ts';
import { fileURLToPath } from 'node:url';
import { maybeSaveHistory, uniqueWorkflowId } from '../support/temporal.ts';
import { waitFor } from '../support/wait-for.ts';

/** Signals a history of 200 events holds with no workflow task at all: past this, the run never handed over. */
const MAX_SIGNALS = 200;

/** Rewrites the HR export: `edit` gets the data rows (header kept) and returns the new rows. */
async function editExport(h: PushHarness, edit: (rows: string[]) => string[]): Promise<void> {
  const [header, ...rows] = (await readFile(h.hrExportPath, 'utf8')).trimEnd().split('\n');
  await writeFile(h.hrExportPath, [header, ...edit(rows)].join('\n') + '\n');
}

describe('sync: every trigger funnelled into one run per identity source', () => {
  it('syncs the default identity source from `{}`, then finds nothing to do', async () => {
    const harness = await harnessForTest();
    const { emulator, identitySourceId } = harness;

    const first = await runSync(harness);

    expect(first.outcome).toBe('applied');
    const active = emulator.users({ identitySourceId }).filter((u) => u.status === 'ACTIVE');
    expect(active.length).toBe(first.counts?.creates);
    expect(active.find((u) => u.externalId === 'E1002')?.profile).toMatchObject({
      userName: 'jose.nunez@example.com',
      firstName: 'José',
      department: 'Engineering',
      managerEmail: 'amara.okafor@example.com',
    });
    const engineering = emulator
      .groups({ identitySourceId })
      .find((g) => g.profile.displayName === 'Department: Engineering');
    expect(engineering).toBeDefined();
    const members = emulator.memberships({ identitySourceId, groupExternalId: engineering!.externalId });
    expect(members[0]?.memberExternalIds).toContain('E1002');

    const second = await runSync(harness);
    expect(second.outcome).toBe('nothing-to-do');
    expect(emulator.sessions({ identitySourceId })).toHaveLength(1);
    const histories = (name: string) => fileURLToPath(new URL(`../histories/${name}.json`, import.meta.url));
    await maybeSaveHistory(
      harness.client,
      coordinatorWorkflowId(identitySourceId),
      histories('identity-source-coordinator-two-requests'),
    );
  });

  it('races a schedule, manual runs and an HR event burst: one session at a time, every change applied', async () => {
    const harness = await harnessForTest();
    const { emulator, identitySourceId, client, taskQueue } = harness;
    await runSync(harness);
    // Five people change title, two leave.
    const leavers = ['E1011', 'E1012'];
    expect(
      emulator.users({ identitySourceId }).filter((u) => leavers.includes(u.externalId) && u.status === 'ACTIVE'),
    ).toHaveLength(2);
    await editExport(harness, (rows) =>
      rows
        .map((row, i) => {
          if (i >= 5) return row;
          const columns = row.split(',');
          columns[7] = 'Principal Wizard';
          return columns.join(',');
        })
        .filter((row) => !leavers.some((leaver) => row.startsWith(`${leaver},`))),
    );

    const schedule = await client.schedule.create({
      scheduleId: uniqueWorkflowId('schedule'),
      spec: { intervals: [{ every: '1 hour' }] },
      action: { type: 'startWorkflow', workflowType: sync, taskQueue, args: [{ reason: 'schedule' }] },
      policies: { overlap: 'BUFFER_ONE' },
    });
    const manual = [1, 2, 3].map(() =>
      client.workflow.start(sync, { taskQueue, workflowId: uniqueWorkflowId('sync-manual'), args: [{}] }),
    );
    await schedule.trigger();
    const target = { identitySourceId, taskQueue, options: FAST_COORDINATOR };
    for (let i = 0; i < 5; i++) await notifyHrChanged(client, target, 1);
    const results = await Promise.all((await Promise.all(manual)).map((handle) => handle.result()));
    const scheduled = await waitFor(async () => {
      const runs = (await schedule.describe()).info.recentActions;
      return runs.length > 0 ? runs[0]!.action.workflow : undefined;
    }, 'the scheduled run');
    await client.workflow.getHandle(scheduled.workflowId).result();
    await waitFor(async () => {
      const status = await coordinatorStatus(client, identitySourceId);
      return status && status.phase === 'idle' && status.queued.length === 0 && status.pendingHrEvents === 0;
    }, 'the HR events to be applied');
    await schedule.delete();
    await maybeSaveHistory(
      client,
      coordinatorWorkflowId(identitySourceId),
      fileURLToPath(new URL('../histories/identity-source-coordinator-hr-events-one-timer.json', import.meta.url)),
    );

    expect(
      results.every((r) => (r as SyncSummary).outcome === 'applied' || (r as SyncSummary).outcome === 'nothing-to-do'),
    ).toBe(true);
    // Never two sessions open at once: each opened after the previous one left CREATED/IN_PROGRESS.
    const sessions = emulator.sessions({ identitySourceId });
    for (let i = 1; i < sessions.length; i++) {
      const previousClosedAt = sessions[i - 1]!.history.find((h) => !['CREATED', 'IN_PROGRESS'].includes(h.status))!.at;
      expect(Date.parse(sessions[i]!.created)).toBeGreaterThanOrEqual(Date.parse(previousClosedAt));
    }
    // Six triggers, merged: far fewer sessions than triggers.
    expect(sessions.length).toBeLessThanOrEqual(3);
    const users = emulator.users({ identitySourceId });
    expect(users.filter((u) => u.profile.title === 'Principal Wizard')).toHaveLength(5);
    for (const leaver of leavers) expect(users.find((u) => u.externalId === leaver)?.status).toBe('DEACTIVATED');
  });

  it('waits out a stream of HR signals on one timer per quiet period, handing over to a new run as history grows', async () => {
    const harness = await harnessForTest();
    const { client, identitySourceId, taskQueue } = harness;
    // A quiet period longer than the stream's gaps: the whole stream is one debounce. The test server suggests
    // continue-as-new at 200 history events.
    const target = {
      identitySourceId,
      taskQueue,
      options: { ...FAST_COORDINATOR, hrEventQuietMs: 3_000, hrEventMaxDelayMs: 120_000 },
    };
    const workflowId = coordinatorWorkflowId(identitySourceId);
    await notifyHrChanged(client, target, 1);
    const { runId: firstRunId } = await client.workflow.getHandle(workflowId).describe();
    // The stream goes on until the first run hands over. How many signals that takes depends on how many of them each
    // workflow task takes in (three history events per task): a busy worker takes in more per task, so a fixed count
    // could stay under the suggestion and let the quiet period end in the first run.
    const firstRun = client.workflow.getHandle(workflowId, firstRunId);
    let signals = 1;
    while ((await firstRun.describe()).status.name === 'RUNNING') {
      expect(signals, 'signals sent without the first run handing over').toBeLessThan(MAX_SIGNALS);
      await notifyHrChanged(client, target, 1);
      signals++;
    }

    const status = await waitFor(async () => {
      const s = await coordinatorStatus(client, identitySourceId);
      return s && s.phase === 'idle' && s.pendingHrEvents === 0 && s.recent.length > 0 ? s : undefined;
    }, 'the HR events to be applied');
    // Every signal's events went into one delta sync.
    expect(status.recent.filter((r) => r.reasons.includes('webhook'))).toHaveLength(1);
    expect(status.recent[0]).toMatchObject({ outcome: 'applied', mode: 'delta' });

    const first = await client.workflow.getHandle(workflowId, firstRunId).fetchHistory();
    const events = first.events ?? [];
    const count = (attributes: keyof (typeof events)[number]) => events.filter((e) => e[attributes]).length;
    // Handed over while debouncing: the first run planned nothing.
    expect(events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    expect(count('activityTaskScheduledEventAttributes')).toBe(0);
    expect(count('workflowExecutionSignaledEventAttributes')).toBeGreaterThan(20);
    // A timer for each quiet period, not one per signal; the only one cancelled is the one running at the hand-over.
    expect(count('timerStartedEventAttributes')).toBeLessThanOrEqual(2);
    expect(count('timerCanceledEventAttributes')).toBeLessThanOrEqual(1);
    await maybeSaveHistory(
      client,
      workflowId,
      fileURLToPath(new URL('../histories/identity-source-coordinator-hr-stream-handover.json', import.meta.url)),
      firstRunId,
    );
  });

  it('holds a suspicious plan for a person: reject sends nothing, approve applies it', async () => {
    const harness = await harnessForTest();
    const { emulator, identitySourceId, client } = harness;
    await runSync(harness);
    const sessionsBefore = emulator.sessions({ identitySourceId }).length;
    // A truncated export: only ten people left.
    await editExport(harness, (rows) => rows.slice(0, 10));
    const coordinator = client.workflow.getHandle(coordinatorWorkflowId(identitySourceId));

    const rejected = client.workflow.execute(sync, {
      taskQueue: harness.taskQueue,
      workflowId: uniqueWorkflowId('sync'),
      args: [{}],
    });
    const held = await waitFor(async () => {
      const status = await coordinator.query(syncStatusQuery);
      return status.phase === 'awaiting-approval' ? status : undefined;
    }, 'the guardrail to hold the plan');
    expect(held.current?.guardrails?.map((g) => g.guardrail)).toContain('shrunken-export');
    expect(held.current?.guardrails?.every((g) => g.measured > g.threshold || g.guardrail === 'shrunken-export')).toBe(
      true,
    );
    await coordinator.executeUpdate(rejectUpdate, { args: [{ by: 'test', reason: 'export truncated' }] });
    const failure = await rejected.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(String((failure as WorkflowFailedError).cause?.message)).toContain('ended rejected');
    expect(emulator.sessions({ identitySourceId })).toHaveLength(sessionsBefore);

    const approved = runSync(harness);
    await waitFor(async () => (await coordinator.query(syncStatusQuery)).phase === 'awaiting-approval', 'the hold');
    await coordinator.executeUpdate(approveUpdate, { args: [{ by: 'test' }] });
    const summary = await approved;
    expect(summary.outcome).toBe('applied');
    expect(emulator.users({ identitySourceId }).filter((u) => u.status === 'ACTIVE')).toHaveLength(10);
  });
});
