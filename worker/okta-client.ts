import { IdentitySourceClient } from '../activities/okta/identity-source-client.ts';
import type { OktaCredentials } from '../activities/okta/credentials.ts';
import { RateLimitPacer } from '../activities/okta/rate-limit-pacer.ts';
import { readSecret } from '../config/secret-ref.ts';
import type { ServiceConfig } from '../config/service-config.ts';

/** The Okta client of a process: secrets are read here, in the process that calls Okta, and go nowhere else. */
export async function createOktaClient(okta: ServiceConfig['okta']): Promise<IdentitySourceClient> {
  return new IdentitySourceClient({
    orgUrl: okta.orgUrl,
    credentials: await readCredentials(okta.auth),
    pacer: new RateLimitPacer({ share: okta.rateLimitShare, maxInFlight: okta.maxConcurrentRequests }),
    requestTimeoutMs: okta.requestTimeoutMs,
  });
}

async function readCredentials(auth: ServiceConfig['okta']['auth']): Promise<OktaCredentials> {
  if (auth.type === 'ssws') return { kind: 'ssws', token: await readSecret(auth.token) };
  const key = await readSecret(auth.privateKey);
  let privateKey: string | Record<string, string> = key;
  if (key.startsWith('{')) {
    try {
      privateKey = JSON.parse(key) as Record<string, string>;
    } catch {
      // The parser's message could quote the key: say only where it came from.
      throw new Error('okta.auth.privateKey is neither a PEM key nor a valid JWK (JSON)');
    }
  }
  return {
    kind: 'oauth',
    clientId: auth.clientId,
    privateKey,
    algorithm: auth.algorithm,
    dpop: auth.dpop,
    ...(auth.keyId ? { keyId: auth.keyId } : {}),
  };
}
