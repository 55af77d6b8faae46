import { ApplicationFailure } from '@temporalio/common';
import type { StateStore } from '../store/state-store.ts';
import { UNCHANGED } from './deps.ts';

/**
 * Advances the record of what Okta has, for the requests of a COMPLETED session, or of one Okta left CREATED because
 * none of its uploads changed anything (Okta already matched them).
 */
export function confirmImportActivity(store: StateStore) {
  return async function confirmImport(input: {
    planId: string;
    sessionId: string;
    requestIndexes: number[];
    /** What the run learned from this import, kept for the identity source's next push. */
    importTime?: { msPerRecord: number; records: number };
    /** People Okta did not apply as sent (read-back): left unconfirmed, so the next plan sends them again. */
    exceptUsers?: string[];
  }): Promise<void> {
    const session = await store.getSession(input.sessionId);
    if (session?.status !== 'COMPLETED' && session?.status !== UNCHANGED) {
      throw ApplicationFailure.nonRetryable(`Session ${input.sessionId} is not COMPLETED; nothing confirmed`);
    }
    if (input.importTime) {
      await store.recordImportTime(session.identitySourceId, input.importTime, new Date().toISOString());
    }
    const confirmedAt = new Date().toISOString();
    for (const [from, to] of contiguousRuns(input.requestIndexes)) {
      await store.confirmRequests(input.planId, from, to, confirmedAt, input.exceptUsers, session.updatedAt);
    }
  };
}

/** [from, to) runs of consecutive request indexes. */
function contiguousRuns(indexes: number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const index of [...indexes].sort((a, b) => a - b)) {
    const last = runs.at(-1);
    if (last && last[1] === index) last[1] = index + 1;
    else runs.push([index, index + 1]);
  }
  return runs;
}

/**
 * A plan's status: applied, failed or cancelled by its push; planned or rejected after a person's decision, or
 * applied with nothing to push, by the coordinator. One activity for both, as a worker registers one per name.
 */
export function recordPlanStatusActivity(store: StateStore) {
  return async function recordPlanStatus(input: {
    planId: string;
    status: 'planned' | 'rejected' | 'applied' | 'failed' | 'cancelled';
  }): Promise<void> {
    await store.setPlanStatus(input.planId, input.status);
  };
}
