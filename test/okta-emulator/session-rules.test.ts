// Raw HTTP checks of what the SDK hides: exact status codes, bodies, headers, every session rule, profile
// validation with custom attributes, and the per-request limits.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OktaEmulator } from '../../okta-emulator/index.ts';
import {
  admin,
  call,
  createSession,
  sessionReaches,
  sessionsPath,
  SOURCE,
  startFast,
  until,
  users,
  type AdminSession,
} from './support.ts';

let emulator: OktaEmulator;
beforeAll(async () => {
  emulator = await startFast();
});
afterAll(() => emulator.stop());
beforeEach(async () => {
  await admin(emulator, '/reset', {});
  await admin(emulator, '/settings', {
    durations: { fiveMinuteRuleMs: 60_000, sessionExpiryMs: 86_400_000, importProcessingMs: 50 },
  });
});

const upsert = (sessionId: string, body: unknown) =>
  call(emulator, 'POST', `${sessionsPath()}/${sessionId}/bulk-upsert`, body);
const bulkDelete = (sessionId: string, body: unknown) =>
  call(emulator, 'POST', `${sessionsPath()}/${sessionId}/bulk-delete`, body);
const trigger = (sessionId: string) => call(emulator, 'POST', `${sessionsPath()}/${sessionId}/start-import`);
const session = async (id: string) => (await admin<AdminSession[]>(emulator, '/sessions')).find((s) => s.id === id);

function expectOktaError(
  reply: { status: number; json: () => Record<string, unknown> },
  status: number,
  code: string,
  cause?: string,
) {
  expect(reply.status).toBe(status);
  const body = reply.json();
  expect(body).toMatchObject({ errorCode: code, errorLink: code });
  expect(body.errorSummary).toEqual(expect.any(String));
  expect(body.errorId).toMatch(/^oae[A-Za-z0-9]{17}$/);
  expect(body.errorCauses).toEqual(expect.any(Array));
  if (cause) expect((body.errorCauses as { errorSummary: string }[])[0]?.errorSummary).toContain(cause);
}

async function importUsers(profiles: unknown[]): Promise<AdminSession> {
  const id = await createSession(emulator);
  expect((await upsert(id, { entityType: 'USERS', profiles })).status).toBe(202);
  expect((await trigger(id)).status).toBe(200);
  return sessionReaches(emulator, id, 'COMPLETED');
}

