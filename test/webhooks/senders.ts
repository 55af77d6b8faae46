import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { signBambooHr } from '../../client/webhooks/signatures.ts';

/** A Standard Webhooks secret as senders hand them out. */
export function newSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** POSTs a body signed the Standard Webhooks way (one signature per secret, as a sender mid-rotation does). */
export async function sendStandard(
  url: string,
  body: unknown,
  options: { secrets: string[]; id?: string; at?: Date; tamper?: (raw: string) => string },
): Promise<Response> {
  const raw = JSON.stringify(body);
  return sendStandardRaw(url, options.tamper ? options.tamper(raw) : raw, { ...options, signed: raw });
}

/** POSTs bytes as they are (not JSON, say), signed the Standard Webhooks way over `signed` (default: the bytes). */
export async function sendStandardRaw(
  url: string,
  raw: string | Buffer,
  options: { secrets: string[]; id?: string; at?: Date; signed?: string | Buffer },
): Promise<Response> {
  const id = options.id ?? `msg_${randomUUID()}`;
  const at = options.at ?? new Date();
  const signed = options.signed ?? raw;
  const signature = options.secrets.map((secret) => new Webhook(secret).sign(id, at, signed)).join(' ');
  return fetch(`${url}/webhooks/standard`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signature,
    },
    body: raw,
  });
}

/** POSTs a body signed the BambooHR way. */
export async function sendBambooHr(
  url: string,
  body: unknown,
  options: { secret: string; at?: Date; tamper?: (raw: string) => string },
): Promise<Response> {
  const raw = JSON.stringify(body);
  const timestamp = String(Math.floor((options.at ?? new Date()).getTime() / 1000));
  return fetch(`${url}/webhooks/bamboohr`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-bamboohr-timestamp': timestamp,
      'x-bamboohr-signature': signBambooHr(options.secret, raw, timestamp),
    },
    body: options.tamper ? options.tamper(raw) : raw,
  });
}
