import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowFailedError } from '@temporalio/client';
import { IdentitySourceClient } from '../../activities/okta/identity-source-client.ts';
import { RateLimitPacer } from '../../activities/okta/rate-limit-pacer.ts';
import type { EndpointName } from '../../okta-emulator/options.ts';
import { coordinatorWorkflowId, type CoordinatorOptions, type SyncSummary } from '../../contracts/sync-messages.ts';
import { coordinatorMetadata } from '../../contracts/workflow-summaries.ts';
import { identitySourceCoordinator } from '../../workflows/identity-source-coordinator.ts';
import { sync } from '../../workflows/sync.ts';
import {
  checkDelta,
  combineChecks,
  SINGLE_RECORD_WRITES,
  type DeltaChecks,
  type DeltaRun,
  type Kill,
} from '../fast-path-checks.ts';
import { FAST_PATH_CUSTOM_ATTRIBUTES, HrExport, writeSyncConfig } from '../hr-export.ts';
import { TOKEN, type ChaosStack } from '../stack.ts';
import { CHAOS_PUSH, type TrialOutcome } from '../trial.ts';

/** The most people a plan may have to go person by person (the default of `coordinator.fastPathMaxPeople`). */
const FAST_PATH_MAX_PEOPLE = 20;
/** How late Okta answers the slow write: well past the heartbeat timeout and Temporal's retry of a silent attempt. */
const SLOW_WRITE_MS = 4 * CHAOS_PUSH.heartbeatTimeoutMs!;

export interface FastPathOptions {
  /** People in HR at the start (the first sync goes through an import session). */
  people: number;
  /**
   * Small delta syncs after it, each of at most FAST_PATH_MAX_PEOPLE people: the first with a stale import session
   * open, the second with one write slower than the heartbeat timeout, the others with 1–2 SIGKILLs each.
   */
  deltas: number;
}

/**
 * SIGKILL the worker process in the middle of the single-record fast path: an initial sync of a few hundred people
 * (import session), then small delta syncs (updates, a cleared mobile number, leavers, a joiner) started through the
 * `sync` workflow while the worker is killed after a random number of single-record writes (plus 0–15 ms, so that a
 * write Okta is still answering dies with it) and started again at once. Every write takes Okta 20–60 ms.
 */
export async function fastPathKill(stack: ChaosStack, trial: number, options: FastPathOptions): Promise<TrialOutcome> {
  const { id: identitySourceId } = stack.emulator.defineIdentitySource({
    customAttributes: FAST_PATH_CUSTOM_ATTRIBUTES,
  });
  const hr = new HrExport(stack.dir, `t${trial}`);
  const syncConfig = await writeSyncConfig(stack.dir);
  hr.populate(options.people);
  await hr.write();
  const worker = { process: await stack.startWorker(workerOptions(syncConfig)), sync: syncConfig };
  const coordinatorId = coordinatorWorkflowId(identitySourceId);
  try {
    await startCoordinator(stack, identitySourceId);
    const started = performance.now();
    const initial = await runSync(stack, identitySourceId, `chaos-fast-path-${trial}-initial`);
    if ('error' in initial || initial.outcome !== 'applied') {
      throw new Error(`the initial sync did not apply: ${'error' in initial ? initial.error : initial.outcome}`);
    }
    const runs: DeltaRun[] = [];
    const perDelta: DeltaChecks[] = [];
    for (let d = 1; d <= options.deltas; d++) {
      const chaos: DeltaChaos =
        d === 1
          ? { staleSessionId: await leaveStaleSession(stack, identitySourceId) }
          : d === 2
            ? { slowWriteMs: SLOW_WRITE_MS }
            : { kills: 1 + Math.floor(Math.random() * 2) };
      const run = await deltaSync(stack, identitySourceId, hr, worker, `delta ${d}`, chaos);
      runs.push(run);
      // Checked before the next delta changes HR and Okta again.
      perDelta.push(await checkDelta(stack, identitySourceId, hr, run));
    }
    stack.emulator.setFaults({});
    const wallMs = performance.now() - started;

    const checks = combineChecks(perDelta, CHAOS_PUSH.heartbeatTimeoutMs!);
    const kills = runs.flatMap((r) => r.kills);
    const resent = perDelta.reduce((sum, d) => sum + d.resent, 0);
    return {
      scenario: 'fast path',
      trial,
      records: options.people,
      wallMs,
      injected:
        `${runs.length} deltas of ${runs.map((r) => r.people.length).join('/')} people: ` +
        runs.map((r) => `${r.name} ${r.injected}`).join(', ') +
        `; ${kills.length} SIGKILL(s) in all`,
      checks,
      legitimateDuplicates: resent,
      ok: checks.every((c) => c.ok),
    };
  } finally {
    stack.emulator.setFaults({});
    await stack.client.workflow
      .getHandle(coordinatorId)
      .terminate('chaos trial finished')
      .catch(() => undefined);
    await stack.killWorker(worker.process);
  }
}

