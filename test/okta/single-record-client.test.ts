// The client's single-record user calls against the emulator over real sockets: every method, 404 as a result, Okta's
// refusal of one record, a write refused while an import session is open, the OAuth token fetched again after a 401,
// 429 waits until the announced reset, 5xx and dropped connections.
import { ApplicationFailure } from '@temporalio/common';
import { exportJWK, generateKeyPair } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { IdentitySourceClient } from '../../activities/okta/identity-source-client.ts';
import { OKTA_FAILURE, recordRefusalOf } from '../../contracts/okta-failure-types.ts';
import type { OktaEmulator, OktaEmulatorOptions } from '../../okta-emulator/index.ts';
import { SOURCE, startFast } from '../okta-emulator/support.ts';
import { failureOf, sswsClientOn } from '../support/okta-client.ts';

let emulator: OktaEmulator | undefined;
afterEach(() => emulator?.stop());

async function setUp(options: OktaEmulatorOptions = {}) {
  emulator = await startFast(options);
  return { emulator, okta: sswsClientOn(emulator) };
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

describe('OAuth', () => {
  it('fetches a new access token once when Okta no longer takes the cached one, and the call goes through', async () => {
    const key = await generateKeyPair('ES256', { extractable: true });
    const publicJwks = [{ ...(await exportJWK(key.publicKey)), kid: 'k1' }];
    const options = { oauthClients: [{ clientId: 'svc', publicJwks }] };
    let okta = await startFast(options);
    emulator = okta;
    const client = new IdentitySourceClient({
      orgUrl: okta.url,
      credentials: {
        kind: 'oauth',
        clientId: 'svc',
        privateKey: await exportJWK(key.privateKey),
        keyId: 'k1',
        algorithm: 'ES256',
      },
    });
    await client.createUser(SOURCE, ada);
    // A restarted Okta on the same address knows none of the access tokens it issued.
    const port = new URL(okta.url).port;
    await okta.stop();
    okta = await startFast({ ...options, port: Number(port) });
    emulator = okta;
    // The first request may meet a kept-alive connection the old one closed (retried, as Temporal would).
    const read = () => client.getUser(SOURCE, 'emp-1');
    const readOnce = async () => {
      try {
        return await read();
      } catch (error) {
        if (error instanceof ApplicationFailure && error.type === OKTA_FAILURE.unavailable) return await read();
        throw error;
      }
    };
    expect(await readOnce()).toBeUndefined();
    const log = okta.requests().requests.map((r) => [r.endpoint, r.status]);
    expect(log).toEqual([
      ['get-user', 401],
      ['token', 200],
      // A 404 of a user, the identity source known from the create: no list of sessions to tell them apart.
      ['get-user', 404],
    ]);
  });
});

describe('when Okta is in trouble', () => {
  it('fails a write Okta refuses while an import session is open as retryable, not as a refused record', async () => {
    const { okta, emulator } = await setUp({ singleRecord: { duringImport: 'conflict' } });
    const session = await okta.createSession(SOURCE);
    const blocked = await failureOf(okta.createUser(SOURCE, ada));
    expect([blocked.type, blocked.nonRetryable]).toEqual([OKTA_FAILURE.blockedBySession, false]);
    expect(blocked.message).toContain(session.id);
    expect(recordRefusalOf(blocked)).toBeUndefined();
    await okta.cancelSession(SOURCE, session.id);
    await okta.createUser(SOURCE, ada);
    expect(emulator.users({ identitySourceId: SOURCE, externalId: 'emp-1' })).toHaveLength(1);
  });

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
          { endpoint: 'create-user', nth: 1, action: 'drop' },
        ],
      },
    });
    const unavailable = await failureOf(okta.replaceUser(SOURCE, ada));
    expect([unavailable.type, unavailable.nonRetryable]).toEqual([OKTA_FAILURE.unavailable, false]);
    const dropped = await failureOf(okta.createUser(SOURCE, ada));
    expect([dropped.type, dropped.nonRetryable]).toEqual([OKTA_FAILURE.unavailable, false]);
  });
});
