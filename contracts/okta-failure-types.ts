import { ApplicationFailure } from '@temporalio/common';

/**
 * Every way an Okta call can fail, as Temporal failure types. The retry policies and the workflow match on these
 * names, so they are part of the workflow's contract: rename one only with a versioned workflow change.
 */
export const OKTA_FAILURE = {
  /** 429: retryable, the next attempt waits until the server's announced reset. */
  rateLimited: 'OktaRateLimited',
  /** 5xx, timeouts, dropped connections: retryable with backoff. */
  unavailable: 'OktaUnavailable',
  /** 401: the token is invalid or expired, or the OAuth client is misconfigured. */
  unauthorized: 'OktaUnauthorized',
  /** 403: the token lacks a scope or the admin a permission. */
  forbidden: 'OktaForbidden',
  /** 404 E0000007: the identity source id is wrong. */
  identitySourceNotFound: 'OktaIdentitySourceNotFound',
  /** 400 E0000001 on a session id Okta does not know. */
  sessionNotFound: 'OktaSessionNotFound',
  /** 400: another session of this identity source is CREATED or IN_PROGRESS. */
  activeSessionExists: 'OktaActiveSessionExists',
  /** 400: the five-minute rule between a trigger and the next session. */
  fiveMinuteRule: 'OktaFiveMinuteRule',
  /**
   * 400: the session already took 50 bulk requests. Layouts never plan more, so this means an earlier upload whose
   * answer was lost was applied and then sent again: the session is full, and the rest goes into the next one.
   */
  sessionFull: 'OktaSessionFull',
  /** 400: the session is in a state that does not allow the operation (trigger a CREATED one, cancel a TRIGGERED one). */
  sessionState: 'OktaSessionState',
  /** Any other 400: a request Okta refused; retrying sends the same thing again. */
  rejected: 'OktaRequestRejected',
  /**
   * 400 on a single-record write (user, group, membership): Okta refused this one record (a bad attribute, an unknown
   * group). Its details name the record and Okta's reasons, so a caller refuses that record and goes on with others.
   */
  recordRefused: 'OktaRecordRefused',
  /**
   * 400 on a single-record write that names an open import session: Okta does not document how single-record writes
   * meet a session, and an Okta that refuses them meanwhile takes them once the session ends. Retryable.
   */
  blockedBySession: 'OktaRecordBlockedBySession',
} as const;

/** What an OktaRecordRefused failure carries in its details: the record by id, and Okta's reasons without values. */
export interface RecordRefusal {
  externalId: string;
  reasons: string[];
}

export type OktaFailureType = (typeof OKTA_FAILURE)[keyof typeof OKTA_FAILURE];

/** The failure types that no retry can fix; activity retry policies list them as non-retryable. */
export const NON_RETRYABLE_OKTA_FAILURES: OktaFailureType[] = [
  OKTA_FAILURE.unauthorized,
  OKTA_FAILURE.forbidden,
  OKTA_FAILURE.identitySourceNotFound,
  OKTA_FAILURE.sessionNotFound,
  OKTA_FAILURE.activeSessionExists,
  OKTA_FAILURE.fiveMinuteRule,
  OKTA_FAILURE.sessionFull,
  OKTA_FAILURE.sessionState,
  OKTA_FAILURE.rejected,
  OKTA_FAILURE.recordRefused,
];

/** Whether an activity failure's cause is one of ours of the given type. */
export function isOktaFailure(error: unknown, type: OktaFailureType): boolean {
  return hasFailureType(error, type);
}

/** The refusal an OktaRecordRefused failure (or one in its cause chain) carries; undefined for any other error. */
export function recordRefusalOf(error: unknown): RecordRefusal | undefined {
  let current: unknown = error;
  while (current instanceof Error) {
    if (current instanceof ApplicationFailure && current.type === OKTA_FAILURE.recordRefused) {
      return current.details?.[0] as RecordRefusal | undefined;
    }
    current = current.cause;
  }
  return undefined;
}

/** Whether an error, or any error in its cause chain, is an application failure of the given type. */
export function hasFailureType(error: unknown, type: string): boolean {
  let current: unknown = error;
  while (current instanceof Error) {
    if (current instanceof ApplicationFailure && current.type === type) return true;
    current = current.cause;
  }
  return false;
}
