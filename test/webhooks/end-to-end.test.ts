import { readFile, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { coordinatorStatus } from '../../client/sync-client.ts';
import { startWebhookServer, type WebhookServer } from '../../client/webhook-server.ts';
import { createLogger } from '../../observability/logger.ts';
import { sync } from '../../workflows/sync.ts';
import type { SyncStatus, SyncSummary } from '../../contracts/sync-messages.ts';
import { FAST_COORDINATOR, harnessForTest, type PushHarness, runSync } from '../support/push-harness.ts';
import { uniqueWorkflowId } from '../support/temporal.ts';
import { waitFor } from '../support/wait-for.ts';
import { newSecret, sendStandard } from './senders.ts';

let receiver: WebhookServer | undefined;
afterEach(async () => {
  await receiver?.stop();
  receiver = undefined;
});

const secret = newSecret();

async function startReceiver(h: PushHarness): Promise<WebhookServer> {
  return startWebhookServer({
    temporal: h.client,
    store: h.store,
    identitySourceId: h.identitySourceId,
    taskQueue: h.taskQueue,
    coordinator: FAST_COORDINATOR,
    standardSecrets: [secret],
    logger: createLogger({ level: 'silent' }),
  });
}

/** The coordinator with nothing left: no request queued or running, no HR event waiting, none pending in the store. */
async function settled(h: PushHarness, what: string): Promise<SyncStatus> {
  return waitFor(async () => {
    const status = await coordinatorStatus(h.client, h.identitySourceId);
    const quiet = status?.phase === 'idle' && status.queued.length === 0 && status.pendingHrEvents === 0;
    return quiet && (await h.store.pendingHrEvents(h.identitySourceId)).length === 0 ? status : undefined;
  }, what);
}

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);

function event(id: string, type: 'joiner' | 'mover' | 'leaver', externalId: string, record?: Record<string, string>) {
  return { id, type, occurredAt: new Date().toISOString(), person: { externalId, ...(record ? { record } : {}) } };
}

describe('webhooks end to end: signed HTTP events through the receiver into Okta', () => {
  it('applies a joiner, a mover and a leaver in one session, before the export shows them', async () => {
    const harness = await harnessForTest();
    const { emulator, identitySourceId } = harness;
    expect((await runSync(harness)).outcome).toBe('applied');
    const activeBefore = emulator.users({ identitySourceId }).filter((u) => u.status === 'ACTIVE').length;
    const sessionsBefore = emulator.sessions({ identitySourceId }).length;
    receiver = await startReceiver(harness);

    const burst = [
      event('evt-joiner', 'joiner', 'E2001', {
        employee_id: 'E2001',
        first_name: 'Ada',
        last_name: 'Lovelace',
        work_email: 'ada.lovelace@example.com',
        department: 'Engineering',
        job_title: 'Analyst',
        manager_id: 'E1001',
        status: 'Active',
        hire_date: daysAgo(3),
        employment_type: 'Employee',
        location: 'London',
      }),
      event('evt-mover', 'mover', 'E1003', { job_title: 'Principal Engineer' }),
      event('evt-leaver', 'leaver', 'E1004'),
    ];
    for (const body of burst) expect((await sendStandard(receiver.url, body, { secrets: [secret] })).status).toBe(202);
    const status = await settled(harness, 'the HR events to be applied');

    const summary = status.recent[0]!;
    expect(summary).toMatchObject({ outcome: 'applied', reasons: ['webhook'] });
    expect(summary.counts).toMatchObject({ creates: 1, updates: 1, deactivations: 1 });
    expect(emulator.sessions({ identitySourceId })).toHaveLength(sessionsBefore + 1);
    const users = emulator.users({ identitySourceId });
    expect(users.find((u) => u.externalId === 'E2001')).toMatchObject({
      status: 'ACTIVE',
      profile: { userName: 'ada.lovelace@example.com', title: 'Analyst', managerEmail: 'amara.okafor@example.com' },
    });
    expect(users.find((u) => u.externalId === 'E1003')?.profile.title).toBe('Principal Engineer');
    expect(users.find((u) => u.externalId === 'E1004')?.status).toBe('DEACTIVATED');
    expect(users.filter((u) => u.status === 'ACTIVE')).toHaveLength(activeBefore);
  });

  it('races a schedule, a manual sync and a webhook burst over HTTP: one session at a time, every change applied', async () => {
    const harness = await harnessForTest();
    const { emulator, identitySourceId, client, taskQueue } = harness;
    await runSync(harness);
    receiver = await startReceiver(harness);
    // The export changes (five titles, two leavers) and HR sends events for five other movers and one leaver.
    const exportLeavers = ['E1011', 'E1012'];
    const [header, ...rows] = (await readFile(harness.hrExportPath, 'utf8')).trimEnd().split('\n');
    const edited = rows
      .map((row, i) => (i < 5 ? row.split(',').with(7, 'Principal Wizard').join(',') : row))
      .filter((row) => !exportLeavers.some((leaver) => row.startsWith(`${leaver},`)));
    await writeFile(harness.hrExportPath, [header, ...edited].join('\n') + '\n');
    const movers = ['E1020', 'E1021', 'E1023', 'E1024', 'E1026'];

    const schedule = await client.schedule.create({
      scheduleId: uniqueWorkflowId('schedule'),
      spec: { intervals: [{ every: '1 hour' }] },
      action: { type: 'startWorkflow', workflowType: sync, taskQueue, args: [{ reason: 'schedule' }] },
      policies: { overlap: 'BUFFER_ONE' },
    });
    const manual = client.workflow.start(sync, { taskQueue, workflowId: uniqueWorkflowId('sync-manual'), args: [{}] });
    await schedule.trigger();
    const deliveries = await Promise.all([
      ...movers.map((id) =>
        sendStandard(receiver!.url, event(`evt-${id}`, 'mover', id, { job_title: 'Webhook Title' }), {
          secrets: [secret],
        }),
      ),
      sendStandard(receiver.url, event('evt-E1029', 'leaver', 'E1029'), { secrets: [secret] }),
    ]);
    expect(deliveries.map((d) => d.status)).toEqual([202, 202, 202, 202, 202, 202]);
    const manualResult = (await (await manual).result()) as SyncSummary;
    const scheduled = await waitFor(async () => {
      const runs = (await schedule.describe()).info.recentActions;
      return runs.length > 0 ? runs[0]!.action.workflow : undefined;
    }, 'the scheduled run');
    await client.workflow.getHandle(scheduled.workflowId).result();
    await settled(harness, 'the HR events to be applied');
    await schedule.delete();

    expect(['applied', 'nothing-to-do']).toContain(manualResult.outcome);
    const sessions = emulator.sessions({ identitySourceId });
    for (let i = 1; i < sessions.length; i++) {
      const previousClosedAt = sessions[i - 1]!.history.find((h) => !['CREATED', 'IN_PROGRESS'].includes(h.status))!.at;
      expect(Date.parse(sessions[i]!.created)).toBeGreaterThanOrEqual(Date.parse(previousClosedAt));
    }
    const users = emulator.users({ identitySourceId });
    expect(users.filter((u) => u.profile.title === 'Principal Wizard')).toHaveLength(5);
    expect(
      users
        .filter((u) => u.profile.title === 'Webhook Title')
        .map((u) => u.externalId)
        .sort(),
    ).toEqual(movers);
    for (const leaver of [...exportLeavers, 'E1029']) {
      expect(users.find((u) => u.externalId === leaver)?.status).toBe('DEACTIVATED');
    }
  });
});
