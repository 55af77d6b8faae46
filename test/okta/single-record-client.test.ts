// The client's single-record calls (users, groups, memberships) against the emulator over real sockets: every method,
// 404 as a result, Okta's refusal of one record, 429 waits until the announced reset, 5xx and dropped connections.
import { ApplicationFailure } from '@temporalio/common';
import { afterEach, describe, expect, it } from 'vitest';
import { IdentitySourceClient } from '../../activities/okta/identity-source-client.ts';
import { RateLimitPacer } from '../../activities/okta/rate-limit-pacer.ts';
import { OKTA_FAILURE, recordRefusalOf } from '../../contracts/okta-failure-types.ts';
import type { OktaEmulator, OktaEmulatorOptions } from '../../okta-emulator/index.ts';
import { SOURCE, TOKEN, startFast } from '../okta-emulator/support.ts';

let emulator: OktaEmulator | undefined;
afterEach(() => emulator?.stop());

async function setUp(options: OktaEmulatorOptions = {}) {
  emulator = await startFast(options);
  const okta = new IdentitySourceClient({
    orgUrl: emulator.url,
    credentials: { kind: 'ssws', token: TOKEN },
    pacer: new RateLimitPacer({ share: 0.5 }),
  });
  return { emulator, okta };
}

const ada = {
  externalId: 'emp-1',
  profile: {
    userName: 'ada@example.com',
    email: 'ada@example.com',
    firstName: 'Ada',
    lastName: 'Lovelace',
    mobilePhone: '+44 20 7946 0001',
    department: 'Engines',
  },
};

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

describe('users', () => {
  it('creates, reads, replaces (clearing what is left out), merges and deletes a user', async () => {
    const { okta } = await setUp();
    await okta.createUser(SOURCE, ada);
    const read = await okta.getUser(SOURCE, 'emp-1');
    expect(read).toMatchObject({ externalId: 'emp-1', profile: ada.profile });
    expect(read?.id).toMatch(/^0ua/);

    const { mobilePhone: _dropped, department: _gone, ...rest } = ada.profile;
    const replaced = await okta.replaceUser(SOURCE, { externalId: 'emp-1', profile: { ...rest, lastName: 'King' } });
    expect(replaced?.profile).toMatchObject({ lastName: 'King', firstName: 'Ada' });
    const afterReplace = await okta.getUser(SOURCE, 'emp-1');
    expect(afterReplace?.profile.mobilePhone ?? null).toBeNull();
    expect(afterReplace?.profile.department ?? null).toBeNull();

    const merged = await okta.updateUser(SOURCE, {
      externalId: 'emp-1',
      profile: { userName: rest.userName, email: rest.email, department: 'Analytics' },
    });
    expect(merged?.profile).toMatchObject({ lastName: 'King', department: 'Analytics' });

    expect(await okta.deleteUser(SOURCE, 'emp-1')).toBe('deleted');
    expect(await okta.deleteUser(SOURCE, 'emp-1')).toBe('not found');
  });

  it('answers undefined for a user Okta does not have, and "not found" for deleting one', async () => {
    const { okta } = await setUp();
    expect(await okta.getUser(SOURCE, 'nobody')).toBeUndefined();
    expect(await okta.replaceUser(SOURCE, { externalId: 'nobody', profile: ada.profile })).toBeUndefined();
    expect(await okta.updateUser(SOURCE, { externalId: 'nobody', profile: ada.profile })).toBeUndefined();
    expect(await okta.deleteUser(SOURCE, 'nobody')).toBe('not found');
  });

  it('accepts 200 as well as 204 for a delete', async () => {
    const { okta, emulator } = await setUp({ singleRecord: { deleteStatus: 200 } });
    await okta.createUser(SOURCE, ada);
    expect(await okta.deleteUser(SOURCE, 'emp-1')).toBe('deleted');
    expect(emulator.requests().requests.find((r) => r.endpoint === 'delete-user')?.status).toBe(200);
  });

  it('tells an unknown identity source from an unknown user', async () => {
    const { okta } = await setUp();
    const failure = await failureOf(okta.getUser('0oaUNKNOWN0000000000', 'emp-1'));
    expect(failure.type).toBe(OKTA_FAILURE.identitySourceNotFound);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('GET /sessions answered 404 too');
  });

  it("refuses one record by id and Okta's reason, without its values", async () => {
    const { okta } = await setUp();
    const tooLong = 'Bartholomew-Maximilian-Alexander-Christopher-Jonathan';
    const failure = await failureOf(
      okta.createUser(SOURCE, { externalId: 'emp-2', profile: { ...ada.profile, firstName: tooLong } }),
    );
    expect(failure.type).toBe(OKTA_FAILURE.recordRefused);
    expect(failure.nonRetryable).toBe(true);
    const refusal = recordRefusalOf(failure);
    expect(refusal?.externalId).toBe('emp-2');
    expect(refusal?.reasons.join(' ')).toContain('firstName');
    for (const value of [tooLong, ...Object.values(ada.profile)]) {
      expect(failure.message).not.toContain(value);
      expect(refusal?.reasons.join(' ')).not.toContain(value);
    }
    // The others go on.
    await okta.createUser(SOURCE, ada);
    expect(await okta.getUser(SOURCE, 'emp-1')).toBeDefined();
  });
});

