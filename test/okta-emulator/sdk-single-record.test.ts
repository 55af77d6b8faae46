// The single-record endpoints driven by Okta's own Node SDK (8.x), a client none of us wrote: what it sends must be
// understood, and what the emulator answers must deserialize into the SDK's models.
import { Client } from '@okta/okta-sdk-nodejs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OktaEmulator } from '../../okta-emulator/index.ts';
import { admin, adminUser, call, groupPath, SOURCE, startFast, TOKEN } from './support.ts';

interface SdkError {
  status: number;
  errorCode: string;
  errorCauses: { errorSummary: string }[];
}

async function sdkError(promise: Promise<unknown>): Promise<SdkError> {
  try {
    await promise;
  } catch (error) {
    return error as SdkError;
  }
  throw new Error('expected the SDK call to fail');
}

let emulator: OktaEmulator;
beforeAll(async () => {
  emulator = await startFast({
    apiTokens: [{ token: TOKEN }, { token: 'read-only', scopes: ['okta.identitySources.read'] }],
  });
});
afterAll(() => emulator.stop());
beforeEach(async () => {
  await admin(emulator, '/reset', {});
  await admin(emulator, '/settings', { singleRecord: { deleteStatus: 204, createExisting: 'conflict' } });
});

function sdk(token = TOKEN) {
  return new Client({ orgUrl: emulator.url, token, cacheMiddleware: null }).identitySourceApi;
}

