import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coordinatorStatus } from '../../client/sync-client.ts';
import type { SyncStatus, SyncSummary } from '../../contracts/sync-messages.ts';
import { startPushHarness, type PushHarness } from '../support/push-harness.ts';
import { waitFor } from '../support/wait-for.ts';
import { CLI_TEST_TIMEOUT, runCli, writeCliConfig } from './cli-harness.ts';

// One identity source for the file: each test builds on the state the previous one left (first sync, then a hold).
let h: PushHarness;
let config: string;
let first: SyncSummary;

beforeAll(async () => {
  h = await startPushHarness();
  config = await writeCliConfig(h);
});
afterAll(async () => {
  await h?.close();
});

describe('the sync command line', () => {
  it(
    'sync --wait --json runs the sync to its end and prints the summary',
    async () => {
      const result = await runCli(h, ['sync', '--wait', '--json', '--config', config]);

      expect(result.code, result.stderr).toBe(0);
      first = JSON.parse(result.stdout) as SyncSummary;
      expect(first).toMatchObject({ identitySourceId: h.identitySourceId, outcome: 'applied', reasons: ['manual'] });
      const active = h.emulator.users({ identitySourceId: h.identitySourceId }).filter((u) => u.status === 'ACTIVE');
      expect(active.length).toBeGreaterThan(0);
      expect(active.length).toBe(first.counts?.creates);
      expect(first.push?.totals?.recordsApplied).toBeGreaterThanOrEqual(active.length);
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'report prints the report of the latest plan, or of the plan named',
    async () => {
      // Each command is a process of its own: run the independent ones side by side.
      const [latest, named, missing] = await Promise.all([
        runCli(h, ['report', '--config', config]),
        runCli(h, ['report', first.planId!, '--json', '--config', config]),
        runCli(h, ['report', 'no-such-plan', '--config', config]),
      ]);
      expect(latest.code, latest.stderr).toBe(0);
      expect(latest.stdout).toContain(`plan             ${first.planId}`);
      expect(latest.stdout).toContain(`create             ${first.counts?.creates}`);
      expect(named.code, named.stderr).toBe(0);
      expect(JSON.parse(named.stdout)).toMatchObject({ planId: first.planId, identitySourceId: h.identitySourceId });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('No plan no-such-plan');
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'status --json shows the coordinator and the request it finished',
    async () => {
      const result = await runCli(h, ['status', '--json', '--config', config]);

      expect(result.code, result.stderr).toBe(0);
      const shown = JSON.parse(result.stdout) as { running: boolean; status: SyncStatus };
      expect(shown.running).toBe(true);
      expect(shown.status).toMatchObject({ identitySourceId: h.identitySourceId, phase: 'idle', queued: [] });
      expect(shown.status.recent[0]).toMatchObject({ requestId: first.requestId, outcome: 'applied' });
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'reject and cancel exit non-zero when nothing awaits approval or runs',
    async () => {
      const [rejected, cancelled] = await Promise.all([
        runCli(h, ['reject', '--by', 'tester', '--config', config]),
        runCli(h, ['cancel', '--config', config]),
      ]);
      expect(rejected.code).toBe(1);
      expect(rejected.stderr).toContain('No sync of this identity source awaits approval');
      expect(cancelled.code).toBe(1);
      expect(cancelled.stderr).toContain('nothing to cancel');
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'holds a truncated export for approval; approve lets the waiting sync apply it',
    async () => {
      const [header, ...rows] = (await readFile(h.hrExportPath, 'utf8')).trimEnd().split('\n');
      await writeFile(h.hrExportPath, [header, ...rows.slice(0, 10)].join('\n') + '\n');

      // Not a terminal: progress comes as plain lines on stderr.
      const waiting = runCli(h, ['sync', '--wait', '--config', config]);
      const held = await waitFor(async () => {
        const status = await coordinatorStatus(h.client, h.identitySourceId);
        return status?.phase === 'awaiting-approval' ? status : undefined;
      }, 'the guardrail to hold the plan');

      const status = await runCli(h, ['status', '--config', config]);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toContain('awaiting-approval');
      const tripped = held.current!.guardrails!.find((g) => g.guardrail === 'shrunken-export')!;
      expect(status.stdout).toContain(
        `TRIPPED   shrunken-export: ${tripped.message} (measured ${tripped.measured}, threshold ${tripped.threshold})`,
      );

      const wrongPlan = await runCli(h, ['approve', '--plan', 'some-other-plan', '--config', config]);
      expect(wrongPlan.code).toBe(1);
      expect(wrongPlan.stderr).toContain(`plan ${held.current!.planId} is`);

      const approved = await runCli(h, ['approve', '--by', 'tester', '--reason', 'export checked', '--config', config]);
      expect(approved.code, approved.stderr).toBe(0);
      expect(approved.stdout).toContain(`Approved plan ${held.current!.planId}`);

      const result = await waiting;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain('Held for approval');
      expect(result.stderr).toContain('shrunken-export');
      expect(result.stderr).toMatch(/records uploaded/);
      expect(result.stdout).toContain('Sync APPLIED');
      expect(result.stdout).toContain(`plan      ${held.current!.planId}`);
      const active = h.emulator.users({ identitySourceId: h.identitySourceId }).filter((u) => u.status === 'ACTIVE');
      expect(active).toHaveLength(10);
    },
    CLI_TEST_TIMEOUT,
  );
});
