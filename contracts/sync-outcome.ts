import type { SyncSummary } from './sync-messages.ts';

/**
 * How a sync ended, in words: "applied", or "applied with 3 refused" when records were refused before anything was
 * sent (invalid, or not what Okta's schema takes), "applied with 1 refused by Okta" when Okta refused records it was
 * sent, so that a run that left people behind never reads as a plain success. The same for "nothing-to-do".
 */
export function outcomeText(summary: Pick<SyncSummary, 'outcome' | 'counts' | 'refused'>): string {
  if (summary.outcome !== 'applied' && summary.outcome !== 'nothing-to-do') return summary.outcome;
  const invalid = summary.counts?.invalid ?? 0;
  const byOkta = summary.refused?.length ?? 0;
  const parts = [...(invalid > 0 ? [`${invalid} refused`] : []), ...(byOkta > 0 ? [`${byOkta} refused by Okta`] : [])];
  return parts.length > 0 ? `${summary.outcome} with ${parts.join(' and ')}` : summary.outcome;
}
