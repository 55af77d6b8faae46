import type { WebhookStack } from './webhook-stack.ts';
import { quantile } from './webhook-load.ts';

type Spans = { store: number[]; signal: number[]; handedOff: number[] };

/** Wraps a method of an object so that each call's duration lands in `into`. */
function timeMethod<T extends object>(target: T, key: keyof T & string, into: () => number[]): void {
  const original = (target[key] as (...args: unknown[]) => Promise<unknown>).bind(target);
  Object.defineProperty(target, key, {
    configurable: true,
    value: async (...args: unknown[]) => {
      const started = performance.now();
      try {
        return await original(...args);
      } finally {
        into().push(performance.now() - started);
      }
    },
  });
}

const summary = (spans: number[]) => {
  const sorted = [...spans].sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return { count: spans.length, p50: round(quantile(sorted, 0.5)), p99: round(quantile(sorted, 0.99)) };
};

/**
 * Where a delivery's time goes inside the receiver, without touching it: times the calls it makes on the store (the
 * dedup inserts, the handed-off mark) and on Temporal (the coordinator's signal-with-start).
 */
export function timeReceiverCalls(stack: WebhookStack) {
  let spans: Spans = { store: [], signal: [], handedOff: [] };
  timeMethod(stack.store, 'recordHrEvents', () => spans.store);
  timeMethod(stack.store, 'markHrEventsHandedOff', () => spans.handedOff);
  timeMethod(stack.client.workflow, 'signalWithStart', () => spans.signal);
  return {
    reset() {
      spans = { store: [], signal: [], handedOff: [] };
    },
    take() {
      return { store: summary(spans.store), signal: summary(spans.signal), handedOff: summary(spans.handedOff) };
    },
  };
}
