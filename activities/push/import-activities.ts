import { heartbeat, sleep } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { isOktaFailure, OKTA_FAILURE } from '../../contracts/okta-failure-types.ts';
import type { ImportOutcome, TriggerOutcome } from '../../contracts/push-messages.ts';
import type { IdentitySourceClient, IdentitySourceSession } from '../okta/identity-source-client.ts';
import type { StateStore } from '../store/state-store.ts';
import { UNCHANGED } from './deps.ts';
import { cancelQuietly } from './session-activities.ts';

/** A pending import is not a failure: the activity's retry policy is the polling loop, without history per poll. */
const IMPORT_PENDING = 'OktaImportPending';

/**
 * The last stretch before an import's expected end is waited inside the activity, the rest through a retry delay:
 * Temporal fires retry timers up to about a second late, and a poll that comes too early costs a whole poll interval.
 */
const AWAIT_IN_ACTIVITY_MS = 2_000;

/** The next poll of an import still processing comes after this share of its age… */
const POLL_AFTER_AGE_SHARE = 0.25;
/** …and no sooner than this. */
const MIN_POLL_DELAY_MS = 250;

/**
 * Triggers the import at once, or cancels the session when no upload changed anything: Okta keeps such a session
 * CREATED and refuses to trigger it, so a refusal is the one case that asks Okta for the session's status.
 */
export function triggerImportActivity({ store, okta }: { store: StateStore; okta: IdentitySourceClient }) {
  return async function triggerImport(input: { identitySourceId: string; sessionId: string }): Promise<TriggerOutcome> {
    let triggered: IdentitySourceSession;
    try {
      triggered = await okta.startImport(input.identitySourceId, input.sessionId);
    } catch (error) {
      if (!isOktaFailure(error, OKTA_FAILURE.sessionState) && !isOktaFailure(error, OKTA_FAILURE.rejected)) {
        throw error;
      }
      return await afterRefusedTrigger(store, okta, input, error);
    }
    await store.recordSessionStatus(triggered.id, triggered.status);
    return { outcome: 'TRIGGERED', triggeredAt: triggered.lastUpdated };
  };
}

async function afterRefusedTrigger(
  store: StateStore,
  okta: IdentitySourceClient,
  input: { identitySourceId: string; sessionId: string },
  error: unknown,
): Promise<TriggerOutcome> {
  const session = await okta.getSession(input.identitySourceId, input.sessionId);
  await store.recordSessionStatus(session.id, session.status);
  if (session.status === 'CREATED') {
    await cancelQuietly(okta, input.identitySourceId, input.sessionId);
    await store.recordSessionStatus(session.id, UNCHANGED);
    return { outcome: 'CANCELLED' };
  }
  // An earlier attempt triggered it and its answer was lost.
  if (session.status === 'TRIGGERED') return { outcome: 'TRIGGERED', triggeredAt: session.lastUpdated };
  if (session.status === 'COMPLETED') return { outcome: 'TRIGGERED' };
  if (session.status === 'IN_PROGRESS') throw error;
  throw ApplicationFailure.nonRetryable(
    `Session ${input.sessionId} is ${session.status}; its uploads are lost and the plan's next run sends them again`,
    OKTA_FAILURE.sessionState,
  );
}

/**
 * Polls a triggered session until Okta finishes it. Throws IMPORT_PENDING (retryable) while it is processing, and
 * before `firstPollAt` (epoch ms: when the import can first have finished) without asking Okta at all. Given when
 * the import was triggered, the next poll comes after a share of the import's age (at most the poll interval), so
 * a short import is seen done soon after it is, and a long one costs no more polls than the interval allows.
 */
export function awaitImportActivity({ store, okta }: { store: StateStore; okta: IdentitySourceClient }) {
  return async function awaitImport(input: {
    identitySourceId: string;
    sessionId: string;
    pollIntervalMs: number;
    firstPollAt?: number;
    /** When the import was triggered (epoch ms). */
    triggeredAtMs?: number;
  }): Promise<ImportOutcome> {
    const untilFirstPoll = (input.firstPollAt ?? 0) - Date.now();
    if (untilFirstPoll > AWAIT_IN_ACTIVITY_MS) {
      throw importPending(
        `Okta cannot have finished session ${input.sessionId} yet`,
        untilFirstPoll - AWAIT_IN_ACTIVITY_MS / 2,
      );
    }
    if (untilFirstPoll > 0) await sleep(untilFirstPoll);
    let session = await okta.getSession(input.identitySourceId, input.sessionId);
    // A young import's next poll is under a second away: waited here, since Temporal fires a retry delay up to a
    // second late.
    while (session.status === 'TRIGGERED' && isYoung(input)) {
      heartbeat();
      await sleep(nextPollDelay(input));
      session = await okta.getSession(input.identitySourceId, input.sessionId);
    }
    if (session.status === 'TRIGGERED') {
      throw importPending(`Okta is still processing session ${session.id}`, nextPollDelay(input));
    }
    await store.recordSessionStatus(session.id, session.status);
    return { status: session.status, endedAt: session.lastUpdated };
  };
}

/** An import whose next poll is under a second away (a share of its age): polled again within the attempt. */
function isYoung(input: { triggeredAtMs?: number }): boolean {
  return (
    input.triggeredAtMs !== undefined &&
    (Date.now() - input.triggeredAtMs) * POLL_AFTER_AGE_SHARE < AWAIT_IN_ACTIVITY_MS / 2
  );
}

function nextPollDelay(input: { pollIntervalMs: number; triggeredAtMs?: number }): number {
  if (input.triggeredAtMs === undefined) return input.pollIntervalMs;
  const age = Math.max(0, Date.now() - input.triggeredAtMs);
  return Math.min(input.pollIntervalMs, Math.max(MIN_POLL_DELAY_MS, Math.round(age * POLL_AFTER_AGE_SHARE)));
}

function importPending(message: string, nextRetryDelay: number): ApplicationFailure {
  return ApplicationFailure.create({
    type: IMPORT_PENDING,
    message,
    nextRetryDelay,
    // Expected while Okta works: logged at debug level and kept out of failure metrics.
    category: ApplicationFailureCategory.BENIGN,
  });
}