describe('status codes, bodies and headers', () => {
  it("answers each endpoint with Okta's status and body", async () => {
    // The session must still be TRIGGERED when listed, however slow the machine.
    await admin(emulator, '/settings', { durations: { importProcessingMs: 60_000 } });
    const created = await call(emulator, 'POST', sessionsPath());
    expect(created.status).toBe(201);
    const body = created.json();
    expect(Object.keys(body).sort()).toEqual([
      'created',
      'id',
      'identitySourceId',
      'importType',
      'lastUpdated',
      'status',
    ]);
    expect(body).toMatchObject({ identitySourceId: SOURCE, status: 'CREATED', importType: 'INCREMENTAL' });
    expect(body.id).toMatch(/^aps[A-Za-z0-9]{17}$/);
    expect(new Date(body.created as string).toISOString()).toBe(body.created);
    const id = body.id as string;

    const uploaded = await upsert(id, { entityType: 'USERS', profiles: users(2) });
    expect([uploaded.status, uploaded.text]).toEqual([202, '']);
    expect((await call(emulator, 'GET', `${sessionsPath()}/${id}`)).json()).toMatchObject({
      id,
      status: 'IN_PROGRESS',
    });

    const started = await trigger(id);
    expect(started.status).toBe(200);
    expect(Array.isArray(started.json())).toBe(false);
    expect(started.json()).toMatchObject({ id, status: 'TRIGGERED' });
    expect((await call(emulator, 'GET', sessionsPath())).json()).toEqual([
      expect.objectContaining({ id, status: 'TRIGGERED' }),
    ]);

    const other = await createSession(emulator, SOURCE).catch(() => undefined);
    expect(other).toBeUndefined();
  });

  it('puts rate-limit headers, Date and X-Okta-Request-Id on every response, errors included', async () => {
    const before = Math.floor(Date.now() / 1000);
    const replies = [
      await call(emulator, 'GET', sessionsPath()),
      await call(emulator, 'GET', `${sessionsPath()}/apsNOPE`),
      await call(emulator, 'GET', sessionsPath(), undefined, {}),
    ];
    expect(replies.map((r) => r.status)).toEqual([200, 400, 401]);
    const remaining = replies.map((r) => Number(r.headers.get('x-rate-limit-remaining')));
    expect(remaining[1]).toBe((remaining[0] ?? 0) - 1);
    for (const reply of replies) {
      expect(reply.headers.get('x-rate-limit-limit')).toBe('10000');
      expect(reply.headers.get('x-rate-limit-reset')).toMatch(/^\d+$/);
      expect(Number(reply.headers.get('x-rate-limit-reset'))).toBeGreaterThan(before);
      expect(reply.headers.get('x-okta-request-id')).toMatch(/^[A-Za-z0-9_-]{27}$/);
      expect(Date.parse(reply.headers.get('date') ?? '')).toBeGreaterThanOrEqual(before * 1000);
    }
  });

  it('collapses duplicate slashes in paths', async () => {
    const id = await createSession(emulator);
    const reply = await call(emulator, 'GET', `//api/v1//identity-sources/${SOURCE}/sessions//${id}`);
    expect(reply.status).toBe(200);
    expect(reply.json()).toMatchObject({ id });
  });

  it('answers 404 E0000007 for an unknown identity source and 401 E0000011 for a bad token', async () => {
    expectOktaError(await call(emulator, 'POST', sessionsPath('0oaUNKNOWN0000000000')), 404, 'E0000007');
    expectOktaError(
      await call(emulator, 'GET', sessionsPath(), undefined, { Authorization: 'SSWS nope' }),
      401,
      'E0000011',
    );
    expectOktaError(await call(emulator, 'GET', sessionsPath(), undefined, {}), 401, 'E0000011');
  });

  it('answers 400 E0000001, not 404, for an unknown session, on every session endpoint', async () => {
    for (const [method, suffix] of [
      ['GET', ''],
      ['DELETE', ''],
      ['POST', '/bulk-upsert'],
      ['POST', '/bulk-delete'],
      ['POST', '/start-import'],
      ['POST', '/bulk-groups-upsert'],
    ] as const) {
      expectOktaError(
        await call(
          emulator,
          method,
          `${sessionsPath()}/apsUNKNOWN00000000000${suffix}`,
          suffix.startsWith('/bulk') ? {} : undefined,
        ),
        400,
        'E0000001',
        'apsUNKNOWN00000000000',
      );
    }
  });

  it('rejects a malformed body with E0000003 and an empty profiles array with E0000001', async () => {
    const id = await createSession(emulator);
    expectOktaError(await upsert(id, '{not json'), 400, 'E0000003');
    expectOktaError(await upsert(id, { entityType: 'GROUPS', profiles: users(1) }), 400, 'E0000003', 'entityType');
    expectOktaError(await upsert(id, { entityType: 'USERS', profiles: [] }), 400, 'E0000001', 'at least one');
    expectOktaError(
      await upsert(id, { entityType: 'USERS', profiles: [{ profile: {} }] }),
      400,
      'E0000001',
      'profiles[0]',
    );
    expect((await session(id))?.status).toBe('CREATED');
  });
});

