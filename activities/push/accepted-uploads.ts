import type { StateStore } from '../store/state-store.ts';
import { SharedWrites } from '../store/shared-writes.ts';

/**
 * Records the uploads Okta accepted into a session, durably, as they are accepted: uploads accepted while a write is
 * under way go into the next write together, so that a session of 50 uploads costs a few store writes, not 50.
 * `add` resolves once the upload is recorded: an upload's slot in the window is held until then, so that a worker
 * killed at any moment leaves at most the window's width of uploads unrecorded (and so sent again).
 */
export function acceptedUploadsRecorder(
  store: Pick<StateStore, 'recordUploadsAccepted'>,
  planId: string,
  sessionId: string,
): { add(requestIndex: number): Promise<void> } {
  const writes = new SharedWrites(async (requestIndexes: number[]) => {
    await store.recordUploadsAccepted(planId, sessionId, requestIndexes, new Date().toISOString());
    return requestIndexes.map(() => undefined);
  });
  return {
    async add(requestIndex) {
      await writes.add([requestIndex]);
    },
  };
}
