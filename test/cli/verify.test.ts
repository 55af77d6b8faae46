// `hr-okta-sync verify`: the confirmed record against Okta, over the real emulator and store, and `--repair` sending
// the drifted people again through a real delta sync.
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Drift } from '../../activities/okta/confirmed-drift.ts';
import type { SyncSummary } from '../../contracts/sync-messages.ts';
import { harnessForTest, runSync } from '../support/push-harness.ts';
import { CLI_TEST_TIMEOUT, runCli, writeCliConfig } from './cli-harness.ts';

interface VerifyReport {
  confirmed: number;
  checked: number;
  drift: Drift[];
  repair?: { markedUnconfirmed: number; workflowId: string };
}

describe('hr-okta-sync verify', () => {
  it(
    'reports drift per person by attribute names, and --repair sends the drifted people again',
    async () => {
      const h = await harnessForTest();
      const config = await writeCliConfig(h);
      expect((await runSync(h)).outcome).toBe('applied');
      const lines = (await readFile(h.hrExportPath, 'utf8')).split('\n');
      await writeFile(h.hrExportPath, lines.filter((line) => !line.startsWith('E1008,')).join('\n'));
      expect((await runSync(h)).counts).toMatchObject({ deactivations: 1 });

      const clean = await runCli(h, ['verify', '--all', '--config', config]);
      expect(clean.code, clean.stderr).toBe(0);
      expect(clean.stdout).toMatch(/^Checked \d+ of \d+ confirmed people of 0oa\w+ against Okta: no drift/);

      // Someone changes a title by hand in Okta, deletes a person, and puts back one HR let go.
      const e1003 = h.emulator.users({ identitySourceId: h.identitySourceId, externalId: 'E1003' })[0]!;
      await h.okta.updateUser(h.identitySourceId, {
        externalId: 'E1003',
        profile: { userName: e1003.profile.userName!, email: e1003.profile.email!, title: 'Chief Vibes Officer' },
      });
      expect(await h.okta.deleteUser(h.identitySourceId, 'E1005')).toBe('deleted');
      await h.okta.createUser(h.identitySourceId, {
        externalId: 'E1008',
        profile: { userName: 'fatima.alsayed@example.com', email: 'fatima.alsayed@example.com' },
      });

      const found = await runCli(h, ['verify', '--all', '--json', '--config', config]);
      expect(found.code, found.stderr).toBe(1);
      const report = JSON.parse(found.stdout) as VerifyReport;
      expect(report.checked).toBe(report.confirmed);
      expect(report.drift).toEqual([
        { externalId: 'E1003', problem: 'changed', attributes: ['title'] },
        { externalId: 'E1005', problem: 'missing' },
        { externalId: 'E1008', problem: 'not-deactivated' },
      ]);
      expect(found.stdout).not.toContain('Chief Vibes Officer');

      const text = await runCli(h, ['verify', '--sample', '500', '--config', config]);
      expect(text.code).toBe(1);
      expect(text.stdout).toContain('E1003  changed in Okta: title');
      expect(text.stdout).toContain('E1005  missing in Okta');
      expect(text.stdout).toContain('Run with --repair');

      const repaired = await runCli(h, ['verify', '--all', '--repair', '--json', '--config', config]);
      expect(repaired.code, repaired.stderr).toBe(0);
      const { repair } = JSON.parse(repaired.stdout) as VerifyReport;
      expect(repair?.markedUnconfirmed).toBe(3);
      const summary = (await h.client.workflow.getHandle(repair!.workflowId).result()) as SyncSummary;
      expect(summary.outcome).toBe('applied');
      expect(summary.counts).toMatchObject({ updates: 2, deactivations: 1 });

      const after = await runCli(h, ['verify', '--all', '--json', '--config', config]);
      expect(after.code, after.stderr).toBe(0);
      expect((JSON.parse(after.stdout) as VerifyReport).drift).toEqual([]);
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'samples a given number of people, and refuses to run before anything was confirmed',
    async () => {
      const h = await harnessForTest();
      const config = await writeCliConfig(h);
      const nothing = await runCli(h, ['verify', '--config', config]);
      expect(nothing.code).toBe(1);
      expect(nothing.stderr).toContain('Nothing confirmed');
      expect((await runSync(h)).outcome).toBe('applied');
      const before = h.emulator.requests({ endpoint: 'get-user' }).requests.length;
      const sampled = await runCli(h, ['verify', '--sample', '7', '--json', '--config', config]);
      expect(sampled.code, sampled.stderr).toBe(0);
      expect(JSON.parse(sampled.stdout)).toMatchObject({ checked: 7, drift: [] });
      expect(h.emulator.requests({ endpoint: 'get-user' }).requests.length - before).toBe(7);
      const bad = await runCli(h, ['verify', '--sample', 'few', '--config', config]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('expected a whole number');
    },
    CLI_TEST_TIMEOUT,
  );
});
