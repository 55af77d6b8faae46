import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** A readiness check: resolves to nothing when fine, or to what is wrong (never a secret). */
export type ReadinessCheck = () => Promise<string | undefined>;

export interface HealthServerOptions {
  host: string;
  port: number;
  /** Named checks behind /readyz; each gets `checkTimeoutMs`. */
  readiness: Record<string, ReadinessCheck>;
  /** Served at /metrics. */
  registry?: Registry;
  checkTimeoutMs?: number;
}

export interface HealthServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * `/healthz` (the process answers), `/readyz` (every check passes: 200, else 503 with what failed) and `/metrics`
 * (Prometheus). Shared by the worker and the webhook receiver.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const timeoutMs = options.checkTimeoutMs ?? 3_000;
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const send = (status: number, body: string, type = 'application/json') => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(405, '{"error":"method not allowed"}');
    if (path === '/healthz') return send(200, '{"status":"ok"}');
    if (path === '/readyz') {
      void runChecks(options.readiness, timeoutMs).then((checks) => {
        const ready = Object.values(checks).every((c) => c === 'ok');
        send(ready ? 200 : 503, JSON.stringify({ status: ready ? 'ready' : 'not ready', checks }));
      });
      return;
    }
    if (path === '/metrics' && options.registry) {
      const registry = options.registry;
      void registry.metrics().then(
        (text) => send(200, text, registry.contentType),
        () => send(500, '{"error":"metrics unavailable"}'),
      );
      return;
    }
    send(404, '{"error":"not found"}');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function runChecks(checks: Record<string, ReadinessCheck>, timeoutMs: number): Promise<Record<string, string>> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
      });
      try {
        const problem = await Promise.race([check().catch((error: unknown) => errorText(error)), timeout]);
        return [name, problem ?? 'ok'] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(entries);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
