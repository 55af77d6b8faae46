import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import type { HrEvent, StateStore } from '../activities/store/state-store.ts';
import { DEFAULT_MAX_BODY_BYTES } from '../config/webhooks.ts';
import { createLogger } from '../observability/logger.ts';
import type { CoordinatorOptions } from '../contracts/sync-messages.ts';
import { notifyHrChanged } from './sync-client.ts';
import { CoalescingHandoff } from './webhooks/coalescing-handoff.ts';
import { SharedWrites } from '../activities/store/shared-writes.ts';
import { InvalidEvents, bambooHrEvents, genericEvents } from './webhooks/hr-events.ts';
import { SignatureRejected, verifyBambooHr, verifyStandardWebhook } from './webhooks/signatures.ts';

export interface WebhookServerOptions {
  temporal: Client;
  /** Where events are stored before they are handed to Temporal; the same store the workers plan from. */
  store: StateStore;
  /** The identity source of events that name none. */
  identitySourceId: string;
  /** Identity sources events may name; default: only `identitySourceId`. */
  identitySources?: string[];
  /** Task queue the coordinators run on (when a signal starts one). */
  taskQueue: string;
  /** Coordinator options, for a coordinator that a signal starts. */
  coordinator?: CoordinatorOptions;
  /** Standard Webhooks secrets (`whsec_…`); several while rotating. None: POST /webhooks/standard answers 404. */
  standardSecrets?: string[];
  /** BambooHR's private key. None: POST /webhooks/bamboohr answers 404. */
  bambooHrSecret?: string;
  host?: string;
  port?: number;
  maxBodyBytes?: number;
  /** How long a handoff to Temporal may take before the sender is told to retry (503). Default 10 s. */
  handoffTimeoutMs?: number;
  /** Seconds in Retry-After of a 503. Default 30. */
  retryAfterSeconds?: number;
  logger?: Logger;
}

export interface WebhookServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

type Reply = { status: number; body: Record<string, unknown>; headers?: Record<string, string> };

class BodyTooLarge extends Error {}

