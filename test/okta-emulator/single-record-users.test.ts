// The single-record user endpoints over raw HTTP: status codes, bodies, headers, Okta's errors, scopes, the shared
// rate-limit bucket and faults, and every switch for what Okta leaves undocumented.
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OktaEmulator } from '../../okta-emulator/index.ts';
import {
  admin,
  adminUser,
  call,
  createSession,
  person,
  sessionReaches,
  sessionsPath,
  startFast,
  TOKEN,
  until,
  userPath,
  usersPath,
  type Reply,
} from './support.ts';

const READ_ONLY = 'read-only-token';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const UNSET = {
  userName: null,
  email: null,
  firstName: null,
  lastName: null,
  secondEmail: null,
  mobilePhone: null,
  homeAddress: null,
  department: null,
  managerId: null,
};

let emulator: OktaEmulator;
beforeAll(async () => {
  emulator = await startFast({
    apiTokens: [{ token: TOKEN }, { token: READ_ONLY, scopes: ['okta.identitySources.read'] }],
  });
});
afterAll(() => emulator.stop());
beforeEach(async () => {
  await admin(emulator, '/reset', {});
  await admin(emulator, '/settings', {
    durations: { importProcessingMs: 50 },
    singleRecord: {
      createExisting: 'conflict',
      deleteStatus: 204,
      deletedUsers: 'gone',
      nullInPatch: 'clears',
      duringImport: 'independent',
    },
  });
});

const create = (body: unknown) => call(emulator, 'POST', usersPath(), body);
const causes = (reply: Reply) =>
  reply.json<{ errorCauses: { errorSummary: string }[] }>().errorCauses.map((c) => c.errorSummary);

function expectError(reply: Reply, status: number, code: string): void {
  expect([reply.status, reply.json().errorCode, reply.json().errorLink]).toEqual([status, code, code]);
  expect(reply.json().errorId).toMatch(/^oae/);
}

