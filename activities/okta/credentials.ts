import { randomUUID, createHash } from 'node:crypto';
import got from 'got';
import { SignJWT, exportJWK, generateKeyPair, importJWK, importPKCS8, type CryptoKey, type JWK } from 'jose';

/**
 * How the worker proves itself to Okta. The secret material is read by the worker process (from env or files, see
 * the config) and lives only here: never in workflow inputs, results, history, logs or error messages.
 */
export type OktaCredentials =
  | { kind: 'ssws'; token: string }
  | {
      kind: 'oauth';
      clientId: string;
      /** PKCS#8 PEM or a private JWK (RS256 or ES256). */
      privateKey: string | JWK;
      keyId?: string;
      algorithm?: 'RS256' | 'ES256';
      scopes?: string[];
      /** The app requires DPoP-bound tokens. */
      dpop?: boolean;
    };

/** What the sync asks Okta for: the identity-source scopes, and reading the identity source's user schema. */
const IDENTITY_SOURCE_SCOPES = ['okta.identitySources.manage', 'okta.identitySources.read', 'okta.schemas.read'];

/** Refresh a cached access token this long before Okta says it expires. */
const TOKEN_REFRESH_MARGIN_MS = 60_000;

export interface AuthHeaders {
  authorization: string;
  dpop?: string;
}

/** Produces the Authorization (and DPoP) headers for one Okta request. */
export interface OktaAuthorizer {
  headersFor(method: string, url: string): Promise<AuthHeaders>;
  /** Forget a cached access token after Okta answered 401, so the next call fetches a fresh one. */
  invalidate(): void;
}

export function createAuthorizer(orgUrl: string, credentials: OktaCredentials): OktaAuthorizer {
  if (credentials.kind === 'ssws') {
    const header = `SSWS ${credentials.token}`;
    return { headersFor: () => Promise.resolve({ authorization: header }), invalidate: () => undefined };
  }
  return new OAuthAuthorizer(orgUrl, credentials);
}

interface AccessToken {
  value: string;
  type: 'Bearer' | 'DPoP';
  expiresAt: number;
}

class OAuthAuthorizer implements OktaAuthorizer {
  private readonly tokenUrl: string;
  private readonly credentials: Extract<OktaCredentials, { kind: 'oauth' }>;
  private token: Promise<AccessToken> | undefined;
  private signingKey: Promise<CryptoKey> | undefined;
  private dpopKey: Promise<{ privateKey: CryptoKey; publicJwk: JWK }> | undefined;
  private dpopNonce: string | undefined;

  constructor(orgUrl: string, credentials: Extract<OktaCredentials, { kind: 'oauth' }>) {
    this.tokenUrl = `${orgUrl.replace(/\/+$/, '')}/oauth2/v1/token`;
    this.credentials = credentials;
  }

  async headersFor(method: string, url: string): Promise<AuthHeaders> {
    const token = await this.currentToken();
    if (token.type === 'Bearer') return { authorization: `Bearer ${token.value}` };
    const ath = createHash('sha256').update(token.value).digest('base64url');
    return { authorization: `DPoP ${token.value}`, dpop: await this.dpopProof(method, url, { ath }) };
  }

  invalidate(): void {
    this.token = undefined;
  }

  private currentToken(): Promise<AccessToken> {
    const cached = this.token;
    if (cached) {
      return cached.then((token) => {
        if (token.expiresAt - TOKEN_REFRESH_MARGIN_MS > Date.now()) return token;
        if (this.token === cached) this.token = undefined;
        return this.currentToken();
      });
    }
    const fresh = this.requestToken();
    this.token = fresh;
    fresh.catch(() => {
      if (this.token === fresh) this.token = undefined;
    });
    return fresh;
  }

  private async requestToken(): Promise<AccessToken> {
    // Okta asks for a DPoP nonce on the first try; answering it is one more round trip, never a loop.
    for (let attempt = 0; attempt < 2; attempt++) {
      const form = {
        grant_type: 'client_credentials',
        scope: (this.credentials.scopes ?? IDENTITY_SOURCE_SCOPES).join(' '),
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await this.clientAssertion(),
      };
      const headers: Record<string, string> = { accept: 'application/json' };
      if (this.credentials.dpop) headers.dpop = await this.dpopProof('POST', this.tokenUrl, {});
      const response = await got.post(this.tokenUrl, {
        form,
        headers,
        retry: { limit: 0 },
        throwHttpErrors: false,
        timeout: { request: 30_000 },
      });
      const body = safeJson(response.body) as
        | {
            access_token?: string;
            token_type?: string;
            expires_in?: number;
            error?: string;
            error_description?: string;
          }
        | undefined;
      const nonce = response.headers['dpop-nonce'];
      if (typeof nonce === 'string') this.dpopNonce = nonce;
      if (response.statusCode === 400 && body?.error === 'use_dpop_nonce' && attempt === 0) continue;
      if (response.statusCode !== 200 || !body?.access_token) {
        // The token endpoint's error names what is wrong (invalid_client, invalid_scope, ...) without echoing secrets.
        const reason =
          [body?.error, body?.error_description].filter(Boolean).join(': ') || `HTTP ${response.statusCode}`;
        throw new OktaTokenError(
          `Okta's token endpoint refused client ${this.credentials.clientId}: ${reason}. Check the client id, ` +
            'that its public key is registered with the app, and that the app is granted the scopes ' +
            `${(this.credentials.scopes ?? IDENTITY_SOURCE_SCOPES).join(', ')}.`,
          response.statusCode,
        );
      }
      return {
        value: body.access_token,
        type: body.token_type === 'DPoP' ? 'DPoP' : 'Bearer',
        expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000,
      };
    }
    throw new OktaTokenError(
      `Okta's token endpoint kept asking client ${this.credentials.clientId} for a DPoP nonce`,
      400,
    );
  }

  private async clientAssertion(): Promise<string> {
    const alg = this.credentials.algorithm ?? 'RS256';
    this.signingKey ??= importSigningKey(this.credentials.privateKey, alg);
    const header: { alg: string; kid?: string } = { alg };
    if (this.credentials.keyId) header.kid = this.credentials.keyId;
    return new SignJWT({})
      .setProtectedHeader(header)
      .setIssuer(this.credentials.clientId)
      .setSubject(this.credentials.clientId)
      .setAudience(this.tokenUrl)
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti(randomUUID())
      .sign(await this.signingKey);
  }

  private async dpopProof(method: string, url: string, extra: { ath?: string }): Promise<string> {
    this.dpopKey ??= generateKeyPair('ES256').then(async ({ privateKey, publicKey }) => ({
      privateKey,
      publicJwk: await exportJWK(publicKey),
    }));
    const { privateKey, publicJwk } = await this.dpopKey;
    const htu = url.split('?')[0];
    const claims: Record<string, string> = { htm: method, htu: htu ?? url, ...extra };
    if (this.dpopNonce) claims.nonce = this.dpopNonce;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: publicJwk })
      .setIssuedAt()
      .setJti(randomUUID())
      .sign(privateKey);
  }
}

async function importSigningKey(key: string | JWK, alg: string): Promise<CryptoKey> {
  const imported = typeof key === 'string' ? await importPKCS8(key, alg) : await importJWK(key, alg);
  if (imported instanceof Uint8Array)
    throw new Error('The OAuth private key must be an asymmetric key (RS256 or ES256)');
  return imported;
}

/** The token endpoint refused; its status decides whether a retry may help (5xx) or not. */
export class OktaTokenError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = 'OktaTokenError';
    this.status = status;
  }
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
