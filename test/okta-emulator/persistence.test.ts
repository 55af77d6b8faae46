// State that survives a restart: in-process stop/start, and a CLI emulator killed with SIGKILL mid-session.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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
  adminUser,
  groupPath,
  groupsPath,
  person,
  userPath,
  usersPath,
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

describe('persistence of single-record changes', () => {
  it('keeps users created, updated and deleted one by one across a restart', async () => {
    const stateFile = join(await stateDir(), 'state.json');
    const first = await startFast({ stateFile });
    const created = await call(first, 'POST', usersPath(), person('emp-1', { department: 'R&D' }));
    await call(first, 'PATCH', userPath('emp-1'), person('emp-1', { firstName: 'Ada' }));
    await call(first, 'POST', usersPath(), person('emp-2'));
    expect((await call(first, 'DELETE', userPath('emp-2'))).status).toBe(204);
    const group = await call(first, 'POST', groupsPath(), { externalId: 'g-1', profile: { displayName: 'One' } });
    expect((await call(first, 'POST', `${groupPath('g-1')}/membership`, { memberExternalId: 'emp-1' })).status).toBe(
      204,
    );
    const before = (await call(first, 'GET', userPath('emp-1'))).json();
    await first.stop();

    const second = await startFast({ stateFile });
    cleanup.push(() => second.stop());
    const after = await call(second, 'GET', userPath('emp-1'));
    expect(after.json()).toEqual(before);
    expect(after.json()).toMatchObject({ id: created.json().id, profile: { department: 'R&D', firstName: 'Ada' } });
    expect((await call(second, 'GET', userPath('emp-2'))).status).toBe(404);
    expect((await adminUser(second, 'emp-2'))?.status).toBe('DEACTIVATED');
    expect((await call(second, 'GET', groupPath('g-1'))).json()).toEqual(group.json());
    expect((await call(second, 'GET', `${groupPath('g-1')}/membership`)).json()).toEqual({
      memberExternalIds: ['emp-1'],
    });
  });

  it('gives users of a state file written before single-record support an app user id', async () => {
    const stateFile = join(await stateDir(), 'state.json');
    const user = { id: '00uOLD00000000000001', externalId: 'emp-1', status: 'ACTIVE', created: 0, lastUpdated: 0 };
    const org = {
      identitySources: [
        {
          id: SOURCE,
          customAttributes: [],
          users: [{ ...user, profile: { userName: 'a@example.com', email: 'a@example.com' } }],
          groups: [],
          memberships: [],
          queueEndsAt: 0,
        },
      ],
      sessions: [],
    };
    await writeFile(stateFile, JSON.stringify({ version: 1, org }));
    const e = await startFast({ stateFile, identitySources: [] });
    cleanup.push(() => e.stop());
    const reply = await call(e, 'GET', userPath('emp-1'));
    expect(reply.status).toBe(200);
    expect(reply.json()).toMatchObject({
      id: expect.stringMatching(/^0ua/) as string,
      created: new Date(0).toISOString(),
    });
    expect((await call(e, 'GET', userPath('emp-1'))).json().id).toBe(reply.json().id);
  });
});

describe('the okta-emulator command', () => {
  async function runCli(
    stateFile: string,
    extra: string[] = [],
  ): Promise<{ child: ChildProcess; url: string; lines: string[] }> {
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
        ...extra,
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

  it('sets the single-record behaviours from its flags', async () => {
    const flags = ['--create-existing', 'upsert', '--group-update', 'merge', '--delete-status', '200'];
    flags.push('--deleted-users', 'kept');
    flags.push('--null-in-patch', 'ignored', '--single-record-during-import', 'conflict');
    const cli = await runCli(join(await stateDir(), 'state.json'), flags);
    expect((await admin<{ singleRecord: unknown }>(cli, '/settings')).singleRecord).toEqual({
      createExisting: 'upsert',
      groupUpdate: 'merge',
      deleteStatus: 200,
      deletedUsers: 'kept',
      nullInPatch: 'ignored',
      duringImport: 'conflict',
    });
    expect((await call(cli, 'POST', usersPath(), person('emp-1'))).status).toBe(200);
    expect((await call(cli, 'DELETE', userPath('emp-1'))).status).toBe(200);
  });
});