const identitySourceId = SOURCE;
const ada = { userName: 'ada@example.com', email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' };

describe('users through the official SDK', () => {
  it('creates, reads, replaces, updates and deletes a user', async () => {
    const api = sdk();
    // The SDK declares no body for the create answer (the spec gives none), so it resolves to undefined.
    await api.createIdentitySourceUser({
      identitySourceId,
      userRequestSchema: { externalId: 'emp-1', profile: { ...ada, mobilePhone: '+1 555' } },
    });
    const read = await api.getIdentitySourceUser({ identitySourceId, externalId: 'emp-1' });
    expect(read.id).toMatch(/^0ua[A-Za-z0-9]{17}$/);
    expect(read.externalId).toBe('emp-1');
    expect(read.created).toBeInstanceOf(Date);
    expect(read.lastUpdated?.getTime()).toBe(read.created?.getTime());
    expect({ ...read.profile }).toEqual({ ...ada, mobilePhone: '+1 555', secondEmail: null, homeAddress: null });

    const replaced = await api.replaceExistingIdentitySourceUser({
      identitySourceId,
      externalId: 'emp-1',
      userRequestSchema: { externalId: 'emp-1', profile: { userName: ada.userName, email: ada.email } },
    });
    expect(replaced.id).toBe(read.id);
    expect({ ...replaced.profile }).toMatchObject({ firstName: null, lastName: null, mobilePhone: null });

    const updated = await api.updateIdentitySourceUsers({
      identitySourceId,
      externalId: 'emp-1',
      usersUpdateRequestSchema: { profile: { userName: ada.userName, email: ada.email, lastName: 'King' } },
    });
    expect({ ...updated.profile }).toMatchObject({ lastName: 'King', firstName: null });
    expect(updated.lastUpdated?.getTime()).toBeGreaterThanOrEqual(read.created?.getTime() ?? Infinity);

    await api.deleteIdentitySourceUser({ identitySourceId, externalId: 'emp-1' });
    expect((await adminUser(emulator, 'emp-1'))?.status).toBe('DEACTIVATED');
    const gone = await sdkError(api.getIdentitySourceUser({ identitySourceId, externalId: 'emp-1' }));
    expect([gone.status, gone.errorCode]).toEqual([404, 'E0000007']);
  });

  it('sends an explicit null through PATCH, which clears the attribute', async () => {
    const api = sdk();
    await api.createIdentitySourceUser({ identitySourceId, userRequestSchema: { externalId: 'emp-1', profile: ada } });
    const updated = await api.updateIdentitySourceUsers({
      identitySourceId,
      externalId: 'emp-1',
      usersUpdateRequestSchema: { profile: { userName: ada.userName, email: ada.email, firstName: null } },
    });
    expect(updated.profile?.firstName).toBeNull();
    expect(updated.profile?.lastName).toBe('Lovelace');
  });

  it("accepts the recorded 200 to a delete as well as the spec's 204", async () => {
    await admin(emulator, '/settings', { singleRecord: { deleteStatus: 200 } });
    const api = sdk();
    await api.createIdentitySourceUser({ identitySourceId, userRequestSchema: { externalId: 'emp-1', profile: ada } });
    await api.deleteIdentitySourceUser({ identitySourceId, externalId: 'emp-1' });
    expect((await adminUser(emulator, 'emp-1'))?.status).toBe('DEACTIVATED');
  });

  it("raises Okta's errors: validation, existing externalId, unknown user, missing scope", async () => {
    const api = sdk();
    const invalid = await sdkError(
      api.createIdentitySourceUser({
        identitySourceId,
        userRequestSchema: { externalId: 'emp-1', profile: { userName: ada.userName, email: 'nope' } },
      }),
    );
    expect([invalid.status, invalid.errorCode]).toEqual([400, 'E0000001']);
    expect(invalid.errorCauses.map((c) => c.errorSummary)).toEqual(['email: must be at least 5 characters']);

    await api.createIdentitySourceUser({ identitySourceId, userRequestSchema: { externalId: 'emp-1', profile: ada } });
    const twice = await sdkError(
      api.createIdentitySourceUser({ identitySourceId, userRequestSchema: { externalId: 'emp-1', profile: ada } }),
    );
    expect([twice.status, twice.errorCode]).toEqual([400, 'E0000001']);
    const unknown = await sdkError(
      api.replaceExistingIdentitySourceUser({
        identitySourceId,
        externalId: 'nobody',
        userRequestSchema: { profile: ada },
      }),
    );
    expect([unknown.status, unknown.errorCode]).toEqual([404, 'E0000007']);

    const readOnly = sdk('read-only');
    expect((await readOnly.getIdentitySourceUser({ identitySourceId, externalId: 'emp-1' })).externalId).toBe('emp-1');
    const denied = await sdkError(readOnly.deleteIdentitySourceUser({ identitySourceId, externalId: 'emp-1' }));
    expect([denied.status, denied.errorCode]).toEqual([403, 'E0000006']);
  });

  it("waits out a 429 on a single-record call by the Reset and Date headers, as the SDK's retry does", async () => {
    await admin(emulator, '/faults', { script: [{ endpoint: 'get-user', nth: 1, respond: 429, resetInMs: 0 }] });
    const api = sdk();
    await api.createIdentitySourceUser({ identitySourceId, userRequestSchema: { externalId: 'emp-1', profile: ada } });
    expect((await api.getIdentitySourceUser({ identitySourceId, externalId: 'emp-1' })).externalId).toBe('emp-1');
    const { requests } = await admin<{ requests: { status: number }[] }>(emulator, '/requests?endpoint=get-user');
    expect(requests.map((r) => r.status)).toEqual([429, 200]);
  });
});

describe('groups and memberships through the official SDK', () => {
  const eng = { externalId: 'g-eng', profile: { displayName: 'Engineering', description: 'Builds things' } };

  it('creates, reads, updates and deletes a group by externalId or Okta id', async () => {
    const api = sdk();
    const created = await api.createIdentitySourceGroups({ identitySourceId, groupsRequestSchema: eng });
    expect(created.id).toMatch(/^00g[A-Za-z0-9]{17}$/);
    expect(created.externalId).toBe('g-eng');
    // The SDK's model nests the profile (profile.profile) while Okta answers it flat, as the emulator does: the
    // SDK drops it, so the profile is checked in the directory.
    expect(await admin(emulator, '/groups')).toMatchObject([{ id: created.id, profile: eng.profile }]);
    const byId = await api.getIdentitySourceGroup({ identitySourceId, groupOrExternalId: created.id ?? '' });
    const byExternalId = await api.getIdentitySourceGroup({ identitySourceId, groupOrExternalId: 'g-eng' });
    expect([byId.id, byExternalId.id, byExternalId.externalId]).toEqual([created.id, created.id, 'g-eng']);

    const updated = await api.updateIdentitySourceGroups({
      identitySourceId,
      groupOrExternalId: created.id ?? '',
      groupsRequestSchema: { externalId: 'g-eng', profile: { displayName: 'R&D' } },
    });
    expect(updated.id).toBe(created.id);
    expect(await admin(emulator, '/groups')).toMatchObject([{ profile: { displayName: 'R&D' } }]);

    await api.deleteIdentitySourceGroup({ identitySourceId, groupOrExternalId: 'g-eng' });
    expect(await admin(emulator, '/groups')).toEqual([]);
    const gone = await sdkError(api.getIdentitySourceGroup({ identitySourceId, groupOrExternalId: 'g-eng' }));
    expect([gone.status, gone.errorCode]).toEqual([404, 'E0000007']);
  });

  it('adds, pages through and removes members', async () => {
    const api = sdk();
    const group = await api.createIdentitySourceGroups({ identitySourceId, groupsRequestSchema: eng });
    for (const externalId of ['emp-1', 'emp-2', 'emp-3']) {
      await api.createIdentitySourceUser({
        identitySourceId,
        userRequestSchema: { externalId, profile: { userName: `${externalId}@example.com`, email: ada.email } },
      });
      await api.createIdentitySourceGroupsMemberships({
        identitySourceId,
        groupOrExternalId: 'g-eng',
        membershipRequestSchema: { memberExternalId: externalId },
      });
    }
    const first = await api.getIdentitySourceGroupMemberships({
      identitySourceId,
      groupOrExternalId: group.id ?? '',
      limit: 2,
    });
    expect(first.memberExternalIds).toEqual(['emp-1', 'emp-2']);
    // The SDK does not expose the Link header: a raw call reads it, and the SDK passes its cursor on.
    const raw = await call(emulator, 'GET', `${groupPath('g-eng')}/membership?limit=2`);
    const after = new URL(/<([^>]+)>; rel="next"/.exec(raw.headers.get('link') ?? '')?.[1] ?? '').searchParams;
    const second = await api.getIdentitySourceGroupMemberships({
      identitySourceId,
      groupOrExternalId: 'g-eng',
      after: after.get('after') ?? '',
      limit: 2,
    });
    expect(second.memberExternalIds).toEqual(['emp-3']);
    const all = await api.getIdentitySourceGroupMemberships({ identitySourceId, groupOrExternalId: 'g-eng' });
    expect(all.memberExternalIds).toEqual(['emp-1', 'emp-2', 'emp-3']);

    await api.deleteIdentitySourceGroupMemberships({
      identitySourceId,
      groupOrExternalId: 'g-eng',
      memberExternalId: 'emp-2',
    });
    expect(await admin(emulator, '/memberships')).toMatchObject([{ memberExternalIds: ['emp-1', 'emp-3'] }]);
    const unknown = await sdkError(
      api.createIdentitySourceGroupsMemberships({
        identitySourceId,
        groupOrExternalId: 'g-eng',
        membershipRequestSchema: { memberExternalId: 'nobody' },
      }),
    );
    expect([unknown.status, unknown.errorCode]).toEqual([400, 'E0000001']);
  });
});
