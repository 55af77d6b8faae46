import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { Logger } from 'pino';
import type { CodecAuth } from './codec-auth.ts';

/** Payloads as the Web UI and `temporal --codec-endpoint` send them: metadata values and data in base64. */
interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

export interface CodecServerOptions {
  host: string;
  port: number;
  codec: PayloadCodec;
  /** Browser origins (the Web UI) allowed to call; others get no CORS headers. */
  corsOrigins: string[];
  /** Who may call: a bearer token, the Web UI user's OIDC access token, or a proxy in front (codec-auth.ts). */
  authorize: CodecAuth;
  /** Namespaces whose payloads this server decodes (the `x-namespace` header the UI sends). */
  namespaces: string[];
  logger: Logger;
  /** Largest request body; a history page of payloads stays well below. */
  maxBodyBytes?: number;
}

export interface CodecServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The codec server the Temporal Web UI (and CLI) call to show encrypted payloads decoded: `POST /encode` and
 * `POST /decode`, with CORS for the UI's origin and a bearer-token check, since whoever may call it reads HR data.
 */
export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const maxBody = options.maxBodyBytes ?? 32 * 1024 * 1024;
  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      options.logger.error({ err: error }, 'Codec server request failed');
      if (!response.headersSent) reply(response, 500, { error: 'internal error' });
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const origin = request.headers.origin;
    const corsAllowed = origin !== undefined && options.corsOrigins.includes(origin);
    if (corsAllowed) {
      response.setHeader('access-control-allow-origin', origin);
      response.setHeader('access-control-allow-credentials', 'true');
      response.setHeader('vary', 'Origin');
    }
    const log = (status: number, extra: Record<string, unknown> = {}) =>
      options.logger.info({ method: request.method, path, status, origin, ...extra }, 'Codec request');

    if (request.method === 'OPTIONS') {
      if (!corsAllowed) {
        log(403);
        return reply(response, 403, { error: `origin ${origin ?? '(none)'} is not in codecServer.corsOrigins` });
      }
      response.setHeader('access-control-allow-methods', 'POST, OPTIONS');
      response.setHeader('access-control-allow-headers', 'x-namespace, content-type, authorization');
      response.setHeader('access-control-max-age', '600');
      response.writeHead(204).end();
      return;
    }
    if (path === '/healthz' && request.method === 'GET') return reply(response, 200, { status: 'ok' });
    if (path !== '/encode' && path !== '/decode') return reply(response, 404, { error: 'not found' });
    if (request.method !== 'POST') return reply(response, 405, { error: 'use POST' });

    if (!(await options.authorize(request.headers.authorization))) {
      log(401);
      response.setHeader('www-authenticate', 'Bearer');
      return reply(response, 401, { error: 'missing or invalid credentials' });
    }
    const namespace = request.headers['x-namespace'];
    if (typeof namespace === 'string' && !options.namespaces.includes(namespace)) {
      log(403, { namespace });
      return reply(response, 403, { error: `namespace ${namespace} is not served here` });
    }
    let body: { payloads?: JsonPayload[] };
    try {
      body = JSON.parse(await readBody(request, maxBody)) as { payloads?: JsonPayload[] };
    } catch (error) {
      log(400);
      return reply(response, 400, { error: `expected JSON { payloads: [...] }: ${(error as Error).message}` });
    }
    if (!Array.isArray(body.payloads)) return reply(response, 400, { error: 'expected JSON { payloads: [...] }' });
    const payloads = body.payloads.map(fromJson);
    let result: Payload[];
    try {
      result = path === '/encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
    } catch (error) {
      log(422, { namespace });
      return reply(response, 422, { error: (error as Error).message });
    }
    log(200, { namespace, payloads: payloads.length });
    reply(response, 200, { payloads: result.map(toJson) });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new Error(`body larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function fromJson(payload: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
    ),
    data: Buffer.from(payload.data ?? '', 'base64'),
  };
}

function toJson(payload: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
    ),
    data: Buffer.from(payload.data ?? []).toString('base64'),
  };
}
