import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failure messages and stack traces go into the failure's encoded attributes, a payload, so that the payload codec
 * encrypts them like any other payload: an error can quote what Okta or the store said about a person. Loaded by
 * path (`failureConverterPath`) in workers, clients and the workflow bundle alike, so it must stay sandbox-safe.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
