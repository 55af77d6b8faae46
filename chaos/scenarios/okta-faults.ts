import type { LoggedRequest } from '../../okta-emulator/request-log.ts';
import type { FaultSettings } from '../../okta-emulator/index.ts';
import type { ChaosStack } from '../stack.ts';
import { respectsResets } from '../rate-limit-check.ts';
import { runTrial, type TrialOutcome } from '../trial.ts';

/**
 * Okta in trouble: 10 % of requests answer 5xx, 5 % start a 429 burst (the bucket empty until the window ends),
 * 2 % lose their connection (on odd trials after Okta applied the request, so the answer is what is lost), every
 * request 0–50 ms late and a few 2–3 s latency spikes.
 */
export async function oktaFaults(stack: ChaosStack, trial: number, records: number): Promise<TrialOutcome> {
  const applyBeforeDrop = trial % 2 === 1;
  const spikes = [
    { endpoint: 'bulk-upsert' as const, nth: 7, latencyMs: 3_000 },
    { endpoint: 'bulk-upsert' as const, nth: 61, latencyMs: 2_000 },
    { endpoint: 'get-session' as const, nth: 2, latencyMs: 2_500 },
  ];
  const faults: FaultSettings = {
    errorRate: 0.1,
    rateLimitBurstRate: 0.05,
    dropRate: 0.02,
    applyBeforeDrop,
    latencyMs: { min: 0, max: 50 },
    script: spikes,
    seed: 1_000 + trial,
  };
  const worker = await stack.startWorker();
  try {
    return await runTrial(
      stack,
      'Okta faults',
      trial,
      records,
      (context) => {
        stack.emulator.setFaults(faults);
        // An upload is re-sent legitimately only when Okta applied it and its answer was lost.
        const lostAnswers = () =>
          stack.emulator
            .requests({ sinceSeq: context.firstSeq })
            .requests.filter((r) => r.endpoint.startsWith('bulk-') && r.dropped && r.applied).length;
        return Promise.resolve({ injected: '', duplicateBudget: lostAnswers });
      },
      (context) => {
        stack.emulator.setFaults({});
        const log = stack.emulator.requests({ sinceSeq: context.firstSeq }).requests;
        const injected = describeInjected(log, applyBeforeDrop);
        context.notes.push(injected);
        return [respectsResets(log)];
      },
    );
  } finally {
    await stack.killWorker(worker);
  }
}

function describeInjected(log: LoggedRequest[], applyBeforeDrop: boolean): string {
  const count = (p: (r: LoggedRequest) => boolean) => log.filter(p).length;
  return (
    `${log.length} requests: ${count((r) => r.status >= 500)} 5xx, ${count((r) => r.status === 429)} 429 ` +
    `(${count((r) => r.status === 429 && r.fault !== undefined)} bursts started), ${count((r) => r.dropped === true)} dropped ` +
    `(${applyBeforeDrop ? 'after applying' : 'before applying'}), 3 latency spikes`
  );
}
