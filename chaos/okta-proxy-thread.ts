// Recording proxies (okta-proxy.ts) in a thread of their own: in the chaos process the emulator parses every upload on
// the main event loop, which would make the proxies' timestamps as late as that work is long.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { SeenRequest } from './okta-proxy.ts';

export interface ProxyThread {
  /** The proxy URL of each worker slot. */
  urls: string[];
  /** Names who sends through a slot's proxy from now on (a worker process, before it starts). */
  setSender(slot: number, name: string): Promise<void>;
  /** Stops the proxies and returns every request they saw. */
  stop(): Promise<SeenRequest[]>;
}

export async function startProxiesInThread(target: string, count: number): Promise<ProxyThread> {
  const thread = new Worker(new URL('./okta-proxy-thread-main.ts', import.meta.url), { workerData: { target, count } });
  const [{ urls }] = (await once(thread, 'message')) as [{ urls: string[] }];
  let stopped: SeenRequest[] | undefined;
  return {
    urls,
    async setSender(slot, name) {
      thread.postMessage({ sender: { slot, name } });
      for (;;) {
        const [answer] = (await once(thread, 'message')) as [{ senderSet?: number }];
        if (answer.senderSet === slot) return;
      }
    },
    async stop() {
      if (stopped) return stopped;
      thread.postMessage({ stop: true });
      const [answer] = (await once(thread, 'message')) as [{ seen: SeenRequest[] }];
      stopped = answer.seen;
      return stopped;
    },
  };
}