describe('groups and memberships', () => {
  it('creates, reads (by id and externalId), updates and deletes a group', async () => {
    const { okta } = await setUp();
    const created = await okta.createGroup(SOURCE, {
      externalId: 'grp-1',
      profile: { displayName: 'Engines', description: 'Analytical' },
    });
    expect(created.id).toMatch(/^00g/);
    expect(await okta.getGroup(SOURCE, 'grp-1')).toMatchObject({
      externalId: 'grp-1',
      profile: { displayName: 'Engines' },
    });
    expect(await okta.getGroup(SOURCE, created.id)).toMatchObject({ externalId: 'grp-1' });
    const updated = await okta.updateGroup(SOURCE, { externalId: 'grp-1', profile: { displayName: 'Difference' } });
    expect(updated?.profile.displayName).toBe('Difference');
    expect(await okta.updateGroup(SOURCE, { externalId: 'grp-9', profile: { displayName: 'x' } })).toBeUndefined();
    expect(await okta.deleteGroup(SOURCE, 'grp-1')).toBe('deleted');
    expect(await okta.getGroup(SOURCE, 'grp-1')).toBeUndefined();
    expect(await okta.deleteGroup(SOURCE, 'grp-1')).toBe('not found');
  });

  it('adds and removes members, and lists them across pages', async () => {
    const { okta, emulator } = await setUp();
    await okta.createGroup(SOURCE, { externalId: 'grp-1', profile: { displayName: 'Engines' } });
    const ids = ['emp-1', 'emp-2', 'emp-3', 'emp-4', 'emp-5'];
    for (const externalId of ids) {
      await okta.createUser(SOURCE, {
        externalId,
        profile: { userName: `${externalId}@example.com`, email: `${externalId}@example.com` },
      });
      await okta.addGroupMember(SOURCE, 'grp-1', externalId);
    }
    expect((await okta.listGroupMembers(SOURCE, 'grp-1', 2))?.sort()).toEqual(ids);
    const pages = emulator.requests().requests.filter((r) => r.endpoint === 'list-memberships');
    expect(pages).toHaveLength(3);

    expect(await okta.removeGroupMember(SOURCE, 'grp-1', 'emp-3')).toBe('deleted');
    expect(await okta.removeGroupMember(SOURCE, 'grp-1', 'emp-3')).toBe('not found');
    expect((await okta.listGroupMembers(SOURCE, 'grp-1'))?.sort()).toEqual(ids.filter((id) => id !== 'emp-3'));
    expect(await okta.listGroupMembers(SOURCE, 'grp-9')).toBeUndefined();
    await expect(okta.listGroupMembers(SOURCE, 'grp-1', 1001)).rejects.toThrow(RangeError);

    const refused = await failureOf(okta.addGroupMember(SOURCE, 'grp-9', 'emp-1'));
    expect(refused.type).toBe(OKTA_FAILURE.recordRefused);
    expect(recordRefusalOf(refused)?.externalId).toBe('emp-1');
  });
});

describe('when Okta is in trouble', () => {
  it('fails a 429 with a retry delay that reaches past the announced reset, and the call after it succeeds', async () => {
    const { okta, emulator } = await setUp({
      faults: { script: [{ endpoint: 'get-user', nth: 1, respond: 429, resetInMs: 800 }] },
    });
    const failure = await failureOf(okta.getUser(SOURCE, 'emp-1'));
    expect(failure.type).toBe(OKTA_FAILURE.rateLimited);
    expect(failure.nonRetryable).toBe(false);
    const [limited] = emulator.requests().requests.filter((r) => r.status === 429);
    const resetAt = limited!.rateLimitReset! * 1000;
    expect(Date.parse(limited!.time) + (failure.nextRetryDelay as number)).toBeGreaterThanOrEqual(resetAt);

    // The pacer learned the reset: the next call waits for it rather than meeting another 429.
    expect(await okta.getUser(SOURCE, 'emp-1')).toBeUndefined();
    const next = emulator.requests().requests.find((r) => r.seq > limited!.seq);
    expect(Date.parse(next!.time)).toBeGreaterThanOrEqual(resetAt);
  });

  it('fails 5xx answers and dropped connections as retryable, and refusals as not', async () => {
    const { okta } = await setUp({
      faults: {
        script: [
          { endpoint: 'replace-user', nth: 1, respond: 503 },
          { endpoint: 'create-group', nth: 1, action: 'drop' },
        ],
      },
    });
    const unavailable = await failureOf(okta.replaceUser(SOURCE, ada));
    expect([unavailable.type, unavailable.nonRetryable]).toEqual([OKTA_FAILURE.unavailable, false]);
    const dropped = await failureOf(okta.createGroup(SOURCE, { externalId: 'g', profile: { displayName: 'G' } }));
    expect([dropped.type, dropped.nonRetryable]).toEqual([OKTA_FAILURE.unavailable, false]);
  });
});
