import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Connection, WorkflowClient } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { findTemporalCli, freePort } from '../local-stack/temporal-dev-server.ts';
import { waitFor } from './support/wait-for.ts';

const CLI = fileURLToPath(new URL('../cli/cli.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

interface Pasted {
  code: number;
  stdout: string;
  stderr: string;
  endedAt: number;
}

/** A command as a person pastes it: through a shell, in the project folder, with `npx` resolving the CLI. */
async function paste(command: string, env: NodeJS.ProcessEnv): Promise<Pasted> {
  try {
    const { stdout, stderr } = await run('sh', ['-c', command], { cwd: ROOT, env, timeout: 120_000 });
    return { code: 0, stdout, stderr, endedAt: Date.now() };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '', endedAt: Date.now() };
  }
}

/** The `npx hr-okta-sync …` lines of the README's sh blocks, without their trailing comments. */
async function readmeCommands(): Promise<string[]> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((block) =>
    block
      .split('\n')
      .filter((line) => line.startsWith('npx hr-okta-sync '))
      .map((line) => line.replace(/\s+#.*$/, '')),
  );
}

function startStack(args: string[], env: NodeJS.ProcessEnv) {
  const stack: ChildProcessWithoutNullStreams = spawn(process.execPath, [CLI, 'start', ...args], {
    cwd: ROOT,
    env,
    stdio: 'pipe',
  });
  const output = { stdout: '' };
  stack.stdout.setEncoding('utf8').on('data', (chunk: string) => (output.stdout += chunk));
  stack.stderr.setEncoding('utf8').on('data', (chunk: string) => process.stderr.write(chunk));
  const exited = new Promise<number | null>((resolve) => stack.once('exit', resolve));
  return { stack, output, exited };
}

/** Ends with one line and a hint (after any progress lines): no stack trace. */
function expectOneClearLine(result: Pasted): void {
  expect(result.code, result.stderr).toBe(1);
  const ending = result.stderr.slice(result.stderr.indexOf('error: '));
  expect(ending).toMatch(/^error: .+\nhint: .+\n$/);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

describe('npm start (hr-okta-sync start)', () => {
  it('runs every command it and the README print, as pasted, against the running stack', async () => {
    const cli = await findTemporalCli();
    expect(cli, 'the Temporal CLI that global setup provided').toBeDefined();
    const cache = await mkdtemp(join(tmpdir(), 'hr-okta-sync-start-'));
    const ports = [await freePort(), await freePort(), await freePort(), await freePort()].map(String);
    const { HR_OKTA_SYNC_CONFIG: _ignored, ...inherited } = process.env;
    const env = { ...inherited, HR_OKTA_SYNC_CACHE_DIR: cache, TEMPORAL_CLI_PATH: cli!.path };
    const portArgs = ['--temporal-port', ports[0]!, '--ui-port', ports[1]!, '--okta-port', ports[2]!];
    const { stack, output, exited } = startStack([...portArgs, '--webhook-port', ports[3]!], env);
    const emulator = `http://127.0.0.1:${ports[2]}/__emulator`;
    let stopped = false;
    try {
      await waitFor(
        () => output.stdout.includes('Running until Ctrl-C'),
        'the local stack to finish its first sync',
        100_000,
      );
      expect(output.stdout).toContain(`Temporal Web UI   http://127.0.0.1:${ports[1]}/namespaces/default/workflows`);
      expect(output.stdout).toMatch(
        /The delta sync started by .+ applied in [\d.]+ s \(52 HR records read, 49 to create;/,
      );
      // Plain words only: the JSON logs went to the log file.
      expect(output.stdout).not.toContain('{"level"');
      expect(await readFile(join(cache, 'local-stack', 'local-stack.log'), 'utf8')).toContain('"level":"info"');

      const printed = [...output.stdout.matchAll(/^ {2}(npx hr-okta-sync .+?)(?:\s+#.*)?$/gm)].map((m) => m[1]!);
      expect(printed).toContain('npx hr-okta-sync webhook-send --file examples/webhook-joiner.json');
      const fromReadme = await readmeCommands();
      expect(fromReadme).toContain('npx hr-okta-sync sync --full --wait');
      expect(fromReadme.filter((c) => c.includes(' schedule ')).length).toBeGreaterThan(5);

      // The webhook last: a full sync after it would not know its joiner (the export does not hold them).
      const commands = [...new Set([...fromReadme, ...printed])].sort(
        (a, b) => Number(a.includes('webhook-send')) - Number(b.includes('webhook-send')),
      );
      for (const command of commands) {
        const result = await paste(command, env);
        expect(result.code, `${command}\n${result.stderr}`).toBe(0);
        if (command === 'npx hr-okta-sync sync --full --wait') {
          // The full sync's import was seen done soon after the emulator finished it: no poll minutes out.
          const sessions = (await (await fetch(`${emulator}/sessions`)).json()) as {
            id: string;
            processingEndsAt?: string;
            status: string;
          }[];
          const last = sessions.at(-1)!;
          expect(last.status).toBe('COMPLETED');
          expect(result.endedAt - Date.parse(last.processingEndsAt!)).toBeLessThan(5_000);
          const { requests } = (await (await fetch(`${emulator}/requests?endpoint=get-session`)).json()) as {
            requests: { sessionId?: string }[];
          };
          expect(requests.filter((r) => r.sessionId === last.id).length).toBeLessThanOrEqual(3);
        }
      }

      // The printed webhook's joiner reached Okta, and the console said so in plain words.
      const joiner = await waitFor(
        async () => {
          const found = (await (await fetch(`${emulator}/users?externalId=E2001`)).json()) as { status: string }[];
          return found[0];
        },
        'the joiner to reach Okta',
        60_000,
      );
      expect(joiner).toMatchObject({ status: 'ACTIVE' });
      await waitFor(
        () => /started by [^.\n]*HR webhooks applied/.test(output.stdout),
        'the webhook sync on the console',
        60_000,
      );
      expect(output.stdout).toMatch(/HR events received/);

      // Mistakes: one line and a hint each; an unknown identity source leaves no coordinator behind.
      expectOneClearLine(await paste('npx hr-okta-sync webhook-send --file no-such-event.json', env));
      expectOneClearLine(await paste('npx hr-okta-sync status -c examples/hr-okta-sync.yaml', env));
      expectOneClearLine(await paste('npx hr-okta-sync status -c deploy/config.yaml', env));
      const unknown = '0oanosuchsource00001';
      expectOneClearLine(await paste(`npx hr-okta-sync sync --wait -s ${unknown}`, env));
      expectOneClearLine(await paste(`npx hr-okta-sync status -s ${unknown}`, env));
      const connection = await Connection.connect({ address: `127.0.0.1:${ports[0]}` });
      try {
        const described = await new WorkflowClient({ connection })
          .getHandle(`hr-okta-sync/${unknown}`)
          .describe()
          .catch((error: unknown) => error as Error);
        expect((described as Error).name).toBe('WorkflowNotFoundError');
      } finally {
        await connection.close();
      }

      stack.kill('SIGINT');
      expect(await exited).toBe(0);
      stopped = true;
      // A restart keeps the secrets: the command printed before still works.
      const secret = await readFile(join(cache, 'local-stack', 'webhook-secret'), 'utf8');
      const again = startStack([...portArgs, '--webhook-port', ports[3]!, '--once'], env);
      expect(await again.exited).toBe(0);
      expect(await readFile(join(cache, 'local-stack', 'webhook-secret'), 'utf8')).toBe(secret);
      expect(again.output.stdout).toContain('npx hr-okta-sync webhook-send --file examples/webhook-joiner.json');
    } finally {
      if (!stopped) {
        stack.kill('SIGINT');
        await exited;
      }
      await rm(cache, { recursive: true, force: true });
    }
    const { stdout: processes } = await run('ps', ['-eo', 'args']);
    expect(processes.split('\n').filter((p) => p.includes(`--port ${ports[0]}`))).toEqual([]);
  }, 400_000);
});
