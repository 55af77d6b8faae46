import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { findTemporalCli, freePort } from '../local-stack/temporal-dev-server.ts';

const CLI = fileURLToPath(new URL('../client/cli.ts', import.meta.url));

describe('npm start (hr-okta-sync start)', () => {
  it('brings up the local stack, syncs the sample export into the emulator, and with --once exits cleanly', async () => {
    const cli = await findTemporalCli();
    expect(cli, 'the Temporal CLI that global setup provided').toBeDefined();
    const cache = await mkdtemp(join(tmpdir(), 'hr-okta-sync-start-'));
    try {
      const ports = [await freePort(), await freePort(), await freePort()].map(String);
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [CLI, 'start', '--once', '--temporal-port', ports[0]!, '--ui-port', ports[1]!, '--okta-port', ports[2]!],
        { env: { ...process.env, HR_OKTA_SYNC_CACHE_DIR: cache, TEMPORAL_CLI_PATH: cli!.path }, timeout: 110_000 },
      );

      expect(stdout).toContain(`Temporal Web UI   http://127.0.0.1:${ports[1]}/namespaces/default/workflows`);
      expect(stdout).toMatch(/Sync applied: 52 HR records read, 49 to create/);
      expect(stdout).toMatch(/Okta applied \d+ records in 1 import session/);
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  }, 120_000);
});
