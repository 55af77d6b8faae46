import type { SyncSummary } from './sync-messages.ts';

/**
 * How a sync ended, in words: "applied", or "applied with 3 refused" when records were refused before anything was
 * sent (invalid, or not what Okta's schema takes), so that a run that left people behind never reads as a plain
 * success. The same for "nothing-to-do".
 */
export function outcomeText(summary: Pick<SyncSummary, 'outcome' | 'counts'>): string {
  const refused = summary.counts?.invalid ?? 0;
  if (refused > 0 && (summary.outcome === 'applied' || summary.outcome === 'nothing-to-do')) {
    return `${summary.outcome} with ${refused} refused`;
  }
  return summary.outcome;
}
