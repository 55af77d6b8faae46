import { ApplicationFailure } from '@temporalio/common';
import { OKTA_FAILURE, type OktaFailureType, type RecordRefusal } from '../../contracts/okta-failure-types.ts';

export { OKTA_FAILURE };

/** Okta's error body, as every non-2xx answer carries it. */
export interface OktaErrorBody {
  errorCode?: string;
  errorSummary?: string;
  errorId?: string;
  errorCauses?: { errorSummary?: string }[];
}

export interface FailedCall {
  /** e.g. "POST /sessions/{id}/bulk-upsert": never the full URL's query or any header. */
  operation: string;
  status: number;
  body: OktaErrorBody | undefined;
  requestId: string | undefined;
}

/** "GET get user answered 404 E0000007: summary: causes (X-Okta-Request-Id …)". */
export function describeFailed(call: FailedCall): string {
  const summary = [call.body?.errorCode, ...reasonsOf(call.body)].filter(Boolean).join(': ');
  const requestId = call.requestId ? ` (X-Okta-Request-Id ${call.requestId})` : '';
  return `${call.operation} answered ${call.status}${summary ? ` ${summary}` : ''}${requestId}`;
}

/** Okta's summary and causes, in its words. */
function reasonsOf(body: OktaErrorBody | undefined): string[] {
  return [body?.errorSummary, ...(body?.errorCauses ?? []).map((c) => c.errorSummary)].filter((text): text is string =>
    Boolean(text),
  );
}

function causeText(body: OktaErrorBody | undefined): string {
  return [body?.errorSummary, ...(body?.errorCauses ?? []).map((c) => c.errorSummary)].join(' ').toLowerCase();
}

/** Turns a non-2xx answer (other than 429 and 5xx, handled by the caller) into a typed failure. */
export function failureForStatus(call: FailedCall, identitySourceId: string): ApplicationFailure {
  const what = describeFailed(call);
  const fail = (type: OktaFailureType, advice: string) =>
    ApplicationFailure.create({ type, message: `${what}. ${advice}`, nonRetryable: true });
  const text = causeText(call.body);
  switch (call.status) {
    case 401:
      return fail(
        OKTA_FAILURE.unauthorized,
        'Okta refused the credentials: check that the API token (or the OAuth client id and private key) is valid, ' +
          'not expired or revoked, and belongs to this Okta org.',
      );
    case 403:
      if (call.operation.includes('user schema')) {
        return fail(
          OKTA_FAILURE.forbidden,
          "The credentials may not read the identity source's user schema, which every sync checks its mapping " +
            'against before sending anything: grant the scope okta.schemas.read (OAuth), or use a token of an admin ' +
            'who may read profile schemas.',
        );
      }
      return fail(
        OKTA_FAILURE.forbidden,
        'The credentials lack permission: grant the scopes okta.identitySources.manage and okta.identitySources.read ' +
          '(OAuth), or use a token of an admin who may manage identity sources.',
      );
    case 404:
      return identitySourceNotFound(call, identitySourceId);
  }
  if (call.status === 400) {
    if (text.includes('at most') && text.includes('bulk requests')) {
      return fail(OKTA_FAILURE.sessionFull, 'The session already holds the 50 bulk requests Okta allows.');
    }
    if (text.includes('every 5 minutes')) {
      return fail(
        OKTA_FAILURE.fiveMinuteRule,
        'Okta allows one new import session per identity source every five minutes.',
      );
    }
    if (text.includes('only one active')) {
      return fail(OKTA_FAILURE.activeSessionExists, 'Another import session of this identity source is still open.');
    }
    if (text.includes('can be canceled') || text.includes('can be triggered') || text.includes('cannot be triggered')) {
      return fail(OKTA_FAILURE.sessionState, 'The session is not in a state that allows this.');
    }
    if (
      text.includes('session') &&
      (text.includes('not found') || text.includes('invalid') || text.includes('unknown'))
    ) {
      return fail(OKTA_FAILURE.sessionNotFound, 'Okta does not know this session (expired, or from another org).');
    }
  }
  return fail(OKTA_FAILURE.rejected, 'Okta refused the request; sending it again would not help.');
}

/**
 * 404 E0000007 for the identity source. On a record's path (GET /users/{externalId}, …) Okta answers the same code
 * for an unknown record and an unknown identity source, so the client tells them apart by listing the source's import
 * sessions: only when that 404s too is the source unknown, and `checkedWith` says so.
 */
export function identitySourceNotFound(
  call: FailedCall,
  identitySourceId: string,
  checkedWith?: string,
): ApplicationFailure {
  const checked = checkedWith ? ` (${checkedWith} answered 404 too)` : '';
  return ApplicationFailure.create({
    type: OKTA_FAILURE.identitySourceNotFound,
    message:
      `${describeFailed(call)}. Okta does not know identity source ${identitySourceId}${checked}: check the identity ` +
      'source id (Admin Console > Settings > Integrations > Identity Sources) and the org URL.',
    nonRetryable: true,
  });
}

/**
 * Okta refused one record (400 on a single-record write): non-retryable, and distinct from a refused request, so the
 * caller refuses this record by id and reason and goes on with the others. Okta's reasons are kept in its words (the
 * client took the sent values out of them).
 */
export function recordRefused(
  call: FailedCall,
  externalId: string,
  reasons = reasonsOf(call.body),
): ApplicationFailure {
  const refusal: RecordRefusal = { externalId, reasons };
  const requestId = call.requestId ? ` (X-Okta-Request-Id ${call.requestId})` : '';
  const code = call.body?.errorCode ? ` ${call.body.errorCode}` : '';
  return ApplicationFailure.create({
    type: OKTA_FAILURE.recordRefused,
    message: `${call.operation} of ${externalId} answered ${call.status}${code}${requestId}: Okta refused this record${
      reasons.length > 0 ? `: ${reasons.join('; ')}` : ''
    }`,
    nonRetryable: true,
    details: [refusal],
  });
}
