// The emulator driven by Okta's own Node SDK (a client none of us wrote) through every Identity Sources endpoint,
// with an SSWS token, with OAuth private_key_jwt, and with DPoP.
import { Client } from '@okta/okta-sdk-nodejs';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OktaEmulator } from '../../okta-emulator/index.ts';
import { admin, sessionReaches, SOURCE, startFast, TOKEN, type AdminSession } from './support.ts';

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

/** listIdentitySourceSessions answers a lazy Collection: reading it is what sends the request. */
async function all<T>(collection: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of collection) items.push(item);
  return items;
}

let emulator: OktaEmulator;
let privateJwk: Record<string, unknown>;

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'key-1', alg: 'RS256' };
  privateJwk = { ...(await exportJWK(privateKey)), kid: 'key-1', alg: 'RS256' };
  emulator = await startFast({
    apiTokens: [{ token: TOKEN }, { token: 'read-only', scopes: ['okta.identitySources.read'] }],
    oauthClients: [
      { clientId: 'svc-app', publicJwks: [publicJwk] },
      { clientId: 'dpop-app', publicJwks: [publicJwk], requireDpop: true },
    ],
  });
});
afterAll(() => emulator.stop());
beforeEach(() => admin(emulator, '/reset', {}));

function ssws(token = TOKEN) {
  return new Client({ orgUrl: emulator.url, token, cacheMiddleware: null }).identitySourceApi;
}

function oauth(clientId: string) {
  return new Client({
    orgUrl: emulator.url,
    authorizationMode: 'PrivateKey',
    clientId,
    scopes: ['okta.identitySources.manage', 'okta.identitySources.read'],
    privateKey: privateJwk,
    keyId: 'key-1',
    cacheMiddleware: null,
  }).identitySourceApi;
}

type Api = ReturnType<typeof ssws>;

/** A whole import through the SDK: create, upload, check, trigger, and Okta's processing until COMPLETED. */
async function importUsers(api: Api, externalIds: string[]): Promise<string> {
  const session = await api.createIdentitySourceSession({ identitySourceId: SOURCE });
  expect(session.status).toBe('CREATED');
  expect(session.identitySourceId).toBe(SOURCE);
  expect(session.importType).toBe('INCREMENTAL');
  const sessionId = session.id ?? '';
  expect(sessionId).toMatch(/^aps[A-Za-z0-9]{17}$/);
  await api.uploadIdentitySourceDataForUpsert({
    identitySourceId: SOURCE,
    sessionId,
    BulkUpsertRequestBody: {
      entityType: 'USERS',
      profiles: externalIds.map((externalId) => ({
        externalId,
        profile: {
          userName: `${externalId}@example.com`,
          email: `${externalId}@example.com`,
          firstName: 'Grace',
          lastName: externalId,
        },
      })),
    },
  });
  expect((await api.getIdentitySourceSession({ identitySourceId: SOURCE, sessionId })).status).toBe('IN_PROGRESS');
  const triggered = await api.startImportFromIdentitySource({ identitySourceId: SOURCE, sessionId });
  expect(triggered.status).toBe('TRIGGERED');
  expect(triggered.id).toBe(sessionId);
  await sessionReaches(emulator, sessionId, 'COMPLETED');
  return sessionId;
}