/**
 * The worker plans with the scenario's sync config, and waits for an Okta answer longer than the slow write takes:
 * a write slower than the heartbeat timeout must not be re-sent by a second attempt (a request that times out is
 * re-sent by design, its answer lost).
 */
function workerOptions(sync: string) {
  return { sync, requestTimeoutMs: SLOW_WRITE_MS + 5_000 };
}

/** The coordinator, started ahead with the chaos timings: the worker's own default would wait Okta's real minutes. */
async function startCoordinator(stack: ChaosStack, identitySourceId: string): Promise<void> {
  const options: CoordinatorOptions = {
    hrEventQuietMs: 300,
    hrEventMaxDelayMs: 2_000,
    approvalTimeoutMs: 60_000,
    idleTimeoutMs: 10 * 60_000,
    fastPathMaxPeople: FAST_PATH_MAX_PEOPLE,
    // The worker's config leaves temporal.oktaTaskQueue to its default: `<taskQueue>-okta`.
    push: { ...CHAOS_PUSH, oktaTaskQueue: `${stack.taskQueue}-okta` },
  };
  await stack.client.workflow.start(identitySourceCoordinator, {
    taskQueue: stack.taskQueue,
    workflowId: coordinatorWorkflowId(identitySourceId),
    args: [{ identitySourceId, options }],
    ...coordinatorMetadata(identitySourceId, 'the fast-path chaos scenario'),
  });
}

/**
 * What breaks during one delta: the worker SIGKILLed `kills` times, one write Okta answers `slowWriteMs` late (longer
 * than the heartbeat timeout), or an import session a crashed run left open.
 */
type DeltaChaos = { kills: number } | { slowWriteMs: number } | { staleSessionId: string };

/** One delta: edit HR, start a sync, break something while it runs (`chaos`), wait for the outcome. */
async function deltaSync(
  stack: ChaosStack,
  identitySourceId: string,
  hr: HrExport,
  worker: { process: ChildProcess; sync: string },
  name: string,
  chaos: DeltaChaos,
): Promise<DeltaRun> {
  const random = Math.random;
  const size = 6 + Math.floor(random() * (FAST_PATH_MAX_PEOPLE - 5));
  const delta = hr.edit(size, random);
  await hr.write();
  const people = [...delta.leavers, ...delta.updated, ...delta.joiners];
  const usersBefore = new Map(stack.emulator.users({ identitySourceId }).map((u) => [u.externalId, u]));
  const confirmedBefore = await confirmedAts(stack, identitySourceId, people);
  const firstSeq = stack.emulator.requests().total;
  // Every single-record write takes Okta 20–60 ms. In a delta with kills, a random PUT starts a 429 burst (Okta's
  // bucket empty until the window ends); in the slow-write delta, the first PUT takes longer than the heartbeat timeout.
  const limitedPut = 1 + Math.floor(random() * delta.updated.length);
  stack.emulator.setFaults({
    latencyMs: { min: 20, max: 60 },
    endpoints: SINGLE_RECORD_WRITES as EndpointName[],
    script: [
      'kills' in chaos
        ? { endpoint: 'replace-user', nth: limitedPut, respond: 429 }
        : { endpoint: 'replace-user', nth: 1, latencyMs: 'slowWriteMs' in chaos ? chaos.slowWriteMs : 0 },
    ],
  });

  const workflowId = `chaos-fast-path-${randomUUID()}`;
  const outcome = runSync(stack, identitySourceId, workflowId);
  let ended = false;
  void outcome.finally(() => (ended = true));
  // Kill points within the plan's writes, never after its last one: a kill there would hit the bookkeeping after
  // the writes, not the fast path.
  const killCount = 'kills' in chaos ? chaos.kills : 0;
  const points = [...new Set(Array.from({ length: killCount }, () => 1 + Math.floor(random() * (people.length - 1))))];
  const kills: Kill[] = [];
  for (const point of points.sort((a, b) => a - b)) {
    if (!(await afterWrites(stack, firstSeq, point, () => ended))) break;
    await sleep(random() * 15);
    await stack.killWorker(worker.process);
    const killedAt = Date.now();
    // What the dead worker confirmed: anyone it wrote and had not confirmed was in flight.
    const confirmed = await confirmedAts(stack, identitySourceId, people);
    const settled = people.filter((id) => confirmed.get(id) !== confirmedBefore.get(id));
    const restartedAt = Date.now();
    worker.process = await stack.startWorker(workerOptions(worker.sync));
    kills.push({ afterWrites: point, killedAt, restartedAt, pollingAt: Date.now(), confirmed: new Set(settled) });
  }
  const summary = await outcome;
  if ('slowWriteMs' in chaos) {
    // The slow answer may come after the sync ended (a second attempt re-sent it meanwhile): the checks need it.
    await stack.emulator.waitFor(
      () =>
        stack.emulator
          .requests({ sinceSeq: firstSeq, endpoint: 'replace-user' })
          .requests.some((r) => r.durationMs >= chaos.slowWriteMs),
      chaos.slowWriteMs + 10_000,
    );
  }
  stack.emulator.setFaults({});
  return {
    name,
    injected:
      'kills' in chaos
        ? `SIGKILL after write ${kills.map((k) => k.afterWrites).join(' and ') || 'none (the sync ended first)'}` +
          ` (${stack.emulator.requests({ sinceSeq: firstSeq, status: 429 }).requests.length} 429s)`
        : 'slowWriteMs' in chaos
          ? `a PUT answered ${(chaos.slowWriteMs / 1000).toFixed(1)} s late`
          : 'with a stale session open',
    delta,
    people,
    summary,
    firstSeq,
    lastSeq: stack.emulator.requests().total,
    usersBefore,
    kills,
    ...('staleSessionId' in chaos ? { staleSessionId: chaos.staleSessionId } : {}),
  };
}

