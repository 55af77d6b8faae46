// A valid record that Okta refuses at import (fault `refuseAtImport`): the session still COMPLETES, the record is not
// applied and is listed in the session's failures, so a client's read-back finds the old state.
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
  SOURCE,
  startFast,
  userPath,
  usersPath,
  type AdminSession,
} from './support.ts';

const OTHER_SOURCE = '0oaOTHERSOURCE000001';
const REASON = 'Refused by the test: the record conflicts with an existing Okta user';

let emulator: OktaEmulator;
beforeAll(async () => {
  emulator = await startFast({
    identitySources: [{ id: SOURCE, customAttributes: ['department'] }, { id: OTHER_SOURCE }],
  });
});
afterAll(() => emulator.stop());
beforeEach(() => admin(emulator, '/reset', {}));

async function runSession(path: string, body: unknown, source = SOURCE): Promise<AdminSession> {
  const session = await createSession(emulator, source);
  const upload = await call(emulator, 'POST', `${sessionsPath(source)}/${session}/${path}`, body);
  expect(upload.status).toBe(202);
  expect((await call(emulator, 'POST', `${sessionsPath(source)}/${session}/start-import`)).status).toBe(200);
  return sessionReaches(emulator, session, 'COMPLETED');
}

const upsertUsers = (...externalIds: string[]) => ({
  entityType: 'USERS',
  profiles: externalIds.map((id) => person(id, { department: 'R&D' })),
});

describe('refuseAtImport', () => {
  it('completes the session but applies no refused upsert, listing it in the failures', async () => {
    await admin(emulator, '/faults', { refuseAtImport: [{ externalId: 'emp-1', reason: REASON }] });
    const session = await runSession('bulk-upsert', upsertUsers('emp-0', 'emp-1', 'emp-2'));
    expect(session.result).toMatchObject({
      usersCreated: 2,
      failures: [{ entityType: 'USER', externalId: 'emp-1', operation: 'UPSERT', errors: [REASON] }],
    });
    expect(await adminUser(emulator, 'emp-1')).toBeUndefined();
    expect((await call(emulator, 'GET', userPath('emp-1'))).status).toBe(404);
    expect((await call(emulator, 'GET', userPath('emp-2'))).status).toBe(200);
  });

  it('leaves a refused update and a refused deactivation unapplied: read-back shows the old state', async () => {
    expect((await call(emulator, 'POST', usersPath(), person('emp-1', { department: 'Old' }))).status).toBe(200);
    expect((await call(emulator, 'POST', usersPath(), person('emp-2'))).status).toBe(200);
    await admin(emulator, '/faults', {
      refuseAtImport: [
        { externalId: 'emp-1', reason: REASON },
        { externalId: 'emp-2', reason: REASON },
      ],
    });
    const updated = await runSession('bulk-upsert', upsertUsers('emp-1'));
    expect(updated.result).toMatchObject({ usersUpdated: 0, failures: [{ externalId: 'emp-1', operation: 'UPSERT' }] });
    expect((await call(emulator, 'GET', userPath('emp-1'))).json()).toMatchObject({ profile: { department: 'Old' } });

    const deleted = await runSession('bulk-delete', { entityType: 'USERS', profiles: [{ externalId: 'emp-2' }] });
    expect(deleted.result).toMatchObject({
      usersDeactivated: 0,
      failures: [{ entityType: 'USER', externalId: 'emp-2', operation: 'DELETE', errors: [REASON] }],
    });
    expect((await adminUser(emulator, 'emp-2'))?.status).toBe('ACTIVE');

    await admin(emulator, '/faults', {});
    const retried = await runSession('bulk-upsert', upsertUsers('emp-1'));
    expect(retried.result).toMatchObject({ usersUpdated: 1, failures: [] });
    expect((await adminUser(emulator, 'emp-1'))?.profile.department).toBe('R&D');
  });

  it('refuses only at import: single-record writes of the same externalId apply', async () => {
    await admin(emulator, '/faults', { refuseAtImport: [{ externalId: 'emp-1', reason: REASON }] });
    expect((await call(emulator, 'POST', usersPath(), person('emp-1'))).status).toBe(200);
    expect((await adminUser(emulator, 'emp-1'))?.status).toBe('ACTIVE');
  });

  it('can target one identity source, and groups', async () => {
    await admin(emulator, '/faults', {
      refuseAtImport: [
        { externalId: 'emp-1', reason: REASON, identitySourceId: OTHER_SOURCE },
        { externalId: 'g-1', reason: REASON, entityType: 'GROUP' },
      ],
    });
    expect((await runSession('bulk-upsert', upsertUsers('emp-1'))).result?.failures).toEqual([]);
    const groups = await runSession('bulk-groups-upsert', {
      profiles: [
        { externalId: 'g-1', profile: { displayName: 'One' } },
        { externalId: 'g-2', profile: { displayName: 'Two' } },
      ],
    });
    expect(groups.result?.failures).toEqual([
      { entityType: 'GROUP', externalId: 'g-1', operation: 'UPSERT', errors: [REASON] },
    ]);
    expect((await admin<{ externalId: string }[]>(emulator, '/groups')).map((g) => g.externalId)).toEqual(['g-2']);
    const other = await runSession('bulk-upsert', { entityType: 'USERS', profiles: [person('emp-1')] }, OTHER_SOURCE);
    expect(other.result?.failures).toEqual([
      { entityType: 'USER', externalId: 'emp-1', operation: 'UPSERT', errors: [REASON] },
    ]);
  });

  it('is validated by the admin API', async () => {
    const response = await fetch(`${emulator.url}/__emulator/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refuseAtImport: [{ externalId: 'emp-1' }] }),
    });
    expect(response.status).toBe(400);
  });
});