describe('official Okta SDK with an SSWS token', () => {
  it('creates, lists, uploads, triggers; Okta processes the session into the directory', async () => {
    const api = ssws();
    await importUsers(api, ['e1', 'e2']);
    const users = await admin<{ externalId: string; status: string; profile: Record<string, string> }[]>(
      emulator,
      '/users',
    );
    expect(users.map((u) => [u.externalId, u.status]).sort()).toEqual([
      ['e1', 'ACTIVE'],
      ['e2', 'ACTIVE'],
    ]);
    expect(users.find((u) => u.externalId === 'e1')?.profile).toEqual({
      userName: 'e1@example.com',
      email: 'e1@example.com',
      firstName: 'Grace',
      lastName: 'e1',
    });
  });

  it('deactivates with bulk-delete and lists only active sessions', async () => {
    const api = ssws();
    await importUsers(api, ['e1', 'e2']);
    const session = await api.createIdentitySourceSession({ identitySourceId: SOURCE });
    const sessionId = session.id ?? '';
    const listed = await all(await api.listIdentitySourceSessions({ identitySourceId: SOURCE }));
    expect(listed.map((s) => [s?.id, s?.status])).toEqual([[sessionId, 'CREATED']]);
    await api.uploadIdentitySourceDataForDelete({
      identitySourceId: SOURCE,
      sessionId,
      BulkDeleteRequestBody: { entityType: 'USERS', profiles: [{ externalId: 'e2' }] },
    });
    await api.startImportFromIdentitySource({ identitySourceId: SOURCE, sessionId });
    await sessionReaches(emulator, sessionId, 'COMPLETED');
    expect(await all(await api.listIdentitySourceSessions({ identitySourceId: SOURCE }))).toEqual([]);
    const users = await admin<{ externalId: string; status: string }[]>(emulator, '/users');
    expect(users.find((u) => u.externalId === 'e2')?.status).toBe('DEACTIVATED');
    expect(users.find((u) => u.externalId === 'e1')?.status).toBe('ACTIVE');
  });

  it('cancels a session with deleteIdentitySourceSession, discarding its data', async () => {
    const api = ssws();
    const sessionId = (await api.createIdentitySourceSession({ identitySourceId: SOURCE })).id ?? '';
    await api.uploadIdentitySourceDataForUpsert({
      identitySourceId: SOURCE,
      sessionId,
      BulkUpsertRequestBody: {
        entityType: 'USERS',
        profiles: [{ externalId: 'x', profile: { userName: 'x@example.com', email: 'x@example.com' } }],
      },
    });
    await api.deleteIdentitySourceSession({ identitySourceId: SOURCE, sessionId });
    expect((await api.getIdentitySourceSession({ identitySourceId: SOURCE, sessionId })).status).toBe('CLOSED');
    expect(await all(await api.listIdentitySourceSessions({ identitySourceId: SOURCE }))).toEqual([]);
    const error = await sdkError(api.startImportFromIdentitySource({ identitySourceId: SOURCE, sessionId }));
    expect([error.status, error.errorCode]).toEqual([400, 'E0000001']);
    expect(await admin(emulator, '/users')).toEqual([]);
  });

  it('uploads groups and memberships through the group bulk endpoints', async () => {
    const api = ssws();
    await importUsers(api, ['e1', 'e2']);
    const sessionId = (await api.createIdentitySourceSession({ identitySourceId: SOURCE })).id ?? '';
    await api.uploadIdentitySourceGroupsForUpsert({
      identitySourceId: SOURCE,
      sessionId,
      bulkGroupUpsertRequestBody: {
        profiles: [{ externalId: 'g1', profile: { displayName: 'Engineering', description: 'Builds things' } }],
      },
    });
    await api.uploadIdentitySourceGroupMembershipsForUpsert({
      identitySourceId: SOURCE,
      sessionId,
      bulkGroupMembershipsUpsertRequestBody: {
        memberships: [{ groupExternalId: 'g1', memberExternalIds: ['e1', 'e2'] }],
      },
    });
    await api.startImportFromIdentitySource({ identitySourceId: SOURCE, sessionId });
    await sessionReaches(emulator, sessionId, 'COMPLETED');
    expect(await admin(emulator, '/groups')).toMatchObject([
      { externalId: 'g1', profile: { displayName: 'Engineering', description: 'Builds things' } },
    ]);
    expect(await admin(emulator, '/memberships')).toEqual([
      { identitySourceId: SOURCE, groupExternalId: 'g1', memberExternalIds: ['e1', 'e2'] },
    ]);

    const second = (await api.createIdentitySourceSession({ identitySourceId: SOURCE })).id ?? '';
    await api.uploadIdentitySourceGroupMembershipsForDelete({
      identitySourceId: SOURCE,
      sessionId: second,
      bulkGroupMembershipsDeleteRequestBody: {
        memberships: [{ groupExternalId: 'g1', memberExternalIds: ['e2'] }],
      },
    });
    await api.startImportFromIdentitySource({ identitySourceId: SOURCE, sessionId: second });
    await sessionReaches(emulator, second, 'COMPLETED');
    expect(await admin(emulator, '/memberships')).toEqual([
      { identitySourceId: SOURCE, groupExternalId: 'g1', memberExternalIds: ['e1'] },
    ]);

    const third = (await api.createIdentitySourceSession({ identitySourceId: SOURCE })).id ?? '';
    await api.uploadIdentitySourceGroupsDataForDelete({
      identitySourceId: SOURCE,
      sessionId: third,
      bulkGroupDeleteRequestBody: { externalIds: ['g1'] },
    });
    await api.startImportFromIdentitySource({ identitySourceId: SOURCE, sessionId: third });
    await sessionReaches(emulator, third, 'COMPLETED');
    expect(await admin(emulator, '/groups')).toEqual([]);
  });

  it("answers Okta's errors: unknown session, unknown source, bad token, missing scope, second session", async () => {
    const api = ssws();
    const unknownSession = await sdkError(
      api.getIdentitySourceSession({ identitySourceId: SOURCE, sessionId: 'apsNOTASESSION000000' }),
    );
    expect([unknownSession.status, unknownSession.errorCode]).toEqual([400, 'E0000001']);
    const unknownSource = await sdkError(
      api.listIdentitySourceSessions({ identitySourceId: '0oaNOSUCHSOURCE00000' }).then(all),
    );
    expect([unknownSource.status, unknownSource.errorCode]).toEqual([404, 'E0000007']);
    const badToken = await sdkError(
      ssws('wrong-token').listIdentitySourceSessions({ identitySourceId: SOURCE }).then(all),
    );
    expect([badToken.status, badToken.errorCode]).toEqual([401, 'E0000011']);
    const readOnly = ssws('read-only');
    expect(await all(await readOnly.listIdentitySourceSessions({ identitySourceId: SOURCE }))).toEqual([]);
    const noScope = await sdkError(readOnly.createIdentitySourceSession({ identitySourceId: SOURCE }));
    expect([noScope.status, noScope.errorCode]).toEqual([403, 'E0000006']);

    const first = await api.createIdentitySourceSession({ identitySourceId: SOURCE });
    const second = await sdkError(api.createIdentitySourceSession({ identitySourceId: SOURCE }));
    expect([second.status, second.errorCode]).toEqual([400, 'E0000001']);
    expect(second.errorCauses[0]?.errorSummary).toContain(first.id);
    const early = await sdkError(
      api.startImportFromIdentitySource({ identitySourceId: SOURCE, sessionId: first.id ?? '' }),
    );
    expect([early.status, early.errorCode]).toEqual([400, 'E0000001']);
  });

  it("waits out a 429 by the Reset and Date headers, as the SDK's retry does", async () => {
    await admin(emulator, '/faults', {
      script: [{ endpoint: 'create-session', nth: 1, respond: 429, resetInMs: 0 }],
    });
    const session = await ssws().createIdentitySourceSession({ identitySourceId: SOURCE });
    expect(session.status).toBe('CREATED');
    const { requests } = await admin<{ requests: { status: number; time: string; rateLimitReset?: number }[] }>(
      emulator,
      '/requests?endpoint=create-session',
    );
    expect(requests.map((r) => r.status)).toEqual([429, 201]);
    const [limited, retried] = requests;
    expect(Date.parse(retried?.time ?? '')).toBeGreaterThanOrEqual((limited?.rateLimitReset ?? Infinity) * 1000);
  });
});

describe('official Okta SDK with OAuth 2.0', () => {
  it('gets a Bearer token with private_key_jwt and runs an import', async () => {
    const api = oauth('svc-app');
    await importUsers(api, ['o1']);
    const { requests } = await admin<{ requests: { endpoint: string; status: number }[] }>(emulator, '/requests');
    expect(requests.filter((r) => r.endpoint === 'token').map((r) => r.status)).toEqual([200]);
    expect((await admin<unknown[]>(emulator, '/users')).length).toBe(1);
  });

  it('goes through the use_dpop_nonce round trip and signs every call with a DPoP proof', async () => {
    const api = oauth('dpop-app');
    await importUsers(api, ['d1']);
    const { requests } = await admin<{ requests: { endpoint: string; status: number }[] }>(emulator, '/requests');
    expect(requests.filter((r) => r.endpoint === 'token').map((r) => r.status)).toEqual([400, 200]);
    expect(requests.filter((r) => r.endpoint !== 'token').every((r) => r.status < 300)).toBe(true);
    const sessions = await admin<AdminSession[]>(emulator, '/sessions');
    expect(sessions.map((s) => s.status)).toEqual(['COMPLETED']);
  });
});