/**
 * The HR webhook receiver. An event is answered 2xx only once it is stored and Temporal durably recorded the
 * coordinator's signal for it: the HR system retries anything else, so nothing is lost. A repeated event id is
 * stored once and signalled once. Logs carry event ids, types and counts, never bodies, records or secrets.
 *
 * - POST /webhooks/standard: Standard Webhooks signature; body: a generic event or `{ events: [...] }` (docs/webhooks.md)
 * - POST /webhooks/bamboohr: BambooHR signature; body: BambooHR's `{ employees: [...] }`
 * - GET /healthz: the process answers; GET /readyz: Temporal and the store answer
 */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const logger = options.logger ?? createLogger({ base: { service: 'webhook-server' } });
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const handoffTimeoutMs = options.handoffTimeoutMs ?? 10_000;
  const retryAfter = String(options.retryAfterSeconds ?? 30);
  const allowedSources = new Set(options.identitySources ?? [options.identitySourceId]);
  const standardVerifiers = (options.standardSecrets ?? []).map((secret) => new Webhook(secret));
  const { store, temporal } = options;

  async function receive(route: 'standard' | 'bamboohr', request: IncomingMessage): Promise<Reply> {
    const rawBody = await readBody(request, maxBodyBytes);
    const receivedAt = new Date();
    let events: HrEvent[];
    try {
      if (route === 'standard') {
        const deliveryId = verifyStandardWebhook(standardVerifiers, rawBody, request.headers);
        events = genericEvents(parseJson(rawBody), deliveryId, options.identitySourceId);
      } else {
        const timestamp = verifyBambooHr(options.bambooHrSecret!, rawBody, request.headers, receivedAt);
        events = bambooHrEvents(parseJson(rawBody), timestamp, options.identitySourceId, receivedAt);
      }
    } catch (error) {
      if (error instanceof SignatureRejected) {
        logger.warn({ route, reason: error.message }, 'Webhook refused: signature');
        return { status: 401, body: { error: 'signature rejected' } };
      }
      if (error instanceof InvalidEvents) {
        logger.warn({ route, reason: error.message }, 'Webhook refused: not valid HR events');
        return { status: 400, body: { error: error.message } };
      }
      throw error;
    }
    const foreign = events.find((e) => !allowedSources.has(e.identitySourceId));
    if (foreign) {
      return {
        status: 400,
        body: { error: `event ${foreign.eventId}: identity source ${foreign.identitySourceId} is not served here` },
      };
    }

    let toHandOff: HrEvent[];
    try {
      toHandOff = await storeEvents(events, receivedAt);
    } catch (error) {
      logger.error({ route, err: errorOnly(error) }, 'HR events not stored: the sender is told to retry');
      return { status: 503, body: { error: 'state store unavailable; retry' }, headers: { 'retry-after': retryAfter } };
    }
    const duplicates = events.length - toHandOff.length;
    if (toHandOff.length === 0) {
      logger.info({ route, eventIds: ids(events), duplicates }, 'HR events already handed off: nothing to do');
      return { status: 200, body: { accepted: 0, duplicates } };
    }
    try {
      await handOff(toHandOff, receivedAt);
    } catch (error) {
      logger.warn(
        { route, eventIds: ids(toHandOff), err: errorOnly(error) },
        'Temporal did not take the HR events: the sender is told to retry',
      );
      return { status: 503, body: { error: 'Temporal unavailable; retry' }, headers: { 'retry-after': retryAfter } };
    }
    logger.info(
      { route, eventIds: ids(toHandOff), types: countTypes(toHandOff), duplicates },
      'HR events handed to the coordinator',
    );
    return { status: 202, body: { accepted: toHandOff.length, duplicates } };
  }

  // The events of deliveries that arrive together are stored in one transaction.
  const storeWrites = new SharedWrites((events: (HrEvent & { receivedAt: string })[]) => store.recordHrEvents(events));

  /** Stores the events; returns those Temporal has not had yet (new ones, and repeats whose handoff failed). */
  async function storeEvents(events: HrEvent[], receivedAt: Date): Promise<HrEvent[]> {
    const seen = new Set<string>();
    const unique = events.filter((event) => !seen.has(event.eventId) && seen.add(event.eventId));
    const outcomes = await storeWrites.add(unique.map((event) => ({ ...event, receivedAt: receivedAt.toISOString() })));
    return unique.filter((_, i) => !outcomes[i]!.handedOff);
  }

  // Leavers are counted apart in the signal: the coordinator plans and applies them without the debounce.
  const leaverIds = new Set<string>();
  // One signal, then one handed-off update, for all the deliveries that share it: each is a commit on the store.
  const coordinators = new CoalescingHandoff(async (identitySourceId, eventIds, deadline) => {
    const leavers = eventIds.filter((id) => leaverIds.has(id)).length;
    await temporal.withDeadline(deadline, () =>
      notifyHrChanged(
        temporal,
        {
          identitySourceId,
          taskQueue: options.taskQueue,
          ...(options.coordinator ? { options: options.coordinator } : {}),
        },
        eventIds.length,
        leavers,
      ),
    );
    for (const id of eventIds) leaverIds.delete(id);
    try {
      await store.markHrEventsHandedOff(eventIds, new Date().toISOString());
    } catch (error) {
      // Temporal has the signal: the events are safe. A repeat delivery signals once more, which is harmless.
      logger.warn({ err: errorOnly(error) }, 'Could not record the handoff of HR events');
    }
  });

  async function handOff(events: HrEvent[], receivedAt: Date): Promise<void> {
    const bySource = new Map<string, string[]>();
    for (const event of events) if (event.type === 'leaver') leaverIds.add(event.eventId);
    for (const event of events)
      bySource.set(event.identitySourceId, [...(bySource.get(event.identitySourceId) ?? []), event.eventId]);
    for (const [identitySourceId, eventIds] of bySource) {
      await coordinators.handOff(identitySourceId, eventIds, receivedAt.getTime() + handoffTimeoutMs);
    }
  }

  async function ready(): Promise<Record<string, string>> {
    const check = async (work: () => Promise<unknown>) => {
      try {
        await work();
        return 'ok';
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
    };
    const [temporalCheck, storeCheck] = await Promise.all([
      check(() => temporal.withDeadline(Date.now() + 3_000, () => temporal.workflowService.getSystemInfo({}))),
      check(() => store.getPlan('readiness-check')),
    ]);
    return { temporal: temporalCheck, store: storeCheck };
  }

  async function route(request: IncomingMessage): Promise<Reply> {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === '/healthz' && request.method === 'GET') return { status: 200, body: { status: 'ok' } };
    if (path === '/readyz' && request.method === 'GET') {
      const checks = await ready();
      const isReady = Object.values(checks).every((c) => c === 'ok');
      return { status: isReady ? 200 : 503, body: { status: isReady ? 'ready' : 'not ready', checks } };
    }
    const webhook =
      path === '/webhooks/standard' && standardVerifiers.length > 0
        ? 'standard'
        : path === '/webhooks/bamboohr' && options.bambooHrSecret
          ? 'bamboohr'
          : undefined;
    if (!webhook) return { status: 404, body: { error: 'not found' } };
    if (request.method !== 'POST')
      return { status: 405, body: { error: 'method not allowed' }, headers: { allow: 'POST' } };
    return receive(webhook, request);
  }

  const server: Server = createServer((request, response) => {
    route(request).then(
      (reply) => send(response, reply),
      (error: unknown) => {
        if (error instanceof BodyTooLarge) {
          logger.warn({ limit: maxBodyBytes }, 'Webhook refused: body too large');
          send(response, {
            status: 413,
            body: { error: `body larger than ${maxBodyBytes} bytes` },
            headers: { connection: 'close' },
          });
          return;
        }
        logger.error({ err: errorOnly(error) }, 'Webhook request failed');
        send(response, { status: 500, body: { error: 'internal error' } });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        // Requests under way finish (their events are handed off or refused); idle connections go now.
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

function send(response: ServerResponse, reply: Reply): void {
  if (response.headersSent) return;
  response
    .writeHead(reply.status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...reply.headers })
    .end(JSON.stringify(reply.body));
}

/** The raw body (signatures are over its exact bytes), refused past the limit without buffering the rest. */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    const refuse = () => {
      request.removeAllListeners('data');
      // Read and drop the rest, so that the 413 reaches a sender still writing.
      request.resume();
      reject(new BodyTooLarge());
    };
    if (Number.isFinite(declared) && declared > limit) return refuse();
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return refuse();
      chunks.push(chunk);
    });
    request.once('end', () => resolve(Buffer.concat(chunks)));
    request.once('error', reject);
  });
}

/** A signed body as JSON; what is wrong with one that is not is said without quoting it (it is HR data). */
function parseJson(rawBody: Buffer): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(rawBody);
  } catch {
    throw new InvalidEvents('the body is not valid UTF-8 (JSON is sent as UTF-8)');
  }
  if (text.trim() === '') throw new InvalidEvents('the body is empty; expected JSON');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidEvents('the body is not JSON');
  }
}

const IDS_LOGGED = 20;

function ids(events: HrEvent[]): string[] {
  return events.slice(0, IDS_LOGGED).map((e) => e.eventId);
}

function countTypes(events: HrEvent[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of events) counts[event.type] = (counts[event.type] ?? 0) + 1;
  return counts;
}

/** An error's name and message only: no request, no payload that might hang off it. */
function errorOnly(error: unknown): { type: string; message: string } {
  return error instanceof Error
    ? { type: error.name, message: error.message }
    : { type: 'unknown', message: String(error) };
}
