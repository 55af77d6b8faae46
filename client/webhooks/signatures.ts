import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Webhook } from 'standardwebhooks';

/** How far a signed timestamp may be from now, either way: Standard Webhooks' tolerance, used for BambooHR too. */
export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

/** Why a request was refused; never says which secret or what the expected signature was. */
export class SignatureRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignatureRejected';
  }
}

/**
 * Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature) through the `standardwebhooks` library, which
 * also enforces the five-minute tolerance. During a rotation the receiver knows several secrets: any one may match.
 * Returns the delivery id.
 */
export function verifyStandardWebhook(verifiers: Webhook[], rawBody: Buffer, headers: IncomingHttpHeaders): string {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signature = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signature) {
    throw new SignatureRejected('missing webhook-id, webhook-timestamp or webhook-signature header');
  }
  let reason = 'no matching signature';
  for (const verifier of verifiers) {
    try {
      // The body is read after the signature is checked: what it holds is not a signature's concern.
      verifier.verify(
        rawBody,
        { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature },
        { jsonParse: false },
      );
      return id;
    } catch (error) {
      // The library's messages name no secret: "Message timestamp too old", "No matching signature found", …
      reason = error instanceof Error ? error.message : String(error);
    }
  }
  throw new SignatureRejected(reason);
}

/**
 * BambooHR: X-BambooHR-Signature is the hex HMAC-SHA256, with the webhook's private key, of the raw body followed by
 * X-BambooHR-Timestamp (Unix seconds). Returns the timestamp.
 */
export function verifyBambooHr(secret: string, rawBody: Buffer, headers: IncomingHttpHeaders, now: Date): string {
  const signature = header(headers, 'x-bamboohr-signature');
  const timestamp = header(headers, 'x-bamboohr-timestamp');
  if (!signature || !timestamp) throw new SignatureRejected('missing X-BambooHR-Signature or X-BambooHR-Timestamp');
  if (!/^\d{1,12}$/.test(timestamp)) throw new SignatureRejected('X-BambooHR-Timestamp is not Unix seconds');
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS) {
    throw new SignatureRejected('X-BambooHR-Timestamp is more than five minutes away from now');
  }
  const expected = createHmac('sha256', secret).update(rawBody).update(timestamp).digest();
  const given = /^[0-9a-fA-F]{64}$/.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new SignatureRejected('no matching signature');
  }
  return timestamp;
}

/** The signature BambooHR sends (for tests and for checking a setup by hand). */
export function signBambooHr(secret: string, rawBody: Buffer | string, timestamp: string): string {
  return createHmac('sha256', secret).update(rawBody).update(timestamp).digest('hex');
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
