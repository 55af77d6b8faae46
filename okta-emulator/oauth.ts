// POST /oauth2/v1/token: the client credentials grant with private_key_jwt, and DPoP for apps that require it.
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  jwtVerify,
  type JWTVerifyGetKey,
} from 'jose';
import { PROOF_ALGORITHMS, type Credentials } from './auth.ts';
import { randomSecret } from './ids.ts';
import { ALL_SCOPES, type OAuthClientConfig } from './options.ts';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const MAX_ASSERTION_LIFETIME_S = 3600;
const NONCE_TTL_MS = 10 * 60_000;

export interface TokenResponse {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

interface Client {
  config: OAuthClientConfig;
  keys: JWTVerifyGetKey;
  scopes: ReadonlySet<string>;
}

export class TokenEndpoint {
  private readonly clients = new Map<string, Client>();
  private readonly nonces = new Map<string, number>();
  private readonly credentials: Credentials;
  private readonly ttlMs: () => number;

  constructor(credentials: Credentials, ttlMs: () => number) {
    this.credentials = credentials;
    this.ttlMs = ttlMs;
  }

  addClient(config: OAuthClientConfig): void {
    this.clients.set(config.clientId, {
      config,
      keys: createLocalJWKSet({ keys: config.publicJwks }),
      scopes: new Set(config.scopes ?? ALL_SCOPES),
    });
  }

  /** `audiences`: the token URLs a client may address its assertion to (the emulator's URL and the Host it used). */
  async handle(
    form: URLSearchParams,
    dpop: string | undefined,
    audiences: string[],
    now: number,
  ): Promise<TokenResponse> {
    if (form.get('grant_type') !== 'client_credentials') {
      return oauthError(400, 'unsupported_grant_type', 'The grant_type must be client_credentials.');
    }
    const assertion = form.get('client_assertion');
    if (form.get('client_assertion_type') !== ASSERTION_TYPE || !assertion) {
      return oauthError(401, 'invalid_client', 'Client authentication requires a private_key_jwt client_assertion.');
    }
    let clientId: unknown;
    try {
      decodeProtectedHeader(assertion);
      clientId = decodeJwt(assertion).iss;
    } catch {
      return oauthError(401, 'invalid_client', 'The client_assertion is not a well-formed JWT.');
    }
    const client = typeof clientId === 'string' ? this.clients.get(clientId) : undefined;
    if (!client || (form.has('client_id') && form.get('client_id') !== clientId)) {
      return oauthError(401, 'invalid_client', 'The client_id is unknown or does not match the client_assertion.');
    }
    try {
      const { payload } = await jwtVerify(assertion, client.keys, {
        audience: audiences,
        issuer: client.config.clientId,
        subject: client.config.clientId,
        requiredClaims: ['exp', 'jti'],
        algorithms: PROOF_ALGORITHMS,
      });
      if ((payload.exp ?? 0) > now / 1000 + MAX_ASSERTION_LIFETIME_S + 60) {
        return oauthError(401, 'invalid_client', 'The client_assertion exp is more than one hour in the future.');
      }
      if (
        !this.credentials.useJti(`assertion:${client.config.clientId}:${payload.jti}`, (payload.exp ?? 0) * 1000, now)
      ) {
        return oauthError(401, 'invalid_client', 'The client_assertion jti was already used.');
      }
    } catch (error) {
      return oauthError(401, 'invalid_client', `The client_assertion is invalid: ${(error as Error).message}`);
    }

    const requested = (form.get('scope') ?? '').split(' ').filter(Boolean);
    if (requested.length === 0) return oauthError(400, 'invalid_scope', 'The client must request at least one scope.');
    const refused = requested.filter((scope) => !client.scopes.has(scope));
    if (refused.length > 0) {
      return oauthError(400, 'invalid_scope', `The following scopes are not allowed: ${refused.join(', ')}.`);
    }

    let jkt: string | undefined;
    if (client.config.requireDpop) {
      const problem = await this.credentials.proofProblem(dpop, {
        method: 'POST',
        path: '/oauth2/v1/token',
        now,
        nonce: (nonce) => typeof nonce === 'string' && (this.nonces.get(nonce) ?? 0) > now,
      });
      if (problem === 'use_dpop_nonce') {
        const nonce = this.issueNonce(now);
        return {
          ...oauthError(400, 'use_dpop_nonce', 'Authorization server requires nonce in DPoP proof.'),
          headers: { 'dpop-nonce': nonce },
        };
      }
      if (problem) return oauthError(400, 'invalid_dpop_proof', problem);
      const { jwk } = decodeProtectedHeader(dpop ?? '');
      if (!jwk) return oauthError(400, 'invalid_dpop_proof', 'The DPoP proof must carry a public jwk header.');
      jkt = await calculateJwkThumbprint(jwk);
    }

    const accessToken = randomSecret();
    const ttlMs = this.ttlMs();
    this.credentials.accessTokens.set(accessToken, {
      clientId: client.config.clientId,
      scopes: new Set(requested),
      expiresAt: now + ttlMs,
      jkt,
    });
    return {
      status: 200,
      headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
      body: {
        token_type: jkt ? 'DPoP' : 'Bearer',
        expires_in: Math.round(ttlMs / 1000),
        access_token: accessToken,
        scope: requested.join(' '),
      },
    };
  }

  private issueNonce(now: number): string {
    for (const [nonce, until] of this.nonces) if (until <= now) this.nonces.delete(nonce);
    const nonce = randomSecret(24);
    this.nonces.set(nonce, now + NONCE_TTL_MS);
    return nonce;
  }
}

function oauthError(status: number, error: string, description: string): TokenResponse {
  return {
    status,
    headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
    body: { error, error_description: description },
  };
}
