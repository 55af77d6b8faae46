import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStateStore } from '../../activities/store/open.ts';
import { saveResult } from '../../bench/support/report.ts';
import { CUSTOM_ATTRIBUTES, plannedPeople } from '../../bench/support/hr-people.ts';
import { pushMetadata } from '../../contracts/workflow-summaries.ts';
import { pushPlan } from '../../workflows/push-plan.ts';
import { withDefaults } from '../../workflows/push/options.ts';
import { startProxiesInThread, type ProxyThread } from '../okta-proxy-thread.ts';
import type { ScalePostgres } from '../scale-postgres.ts';
import {
  bucketRanOut,
  noRequestBeforeKnownReset,
  oneSessionAtATime,
  overdrawOnlyInFlight,
} from '../shared-bucket-checks.ts';
import type { ChaosStack } from '../stack.ts';
import { CHAOS_PUSH, checkSource, resultOf, type Check, type TrialOutcome } from '../trial.ts';

export interface ScaleOutOptions {
  records: number;
  sources: number;
  workers: number;
  kills: number;
  /** The org's bucket a 5 s window during the trial: small enough that the sources together run into it. */
  perWindow: number;
  postgres: ScalePostgres;
}

const TASK_QUEUE = 'chaos-scale';
const WINDOW_MS = 5_000;
const PUSH = { ...CHAOS_PUSH, oktaTaskQueue: `${TASK_QUEUE}-okta` };

/**
 * Scale-out: `workers` worker processes on PostgreSQL push `records` new people to each of `sources` identity sources
 * of one org at the same time, through one rate-limit bucket that binds. Workers are SIGKILLed at random points (and
 * restarted at once) and PostgreSQL is restarted once mid-push. Every source's invariants are checked, plus how the
 * workers shared the bucket (each behind a recording proxy, so that what each process was told is known).
 */
export async function scaleOut(stack: ChaosStack, trial: number, options: ScaleOutOptions): Promise<TrialOutcome> {
  const { records, sources, workers, kills, postgres } = options;
  await postgres.start();
  const storeUrl = await postgres.freshDatabase('hr_okta_sync_scale');
  const previous = {
    store: stack.store,
    storeUrl: stack.storeUrl,
    perWindow: stack.emulator.rateLimit.perWindow,
    windowMs: stack.emulator.durations.rateLimitWindowMs,
  };
  stack.store = await openStateStore(storeUrl);
  stack.storeUrl = storeUrl;
  // Longer windows than the other trials', so that a worker sending before a reset it was told has seconds to be caught
  // in, well past the time its own event loop may take to read an answer.
  stack.emulator.setDurations({ rateLimitWindowMs: WINDOW_MS });
  stack.emulator.setRateLimit({ perWindow: options.perWindow });
  let proxies: ProxyThread | undefined;
  const running: (ChildProcess | undefined)[] = Array.from({ length: workers }, () => undefined);
  const incarnations = Array.from({ length: workers }, () => 0);
  const startWorker = async (slot: number) => {
    await proxies!.setSender(slot, `worker ${slot + 1}#${++incarnations[slot]!}`);
    running[slot] = await stack.startWorker({
      name: `scale-${slot}`,
      orgUrl: proxies!.urls[slot]!,
      storeUrl,
      taskQueue: TASK_QUEUE,
      // The server-side cap on Okta activities: above what 4 sources' polls need on this short clock.
      oktaActivitiesPerSecond: 50,
    });
  };
  try {
    proxies = await startProxiesInThread(stack.emulator.url, workers);
    await Promise.all(running.map((_, slot) => startWorker(slot)));
    const ids = Array.from(
      { length: sources },
      () => stack.emulator.defineIdentitySource({ customAttributes: CUSTOM_ATTRIBUTES }).id,
    );
    const variants = ids.map((_, i) => ` t${trial}s${i + 1}`);
    const plans = await Promise.all(
      ids.map((identitySourceId, i) =>
        stack.store.savePlan({
          identitySourceId,
          mode: 'delta',
          upserts: plannedPeople(records, { variant: variants[i] }),
          deactivations: [],
        }),
      ),
    );
    const firstSeq = stack.emulator.requests().total;
    const started = performance.now();
    const workflowIds = plans.map(() => `chaos-scale-out-${randomUUID()}`);
    await Promise.all(
      plans.map((plan, i) =>
        stack.client.workflow.start(pushPlan, {
          taskQueue: TASK_QUEUE,
          workflowId: workflowIds[i]!,
          args: [{ planId: plan.planId, options: PUSH }],
          ...pushMetadata(plan.planId, undefined, 'chaos scenario scale-out'),
        }),
      ),
    );
    let ended = false;
    const outcomes = Promise.all(workflowIds.map((id) => resultOf(stack, id))).finally(() => (ended = true));
    const afterRequests = async (count: number) => {
      while (stack.emulator.requests().total - firstSeq < count) {
        if (ended) return false;
        await sleep(5);
      }
      return true;
    };
    const [injected, results] = await Promise.all([
      breakThings(stack, { afterRequests, kills, workers, sources, records, postgres, running, startWorker }),
      outcomes,
    ]);
    const wallMs = performance.now() - started;

    const checks: Check[] = [];
    let duplicates = 0;
    for (const [i, identitySourceId] of ids.entries()) {
      // Each crash can cost a source the uploads it had in flight: a worker's SIGKILL, the store going away.
      const budget = (injected.kills + injected.storeRestarts) * PUSH.uploadConcurrency!;
      const source = await checkSource(stack, {
        identitySourceId,
        planId: plans[i]!.planId,
        records,
        variant: variants[i]!,
        result: results[i]!,
        budget,
      });
      duplicates += source.duplicates;
      checks.push(...source.checks.map((c) => ({ ...c, name: `source ${i + 1}: ${c.name}` })));
    }
    for (const child of running) if (child) await stack.killWorker(child);
    const seen = await proxies.stop();
    // What each worker was told and sent, kept for a look when a bucket check fails.
    const proxyLog = await saveResult('chaos-scale-out-proxies', { seen });
    checks.push(
      bucketRanOut(seen),
      overdrawOnlyInFlight(seen),
      noRequestBeforeKnownReset(seen),
      oneSessionAtATime(stack.emulator, ids, firstSeq),
    );
    return {
      scenario: 'scale-out',
      trial,
      records: records * sources,
      wallMs,
      injected: `${sources} sources, ${workers} workers, bucket ${options.perWindow} a ${WINDOW_MS / 1000} s window; ${injected.description}; requests as each worker saw them: ${proxyLog}`,
      checks,
      legitimateDuplicates: duplicates,
      ok: checks.every((c) => c.ok),
    };
  } finally {
    for (const child of running) if (child) await stack.killWorker(child);
    await proxies?.stop();
    await stack.store.close();
    Object.assign(stack, { store: previous.store, storeUrl: previous.storeUrl });
    stack.emulator.setDurations({ rateLimitWindowMs: previous.windowMs });
    stack.emulator.setRateLimit({ perWindow: previous.perWindow });
    await postgres.stop();
  }
}