describe('session lifecycle rules', () => {
  it('leaves a session CREATED after requests that change nothing, which cannot be triggered', async () => {
    await importUsers(users(1));
    const id = await createSession(emulator);
    expect((await upsert(id, undefined)).status).toBe(202);
    expect((await upsert(id, { entityType: 'USERS', profiles: null })).status).toBe(202);
    expect((await bulkDelete(id, { entityType: 'USERS', profiles: [{ externalId: 'nobody' }] })).status).toBe(202);
    expect(
      (await call(emulator, 'POST', `${sessionsPath()}/${id}/bulk-groups-delete`, { externalIds: ['no-group'] }))
        .status,
    ).toBe(202);
    expect(await session(id)).toMatchObject({ status: 'CREATED', bulkRequests: 4 });
    expectOktaError(await trigger(id), 400, 'E0000001', 'IN_PROGRESS');

    expect((await bulkDelete(id, { entityType: 'USERS', profiles: [{ externalId: 'emp-0' }] })).status).toBe(202);
    expect((await session(id))?.status).toBe('IN_PROGRESS');
  });

  it('allows one CREATED or IN_PROGRESS session per identity source, and others sources their own', async () => {
    const other = (await admin<{ id: string }>(emulator, '/identity-sources', { id: '0oaOTHERSOURCE000001' })).id;
    const first = await createSession(emulator);
    expectOktaError(
      await call(emulator, 'POST', sessionsPath()),
      400,
      'E0000001',
      'Only one active import session per identity source is allowed',
    );
    await upsert(first, { entityType: 'USERS', profiles: users(1) });
    expectOktaError(await call(emulator, 'POST', sessionsPath()), 400, 'E0000001', first);
    expect((await call(emulator, 'POST', sessionsPath(other))).status).toBe(201);
  });

  it('cancels only CREATED and IN_PROGRESS sessions, and a canceled session takes no more data', async () => {
    const id = await createSession(emulator);
    await upsert(id, { entityType: 'USERS', profiles: users(1) });
    await trigger(id);
    expectOktaError(
      await call(emulator, 'DELETE', `${sessionsPath()}/${id}`),
      400,
      'E0000001',
      'Only a session that is in CREATED or IN_PROGRESS status can be canceled.',
    );
    expectOktaError(await upsert(id, { entityType: 'USERS', profiles: users(1) }), 400, 'E0000001', 'TRIGGERED');
    expectOktaError(await trigger(id), 400, 'E0000001', 'TRIGGERED');
    await sessionReaches(emulator, id, 'COMPLETED');

    const second = await createSession(emulator);
    const canceled = await call(emulator, 'DELETE', `${sessionsPath()}/${second}`);
    expect([canceled.status, canceled.text]).toEqual([204, '']);
    expect((await call(emulator, 'GET', `${sessionsPath()}/${second}`)).json()).toMatchObject({ status: 'CLOSED' });
    expectOktaError(await upsert(second, { entityType: 'USERS', profiles: users(1) }), 400, 'E0000001', 'CLOSED');
    expect((await call(emulator, 'GET', sessionsPath())).json()).toEqual([]);
  });

  it('enforces the five-minute rule, then processes triggered sessions one at a time in order', async () => {
    await admin(emulator, '/settings', { durations: { fiveMinuteRuleMs: 300, importProcessingMs: 1000 } });
    const first = await createSession(emulator);
    await upsert(first, { entityType: 'USERS', profiles: users(1, 0, { department: 'first' }) });
    await trigger(first);
    expectOktaError(
      await call(emulator, 'POST', sessionsPath()),
      400,
      'E0000001',
      'Only one active import session per identity source is allowed to be created every 5 minutes',
    );

    const second = await until(async () => {
      const reply = await call(emulator, 'POST', sessionsPath());
      return reply.status === 201 ? reply.json<{ id: string }>().id : undefined;
    });
    const firstNow = await session(first);
    expect(firstNow?.status).toBe('TRIGGERED');
    const secondCreated = (await session(second))?.history[0]?.at ?? '';
    expect(
      Date.parse(secondCreated) - Date.parse(firstNow?.history.find((h) => h.status === 'TRIGGERED')?.at ?? ''),
    ).toBeGreaterThanOrEqual(300);

    await upsert(second, { entityType: 'USERS', profiles: users(1, 0, { department: 'second' }) });
    await trigger(second);
    const done = await sessionReaches(emulator, second, 'COMPLETED');
    const firstDone = await session(first);
    expect(firstDone?.status).toBe('COMPLETED');
    const at = (s: AdminSession | undefined, status: string) =>
      Date.parse(s?.history.find((h) => h.status === status)?.at ?? '');
    expect(at(done, 'COMPLETED') - at(firstDone, 'COMPLETED')).toBeGreaterThanOrEqual(1000);
    const [user] = await admin<{ profile: Record<string, string> }[]>(emulator, '/users');
    expect(user?.profile.department).toBe('second');
  });

  it('expires a session after the idle time, and lists active sessions only', async () => {
    await admin(emulator, '/settings', { durations: { sessionExpiryMs: 200 } });
    const id = await createSession(emulator);
    const expired = await sessionReaches(emulator, id, 'EXPIRED');
    const created = Date.parse(expired.history[0]?.at ?? '');
    expect(Date.parse(expired.history[1]?.at ?? '') - created).toBe(200);
    expect((await call(emulator, 'GET', sessionsPath())).json()).toEqual([]);
    expect((await call(emulator, 'GET', `${sessionsPath()}/${id}`)).json()).toMatchObject({ status: 'EXPIRED' });
    expect((await call(emulator, 'POST', sessionsPath())).status).toBe(201);
  });

  it('ends a session in ERROR when injected, without applying its data', async () => {
    await admin(emulator, '/faults', { importOutcome: [{ nth: 1, status: 'ERROR' }] });
    const id = await createSession(emulator);
    await upsert(id, { entityType: 'USERS', profiles: users(3) });
    await trigger(id);
    await sessionReaches(emulator, id, 'ERROR');
    expect(await admin(emulator, '/users')).toEqual([]);

    const next = await createSession(emulator);
    await upsert(next, { entityType: 'USERS', profiles: users(3) });
    await admin(emulator, `/sessions/${next}/outcome`, { status: 'ERROR' });
    await trigger(next);
    await sessionReaches(emulator, next, 'ERROR');
  });
});

