// The single-record group and membership endpoints over raw HTTP: bodies, Okta's errors, the Link-header paging of
// memberships, scopes, faults, and the switches for what Okta leaves undocumented.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OktaEmulator } from '../../okta-emulator/index.ts';
import {
  admin,
  call,
  createSession,
  groupPath,
  groupsPath,
  person,
  sessionsPath,
  startFast,
  TOKEN,
  userPath,
  usersPath,
  type Reply,
} from './support.ts';

const READ_ONLY = 'read-only-token';

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
    singleRecord: {
      createExisting: 'conflict',
      groupUpdate: 'replace',
      deleteStatus: 204,
      duringImport: 'independent',
    },
  });
});

const causes = (reply: Reply) =>
  reply.json<{ errorCauses: { errorSummary: string }[] }>().errorCauses.map((c) => c.errorSummary);

function expectError(reply: Reply, status: number, code: string): void {
  expect([reply.status, reply.json().errorCode]).toEqual([status, code]);
}

const engineering = { externalId: 'g-eng', profile: { displayName: 'Engineering', description: 'Builds things' } };
const createGroup = (body: unknown = engineering) => call(emulator, 'POST', groupsPath(), body);
const membersPath = (group: string) => `${groupPath(group)}/membership`;
const addMember = (group: string, member: string) =>
  call(emulator, 'POST', membersPath(group), { memberExternalId: member });

async function createUsers(...externalIds: string[]): Promise<void> {
  for (const id of externalIds) expect((await call(emulator, 'POST', usersPath(), person(id))).status).toBe(200);
}

describe('groups', () => {
  it('creates a group and answers it with a flat profile, readable by Okta id or externalId', async () => {
    const created = await createGroup({ externalId: 'g-eng', profile: { displayName: 'Engineering' } });
    expect(created.status).toBe(200);
    expect(created.headers.get('x-rate-limit-remaining')).toMatch(/^\d+$/);
    const body = created.json<{ id: string }>();
    expect(body).toEqual({
      id: expect.stringMatching(/^00g[A-Za-z0-9]{17}$/) as string,
      externalId: 'g-eng',
      profile: { displayName: 'Engineering', description: null },
    });
    expect((await call(emulator, 'GET', groupPath('g-eng'))).json()).toEqual(body);
    expect((await call(emulator, 'GET', groupPath(body.id))).json()).toEqual(body);
    expect(await admin(emulator, '/groups')).toMatchObject([{ id: body.id, profile: { displayName: 'Engineering' } }]);
    const unknown = await call(emulator, 'GET', groupPath('nope'));
    expectError(unknown, 404, 'E0000007');
    expect(unknown.json().errorSummary).toBe('Not found: Resource not found: nope (IdentitySourceGroup)');
  });

  it('checks the group as an import does, naming attributes, and limits the externalId to 255 characters', async () => {
    const bad = await createGroup({
      externalId: 'g-1',
      profile: { displayName: 'd'.repeat(256), description: 'x'.repeat(1025), owner: 'someone' },
    });
    expectError(bad, 400, 'E0000001');
    expect(causes(bad)).toEqual([
      'displayName: must be at most 255 characters',
      'description: must be at most 1024 characters',
      'owner: is not an attribute of a group profile',
    ]);
    expect(causes(await createGroup({ externalId: 'g-1', profile: { description: 'x' } }))).toEqual([
      'displayName: is required',
    ]);
    expect((await createGroup({ externalId: 'g'.repeat(255), profile: { displayName: 'Long' } })).status).toBe(200);
    const tooLong = await createGroup({ externalId: 'g'.repeat(256), profile: { displayName: 'Long' } });
    expect(causes(tooLong)).toEqual(['externalId: must be a string of 1 to 255 characters']);
    expectError(await createGroup('[]'), 400, 'E0000003');
  });

  it('refuses a second create of the same externalId, or upserts when switched', async () => {
    await createGroup();
    const again = await createGroup({ externalId: 'g-eng', profile: { displayName: 'Eng' } });
    expectError(again, 400, 'E0000001');
    expect(causes(again)).toEqual(['externalId: a group with this externalId already exists in the identity source']);
    await admin(emulator, '/settings', { singleRecord: { createExisting: 'upsert' } });
    const upserted = await createGroup({ externalId: 'g-eng', profile: { displayName: 'Eng' } });
    expect(upserted.json()).toMatchObject({ profile: { displayName: 'Eng', description: 'Builds things' } });
  });

  it('updates with POST /groups/{id}: replacing the profile by default, merging when switched', async () => {
    const { id } = (await createGroup()).json<{ id: string }>();
    const replaced = await call(emulator, 'POST', groupPath(id), { profile: { displayName: 'Eng' } });
    expect(replaced.json()).toEqual({ id, externalId: 'g-eng', profile: { displayName: 'Eng', description: null } });
    await call(emulator, 'POST', groupPath('g-eng'), engineering);
    await admin(emulator, '/settings', { singleRecord: { groupUpdate: 'merge' } });
    const merged = await call(emulator, 'POST', groupPath('g-eng'), { profile: { displayName: 'R&D' } });
    expect(merged.json()).toMatchObject({ profile: { displayName: 'R&D', description: 'Builds things' } });
    const cleared = await call(emulator, 'POST', groupPath('g-eng'), { profile: { description: null } });
    expect(cleared.json()).toMatchObject({ profile: { displayName: 'R&D', description: null } });

    const other = await call(emulator, 'POST', groupPath('g-eng'), { externalId: 'g-x', profile: {} });
    expect(causes(other)).toEqual(['externalId: does not match the externalId in the path']);
    expectError(await call(emulator, 'POST', groupPath('nope'), engineering), 404, 'E0000007');
  });

  it('deletes a group with its memberships: 204 by default, 200 when switched', async () => {
    await createUsers('emp-1');
    const { id } = (await createGroup()).json<{ id: string }>();
    await addMember('g-eng', 'emp-1');
    const deleted = await call(emulator, 'DELETE', groupPath(id));
    expect([deleted.status, deleted.text]).toEqual([204, '']);
    expectError(await call(emulator, 'GET', groupPath('g-eng')), 404, 'E0000007');
    expectError(await call(emulator, 'DELETE', groupPath('g-eng')), 404, 'E0000007');
    expect(await admin(emulator, '/memberships')).toEqual([]);

    await admin(emulator, '/settings', { singleRecord: { deleteStatus: 200 } });
    await createGroup();
    const recorded = await call(emulator, 'DELETE', groupPath('g-eng'));
    expect([recorded.status, recorded.text, recorded.headers.get('content-length')]).toEqual([200, '', '0']);
  });
});