describe('POST /users and GET /users/{externalId}', () => {
  it('creates a user at once and answers it with explicit nulls for every unset attribute', async () => {
    const created = await create(person('emp-1', { firstName: 'Ada', department: 'R&D' }));
    expect(created.status).toBe(200);
    expect(created.headers.get('x-rate-limit-limit')).toBe('10000');
    expect(created.headers.get('x-rate-limit-remaining')).toMatch(/^\d+$/);
    expect(created.headers.get('x-rate-limit-reset')).toMatch(/^\d+$/);
    expect(created.headers.get('x-okta-request-id')).toMatch(/^[\w-]{27}$/);
    const body = created.json<{ id: string; created: string; lastUpdated: string }>();
    expect(body).toEqual({
      id: expect.stringMatching(/^0ua[A-Za-z0-9]{17}$/) as string,
      externalId: 'emp-1',
      created: expect.stringMatching(ISO) as string,
      lastUpdated: body.created,
      profile: {
        ...UNSET,
        userName: 'emp-1@example.com',
        email: 'emp-1@example.com',
        firstName: 'Ada',
        department: 'R&D',
      },
    });

    const read = await call(emulator, 'GET', userPath('emp-1'));
    expect(read.status).toBe(200);
    expect(read.json()).toEqual(body);
    const okta = await adminUser(emulator, 'emp-1');
    expect(okta).toMatchObject({ status: 'ACTIVE', appUserId: body.id, id: expect.stringMatching(/^00u/) as string });
    expect(okta?.profile).toEqual({
      userName: 'emp-1@example.com',
      email: 'emp-1@example.com',
      firstName: 'Ada',
      department: 'R&D',
    });
  });

  it('takes any externalId in the path, percent-encoded, up to the 512 characters a request allows', async () => {
    const odd = 'a/b c@d?e#f%';
    expect((await create({ externalId: odd, profile: person('odd').profile })).status).toBe(200);
    expect((await call(emulator, 'GET', userPath(odd))).json()).toMatchObject({ externalId: odd });
    const longest = 'x'.repeat(512);
    expect((await create({ externalId: longest, profile: person('longest').profile })).status).toBe(200);
    expect((await call(emulator, 'GET', userPath(longest))).json()).toMatchObject({ externalId: longest });
    const tooLong = await create({ externalId: 'y'.repeat(513), profile: person('too-long').profile });
    expectError(tooLong, 400, 'E0000001');
    expect(causes(tooLong)).toEqual(['externalId: must be a string of 1 to 512 characters']);
    expectError(await create({ profile: person('z').profile }), 400, 'E0000001');
  });

  it('answers 404 E0000007 for an unknown user or identity source', async () => {
    const unknown = await call(emulator, 'GET', userPath('nobody'));
    expectError(unknown, 404, 'E0000007');
    expect(unknown.json().errorSummary).toBe('Not found: Resource not found: nobody (IdentitySourceUser)');
    expectError(await call(emulator, 'GET', userPath('emp-1', '0oaNOSUCHSOURCE00000')), 404, 'E0000007');
    expectError(await call(emulator, 'POST', usersPath('0oaNOSUCHSOURCE00000'), person('e')), 404, 'E0000007');
  });

  it('checks the profile as an import does, answering 400 E0000001 naming each attribute, never its value', async () => {
    const secret = 'not-an-email-SECRET';
    const reply = await create({
      externalId: 'emp-2',
      profile: {
        userName: 'u'.repeat(101),
        email: secret,
        lastName: '',
        mobilePhone: 5551234,
        department: ['a', 'b'],
        shoeSize: '42',
        secondEmail: null,
      },
    });
    expectError(reply, 400, 'E0000001');
    expect(reply.json().errorSummary).toBe('Api validation failed: profile');
    expect(causes(reply)).toEqual([
      'userName: must be at most 100 characters',
      'email: does not match the email format',
      'lastName: must be at least 1 characters',
      'mobilePhone: must be a string',
      'department: must be a string (arrays are not supported)',
      "shoeSize: is not an attribute of the identity source's user schema",
      'secondEmail: is not nullable',
    ]);
    expect(reply.text).not.toContain(secret);
    expect(await adminUser(emulator, 'emp-2')).toBeUndefined();

    const missing = await create({ externalId: 'emp-3', profile: { firstName: 'Ada' } });
    expect(causes(missing)).toEqual(['userName: is required', 'email: is required']);
    expectError(await create({ externalId: 'emp-3' }), 400, 'E0000001');
    expectError(await create('{not json'), 400, 'E0000003');
    expectError(await create([person('emp-3')]), 400, 'E0000003');
  });

  it('refuses a second create of the same externalId by default, or upserts (merging) when switched', async () => {
    await create(person('emp-1', { firstName: 'Ada', lastName: 'Lovelace' }));
    const again = await create(person('emp-1', { firstName: 'Augusta' }));
    expectError(again, 400, 'E0000001');
    expect(causes(again)).toEqual(['externalId: a user with this externalId already exists in the identity source']);
    expect((await adminUser(emulator, 'emp-1'))?.profile.firstName).toBe('Ada');

    await admin(emulator, '/settings', { singleRecord: { createExisting: 'upsert' } });
    const upserted = await create(person('emp-1', { firstName: 'Augusta' }));
    expect(upserted.status).toBe(200);
    expect(upserted.json().profile).toMatchObject({ firstName: 'Augusta', lastName: 'Lovelace' });
  });
});