describe('per-request and per-session limits', () => {
  it('rejects more than 200 entities and more than 200 KB with 400 E0000001', async () => {
    const id = await createSession(emulator);
    expectOktaError(
      await upsert(id, { entityType: 'USERS', profiles: users(201) }),
      400,
      'E0000001',
      'at most 200 entities',
    );
    const big = users(150, 0, { homeAddress: 'x'.repeat(1400) });
    expect(JSON.stringify({ entityType: 'USERS', profiles: big }).length).toBeGreaterThan(200 * 1024);
    expectOktaError(await upsert(id, { entityType: 'USERS', profiles: big }), 400, 'E0000001', '200 KB');
    expect((await upsert(id, { entityType: 'USERS', profiles: users(200) })).status).toBe(202);
  });

  it('accepts at most 50 bulk requests per session', async () => {
    const id = await createSession(emulator);
    for (let i = 0; i < 50; i++)
      expect((await upsert(id, { entityType: 'USERS', profiles: users(1, i) })).status).toBe(202);
    expectOktaError(
      await upsert(id, { entityType: 'USERS', profiles: users(1, 50) }),
      400,
      'E0000001',
      'at most 50 bulk requests',
    );
    expect((await session(id))?.bulkRequests).toBe(50);
  });
});

describe('the directory behind the API', () => {
  it('validates profiles as Okta does and reports each failing record, applying the rest', async () => {
    const done = await importUsers([
      {
        externalId: 'ok',
        profile: { userName: 'ok@example.com', email: 'ok@example.com', department: 'R&D', managerId: 'boss' },
      },
      { externalId: 'no-email', profile: { userName: 'no-email' } },
      { externalId: 'bad-email', profile: { userName: 'b', email: 'not-an-email' } },
      { externalId: 'long-name', profile: { userName: 'l', email: 'l@example.com', firstName: 'x'.repeat(51) } },
      { externalId: 'undeclared', profile: { userName: 'u', email: 'u@example.com', costCenter: '42' } },
      { externalId: 'array', profile: { userName: 'a', email: 'a@example.com', department: ['a', 'b'] } },
      { externalId: 'number', profile: { userName: 'n', email: 'n@example.com', managerId: 7 } },
    ]);
    expect(done.result?.usersCreated).toBe(1);
    const failures = Object.fromEntries((done.result?.failures ?? []).map((f) => [f.externalId, f.errors.join('; ')]));
    expect(Object.keys(failures).sort()).toEqual([
      'array',
      'bad-email',
      'long-name',
      'no-email',
      'number',
      'undeclared',
    ]);
    expect(failures['no-email']).toContain('email: is required');
    expect(failures['bad-email']).toContain('email format');
    expect(failures['long-name']).toContain('firstName: must be at most 50');
    expect(failures.undeclared).toContain('costCenter');
    expect(failures.array).toContain('arrays are not supported');
    expect(failures.number).toContain('managerId: must be a string');
    expect(await admin(emulator, '/users')).toMatchObject([
      { externalId: 'ok', status: 'ACTIVE', profile: { department: 'R&D', managerId: 'boss' } },
    ]);
  });

  it('updates by externalId (merging attributes), deactivates on delete and reactivates on upsert', async () => {
    await importUsers(users(1, 0, { department: 'Sales' }));
    const [before] = await admin<{ id: string }[]>(emulator, '/users');
    await importUsers([{ externalId: 'emp-0', profile: { department: 'Support', mobilePhone: null } }]);
    const [after] = await admin<{ id: string; profile: Record<string, string> }[]>(emulator, '/users');
    expect(after?.id).toBe(before?.id);
    expect(after?.profile).toMatchObject({ userName: 'user0@example.com', department: 'Support' });

    const id = await createSession(emulator);
    await bulkDelete(id, { entityType: 'USERS', profiles: [{ externalId: 'emp-0' }] });
    await trigger(id);
    const deactivated = await sessionReaches(emulator, id, 'COMPLETED');
    expect(deactivated.result?.usersDeactivated).toBe(1);
    expect(await admin(emulator, '/users?status=DEACTIVATED')).toHaveLength(1);
    await importUsers(users(1));
    expect(await admin(emulator, '/users?status=ACTIVE')).toHaveLength(1);
  });

  it('reports failing group and membership records and applies the rest', async () => {
    await importUsers(users(2));
    const id = await createSession(emulator);
    const post = (endpoint: string, body: unknown) =>
      call(emulator, 'POST', `${sessionsPath()}/${id}/${endpoint}`, body);
    expect(
      (
        await post('bulk-groups-upsert', {
          profiles: [
            { externalId: 'g-ok', profile: { displayName: 'Finance' } },
            { externalId: 'g-nameless', profile: { description: 'no name' } },
            { externalId: 'g-long', profile: { displayName: 'x'.repeat(256) } },
          ],
        })
      ).status,
    ).toBe(202);
    const memberships = [
      { groupExternalId: 'g-ok', memberExternalIds: ['emp-0', 'emp-9'] },
      { groupExternalId: 'g-missing', memberExternalIds: ['emp-1'] },
    ];
    expect((await post('bulk-group-memberships-upsert', { memberships })).status).toBe(202);
    const tooMany = await post('bulk-group-memberships-upsert', {
      memberships: [{ groupExternalId: 'g-ok', memberExternalIds: Array.from({ length: 201 }, (_, i) => `emp-${i}`) }],
    });
    expectOktaError(tooMany, 400, 'E0000001', 'memberships[0].memberExternalIds');
    await trigger(id);
    const done = await sessionReaches(emulator, id, 'COMPLETED');
    const failures = (done.result?.failures ?? []).map((f) => `${f.externalId}: ${f.errors.join('; ')}`).sort();
    expect(failures).toEqual([
      'g-long: displayName: must be at most 255 characters',
      'g-missing: group g-missing does not exist in this identity source',
      'g-nameless: displayName: is required',
      'g-ok: user emp-9 does not exist in this identity source',
    ]);
    expect((await admin<{ externalId: string }[]>(emulator, '/groups')).map((g) => g.externalId)).toEqual(['g-ok']);
    expect(await admin(emulator, '/memberships')).toEqual([
      { identitySourceId: SOURCE, groupExternalId: 'g-ok', memberExternalIds: ['emp-0'] },
    ]);
  });
});