/**
 * SIGKILLs a random worker after a random number of Okta requests (over the run's expected requests, read-backs
 * included), `kills` times, restarting it at once; and restarts PostgreSQL once, within the uploads. One thing at a
 * time, in request order.
 */
async function breakThings(
  stack: ChaosStack,
  run: {
    afterRequests: (count: number) => Promise<boolean>;
    kills: number;
    workers: number;
    sources: number;
    records: number;
    postgres: ScalePostgres;
    running: (ChildProcess | undefined)[];
    startWorker: (slot: number) => Promise<void>;
  },
): Promise<{ kills: number; storeRestarts: number; description: string }> {
  // Uploads, control requests and the read-backs of each COMPLETED session (pushPlan's default sample).
  const sessions = Math.ceil(run.records / 10_000);
  const readBacks = sessions * Math.min(withDefaults(PUSH).readBackSample, run.records);
  const expected = run.sources * (Math.ceil(run.records / 200) + 8 + readBacks);
  const uploads = run.sources * Math.ceil(run.records / 200);
  const events = [
    ...Array.from({ length: run.kills }, () => ({
      at: 1 + Math.floor(Math.random() * expected),
      kind: 'kill' as const,
    })),
    { at: Math.floor(uploads * (0.2 + Math.random() * 0.5)), kind: 'postgres' as const },
  ].sort((a, b) => a.at - b.at);
  const done: string[] = [];
  let kills = 0;
  let storeRestarts = 0;
  for (const event of events) {
    if (!(await run.afterRequests(event.at))) {
      done.push(`none after request ${event.at}: the run had ended`);
      break;
    }
    if (event.kind === 'postgres') {
      const down = await run.postgres.restart(1_000 + Math.random() * 1_000);
      storeRestarts++;
      done.push(`PostgreSQL restarted after request ${event.at} (down ${(down / 1000).toFixed(1)} s)`);
      continue;
    }
    await sleep(Math.random() * 200);
    const slot = Math.floor(Math.random() * run.workers);
    await stack.killWorker(run.running[slot]!);
    kills++;
    await run.startWorker(slot);
    done.push(`SIGKILL worker ${slot + 1} after request ${event.at}`);
  }
  return { kills, storeRestarts, description: done.join(', ') };
}