describe('PUT and PATCH /users/{externalId}', () => {
  beforeEach(async () => {
    const reply = await create(
      person('emp-1', { firstName: 'Ada', lastName: 'Lovelace', mobilePhone: '+1 555', department: 'R&D' }),
    );
    expect(reply.status).toBe(200);
  });

  it('PUT replaces the profile: attributes left out or null are cleared', async () => {
    const reply = await call(emulator, 'PUT', userPath('emp-1'), {
      externalId: 'emp-1',
      profile: { userName: 'ada@example.com', email: 'ada@example.com', firstName: 'Ada', lastName: null },
    });
    expect(reply.status).toBe(200);
    expect(reply.json().profile).toEqual({
      ...UNSET,
      userName: 'ada@example.com',
      email: 'ada@example.com',
      firstName: 'Ada',
    });
    expect((await adminUser(emulator, 'emp-1'))?.profile).toEqual({
      userName: 'ada@example.com',
      email: 'ada@example.com',
      firstName: 'Ada',
    });
  });

  it('PUT needs email and userName, a body externalId equal to the path, and an existing user', async () => {
    const noEmail = await call(emulator, 'PUT', userPath('emp-1'), { profile: { userName: 'ada@example.com' } });
    expect(causes(noEmail)).toEqual(['email: is required']);
    const other = await call(emulator, 'PUT', userPath('emp-1'), person('emp-9'));
    expectError(other, 400, 'E0000001');
    expect(causes(other)).toEqual(['externalId: does not match the externalId in the path']);
    expectError(await call(emulator, 'PUT', userPath('nobody'), person('nobody')), 404, 'E0000007');
    expect((await adminUser(emulator, 'emp-1'))?.profile.mobilePhone).toBe('+1 555');
  });

  it('PATCH merges: attributes left out keep their values, null clears', async () => {
    const reply = await call(emulator, 'PATCH', userPath('emp-1'), {
      profile: { userName: 'emp-1@example.com', email: 'emp-1@example.com', lastName: 'King', mobilePhone: null },
    });
    expect(reply.status).toBe(200);
    expect(reply.json().profile).toEqual({
      ...UNSET,
      userName: 'emp-1@example.com',
      email: 'emp-1@example.com',
      firstName: 'Ada',
      lastName: 'King',
      department: 'R&D',
    });
    const body = reply.json<{ created: string; lastUpdated: string }>();
    expect(Date.parse(body.lastUpdated)).toBeGreaterThanOrEqual(Date.parse(body.created));
  });

  it('PATCH keeps the stored value for null when nullInPatch is ignored', async () => {
    await admin(emulator, '/settings', { singleRecord: { nullInPatch: 'ignored' } });
    const reply = await call(emulator, 'PATCH', userPath('emp-1'), {
      profile: { userName: 'emp-1@example.com', email: 'emp-1@example.com', mobilePhone: null },
    });
    expect(reply.json().profile).toMatchObject({ mobilePhone: '+1 555' });
  });

  it('PATCH still needs email and userName, and checks what it gets', async () => {
    const reply = await call(emulator, 'PATCH', userPath('emp-1'), { profile: { firstName: 'x'.repeat(51) } });
    expectError(reply, 400, 'E0000001');
    expect(causes(reply)).toEqual([
      'firstName: must be at most 50 characters',
      'userName: is required',
      'email: is required',
    ]);
    expect((await adminUser(emulator, 'emp-1'))?.profile.firstName).toBe('Ada');
  });
});

