/**
 * The HR system's side of the webhook benchmark, run in a worker thread so that sending and signing do not share an
 * event loop with the receiver, the worker and the emulator: each delivery is signed the Standard Webhooks way at the
 * moment it is sent and posted over keep-alive HTTP, `concurrency` at a time or at a steady rate.
 */
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { Webhook } from 'standardwebhooks';
import type { Delivery, DeliveryResult, LoadInput } from './webhook-load.ts';

const input = workerData as LoadInput;
const signer = new Webhook(input.secret);
const agent = new Agent({ keepAlive: true, maxSockets: input.concurrency });
const target = new URL('/webhooks/standard', input.url);

function post(delivery: Delivery): Promise<DeliveryResult> {
  return new Promise((resolve) => {
    const at = new Date();
    const started = performance.now();
    const sentAt = at.getTime();
    const headers = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(delivery.body)),
      'webhook-id': delivery.webhookId,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signer.sign(delivery.webhookId, at, delivery.body),
    };
    const done = (status: number, body: string) =>
      resolve({ status, body, latencyMs: performance.now() - started, sentAt, answeredAt: Date.now() });
    const outgoing = request(target, { method: 'POST', agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => done(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
    });
    // A refused or reset connection counts as a failed delivery (status 0), never as a crash of the bench.
    outgoing.on('error', (error) => done(0, error.message));
    outgoing.end(delivery.body);
  });
}

/** `concurrency` senders, each sending its next delivery once the last one was answered. */
async function closedLoop(): Promise<DeliveryResult[]> {
  const results = new Array<DeliveryResult>(input.deliveries.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(input.concurrency, input.deliveries.length) }, async () => {
      while (next < input.deliveries.length) {
        const index = next++;
        results[index] = await post(input.deliveries[index]!);
      }
    }),
  );
  return results;
}

/** A steady rate, as an HR system sends its events: each at its own time, however long the earlier answers take. */
function openLoop(intervalMs: number): Promise<DeliveryResult[]> {
  const start = performance.now();
  return Promise.all(
    input.deliveries.map(
      (delivery, i) =>
        new Promise<DeliveryResult>((resolve) => {
          setTimeout(() => resolve(post(delivery)), Math.max(0, start + i * intervalMs - performance.now()));
        }),
    ),
  );
}

const started = performance.now();
const results = input.intervalMs === undefined ? await closedLoop() : await openLoop(input.intervalMs);
const wallMs = performance.now() - started;
agent.destroy();
parentPort!.postMessage({ results, wallMs });
