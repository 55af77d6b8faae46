import { oktaId } from './ids.ts';

export interface OktaErrorBody {
  errorCode: string;
  errorSummary: string;
  errorLink: string;
  errorId: string;
  errorCauses: { errorSummary: string }[];
}

/** An Okta API error: the HTTP status and the body Okta answers with. Thrown by handlers, rendered by the server. */
export class OktaError extends Error {
  readonly status: number;
  readonly code: string;
  readonly causes: string[];
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    summary: string,
    causes: string[] = [],
    headers: Record<string, string> = {},
  ) {
    super(summary);
    this.status = status;
    this.code = code;
    this.causes = causes;
    this.headers = headers;
  }

  body(): OktaErrorBody {
    return {
      errorCode: this.code,
      errorSummary: this.message,
      errorLink: this.code,
      errorId: oktaId('oae'),
      errorCauses: this.causes.map((errorSummary) => ({ errorSummary })),
    };
  }
}

/** 400 E0000001: Okta's answer to every broken session rule, with a cause saying which. */
export function validationFailed(subject: string, cause: string): OktaError {
  return new OktaError(400, 'E0000001', `Api validation failed: ${subject}`, [cause]);
}

export function malformedBody(cause: string): OktaError {
  return new OktaError(400, 'E0000003', 'The request body was not well-formed.', [cause]);
}

export function identitySourceNotFound(id: string): OktaError {
  return new OktaError(404, 'E0000007', `Not found: Resource not found: ${id} (IdentitySource)`);
}

export function resourceNotFound(path: string): OktaError {
  return new OktaError(404, 'E0000007', `Not found: Resource not found: ${path} (Endpoint)`);
}

export function methodNotAllowed(): OktaError {
  return new OktaError(405, 'E0000022', 'The endpoint does not support the provided HTTP method');
}

export function invalidToken(headers: Record<string, string> = {}): OktaError {
  return new OktaError(401, 'E0000011', 'Invalid token provided', [], headers);
}

export function forbidden(headers: Record<string, string> = {}): OktaError {
  return new OktaError(403, 'E0000006', 'You do not have permission to perform the requested action', [], headers);
}

export function rateLimited(): OktaError {
  return new OktaError(429, 'E0000047', 'API call exceeded rate limit due to too many requests.');
}

export function serverError(status: number): OktaError {
  return status === 500
    ? new OktaError(500, 'E0000009', 'Internal Server Error')
    : new OktaError(status, 'E0000009', 'Service Unavailable');
}
