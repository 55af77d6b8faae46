import type { StateStore } from '../store/state-store.ts';

/**
 * Records the uploads Okta accepted into a session, durably, as they are accepted. Uploads accepted while a write is
 * under way go into the next write together, so that a session of 50 uploads costs a few store writes, not 50.
 * `add` resolves once the upload is recorded: an upload's slot in the window is held until then, so that a worker
 * killed at any moment leaves at most the window's width of uploads unrecorded (and so sent again).
 */
export function acceptedUploadsRecorder(
  store: Pick<StateStore, 'recordUploadsAccepted'>,
  planId: string,
  sessionId: string,
): { add(requestIndex: number): Promise<void> } {
  let queued: number[] = [];
  /** The write that will take `queued`, started once the one before it ends. */
  let nextWrite: Promise<void> | undefined;
  let lastWrite: Promise<void> = Promise.resolve();
  return {
    add(requestIndex) {
      queued.push(requestIndex);
      if (!nextWrite) {
        const write = lastWrite.then(() => {
          const batch = queued;
          queued = [];
          nextWrite = undefined;
          return store.recordUploadsAccepted(planId, sessionId, batch, new Date().toISOString());
        });
        nextWrite = write;
        lastWrite = write.catch(() => undefined);
      }
      return nextWrite;
    },
  };
}