/** Resolves true once Okta has answered `count` single-record writes since `firstSeq`; false if the sync ended first. */
async function afterWrites(stack: ChaosStack, firstSeq: number, count: number, ended: () => boolean): Promise<boolean> {
  for (;;) {
    const writes = stack.emulator
      .requests({ sinceSeq: firstSeq })
      .requests.filter((r) => SINGLE_RECORD_WRITES.includes(r.endpoint)).length;
    if (writes >= count) return true;
    if (ended()) return false;
    await sleep(2);
  }
}

async function confirmedAts(stack: ChaosStack, identitySourceId: string, people: string[]) {
  const confirmed = new Map<string, string | undefined>();
  for (const id of people) confirmed.set(id, (await stack.store.getConfirmedUser(identitySourceId, id))?.confirmedAt);
  return confirmed;
}

/**
 * An import session a crashed run of ours left open, with an upload in it that no longer matches HR (every person a
 * stale title): the fast path must not write beside it, and it must never be imported.
 */
async function leaveStaleSession(stack: ChaosStack, identitySourceId: string): Promise<string> {
  const okta = new IdentitySourceClient({
    orgUrl: stack.emulator.url,
    credentials: { kind: 'ssws', token: TOKEN },
    pacer: new RateLimitPacer({ share: 1 }),
  });
  const session = await okta.createSession(identitySourceId);
  const profiles = stack.emulator
    .users({ identitySourceId, status: 'ACTIVE' })
    .slice(0, 50)
    .map((u) => ({ externalId: u.externalId, profile: { ...u.profile, title: 'stale upload' } }));
  await okta.upload(identitySourceId, session.id, 'bulk-upsert', JSON.stringify({ entityType: 'USERS', profiles }));
  await stack.store.recordSessionOpened({
    identitySourceId,
    oktaSessionId: session.id,
    planId: `chaos-crashed-plan-${randomUUID()}`,
    sessionIndex: 0,
    workflowId: `chaos-crashed-run-${randomUUID()}`,
    runId: randomUUID(),
    openedAt: new Date().toISOString(),
  });
  return session.id;
}

/** Runs a `sync` of the identity source to its outcome, riding out workers that die meanwhile. */
async function runSync(
  stack: ChaosStack,
  identitySourceId: string,
  workflowId: string,
): Promise<SyncSummary | { error: string }> {
  const handle = await stack.client.workflow.start(sync, {
    taskQueue: stack.taskQueue,
    workflowId,
    args: [{ identitySourceId, reason: 'manual' }],
  });
  try {
    return (await handle.result()) as SyncSummary;
  } catch (error) {
    if (error instanceof WorkflowFailedError) return { error: error.cause?.message ?? error.message };
    throw error;
  }
}
