// Who may call the API: SSWS API tokens, and access tokens issued by the token endpoint (Bearer, or DPoP-bound to a
// key whose proof must accompany every call).
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, type JWTPayload } from 'jose';
import { forbidden, invalidToken } from './errors.ts';
import { ALL_SCOPES, type ApiTokenConfig } from './options.ts';

export interface Principal {
  scheme: 'SSWS' | 'Bearer' | 'DPoP';
  scopes: ReadonlySet<string>;
}

export interface AccessToken {
  clientId: string;
  scopes: ReadonlySet<string>;
  expiresAt: number;
  /** Thumbprint of the DPoP key the token is bound to. */
  jkt?: string;
}

/** How far a DPoP proof's iat may be from the server's clock. */
const PROOF_IAT_TOLERANCE_S = 300;
export const PROOF_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256'];

export class Credentials {
  readonly apiTokens = new Map<string, ReadonlySet<string>>();
  readonly accessTokens = new Map<string, AccessToken>();
  /** jti values already seen (client assertions and DPoP proofs) → when they may be forgotten. */
  private readonly seenJti = new Map<string, number>();

  addApiToken(config: ApiTokenConfig): void {
    this.apiTokens.set(config.token, new Set(config.scopes ?? ALL_SCOPES));
  }

  /** Records a jti; false when it was used before (a replay). */
  useJti(jti: string, forgetAfter: number, now: number): boolean {
    if (this.seenJti.size > 10_000) for (const [id, until] of this.seenJti) if (until < now) this.seenJti.delete(id);
    if (this.seenJti.has(jti)) return false;
    this.seenJti.set(jti, forgetAfter);
    return true;
  }

  async authenticate(
    authorization: string | undefined,
    dpop: string | undefined,
    method: string,
    path: string,
    now: number,
  ): Promise<Principal> {
    const [scheme, value] = splitAuthorization(authorization);
    if (scheme === 'SSWS') {
      const scopes = value ? this.apiTokens.get(value) : undefined;
      if (!scopes) throw invalidToken();
      return { scheme: 'SSWS', scopes };
    }
    if (scheme === 'Bearer' || scheme === 'DPoP') {
      const challenge = scheme === 'Bearer' ? 'Bearer realm="IdpMyAccountAPI"' : 'DPoP algs="RS256 ES256"';
      const token = value ? this.accessTokens.get(value) : undefined;
      if (!value || !token || token.expiresAt <= now) {
        throw invalidToken({
          'WWW-Authenticate': `${challenge}, error="invalid_token", error_description="The access token is invalid."`,
        });
      }
      if (scheme === 'Bearer' && token.jkt) {
        throw invalidToken({
          'WWW-Authenticate': `${challenge}, error="invalid_token", error_description="The access token is DPoP-bound: use the DPoP scheme."`,
        });
      }
      if (scheme === 'DPoP') {
        if (!token.jkt)
          throw invalidToken({
            'WWW-Authenticate': `${challenge}, error="invalid_token", error_description="The access token is not DPoP-bound."`,
          });
        const problem = await this.proofProblem(dpop, { method, path, now, accessToken: value, jkt: token.jkt });
        if (problem)
          throw invalidToken({
            'WWW-Authenticate': `${challenge}, error="invalid_dpop_proof", error_description="${problem}"`,
          });
      }
      return { scheme, scopes: token.scopes };
    }
    throw invalidToken();
  }

  /**
   * Checks a DPoP proof (RFC 9449): typ, signature by the embedded public key, htm, htu, iat, jti and, for API
   * calls, ath and the key the token is bound to. Returns what is wrong, or undefined.
   */
  async proofProblem(
    proof: string | undefined,
    expected: {
      method: string;
      path: string;
      now: number;
      accessToken?: string;
      jkt?: string;
      nonce?: (nonce: unknown) => boolean;
    },
  ): Promise<string | undefined> {
    if (!proof) return 'The DPoP proof JWT header is missing.';
    let payload: JWTPayload;
    let jwk: Parameters<typeof calculateJwkThumbprint>[0] | undefined;
    try {
      const verified = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: PROOF_ALGORITHMS });
      payload = verified.payload;
      jwk = verified.protectedHeader.jwk;
    } catch (error) {
      return `The DPoP proof is invalid: ${(error as Error).message}`;
    }
    if (!jwk || 'd' in jwk) return 'The DPoP proof must carry a public jwk header.';
    if (payload.htm !== expected.method)
      return `The DPoP proof htm is ${String(payload.htm)}, expected ${expected.method}.`;
    if (typeof payload.htu !== 'string' || htuPath(payload.htu) !== expected.path)
      return 'The DPoP proof htu does not match the request URL.';
    if (typeof payload.iat !== 'number' || Math.abs(payload.iat - expected.now / 1000) > PROOF_IAT_TOLERANCE_S) {
      return 'The DPoP proof iat is too far from the current time.';
    }
    if (typeof payload.jti !== 'string' || !payload.jti) return 'The DPoP proof has no jti.';
    if (expected.accessToken !== undefined) {
      const ath = createHash('sha256').update(expected.accessToken).digest('base64url');
      if (payload.ath !== ath) return 'The DPoP proof ath does not match the access token.';
    }
    if (expected.jkt !== undefined && (await calculateJwkThumbprint(jwk)) !== expected.jkt) {
      return 'The DPoP proof is not signed by the key the access token is bound to.';
    }
    if (expected.nonce && !expected.nonce(payload.nonce)) return 'use_dpop_nonce';
    if (!this.useJti(`dpop:${payload.jti}`, expected.now + 2 * PROOF_IAT_TOLERANCE_S * 1000, expected.now)) {
      return 'The DPoP proof jti was already used.';
    }
    return undefined;
  }
}

/** Reads needs okta.identitySources.read (or manage); every other call needs manage. */
export function requireScope(principal: Principal, write: boolean, schema = false): void {
  if (schema) {
    if (principal.scopes.has('okta.schemas.read') || principal.scopes.has('okta.schemas.manage')) return;
    throw forbidden(insufficientScope(principal, 'okta.schemas.read'));
  }
  const ok = write
    ? principal.scopes.has('okta.identitySources.manage')
    : principal.scopes.has('okta.identitySources.read') || principal.scopes.has('okta.identitySources.manage');
  if (ok) return;
  const needed = write ? 'okta.identitySources.manage' : 'okta.identitySources.read';
  throw forbidden(insufficientScope(principal, needed));
}

function insufficientScope(principal: Principal, needed: string): Record<string, string> {
  return principal.scheme === 'SSWS'
    ? {}
    : {
        'WWW-Authenticate': `${principal.scheme} error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", scope="${needed}"`,
      };
}

function splitAuthorization(header: string | undefined): [string, string | undefined] {
  if (!header) return ['', undefined];
  const space = header.indexOf(' ');
  if (space < 0) return [header, undefined];
  return [header.slice(0, space), header.slice(space + 1).trim()];
}

/** The path of an htu, duplicate slashes collapsed as the server collapses them; host and scheme may differ (localhost vs 127.0.0.1). */
function htuPath(htu: string): string | undefined {
  try {
    return new URL(htu).pathname.replace(/\/{2,}/g, '/');
  } catch {
    return undefined;
  }
}