describe('DELETE /users/{externalId}', () => {
  beforeEach(async () => {
    expect((await create(person('emp-1', { firstName: 'Ada' }))).status).toBe(200);
  });

  it('deactivates the Okta user; the identity-source user is gone (404) until created again', async () => {
    const { id: oktaId, appUserId } = (await adminUser(emulator, 'emp-1')) ?? {};
    const deleted = await call(emulator, 'DELETE', userPath('emp-1'));
    expect([deleted.status, deleted.text]).toEqual([204, '']);
    expect(deleted.headers.get('x-rate-limit-remaining')).toMatch(/^\d+$/);
    expect(await adminUser(emulator, 'emp-1')).toMatchObject({ id: oktaId, status: 'DEACTIVATED' });
    expectError(await call(emulator, 'GET', userPath('emp-1')), 404, 'E0000007');
    expectError(await call(emulator, 'DELETE', userPath('emp-1')), 404, 'E0000007');
    expectError(await call(emulator, 'PATCH', userPath('emp-1'), person('emp-1')), 404, 'E0000007');

    const back = await create(person('emp-1', { lastName: 'Lovelace' }));
    expect(back.status).toBe(200);
    expect(back.json()).toMatchObject({ id: appUserId, profile: { firstName: null, lastName: 'Lovelace' } });
    expect(await adminUser(emulator, 'emp-1')).toMatchObject({ id: oktaId, status: 'ACTIVE' });
  });

  it('answers 200 with an empty body when deleteStatus is 200, as recorded traffic shows', async () => {
    await admin(emulator, '/settings', { singleRecord: { deleteStatus: 200 } });
    const deleted = await call(emulator, 'DELETE', userPath('emp-1'));
    expect([deleted.status, deleted.text, deleted.headers.get('content-length')]).toEqual([200, '', '0']);
    expect((await adminUser(emulator, 'emp-1'))?.status).toBe('DEACTIVATED');
  });

  it('keeps a deactivated user readable and writable when deletedUsers is kept; a write reactivates', async () => {
    await admin(emulator, '/settings', { singleRecord: { deletedUsers: 'kept' } });
    expect((await call(emulator, 'DELETE', userPath('emp-1'))).status).toBe(204);
    expect((await call(emulator, 'GET', userPath('emp-1'))).json()).toMatchObject({ profile: { firstName: 'Ada' } });
    expect((await call(emulator, 'DELETE', userPath('emp-1'))).status).toBe(204);
    expectError(await create(person('emp-1')), 400, 'E0000001');
    expect((await adminUser(emulator, 'emp-1'))?.status).toBe('DEACTIVATED');
    expect((await call(emulator, 'PATCH', userPath('emp-1'), person('emp-1'))).status).toBe(200);
    expect((await adminUser(emulator, 'emp-1'))?.status).toBe('ACTIVE');
  });

  it('treats a user deactivated by bulk-delete the same way', async () => {
    const session = await createSession(emulator);
    await call(emulator, 'POST', `${sessionsPath()}/${session}/bulk-delete`, {
      entityType: 'USERS',
      profiles: [{ externalId: 'emp-1' }],
    });
    await call(emulator, 'POST', `${sessionsPath()}/${session}/start-import`);
    await sessionReaches(emulator, session, 'COMPLETED');
    expectError(await call(emulator, 'GET', userPath('emp-1')), 404, 'E0000007');
  });
});

describe("a user's status changes", () => {
  it('lists every deactivation and reactivation, by DELETE, create or import, with its instant', async () => {
    expect((await create(person('emp-1'))).status).toBe(200);
    const changes = async () =>
      (await admin<{ statusChanges: { status: string; at: string }[] }[]>(emulator, '/users?externalId=emp-1'))[0]
        ?.statusChanges;
    expect(await changes()).toEqual([]);
    const before = Date.now();
    expect((await call(emulator, 'DELETE', userPath('emp-1'))).status).toBe(204);
    expect((await create(person('emp-1'))).status).toBe(200);
    const session = await createSession(emulator);
    await call(emulator, 'POST', `${sessionsPath()}/${session}/bulk-delete`, {
      entityType: 'USERS',
      profiles: [{ externalId: 'emp-1' }],
    });
    await call(emulator, 'POST', `${sessionsPath()}/${session}/start-import`);
    const processed = await sessionReaches(emulator, session, 'COMPLETED');
    const listed = (await changes()) ?? [];
    expect(listed.map((c) => c.status)).toEqual(['DEACTIVATED', 'ACTIVE', 'DEACTIVATED']);
    expect(Date.parse(listed[0]!.at)).toBeGreaterThanOrEqual(before);
    expect(listed[2]!.at).toBe(processed.history.at(-1)!.at);
  });
});

