import type { ConfirmedUser } from '../store/state-store.ts';
import { forEachConcurrently } from './concurrently.ts';
import type { IdentitySourceClient } from './identity-source-client.ts';
import { driftedAttributes } from './profile-drift.ts';

/**
 * How a confirmed person differs from what Okta holds now: `changed` (attribute names whose values someone changed in
 * Okta), `missing` (confirmed active, but Okta does not have them: refused at import, or deleted), `not-deactivated`
 * (confirmed deactivated, but Okta still answers for them).
 */
export interface Drift {
  externalId: string;
  problem: 'changed' | 'missing' | 'not-deactivated';
  attributes?: string[];
}

export interface DriftCheckOptions {
  /** Reads in flight at once; each still waits for the client's pacer. */
  concurrency: number;
  /** Whether a deactivated person must read as gone (an org that still answers GET for them cannot be checked). */
  deactivations: boolean;
}

/**
 * Reads each confirmed person from Okta (GET /users/{externalId}) and returns those who differ from the record, in the
 * given order. Values are compared only where the record kept the profile sent; older records are checked for
 * presence only. Returns how many were read too (deactivated people are skipped when they cannot be checked).
 */
export async function findDrift(
  okta: Pick<IdentitySourceClient, 'getUser'>,
  identitySourceId: string,
  users: ConfirmedUser[],
  options: DriftCheckOptions,
): Promise<{ checked: number; drift: Drift[] }> {
  const toCheck = options.deactivations ? users : users.filter((u) => u.status === 'ACTIVE');
  const found = new Map<string, Drift>();
  await forEachConcurrently(toCheck, options.concurrency, async (confirmed) => {
    const held = await okta.getUser(identitySourceId, confirmed.externalId);
    const drift = driftOf(confirmed, held?.profile);
    if (drift) found.set(confirmed.externalId, drift);
  });
  return { checked: toCheck.length, drift: toCheck.flatMap((u) => found.get(u.externalId) ?? []) };
}

function driftOf(confirmed: ConfirmedUser, held: Record<string, string | null> | undefined): Drift | undefined {
  const { externalId } = confirmed;
  if (confirmed.status === 'DEACTIVATED') return held ? { externalId, problem: 'not-deactivated' } : undefined;
  if (!held) return { externalId, problem: 'missing' };
  const attributes = confirmed.profile ? driftedAttributes(confirmed.profile, held) : [];
  return attributes.length > 0 ? { externalId, problem: 'changed', attributes } : undefined;
}
