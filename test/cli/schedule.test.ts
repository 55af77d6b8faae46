import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULE_PREFIX } from '../../client/schedules.ts';
import type { SyncSummary } from '../../contracts/sync-messages.ts';
import { startPushHarness, type PushHarness } from '../support/push-harness.ts';
import { CLI_TEST_TIMEOUT, runCli, writeCliConfig } from './cli-harness.ts';

let h: PushHarness;
// Ids of this run only: the dev server is shared by every test file.
const nightly = `nightly-${randomUUID().slice(0, 8)}`;
const hourly = `hourly-dry-${randomUUID().slice(0, 8)}`;
const declared = (jitter: string) => [
  { id: nightly, cron: '0 2 * * *', timeZone: 'Europe/Berlin', jitter, overlap: 'buffer-one' },
  { id: hourly, interval: '1h', offset: '15m', dryRun: true },
];

beforeAll(async () => {
  h = await startPushHarness();
});
afterAll(async () => {
  for (const id of [nightly, hourly]) {
    await h.client.schedule
      .getHandle(`${SCHEDULE_PREFIX}${id}`)
      .delete()
      .catch(() => undefined);
  }
  await h?.close();
});

describe('schedule commands', () => {
  it(
    'apply creates the declared schedules once, then changes only what changed; trigger starts a sync',
    async () => {
      let config = await writeCliConfig(h, { schedules: declared('5m') });

      const created = await runCli(h, ['schedule', 'apply', '--json', '--config', config]);
      expect(created.code, created.stderr).toBe(0);
      expect(JSON.parse(created.stdout)).toEqual([
        { id: nightly, change: 'created' },
        { id: hourly, change: 'created' },
      ]);

      const [again, described] = await Promise.all([
        runCli(h, ['schedule', 'apply', '--config', config]),
        runCli(h, ['schedule', 'describe', nightly, '--json', '--config', config]),
      ]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain('No changes (2 schedule(s) as declared)');
      expect(described.code, described.stderr).toBe(0);
      const view = JSON.parse(described.stdout) as { declaration: Record<string, unknown>; nextRuns: string[] };
      expect(view.declaration).toMatchObject({
        cron: '0 2 * * *',
        timeZone: 'Europe/Berlin',
        overlap: 'buffer-one',
        identitySourceId: h.identitySourceId,
        taskQueue: h.taskQueue,
      });
      expect(view.nextRuns.length).toBeGreaterThan(0);
      // 02:00 in Berlin, give or take the 5 minutes of jitter: 00:00-01:05 UTC depending on daylight saving time.
      expect(new Date(view.nextRuns[0]!).getUTCHours()).toBeLessThanOrEqual(1);
      const server = await h.client.schedule.getHandle(`${SCHEDULE_PREFIX}${hourly}`).describe();
      expect(server.spec.intervals).toEqual([{ every: 3_600_000, offset: 900_000 }]);
      expect(server.policies.overlap).toBe('SKIP');
      expect(server.action).toMatchObject({
        workflowType: 'sync',
        taskQueue: h.taskQueue,
        args: [{ reason: 'schedule', mode: 'delta', dryRun: true, identitySourceId: h.identitySourceId }],
      });

      // A person pauses one; a config change updates it and keeps it paused.
      const paused = await runCli(h, ['schedule', 'pause', nightly, '--note', 'HR migration', '--config', config]);
      expect(paused.code, paused.stderr).toBe(0);
      config = await writeCliConfig(h, { schedules: declared('10m') });
      const updated = await runCli(h, ['schedule', 'apply', '--json', '--config', config]);
      expect(JSON.parse(updated.stdout)).toEqual([
        { id: nightly, change: 'updated' },
        { id: hourly, change: 'unchanged' },
      ]);
      const afterUpdate = await h.client.schedule.getHandle(`${SCHEDULE_PREFIX}${nightly}`).describe();
      expect(afterUpdate.state).toMatchObject({ paused: true, note: 'HR migration' });
      expect(afterUpdate.spec.jitter).toBe(600_000);

      const triggered = await runCli(h, ['schedule', 'trigger', nightly, '--json', '--config', config]);
      expect(triggered.code, triggered.stderr).toBe(0);
      const { workflowId } = JSON.parse(triggered.stdout) as { workflowId: string };
      expect(workflowId).toMatch(new RegExp(`^sync-${h.identitySourceId}-scheduled`));
      const summary = (await h.client.workflow.getHandle(workflowId).result()) as SyncSummary;
      expect(summary).toMatchObject({
        outcome: 'applied',
        reasons: ['schedule'],
        identitySourceId: h.identitySourceId,
      });
      expect(h.emulator.users({ identitySourceId: h.identitySourceId }).length).toBe(summary.counts?.creates);
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'apply --prune deletes our schedules the config no longer declares; update changes one; a bad one is refused',
    async () => {
      const config = await writeCliConfig(h, { schedules: [declared('10m')[1]] });

      const pruned = await runCli(h, ['schedule', 'apply', '--prune', '--json', '--config', config]);
      expect(pruned.code, pruned.stderr).toBe(0);
      expect(JSON.parse(pruned.stdout)).toContainEqual({ id: nightly, change: 'deleted' });
      expect(JSON.parse(pruned.stdout)).toContainEqual({ id: hourly, change: 'unchanged' });

      const [gone, bad, list, updated] = await Promise.all([
        runCli(h, ['schedule', 'describe', nightly, '--config', config]),
        runCli(h, ['schedule', 'create', 'twice', '--cron', '0 2 * * *', '--interval', '1h', '--config', config]),
        runCli(h, ['schedule', 'list', '--json', '--config', config]),
        runCli(h, ['schedule', 'update', hourly, '--interval', '30m', '--no-dry-run', '--full', '--config', config]),
      ]);
      expect(gone.code).toBe(1);
      expect(gone.stderr).toContain(`No schedule ${nightly}`);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('needs exactly one of cron, interval or calendar (has cron and interval)');
      // The list comes from the visibility store, which lags deletions by a moment: only the one kept is certain.
      expect((JSON.parse(list.stdout) as { id: string }[]).map((s) => s.id)).toContain(hourly);
      expect(updated.code, updated.stderr).toBe(0);
      const server = await h.client.schedule.getHandle(`${SCHEDULE_PREFIX}${hourly}`).describe();
      // A new interval replaces the timing, offset included; what was not given stays.
      expect(server.spec.intervals).toEqual([{ every: 1_800_000 }]);
      expect(server.action).toMatchObject({
        args: [{ reason: 'schedule', mode: 'full', dryRun: false, identitySourceId: h.identitySourceId }],
      });
    },
    CLI_TEST_TIMEOUT,
  );
});