describe('memberships', () => {
  beforeEach(async () => {
    await createGroup();
  });

  it('adds one member at a time (204), lists and removes them', async () => {
    await createUsers('emp-1', 'emp-2');
    const added = await addMember('g-eng', 'emp-2');
    expect([added.status, added.text]).toEqual([204, '']);
    expect((await addMember('g-eng', 'emp-1')).status).toBe(204);
    expect((await addMember('g-eng', 'emp-1')).status).toBe(204);
    const listed = await call(emulator, 'GET', membersPath('g-eng'));
    expect([listed.status, listed.json(), listed.headers.get('link')]).toEqual([
      200,
      { memberExternalIds: ['emp-1', 'emp-2'] },
      null,
    ]);
    const removed = await call(emulator, 'DELETE', `${membersPath('g-eng')}/emp-1`);
    expect([removed.status, removed.text]).toEqual([204, '']);
    expect((await call(emulator, 'DELETE', `${membersPath('g-eng')}/emp-1`)).status).toBe(204);
    expect(await admin(emulator, '/memberships')).toMatchObject([{ memberExternalIds: ['emp-2'] }]);
  });

  it('refuses a member who is not a user of the identity source, and an unknown group', async () => {
    await createUsers('emp-1');
    await call(emulator, 'DELETE', userPath('emp-1'));
    for (const member of ['nobody', 'emp-1']) {
      const reply = await addMember('g-eng', member);
      expectError(reply, 400, 'E0000001');
      expect(causes(reply)).toEqual(['memberExternalId: no user with this externalId in the identity source']);
    }
    expect(causes(await call(emulator, 'POST', membersPath('g-eng'), { memberExternalIds: ['emp-1'] }))).toEqual([
      'memberExternalId: must be a string of 1 to 255 characters',
    ]);
    expectError(await addMember('nope', 'emp-1'), 404, 'E0000007');
    expectError(await call(emulator, 'GET', membersPath('nope')), 404, 'E0000007');
    expectError(await call(emulator, 'DELETE', `${membersPath('nope')}/emp-1`), 404, 'E0000007');
  });

  it('pages by limit with an opaque cursor in a Link rel="next" header; the last page has no Link', async () => {
    const ids = ['m-a', 'm-b', 'm-c', 'm-d', 'm-e'];
    await createUsers(...ids);
    for (const id of [...ids].reverse()) await addMember('g-eng', id);
    const pages: string[][] = [];
    let next: string | undefined = `${emulator.url}${membersPath('g-eng')}?limit=2`;
    while (next) {
      const response = await fetch(next, { headers: { Authorization: `SSWS ${TOKEN}` } });
      expect(response.status).toBe(200);
      pages.push(((await response.json()) as { memberExternalIds: string[] }).memberExternalIds);
      const link = response.headers.get('link');
      next = link === null ? undefined : /^<([^>]+)>; rel="next"$/.exec(link)?.[1];
      if (link !== null)
        expect(next).toMatch(new RegExp(`^${emulator.url}${membersPath('g-eng')}\\?after=[\\w-]+&limit=2$`));
    }
    expect(pages).toEqual([['m-a', 'm-b'], ['m-c', 'm-d'], ['m-e']]);

    const exact = await call(emulator, 'GET', `${membersPath('g-eng')}?limit=5`);
    expect([exact.json().memberExternalIds, exact.headers.get('link')]).toEqual([ids, null]);
  });

  it('answers 200 members a page without a limit, and refuses limits outside 1..1000 and foreign cursors', async () => {
    const ids = Array.from({ length: 201 }, (_, i) => `m-${String(i).padStart(3, '0')}`);
    await createUsers(...ids);
    for (const id of ids) expect((await addMember('g-eng', id)).status).toBe(204);
    const first = await call(emulator, 'GET', membersPath('g-eng'));
    expect(first.json<{ memberExternalIds: string[] }>().memberExternalIds).toEqual(ids.slice(0, 200));
    expect(first.headers.get('link')).toMatch(/limit=200>; rel="next"$/);
    expect((await call(emulator, 'GET', `${membersPath('g-eng')}?limit=1000`)).json().memberExternalIds).toHaveLength(
      201,
    );
    for (const query of ['limit=1001', 'limit=0', 'limit=two', 'after=not%20a%20cursor']) {
      expectError(await call(emulator, 'GET', `${membersPath('g-eng')}?${query}`), 400, 'E0000001');
    }
  });
});

