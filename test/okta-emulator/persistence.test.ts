// State that survives a restart: in-process stop/start, and a CLI emulator killed with SIGKILL mid-session.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import {
  admin,
  call,
  createSession,
  sessionReaches,
  sessionsPath,
  SOURCE,
  startFast,
  TOKEN,
  users,
  type AdminSession,
  type Served,
  OKTA_EMULATOR_COMMAND,
} from './support.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function stateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'okta-emulator-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const upsert = (e: Served, id: string, from: number) =>
  call(e, 'POST', `${sessionsPath()}/${id}/bulk-upsert`, { entityType: 'USERS', profiles: users(2, from) });

describe('persistence', () => {
  it('keeps the directory and sessions across a restart, and resumes a TRIGGERED session', async () => {
    const stateFile = join(await stateDir(), 'state.json');
    const options = { stateFile, durations: { fiveMinuteRuleMs: 0, importProcessingMs: 50 } };
    const first = await startFast(options);
    const done = await createSession(first);
    await upsert(first, done, 0);
    await call(first, 'POST', `${sessionsPath()}/${done}/start-import`);
    await sessionReaches(first, done, 'COMPLETED');

    await admin(first, '/settings', { durations: { importProcessingMs: 2000 } });
    const inFlight = await createSession(first);
    await upsert(first, inFlight, 2);
    await call(first, 'POST', `${sessionsPath()}/${inFlight}/start-import`);
    const open = await createSession(first);
    await upsert(first, open, 4);
    await first.stop();
    const saved = JSON.parse(await readFile(stateFile, 'utf8')) as {
      org: { sessions: { id: string; status: string }[] };
    };
    expect(saved.org.sessions.map((s) => [s.id, s.status])).toEqual([
      [done, 'COMPLETED'],
      [inFlight, 'TRIGGERED'],
      [open, 'IN_PROGRESS'],
    ]);

    const second = await startFast(options);
    cleanup.push(() => second.stop());
    expect((await admin<AdminSession[]>(second, '/sessions')).find((s) => s.id === open)?.bulkRequests).toBe(1);
    await sessionReaches(second, inFlight, 'COMPLETED');
    expect((await call(second, 'POST', `${sessionsPath()}/${open}/start-import`)).status).toBe(200);
    await sessionReaches(second, open, 'COMPLETED');
    const externalIds = (await admin<{ externalId: string }[]>(second, '/users')).map((u) => u.externalId).sort();
    expect(externalIds).toEqual(['emp-0', 'emp-1', 'emp-2', 'emp-3', 'emp-4', 'emp-5']);
  });
});

describe('the okta-emulator command', () => {
  async function runCli(stateFile: string): Promise<{ child: ChildProcess; url: string; lines: string[] }> {
    const child = spawn(
      process.execPath,
      [
        ...OKTA_EMULATOR_COMMAND,
        'okta-emulator',
        '--port',
        '0',
        '--identity-source',
        SOURCE,
        '--api-token',
        TOKEN,
        '--custom-attribute',
        'department',
        '--import-time',
        '100ms',
        '--state-file',
        stateFile,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    cleanup.push(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    });
    const lines: string[] = [];
    for await (const line of createInterface({ input: child.stdout as NodeJS.ReadableStream })) {
      lines.push(line);
      if (line.startsWith('Press Ctrl-C')) break;
    }
    const url = /Okta emulator:\s+(\S+)/.exec(lines.join('\n'))?.[1] ?? '';
    return { child, url, lines };
  }

  it('prints its URL and credentials, and keeps an accepted upload through a SIGKILL', async () => {
    const stateFile = join(await stateDir(), 'state.json');
    const first = await runCli(stateFile);
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(first.lines.join('\n')).toContain(`Identity source:   ${SOURCE} (custom attributes: department)`);
    expect(first.lines.join('\n')).toContain(`API token (SSWS):  ${TOKEN}`);
    const id = await createSession(first);
    expect((await upsert(first, id, 0)).status).toBe(202);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));

    const second = await runCli(stateFile);
    const reply = await call(second, 'GET', `${sessionsPath()}/${id}`);
    expect(reply.json()).toMatchObject({ id, status: 'IN_PROGRESS' });
    expect((await call(second, 'POST', `${sessionsPath()}/${id}/start-import`)).status).toBe(200);
    await sessionReaches(second, id, 'COMPLETED');
    expect(await admin(second, '/users')).toHaveLength(2);

    second.child.kill('SIGTERM');
    expect(await new Promise((resolve) => second.child.once('exit', (code) => resolve(code)))).toBe(0);
  });
});
