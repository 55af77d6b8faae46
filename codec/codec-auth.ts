import { createHash, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';

/** Decides whether a request's Authorization header may see decoded payloads. */
export type CodecAuth = (authorization: string | undefined) => Promise<boolean>;

function bearer(header: string | undefined): string | undefined {
  return /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim();
}

/** A shared token (the `temporal` CLI's `--codec-auth "Bearer …"`, scripts). Compared in constant time. */
export function bearerTokenAuth(token: string): CodecAuth {
  const expected = createHash('sha256').update(token).digest();
  return (header) => {
    const presented = bearer(header);
    return Promise.resolve(
      presented !== undefined && timingSafeEqual(createHash('sha256').update(presented).digest(), expected),
    );
  };
}

/**
 * The Web UI's signed-in user: with OIDC on the UI and `TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true`, the UI sends the
 * user's access token, which must be signed by the issuer's keys and meant for this audience.
 */
export function jwtAuth(options: { issuer: string; audience: string; jwksUrl: string }): CodecAuth {
  const keys = createRemoteJWKSet(new URL(options.jwksUrl));
  return async (header) => {
    const token = bearer(header);
    if (!token) return false;
    try {
      await jwtVerify(token, keys, { issuer: options.issuer, audience: options.audience });
      return true;
    } catch {
      return false;
    }
  };
}

/** Only behind a proxy that authenticates every request. */
export const noAuth: CodecAuth = () => Promise.resolve(true);
