import { IdentitySourceClient } from '../activities/okta/identity-source-client.ts';
import type { OktaCredentials } from '../activities/okta/credentials.ts';
import { RateLimitPacer } from '../activities/okta/rate-limit-pacer.ts';
import { readSecret, type ServiceConfig } from '../config/service-config.ts';

/** The worker's one Okta client: secrets are read here, in the worker process, and go nowhere else. */
export async function createOktaClient(okta: ServiceConfig['okta']): Promise<IdentitySourceClient> {
  return new IdentitySourceClient({
    orgUrl: okta.orgUrl,
    credentials: await readCredentials(okta.auth),
    pacer: new RateLimitPacer({ share: okta.rateLimitShare }),
    requestTimeoutMs: okta.requestTimeoutMs,
  });
}

async function readCredentials(auth: ServiceConfig['okta']['auth']): Promise<OktaCredentials> {
  if (auth.type === 'ssws') return { kind: 'ssws', token: await readSecret(auth.token) };
  const key = await readSecret(auth.privateKey);
  return {
    kind: 'oauth',
    clientId: auth.clientId,
    privateKey: key.startsWith('{') ? (JSON.parse(key) as Record<string, string>) : key,
    algorithm: auth.algorithm,
    dpop: auth.dpop,
    ...(auth.keyId ? { keyId: auth.keyId } : {}),
  };
}
