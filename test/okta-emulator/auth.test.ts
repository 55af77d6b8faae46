// OAuth 2.0 client credentials with private_key_jwt, and DPoP, checked on the wire with jose-made JWTs.
import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OktaEmulator } from '../../okta-emulator/index.ts';
import { admin, call, sessionsPath, startFast, until } from './support.ts';

let emulator: OktaEmulator;
let appKey: CryptoKey;
let otherKey: CryptoKey;
let dpopKey: { privateKey: CryptoKey; publicJwk: JWK };

beforeAll(async () => {
  const app = await generateKeyPair('ES256');
  appKey = app.privateKey;
  otherKey = (await generateKeyPair('ES256')).privateKey;
  const dpop = await generateKeyPair('ES256');
  dpopKey = { privateKey: dpop.privateKey, publicJwk: await exportJWK(dpop.publicKey) };
  const publicJwks = [{ ...(await exportJWK(app.publicKey)), kid: 'k1' }];
  emulator = await startFast({
    oauthClients: [
      { clientId: 'svc', publicJwks },
      { clientId: 'reader', publicJwks, scopes: ['okta.identitySources.read'] },
      { clientId: 'dpop', publicJwks, requireDpop: true },
    ],
    durations: { accessTokenTtlMs: 60_000 },
  });
});
afterAll(() => emulator.stop());

const tokenUrl = () => `${emulator.url}/oauth2/v1/token`;

function assertion(
  clientId: string,
  claims: { aud?: string; sub?: string; exp?: number; jti?: string } = {},
  key = appKey,
) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(clientId)
    .setSubject(claims.sub ?? clientId)
    .setAudience(claims.aud ?? tokenUrl())
    .setIssuedAt(now)
    .setExpirationTime(claims.exp ?? now + 300)
    .setJti(claims.jti ?? randomUUID())
    .sign(key);
}

function proof(
  method: string,
  url: string,
  extra: { nonce?: string; accessToken?: string; key?: typeof dpopKey; iat?: number; jti?: string } = {},
) {
  const key = extra.key ?? dpopKey;
  return new SignJWT({
    htm: method,
    htu: url,
    ...(extra.nonce ? { nonce: extra.nonce } : {}),
    ...(extra.accessToken ? { ath: createHash('sha256').update(extra.accessToken).digest('base64url') } : {}),
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk })
    .setIssuedAt(extra.iat ?? Math.floor(Date.now() / 1000))
    .setJti(extra.jti ?? randomUUID())
    .sign(key.privateKey);
}

async function requestToken(clientAssertion: string, options: { scope?: string; dpop?: string } = {}) {
  const response = await fetch(tokenUrl(), {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
      ...(options.dpop ? { DPoP: options.dpop } : {}),
    },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope: options.scope ?? 'okta.identitySources.manage okta.identitySources.read',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: clientAssertion,
    }),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, string | number>,
  };
}

describe('private_key_jwt client credentials', () => {
  it('issues an expiring Bearer token that opens the API', async () => {
    const token = await requestToken(await assertion('svc'));
    expect(token.status).toBe(200);
    expect(token.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 60,
      scope: 'okta.identitySources.manage okta.identitySources.read',
    });
    expect(token.headers.get('cache-control')).toBe('no-store');
    expect(
      (await call(emulator, 'POST', sessionsPath(), undefined, { Authorization: `Bearer ${token.body.access_token}` }))
        .status,
    ).toBe(201);
  });

  it('checks the assertion: signature, aud, iss = sub, exp, jti replay', async () => {
    const replayed = await assertion('svc');
    expect((await requestToken(replayed)).status).toBe(200);
    const cases = {
      replay: replayed,
      wrongKey: await assertion('svc', {}, otherKey),
      wrongAud: await assertion('svc', { aud: 'https://example.okta.com/oauth2/v1/token' }),
      subNotIss: await assertion('svc', { sub: 'someone-else' }),
      expired: await assertion('svc', { exp: Math.floor(Date.now() / 1000) - 120 }),
      tooLong: await assertion('svc', { exp: Math.floor(Date.now() / 1000) + 7200 }),
      unknownClient: await assertion('nobody'),
    };
    for (const [name, jwt] of Object.entries(cases)) {
      const reply = await requestToken(jwt);
      expect([name, reply.status, reply.body.error]).toEqual([name, 401, 'invalid_client']);
    }
  });

  it('grants only the scopes the app has; a read-only token gets 403 E0000006 on writes', async () => {
    const refused = await requestToken(await assertion('reader'));
    expect([refused.status, refused.body.error]).toEqual([400, 'invalid_scope']);
    const token = await requestToken(await assertion('reader'), { scope: 'okta.identitySources.read' });
    const auth = { Authorization: `Bearer ${token.body.access_token}` };
    expect((await call(emulator, 'GET', sessionsPath(), undefined, auth)).status).toBe(200);
    const write = await call(emulator, 'POST', sessionsPath(), undefined, auth);
    expect([write.status, write.json().errorCode]).toEqual([403, 'E0000006']);
    expect(write.headers.get('www-authenticate')).toContain('insufficient_scope');
  });

  it('refuses an unknown or expired access token with 401 E0000011', async () => {
    const reply = await call(emulator, 'GET', sessionsPath(), undefined, { Authorization: 'Bearer not-a-token' });
    expect([reply.status, reply.json().errorCode]).toEqual([401, 'E0000011']);
    expect(reply.headers.get('www-authenticate')).toContain('invalid_token');

    await admin(emulator, '/settings', { durations: { accessTokenTtlMs: 300 } });
    const token = await requestToken(await assertion('svc'));
    await admin(emulator, '/settings', { durations: { accessTokenTtlMs: 60_000 } });
    const auth = { Authorization: `Bearer ${token.body.access_token}` };
    expect((await call(emulator, 'GET', sessionsPath(), undefined, auth)).status).toBe(200);
    const expired = await until(async () => {
      const attempt = await call(emulator, 'GET', sessionsPath(), undefined, auth);
      return attempt.status === 200 ? undefined : { status: attempt.status, at: Date.now() };
    });
    expect(expired.status).toBe(401);
  });
});

