import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { OktaEmulator, OktaEmulatorOptions } from '../../okta-emulator/index.ts';

type Filter = Record<string, string | number | undefined>;

/**
 * The emulator as the push benchmark sees it: in its own thread, or in the benchmark's process (`--emulator
 * in-process`). Either way it is read the same way, awaiting the answers.
 */
export interface BenchEmulator {
  url: string;
  apiTokens: { token: string }[];
  users(filter?: Parameters<OktaEmulator['users']>[0]): Promise<ReturnType<OktaEmulator['users']>>;
  sessions(filter?: Parameters<OktaEmulator['sessions']>[0]): Promise<ReturnType<OktaEmulator['sessions']>>;
  requests(filter?: Parameters<OktaEmulator['requests']>[0]): Promise<ReturnType<OktaEmulator['requests']>>;
  stop(): Promise<void>;
}

/**
 * Starts the emulator in a worker thread, so that Okta's share of the CPU (parsing and validating 200 profiles a
 * request) runs beside the client's, as it does in life, instead of on the event loop of the worker being measured.
 * It is inspected through its admin API.
 */
export async function startEmulatorInThread(options: OktaEmulatorOptions): Promise<BenchEmulator> {
  const thread = new Worker(new URL('./emulator-thread-main.ts', import.meta.url), { workerData: options });
  const [ready] = (await once(thread, 'message')) as [{ url: string; apiTokens: { token: string }[] }];
  const admin = async <T>(path: string, filter: Filter = {}): Promise<T> => {
    const url = new URL(`/__emulator${path}`, ready.url);
    for (const [key, value] of Object.entries(filter))
      if (value !== undefined) url.searchParams.set(key, String(value));
    const response = await fetch(url);
    if (!response.ok) throw new Error(`emulator admin ${path} answered ${response.status}`);
    return (await response.json()) as T;
  };
  return {
    url: ready.url,
    apiTokens: ready.apiTokens,
    users: (filter) => admin('/users', filter),
    sessions: (filter) => admin('/sessions', filter),
    requests: (filter) => admin('/requests', filter),
    async stop() {
      const exited = once(thread, 'exit');
      thread.postMessage('stop');
      await exited;
    },
  };
}

/** The same emulator in this process, for comparison. */
export function inProcess(emulator: OktaEmulator): BenchEmulator {
  return {
    url: emulator.url,
    apiTokens: emulator.apiTokens,
    users: (filter) => Promise.resolve(emulator.users(filter)),
    sessions: (filter) => Promise.resolve(emulator.sessions(filter)),
    requests: (filter) => Promise.resolve(emulator.requests(filter)),
    stop: () => emulator.stop(),
  };
}
