import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerTokenAuth, jwtAuth } from '../../codec/codec-auth.ts';

const ISSUER = 'https://login.example.com/oauth2/default';
let jwksUrl: string;
let close: () => void;
const keys = await generateKeyPair('RS256');
const otherKeys = await generateKeyPair('RS256');

beforeAll(async () => {
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'RS256' }] });
  const server = createServer((_, response) =>
    response.writeHead(200, { 'content-type': 'application/json' }).end(jwks),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/keys`;
  close = () => server.close();
});
afterAll(() => close());

function token(options: { audience?: string; issuer?: string; key?: typeof keys.privateKey; expiresIn?: string } = {}) {
  return new SignJWT({ sub: 'ada@example.com' })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? 'temporal-ui')
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(options.key ?? keys.privateKey);
}

describe('codec server auth', () => {
  it('accepts the shared bearer token only', async () => {
    const auth = bearerTokenAuth('s3cret-token');
    expect(await auth('Bearer s3cret-token')).toBe(true);
    expect(await auth('bearer s3cret-token')).toBe(true);
    expect(await auth('Bearer s3cret-tokeN')).toBe(false);
    expect(await auth('s3cret-token')).toBe(false);
    expect(await auth(undefined)).toBe(false);
  });

  it("accepts a Web UI user's access token signed by the issuer for the audience, nothing else", async () => {
    const auth = jwtAuth({ issuer: ISSUER, audience: 'temporal-ui', jwksUrl });
    expect(await auth(`Bearer ${await token()}`)).toBe(true);
    expect(await auth(`Bearer ${await token({ audience: 'another-app' })}`)).toBe(false);
    expect(await auth(`Bearer ${await token({ issuer: 'https://evil.example.com' })}`)).toBe(false);
    expect(await auth(`Bearer ${await token({ key: otherKeys.privateKey })}`)).toBe(false);
    expect(await auth(`Bearer ${await token({ expiresIn: '-1m' })}`)).toBe(false);
    expect(await auth(undefined)).toBe(false);
  });
});
