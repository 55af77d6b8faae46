import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { findTemporalCli, freePort } from '../local-stack/temporal-dev-server.ts';
import { waitFor } from './support/wait-for.ts';

const CLI = fileURLToPath(new URL('../client/cli.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('npm start (hr-okta-sync start)', () => {
  it('syncs the sample export, applies a signed sample webhook, and leaves nothing running after Ctrl-C', async () => {
    const cli = await findTemporalCli();
    expect(cli, 'the Temporal CLI that global setup provided').toBeDefined();
    const cache = await mkdtemp(join(tmpdir(), 'hr-okta-sync-start-'));
    const ports = [await freePort(), await freePort(), await freePort(), await freePort()].map(String);
    const env = { ...process.env, HR_OKTA_SYNC_CACHE_DIR: cache, TEMPORAL_CLI_PATH: cli!.path };
    const stack = spawn(
      process.execPath,
      [
        CLI,
        'start',
        '--temporal-port',
        ports[0]!,
        '--ui-port',
        ports[1]!,
        '--okta-port',
        ports[2]!,
        '--webhook-port',
        ports[3]!,
      ],
      { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let stdout = '';
    stack.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const exited = new Promise<number | null>((resolve) => stack.once('exit', resolve));
    try {
      await waitFor(() => stdout.includes('Running until Ctrl-C'), 'the local stack to finish its first sync', 100_000);
      expect(stdout).toContain(`Temporal Web UI   http://127.0.0.1:${ports[1]}/namespaces/default/workflows`);
      expect(stdout).toMatch(/Sync applied: 52 HR records read, 49 to create/);
      expect(stdout).toMatch(/Okta applied \d+ records in 1 import session/);

      // The ready-made command the stack printed: a signed joiner, then one debounced delta sync.
      const command = /^ {2}(HR_OKTA_SYNC_WEBHOOK_SECRET=\S+) npx hr-okta-sync (webhook-send .*)$/m.exec(stdout);
      expect(command, 'a printed webhook command').not.toBeNull();
      const [variable, secret] = command![1]!.split('=');
      const { stdout: sent } = await promisify(execFile)(process.execPath, [CLI, ...command![2]!.split(' ')], {
        cwd: ROOT,
        env: { ...env, [variable!]: command![1]!.slice(variable!.length + 1) },
      });
      expect(sent).toMatch(/^202 /);
      expect(secret).toMatch(/^whsec_/);
      const users = `http://127.0.0.1:${ports[2]}/__emulator/users?externalId=E2001`;
      const joiner = await waitFor(
        async () => {
          const found = (await (await fetch(users)).json()) as { status: string; profile: Record<string, string> }[];
          return found[0];
        },
        'the joiner to reach Okta',
        60_000,
      );
      expect(joiner).toMatchObject({ status: 'ACTIVE', profile: { userName: 'ada.lovelace@example.com' } });
    } finally {
      stack.kill('SIGINT');
      expect(await exited).toBe(0);
      await rm(cache, { recursive: true, force: true });
    }
    const { stdout: processes } = await promisify(execFile)('ps', ['-eo', 'args']);
    expect(processes.split('\n').filter((p) => p.includes(`--port ${ports[0]}`))).toEqual([]);
  }, 200_000);
});
