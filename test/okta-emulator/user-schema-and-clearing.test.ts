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
  TOKEN,
  type AdminSession,
} from './support.ts';

let emulator: OktaEmulator;
beforeAll(async () => {
  emulator = await startFast({
    apiTokens: [
      { token: TOKEN },
      { token: 'identity-sources-only', scopes: ['okta.identitySources.manage', 'okta.identitySources.read'] },
    ],
    durations: { fiveMinuteRuleMs: 0 },
  });
});
afterAll(() => emulator.stop());
beforeEach(async () => {
  await admin(emulator, '/reset', {});
  await admin(emulator, '/settings', { nullInBulkUpsert: 'clears' });
});

async function importUsers(profiles: unknown[]): Promise<AdminSession> {
  const id = await createSession(emulator);
  expect(
    (await call(emulator, 'POST', `${sessionsPath()}/${id}/bulk-upsert`, { entityType: 'USERS', profiles })).status,
  ).toBe(202);
  expect((await call(emulator, 'POST', `${sessionsPath()}/${id}/start-import`)).status).toBe(200);
  return sessionReaches(emulator, id, 'COMPLETED');
}

const ada = {
  userName: 'ada@example.com',
  email: 'ada@example.com',
  firstName: 'Ada',
  secondEmail: 'ada.home@example.com',
  mobilePhone: '+1 415 555 0100',
  department: 'R&D',
};
const profileOf = (externalId: string) =>
  emulator.users({ identitySourceId: SOURCE }).find((u) => u.externalId === externalId)?.profile;

describe("the identity source's user schema", () => {
  it('is served as the app user schema of the same id: base and custom attributes, okta.schemas.read needed', async () => {
    const reply = await call(emulator, 'GET', `/api/v1/meta/schemas/apps/${SOURCE}/default`);
    expect(reply.status).toBe(200);
    const schema = reply.json<{
      definitions: {
        base: { properties: Record<string, { type: string }>; required: string[] };
        custom: { properties: Record<string, unknown> };
      };
    }>();
    expect(Object.keys(schema.definitions.base.properties).sort()).toEqual([
      'email',
      'firstName',
      'homeAddress',
      'lastName',
      'mobilePhone',
      'secondEmail',
      'userName',
    ]);
    expect(schema.definitions.base.required).toEqual(['userName', 'email']);
    expect(Object.keys(schema.definitions.custom.properties).sort()).toEqual(['department', 'managerId']);

    const forbidden = await call(emulator, 'GET', `/api/v1/meta/schemas/apps/${SOURCE}/default`, undefined, {
      Authorization: 'SSWS identity-sources-only',
    });
    expect(forbidden.status).toBe(403);
    expect(forbidden.json().errorCode).toBe('E0000006');
    expect((await call(emulator, 'GET', '/api/v1/meta/schemas/apps/0oaUNKNOWN/default')).status).toBe(404);
  });

  it('refuses at import a record with an attribute missing from the schema; the session still completes', async () => {
    const done = await importUsers([
      { externalId: 'ok', profile: { userName: 'ok@example.com', email: 'ok@example.com' } },
      { externalId: 'extra', profile: { userName: 'x@example.com', email: 'x@example.com', nickname: 'X' } },
    ]);
    expect(done.status).toBe('COMPLETED');
    expect(done.result?.usersCreated).toBe(1);
    expect(done.result?.failures).toEqual([
      expect.objectContaining({
        externalId: 'extra',
        errors: ["nickname: is not an attribute of the identity source's user schema"],
      }),
    ]);
    expect(profileOf('extra')).toBeUndefined();
  });
});

describe('null in a bulk-upsert profile', () => {
  it('clears a nullable base attribute and a custom attribute (the default); omitting one keeps it', async () => {
    await importUsers([{ externalId: 'ada', profile: ada }]);
    await importUsers([
      { externalId: 'ada', profile: { userName: ada.userName, email: ada.email, mobilePhone: null, department: null } },
    ]);
    expect(profileOf('ada')).toEqual({
      userName: ada.userName,
      email: ada.email,
      firstName: 'Ada',
      secondEmail: ada.secondEmail,
    });
  });

  it('is refused for an attribute the schema does not mark nullable (secondEmail), the record left as it was', async () => {
    await importUsers([{ externalId: 'ada', profile: ada }]);
    const done = await importUsers([
      { externalId: 'ada', profile: { ...ada, firstName: 'Ada B.', secondEmail: null } },
    ]);
    expect(done.result?.failures).toEqual([
      expect.objectContaining({ externalId: 'ada', errors: ['secondEmail: is not nullable'] }),
    ]);
    expect(profileOf('ada')).toEqual(ada);
  });

  it('is ignored when the emulator is switched to the other reading Okta leaves open', async () => {
    await admin(emulator, '/settings', { nullInBulkUpsert: 'ignored' });
    await importUsers([{ externalId: 'ada', profile: ada }]);
    const done = await importUsers([{ externalId: 'ada', profile: { ...ada, mobilePhone: null, secondEmail: null } }]);
    expect(done.result?.failures).toEqual([]);
    expect(profileOf('ada')).toEqual(ada);
  });
});
