/**
 * Messages of the fast path: a small plan applied person by person through Okta's single-record API instead of an
 * import session. Ids, counts and Okta's reasons only, never a profile value.
 */

/** A record Okta refused: its externalId and Okta's reason (attribute names and rules, no values). */
export interface RefusedRecord {
  externalId: string;
  reason: string;
}

export interface ApplyPeopleResult {
  /** needs-session: nothing was written; the plan goes through an import session (see `reason`). */
  outcome: 'applied' | 'needs-session';
  reason?: string;
  /** People of the plan Okta applied (in this attempt or one before it). */
  applied: number;
  refused: RefusedRecord[];
}
