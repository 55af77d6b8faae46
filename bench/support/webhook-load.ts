import { Worker } from 'node:worker_threads';

export interface Delivery {
  webhookId: string;
  /** The exact JSON body; signed as it is sent. */
  body: string;
}

export interface DeliveryResult {
  /** HTTP status, or 0 when the connection failed. */
  status: number;
  body: string;
  latencyMs: number;
  /** Date.now() when the request was sent. */
  sentAt: number;
  /** Date.now() when the answer arrived. */
  answeredAt: number;
}

export interface LoadInput {
  url: string;
  secret: string;
  deliveries: Delivery[];
  concurrency: number;
  /** Open loop at a steady rate instead: delivery i is sent `intervalMs` × i after the start, answered or not. */
  intervalMs?: number;
}

export interface LoadResult {
  results: DeliveryResult[];
  wallMs: number;
}

/**
 * Sends the deliveries from a worker thread (webhook-load-thread.ts): `concurrency` in flight at a time, or one every
 * `intervalMs` whatever the answers take.
 */
export function sendDeliveries(input: LoadInput): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const thread = new Worker(new URL('./webhook-load-thread.ts', import.meta.url), { workerData: input });
    thread.once('message', (result: LoadResult) => {
      resolve(result);
      void thread.terminate();
    });
    thread.once('error', reject);
    thread.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the load thread exited with ${code}`));
    });
  });
}

/** p-th quantile (0..1) of already sorted values, nearest rank. */
export function quantile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}
