import { activityInfo, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { isOktaFailure, OKTA_FAILURE } from '../../contracts/okta-failure-types.ts';
import type { ClearTheWayResult, SessionRef } from '../../contracts/push-messages.ts';
import type { IdentitySourceClient, IdentitySourceSession, SessionStatus } from '../okta/identity-source-client.ts';
import type { StateStore } from '../store/state-store.ts';

const ACTIVE: SessionStatus[] = ['CREATED', 'IN_PROGRESS', 'TRIGGERED'];

/** Cancels a session, leaving alone one that someone (an earlier attempt of ours) closed or triggered meanwhile. */
export async function cancelQuietly(okta: IdentitySourceClient, identitySourceId: string, sessionId: string) {
  try {
    await okta.cancelSession(identitySourceId, sessionId);
  } catch (error) {
    if (isOktaFailure(error, OKTA_FAILURE.sessionState)) return;
    throw error;
  }
}

/**
 * Makes sure no stale session blocks a new one: cancels sessions left by dead runs (or by this workflow's earlier
 * runs), waits for triggered ones and for those a live run owns, and reports sessions of other tools.
 */
export function clearTheWayActivity(deps: { store: StateStore; okta: IdentitySourceClient; temporal: Client }) {
  const { store, okta } = deps;
  return async function clearTheWay(input: {
    identitySourceId: string;
    workflowId: string;
    runId: string;
    reclaimForeignSessions: boolean;
  }): Promise<ClearTheWayResult> {
    const active = (await okta.listSessions(input.identitySourceId)).filter((s) => ACTIVE.includes(s.status));
    const cancelled: string[] = [];
    for (const session of active) {
      const owner = await store.getSession(session.id);
      const reason = await blockingReason(deps.temporal, input, session, owner);
      if (reason) return { clear: false, sessionId: session.id, status: session.status, reason };
      // Our own triggered imports queue in Okta ahead of the next session.
      if (session.status === 'TRIGGERED') continue;
      await cancelQuietly(okta, input.identitySourceId, session.id);
      cancelled.push(session.id);
      log.info('Cancelled a stale import session', { sessionId: session.id, owner: owner?.workflowId ?? 'unknown' });
    }
    return { clear: true, cancelled };
  };
}

/** Why an active session blocks a new one (undefined: it does not; it is ours, stale or reclaimable). */
async function blockingReason(
  temporal: Client,
  input: { workflowId: string; reclaimForeignSessions: boolean },
  session: IdentitySourceSession,
  owner: { workflowId: string; runId: string } | undefined,
): Promise<string | undefined> {
  if (session.status === 'TRIGGERED') {
    return owner?.workflowId === input.workflowId ? undefined : 'an import is being processed';
  }
  if (owner) {
    // Earlier runs of this workflow id are closed, since this one runs: their sessions are stale.
    const alive = owner.workflowId !== input.workflowId && (await isRunAlive(temporal, owner.workflowId, owner.runId));
    return alive ? `owned by live run ${owner.workflowId}` : undefined;
  }
  return input.reclaimForeignSessions ? undefined : 'opened by another tool (set reclaimForeignSessions to cancel it)';
}

async function isRunAlive(temporal: Client, workflowId: string, runId: string): Promise<boolean> {
  try {
    const description = await temporal.workflow.getHandle(workflowId, runId).describe();
    return description.status.name === 'RUNNING';
  } catch (error) {
    if ((error as { name?: string }).name === 'WorkflowNotFoundError') return false;
    throw error;
  }
}

/** Opens the session for one slice of the plan and records this run as its owner. */
export function openSessionActivity({ store, okta }: { store: StateStore; okta: IdentitySourceClient }) {
  return async function openSession(input: {
    identitySourceId: string;
    planId: string;
    sessionIndex: number;
    workflowId: string;
    runId: string;
  }): Promise<SessionRef> {
    let session: IdentitySourceSession;
    try {
      session = await okta.createSession(input.identitySourceId);
    } catch (error) {
      const adopted =
        isOktaFailure(error, OKTA_FAILURE.activeSessionExists) && activityInfo().attempt > 1
          ? await adoptOwnLostSession(store, okta, input.identitySourceId)
          : undefined;
      if (!adopted) throw error;
      session = adopted;
    }
    await store.recordSessionOpened({
      identitySourceId: input.identitySourceId,
      oktaSessionId: session.id,
      planId: input.planId,
      sessionIndex: input.sessionIndex,
      workflowId: input.workflowId,
      runId: input.runId,
      openedAt: new Date().toISOString(),
    });
    await store.recordSessionStatus(session.id, session.status);
    return { sessionId: session.id };
  };
}

/**
 * An earlier attempt may have created a session and died before recording it. Such a session is CREATED, known to
 * no run, and was created after this activity was first scheduled: it is ours.
 */
async function adoptOwnLostSession(
  store: StateStore,
  okta: IdentitySourceClient,
  identitySourceId: string,
): Promise<IdentitySourceSession | undefined> {
  const since = activityInfo().scheduledTimestampMs;
  for (const session of await okta.listSessions(identitySourceId)) {
    if (session.status !== 'CREATED' || Date.parse(session.created) < since - 1_000) continue;
    if (await store.getSession(session.id)) continue;
    log.info('Adopted the session an earlier attempt opened', { sessionId: session.id });
    return session;
  }
  return undefined;
}

/** Cancels a session if Okta still allows it (CREATED or IN_PROGRESS); used by cleanup, so it never throws for state. */
export function cancelSessionActivity({ store, okta }: { store: StateStore; okta: IdentitySourceClient }) {
  return async function cancelSession(input: {
    identitySourceId: string;
    sessionId: string;
  }): Promise<SessionStatus | 'UNKNOWN'> {
    let session: IdentitySourceSession;
    try {
      session = await okta.getSession(input.identitySourceId, input.sessionId);
    } catch (error) {
      if (isOktaFailure(error, OKTA_FAILURE.sessionNotFound)) return 'UNKNOWN';
      throw error;
    }
    if (session.status === 'CREATED' || session.status === 'IN_PROGRESS') {
      await cancelQuietly(okta, input.identitySourceId, input.sessionId);
      await store.recordSessionStatus(session.id, 'CLOSED');
      return 'CLOSED';
    }
    await store.recordSessionStatus(session.id, session.status);
    return session.status;
  };
}