describe('single-record writes and import sessions', () => {
  async function triggeredSession(): Promise<string> {
    await admin(emulator, '/settings', { durations: { importProcessingMs: 60_000 } });
    const session = await createSession(emulator);
    await call(emulator, 'POST', `${sessionsPath()}/${session}/bulk-upsert`, {
      entityType: 'USERS',
      profiles: [person('emp-2')],
    });
    expect((await call(emulator, 'POST', `${sessionsPath()}/${session}/start-import`)).status).toBe(200);
    return session;
  }

  beforeEach(async () => {
    await create(person('emp-1'));
  });

  it('applies writes at once while a session is open or triggered (independent, the default)', async () => {
    const open = await createSession(emulator);
    expect((await create(person('emp-3'))).status).toBe(200);
    expect((await call(emulator, 'PATCH', userPath('emp-1'), person('emp-1', { lastName: 'L' }))).status).toBe(200);
    await call(emulator, 'DELETE', `${sessionsPath()}/${open}`);
    await triggeredSession();
    expect((await call(emulator, 'DELETE', userPath('emp-3'))).status).toBe(204);
    expect((await adminUser(emulator, 'emp-3'))?.status).toBe('DEACTIVATED');
    expect((await adminUser(emulator, 'emp-1'))?.profile.lastName).toBe('L');
  });

  it('refuses writes naming the active session when duringImport is conflict; reads still work', async () => {
    await admin(emulator, '/settings', { singleRecord: { duringImport: 'conflict' } });
    const open = await createSession(emulator);
    const refused = await create(person('emp-3'));
    expectError(refused, 400, 'E0000001');
    expect(causes(refused)).toEqual([
      `Import session ${open} of this identity source is in CREATED status: single-record changes are refused until it is processed or closed.`,
    ]);
    await call(emulator, 'DELETE', `${sessionsPath()}/${open}`);

    const triggered = await triggeredSession();
    for (const reply of [
      await create(person('emp-3')),
      await call(emulator, 'PUT', userPath('emp-1'), person('emp-1')),
      await call(emulator, 'PATCH', userPath('emp-1'), person('emp-1')),
      await call(emulator, 'DELETE', userPath('emp-1')),
    ]) {
      expectError(reply, 400, 'E0000001');
      expect(causes(reply)[0]).toContain(`${triggered} of this identity source is in TRIGGERED status`);
    }
    expect((await call(emulator, 'GET', userPath('emp-1'))).status).toBe(200);
    expect(await adminUser(emulator, 'emp-3')).toBeUndefined();
    await admin(emulator, '/settings', { durations: { importProcessingMs: 0 } });
    await admin(emulator, `/sessions/${triggered}/outcome`, { status: 'COMPLETED' });
  });
});

