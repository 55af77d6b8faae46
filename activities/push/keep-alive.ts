import { activityInfo, heartbeat } from '@temporalio/activity';

/**
 * Heartbeats while `work` runs, so that a worker that dies mid-call is noticed after the heartbeat timeout instead of
 * the whole start-to-close timeout, and the call moves to another worker quickly. `details` is what the next
 * attempt reads in activityInfo().heartbeatDetails.
 *
 * The first heartbeat goes out a third of the timeout after the start, not at once: the server times a silent attempt
 * out from its start anyway, and most calls end before then, sparing the server a heartbeat write per call.
 */
export async function keepAlive<T>(work: () => Promise<T>, details: () => unknown = () => undefined): Promise<T> {
  const timeoutMs = activityInfo().heartbeatTimeoutMs;
  if (!timeoutMs) return work();
  const timer = setInterval(() => heartbeat(details()), Math.max(100, timeoutMs / 3));
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
