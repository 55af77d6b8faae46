// A recording pass-through in front of the Okta emulator, one per worker slot: Okta's request log cannot tell which
// worker process sent a request, and the shared-bucket checks need to know what each process had been told.
import { createServer, request as httpRequest, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the worker process that sent it saw it. */
export interface SeenRequest {
  /** Worker slot and the process incarnation in it (a restarted worker is a new incarnation, with a fresh pacer). */
  sender: string;
  method: string;
  path: string;
  /** When the request reached the proxy and when its answer left it (epoch ms). */
  sentAt: number;
  answeredAt?: number;
  status?: number;
  remaining?: number;
  /** X-Rate-Limit-Reset, epoch seconds. */
  reset?: number;
}

export class OktaProxy {
  readonly seen: SeenRequest[] = [];
  url = '';
  /** Who sends through this proxy now; the scenario sets it before starting each worker process. */
  sender = '';
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });
  private readonly server = createServer((req, res) => this.forward(req, res));
  private readonly target: URL;

  constructor(target: string) {
    this.target = new URL(target);
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
    this.agent.destroy();
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const entry: SeenRequest = {
      sender: this.sender,
      method: req.method ?? '',
      path: req.url ?? '',
      sentAt: Date.now(),
    };
    this.seen.push(entry);
    const upstream = httpRequest(
      {
        agent: this.agent,
        host: this.target.hostname,
        port: this.target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: this.target.host },
      },
      (answer) => {
        entry.status = answer.statusCode;
        const remaining = answer.headers['x-rate-limit-remaining'];
        const reset = answer.headers['x-rate-limit-reset'];
        if (typeof remaining === 'string') entry.remaining = Number(remaining);
        if (typeof reset === 'string') entry.reset = Number(reset);
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.once('end', () => (entry.answeredAt = Date.now()));
      },
    );
    // A worker killed mid-request, or Okta going away: drop the other side too, as a broken connection would.
    upstream.once('error', () => res.destroy());
    req.once('error', () => upstream.destroy());
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }
}
