import type { IdentitySourceClient } from './identity-source-client.ts';
import { isOktaFailure, OKTA_FAILURE } from '../../contracts/okta-failure-types.ts';

/** What one cheap read says of an identity source id: known, unknown (404 E0000007), or not found out. */
export type IdentitySourceVerdict = 'known' | 'unknown' | 'unverified';

/**
 * Asks Okta whether it knows an identity source, with the cheapest read there is (its list of import sessions), so a
 * mistyped id is found before anything is planned. Only Okta's "not found" counts as unknown: any other trouble is
 * the push's to ride out. Ids found known are not asked again.
 */
export function identitySourceCheck(okta: Pick<IdentitySourceClient, 'listSessions'>) {
  const known = new Set<string>();
  return async (identitySourceId: string): Promise<IdentitySourceVerdict> => {
    if (known.has(identitySourceId)) return 'known';
    try {
      await okta.listSessions(identitySourceId);
      known.add(identitySourceId);
      return 'known';
    } catch (error) {
      return isOktaFailure(error, OKTA_FAILURE.identitySourceNotFound) ? 'unknown' : 'unverified';
    }
  };
}
