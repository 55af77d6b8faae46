import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { SyncSummary } from '../../contracts/sync-messages.ts';
import { FAST_PATH_COORDINATOR, harnessForTest } from '../support/push-harness.ts';
import { CLI_TEST_TIMEOUT, runCli, writeCliConfig } from './cli-harness.ts';

describe('hr-okta-sync provision', () => {
  it(
    'shows one person’s diff against Okta, applies only them at once, and --dry-run sends nothing',
    async () => {
      const h = await harnessForTest({ coordinator: FAST_PATH_COORDINATOR });
      const config = await writeCliConfig(h);
      expect((await runCli(h, ['sync', '--wait', '--config', config])).code).toBe(0);
      const csv = await readFile(h.hrExportPath, 'utf8');
      await writeFile(
        h.hrExportPath,
        csv
          .replace(/^(E1003,(?:[^,]*,){6})[^,]*/m, '$1Principal Engineer')
          .replace(/^(E1004,(?:[^,]*,){6})[^,]*/m, '$1Staff Engineer'),
      );
      const title = (id: string) =>
        h.emulator.users({ identitySourceId: h.identitySourceId, externalId: id })[0]?.profile.title;
      const before = title('E1003');

      const dry = await runCli(h, ['provision', 'E1003', '--dry-run', '--config', config]);

      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain('E1003: update');
      expect(dry.stdout).toContain(`title  ${JSON.stringify(before)} → "Principal Engineer"`);
      expect(dry.stdout).toContain('Sync DRY-RUN');
      expect(title('E1003')).toBe(before);

      const applied = await runCli(h, ['provision', 'E1003', '--json', '--config', config]);

      expect(applied.code, applied.stderr).toBe(0);
      const printed = JSON.parse(applied.stdout) as {
        okta: { profile: Record<string, string | null> };
        plan: { outcome: string; profile: Record<string, string | null> };
        summary: SyncSummary;
      };
      expect(printed.okta.profile.title).toBe(before);
      expect(printed.plan).toMatchObject({ outcome: 'update', profile: { title: 'Principal Engineer' } });
      expect(printed.summary).toMatchObject({ outcome: 'applied', singleRecord: { applied: 1 } });
      expect(title('E1003')).toBe('Principal Engineer');
      expect(title('E1004')).not.toBe('Staff Engineer');

      const unknown = await runCli(h, ['provision', 'E9999', '--config', config]);
      expect(unknown.code, unknown.stderr).toBe(0);
      expect(unknown.stdout).toContain('E9999: not in the HR export (Okta has no such user)');
      expect(unknown.stdout).toContain('Sync NOTHING-TO-DO');
    },
    CLI_TEST_TIMEOUT,
  );
});