describe('the shared /api/v1 machinery', () => {
  it('needs okta.identitySources.manage to write and .read to read', async () => {
    await create(person('emp-1'));
    const readOnly = { Authorization: `SSWS ${READ_ONLY}` };
    expect((await call(emulator, 'GET', userPath('emp-1'), undefined, readOnly)).status).toBe(200);
    for (const [method, path, body] of [
      ['POST', usersPath(), person('emp-2')],
      ['PUT', userPath('emp-1'), person('emp-1')],
      ['PATCH', userPath('emp-1'), person('emp-1')],
      ['DELETE', userPath('emp-1'), undefined],
    ] as const) {
      expectError(await call(emulator, method, path, body, readOnly), 403, 'E0000006');
    }
    expectError(
      await call(emulator, 'GET', userPath('emp-1'), undefined, { Authorization: 'SSWS wrong' }),
      401,
      'E0000011',
    );
    expectError(await call(emulator, 'POST', userPath('emp-1'), person('emp-1')), 405, 'E0000022');
    expect((await adminUser(emulator, 'emp-1'))?.status).toBe('ACTIVE');
  });

  it('draws from the same rate-limit bucket as the session endpoints', async () => {
    await admin(emulator, '/settings', { rateLimit: { perWindow: 3 }, durations: { rateLimitWindowMs: 60_000 } });
    try {
      expect((await create(person('emp-1'))).headers.get('x-rate-limit-remaining')).toBe('2');
      expect((await call(emulator, 'GET', sessionsPath())).headers.get('x-rate-limit-remaining')).toBe('1');
      expect((await call(emulator, 'GET', userPath('emp-1'))).headers.get('x-rate-limit-remaining')).toBe('0');
      expectError(await call(emulator, 'PATCH', userPath('emp-1'), person('emp-1')), 429, 'E0000047');
      expectError(await call(emulator, 'GET', sessionsPath()), 429, 'E0000047');
    } finally {
      await admin(emulator, '/settings', { rateLimit: { perWindow: 10_000 } });
    }
  });

  it('counts single-record calls toward the concurrency limit', async () => {
    // One request at a time: a create-user whose body never ends holds the slot, so probes meet a concurrency 429.
    await admin(emulator, '/settings', { rateLimit: { concurrency: 1 } });
    const { hostname, port } = new URL(emulator.url);
    const socket = connect(Number(port), hostname);
    try {
      await once(socket, 'connect');
      const body = JSON.stringify(person('emp-1'));
      socket.write(
        `POST ${usersPath()} HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: SSWS ${TOKEN}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
      );
      const refused = await until(async () => {
        const probe = await call(emulator, 'GET', sessionsPath());
        return probe.status === 429 && probe;
      });
      expect([refused.headers.get('x-rate-limit-limit'), refused.headers.get('x-rate-limit-remaining')]).toEqual([
        '0',
        '0',
      ]);
      expectError(await call(emulator, 'GET', userPath('emp-1')), 429, 'E0000047');
      socket.destroy();
      expectError(
        await until(async () => {
          const probe = await call(emulator, 'GET', userPath('emp-1'));
          return probe.status !== 429 && probe;
        }),
        404,
        'E0000007',
      );
    } finally {
      socket.destroy();
      await admin(emulator, '/settings', { rateLimit: { concurrency: 75 } });
    }
  });

  it('meets scripted faults by endpoint name and logs every call', async () => {
    await admin(emulator, '/faults', {
      script: [
        { endpoint: 'create-user', nth: 1, respond: 503 },
        { endpoint: 'create-user', nth: 2, respond: 500, applyBeforeDrop: true },
        { endpoint: 'delete-user', nth: 1, action: 'drop' },
      ],
    });
    expect((await create(person('emp-1'))).status).toBe(503);
    expect(await adminUser(emulator, 'emp-1')).toBeUndefined();
    expect((await create(person('emp-1'))).status).toBe(500);
    expect((await adminUser(emulator, 'emp-1'))?.status).toBe('ACTIVE');
    await expect(call(emulator, 'DELETE', userPath('emp-1'))).rejects.toThrow();
    expect((await adminUser(emulator, 'emp-1'))?.status).toBe('ACTIVE');
    await call(emulator, 'GET', userPath('emp-1'));
    await call(emulator, 'PUT', userPath('emp-1'), person('emp-1'));
    await call(emulator, 'PATCH', userPath('emp-1'), person('emp-1'));
    const { requests } = await admin<{ requests: { endpoint: string; status: number; fault?: string }[] }>(
      emulator,
      '/requests',
    );
    expect(requests.map((r) => [r.endpoint, r.status, r.fault])).toEqual([
      ['create-user', 503, 'script'],
      ['create-user', 500, 'script'],
      ['delete-user', 0, 'script'],
      ['get-user', 200, undefined],
      ['replace-user', 200, undefined],
      ['update-user', 200, undefined],
    ]);
  });
});
