import type { RefusedByOkta } from './push-messages.ts';
import type { SyncSummary } from './sync-messages.ts';

/**
 * How a sync ended, in words: "applied", or "applied with 3 refused" when records were refused before anything was
 * sent (invalid, or not what Okta's schema takes), "applied with 2 refused by Okta" when Okta refused records it was
 * sent or read-back found people Okta did not apply as sent (they stay pending and are sent again), so that a run that
 * left people behind never reads as a plain success. The same for "nothing-to-do".
 */
export function outcomeText(summary: Pick<SyncSummary, 'outcome' | 'counts' | 'refused' | 'push'>): string {
  if (summary.outcome !== 'applied' && summary.outcome !== 'nothing-to-do') return summary.outcome;
  const invalid = summary.counts?.invalid ?? 0;
  // A push counts all it found (its list stops at 1,000); the fast path lists each refusal.
  const byOkta = summary.push?.totals?.recordsRefusedByOkta ?? summary.refused?.length ?? 0;
  const parts = [...(invalid > 0 ? [`${invalid} refused`] : []), ...(byOkta > 0 ? [`${byOkta} refused by Okta`] : [])];
  return parts.length > 0 ? `${summary.outcome} with ${parts.join(' and ')}` : summary.outcome;
}

/** Why read-back keeps a person pending, in words (attribute names and Okta's reasons, never values). */
export function readBackReason(refused: RefusedByOkta): string {
  switch (refused.problem) {
    case 'missing':
      return 'not in Okta after the import (refused at import)';
    case 'differs':
      return `Okta holds other values of ${refused.attributes?.join(', ') ?? '?'} than were sent`;
    case 'still-active':
      return 'Okta still has them after their deactivation';
    case 'refused':
      return `Okta refused the replace that clears what it kept: ${refused.reasons?.join('; ') ?? '?'}`;
  }
}