describe('groups and memberships on the shared /api/v1 machinery', () => {
  it('reads with okta.identitySources.read, writes only with .manage', async () => {
    await createUsers('emp-1');
    await createGroup();
    await addMember('g-eng', 'emp-1');
    const readOnly = { Authorization: `SSWS ${READ_ONLY}` };
    expect((await call(emulator, 'GET', groupPath('g-eng'), undefined, readOnly)).status).toBe(200);
    expect((await call(emulator, 'GET', membersPath('g-eng'), undefined, readOnly)).status).toBe(200);
    for (const [method, path, body] of [
      ['POST', groupsPath(), { externalId: 'g-2', profile: { displayName: 'Two' } }],
      ['POST', groupPath('g-eng'), engineering],
      ['DELETE', groupPath('g-eng'), undefined],
      ['POST', membersPath('g-eng'), { memberExternalId: 'emp-1' }],
      ['DELETE', `${membersPath('g-eng')}/emp-1`, undefined],
    ] as const) {
      expectError(await call(emulator, method, path, body, readOnly), 403, 'E0000006');
    }
    expectError(await call(emulator, 'PUT', groupPath('g-eng'), engineering), 405, 'E0000022');
  });

  it('refuses writes while a session is active when duringImport is conflict', async () => {
    await createUsers('emp-1');
    await createGroup();
    await admin(emulator, '/settings', { singleRecord: { duringImport: 'conflict' } });
    const session = await createSession(emulator);
    for (const reply of [
      await call(emulator, 'POST', groupsPath(), { externalId: 'g-2', profile: { displayName: 'Two' } }),
      await call(emulator, 'POST', groupPath('g-eng'), engineering),
      await addMember('g-eng', 'emp-1'),
      await call(emulator, 'DELETE', `${membersPath('g-eng')}/emp-1`),
      await call(emulator, 'DELETE', groupPath('g-eng')),
    ]) {
      expectError(reply, 400, 'E0000001');
      expect(causes(reply)[0]).toContain(`Import session ${session} of this identity source is in CREATED status`);
    }
    expect((await call(emulator, 'GET', membersPath('g-eng'))).status).toBe(200);
    await call(emulator, 'DELETE', `${sessionsPath()}/${session}`);
    expect((await addMember('g-eng', 'emp-1')).status).toBe(204);
  });

  it('meets scripted faults by endpoint name and logs each call by name', async () => {
    await createUsers('emp-1');
    await admin(emulator, '/faults', {
      script: [
        { endpoint: 'create-group', nth: 1, respond: 502 },
        { endpoint: 'add-membership', nth: 1, respond: 503, applyBeforeDrop: true },
      ],
    });
    expect((await createGroup()).status).toBe(502);
    expect(await admin(emulator, '/groups')).toEqual([]);
    expect((await createGroup()).status).toBe(200);
    expect((await addMember('g-eng', 'emp-1')).status).toBe(503);
    await call(emulator, 'GET', membersPath('g-eng'));
    await call(emulator, 'DELETE', `${membersPath('g-eng')}/emp-1`);
    await call(emulator, 'GET', groupPath('g-eng'));
    await call(emulator, 'POST', groupPath('g-eng'), engineering);
    await call(emulator, 'DELETE', groupPath('g-eng'));
    const { requests } = await admin<{ requests: { endpoint: string; status: number }[] }>(emulator, '/requests');
    expect(requests.filter((r) => r.endpoint !== 'create-user').map((r) => [r.endpoint, r.status])).toEqual([
      ['create-group', 502],
      ['create-group', 200],
      ['add-membership', 503],
      ['list-memberships', 200],
      ['remove-membership', 204],
      ['get-group', 200],
      ['update-group', 200],
      ['delete-group', 204],
    ]);
  });
});