describe('DPoP', () => {
  async function dpopToken() {
    const first = await requestToken(await assertion('dpop'), { dpop: await proof('POST', tokenUrl()) });
    expect([first.status, first.body.error]).toEqual([400, 'use_dpop_nonce']);
    const nonce = first.headers.get('dpop-nonce') ?? '';
    expect(nonce).not.toBe('');
    const second = await requestToken(await assertion('dpop'), { dpop: await proof('POST', tokenUrl(), { nonce }) });
    expect(second.status).toBe(200);
    expect(second.body.token_type).toBe('DPoP');
    return String(second.body.access_token);
  }

  it('demands a proof, then a nonce, then binds the token to the key', async () => {
    const missing = await requestToken(await assertion('dpop'));
    expect([missing.status, missing.body.error]).toEqual([400, 'invalid_dpop_proof']);
    const token = await dpopToken();
    const url = `${emulator.url}${sessionsPath()}`;
    const ok = await call(emulator, 'GET', sessionsPath(), undefined, {
      Authorization: `DPoP ${token}`,
      DPoP: await proof('GET', url, { accessToken: token }),
    });
    expect(ok.status).toBe(200);
  });

  it('checks every proof on API calls: scheme, ath, key, htm, htu, iat, jti', async () => {
    const token = await dpopToken();
    const url = `${emulator.url}${sessionsPath()}`;
    const stranger = await generateKeyPair('ES256');
    const strangerKey = { privateKey: stranger.privateKey, publicJwk: await exportJWK(stranger.publicKey) };
    const reused = await proof('GET', url, { accessToken: token });
    expect(
      (await call(emulator, 'GET', sessionsPath(), undefined, { Authorization: `DPoP ${token}`, DPoP: reused })).status,
    ).toBe(200);
    const cases: [string, Record<string, string>][] = [
      ['bearer scheme', { Authorization: `Bearer ${token}` }],
      ['no proof', { Authorization: `DPoP ${token}` }],
      ['wrong ath', { Authorization: `DPoP ${token}`, DPoP: await proof('GET', url, { accessToken: 'other' }) }],
      [
        'other key',
        { Authorization: `DPoP ${token}`, DPoP: await proof('GET', url, { accessToken: token, key: strangerKey }) },
      ],
      ['wrong htm', { Authorization: `DPoP ${token}`, DPoP: await proof('POST', url, { accessToken: token }) }],
      [
        'wrong htu',
        {
          Authorization: `DPoP ${token}`,
          DPoP: await proof('GET', `${emulator.url}/api/v1/users`, { accessToken: token }),
        },
      ],
      [
        'old iat',
        {
          Authorization: `DPoP ${token}`,
          DPoP: await proof('GET', url, { accessToken: token, iat: Math.floor(Date.now() / 1000) - 3600 }),
        },
      ],
      ['replayed jti', { Authorization: `DPoP ${token}`, DPoP: reused }],
    ];
    for (const [name, headers] of cases) {
      const reply = await call(emulator, 'GET', sessionsPath(), undefined, headers);
      expect([name, reply.status, reply.json().errorCode]).toEqual([name, 401, 'E0000011']);
    }
  });
});
