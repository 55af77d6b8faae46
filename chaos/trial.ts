// One chaos trial: a plan pushed by the real worker while a scenario breaks something, then every invariant checked
// against the emulator's directory and sessions, the request log and the state store.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowFailedError } from '@temporalio/client';
import { CUSTOM_ATTRIBUTES, personProfile, plannedPeople } from '../bench/support/hr-people.ts';
import { layOutRequests, OKTA_LIMITS } from '../activities/okta/bulk-requests.ts';
import { pushPlan } from '../workflows/push-plan.ts';
import type { PushOptions, PushResult } from '../contracts/push-messages.ts';
import { pushMetadata } from '../contracts/workflow-summaries.ts';
import type { ChaosStack } from './stack.ts';

/**
 * Requests per session when set (`--requests-per-session`): the plan is laid out ahead with this limit instead of
 * Okta's 50, to try out headroom for re-sent uploads.
 */
let requestsPerSession: number | undefined;
export function setRequestsPerSession(value: number | undefined): void {
  requestsPerSession = value;
}

export const CHAOS_PUSH: PushOptions = {
  pollIntervalMs: 200,
  fiveMinuteRuleMs: 2_000,
  blockedSessionPollMs: 300,
  heartbeatTimeoutMs: 2_000,
  // The workflow's default, so that chaos exercises what runs in production.
  uploadConcurrency: 8,
};

export interface TrialContext {
  stack: ChaosStack;
  identitySourceId: string;
  /**
   * Resolves true once Okta has received `count` requests since the trial started, or false if the run ended
   * first (a run needs fewer control requests than a kill point drawn at random may assume).
   */
  afterRequests(count: number): Promise<boolean>;
  /** Request log sequence number at the trial's start. */
  firstSeq: number;
  notes: string[];
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface TrialOutcome {
  scenario: string;
  trial: number;
  records: number;
  wallMs: number;
  injected: string;
  checks: Check[];
  legitimateDuplicates: number;
  ok: boolean;
}

/**
 * Pushes `records` new people to a fresh identity source while `chaos` runs, then checks the invariants.
 * `duplicateBudget` is how many uploads the chaos may legitimately make Okta receive twice (answers lost).
 */
export async function runTrial(
  stack: ChaosStack,
  scenario: string,
  trial: number,
  records: number,
  chaos: (context: TrialContext) => Promise<{ injected: string; duplicateBudget: number | (() => number) }>,
  extraChecks: (context: TrialContext) => Check[] = () => [],
): Promise<TrialOutcome> {
  const { id: identitySourceId } = stack.emulator.defineIdentitySource({ customAttributes: CUSTOM_ATTRIBUTES });
  const variant = ` t${trial}`;
  const plan = await stack.store.savePlan({
    identitySourceId,
    mode: 'delta',
    upserts: plannedPeople(records, { variant }),
    deactivations: [],
  });
  if (requestsPerSession !== undefined) {
    // A layout saved ahead is the one the worker pushes (prepareImport lays a plan out only once).
    const limits = { ...OKTA_LIMITS, requestsPerSession };
    await stack.store.savePushLayout(
      plan.planId,
      await layOutRequests((operation) => stack.store.streamItems(plan.planId, operation), limits),
    );
  }
  const firstSeq = stack.emulator.requests().total;
  const context: TrialContext = {
    stack,
    identitySourceId,
    firstSeq,
    notes: [],
    async afterRequests(count) {
      while (stack.emulator.requests().total - firstSeq < count) {
        if (ended) return false;
        await sleep(5);
      }
      return true;
    },
  };
  let ended = false;
  const workflowId = `chaos-${scenario}-${randomUUID()}`;
  const started = performance.now();
  await stack.client.workflow.start(pushPlan, {
    taskQueue: stack.taskQueue,
    workflowId,
    args: [{ planId: plan.planId, options: CHAOS_PUSH }],
    ...pushMetadata(plan.planId, undefined, `chaos scenario ${scenario}`),
  });
  const outcome = resultOf(stack, workflowId).finally(() => (ended = true));
  const [chaosResult, result] = await Promise.all([chaos(context), outcome]);
  const wallMs = performance.now() - started;

  const budget =
    typeof chaosResult.duplicateBudget === 'function' ? chaosResult.duplicateBudget() : chaosResult.duplicateBudget;
  const { checks, duplicates } = await checkSource(stack, {
    identitySourceId,
    planId: plan.planId,
    records,
    variant,
    result,
    budget,
  });
  checks.push(...extraChecks(context));

  return {
    scenario,
    trial,
    records,
    wallMs,
    injected: [chaosResult.injected, ...context.notes].join('; '),
    checks,
    legitimateDuplicates: duplicates,
    ok: checks.every((c) => c.ok),
  };
}

/**
 * The invariants of one identity source after a push of `records` new people (`variant` in their titles): the run
 * applied, Okta holds exactly the plan, no session open, no chunk applied twice (beyond `budget` re-sent uploads whose
 * answer was lost), and the store's record equals Okta's directory.
 */
export async function checkSource(
  stack: ChaosStack,
  source: {
    identitySourceId: string;
    planId: string;
    records: number;
    variant: string;
    result: PushResult | { error: string };
    budget: number;
  },
): Promise<{ checks: Check[]; duplicates: number }> {
  const { identitySourceId, planId, records, variant, result, budget } = source;
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

  check(
    'run applied',
    'status' in result && result.status === 'applied',
    'status' in result ? result.status : result.error,
  );

  const users = stack.emulator.users({ identitySourceId });
  const wrong = users.filter((u) => {
    const expected = personProfile(Number(u.externalId.slice(4)), variant);
    return u.status !== 'ACTIVE' || JSON.stringify(u.profile) !== JSON.stringify(expected);
  });
  check(
    "emulator's directory = plan",
    users.length === records && wrong.length === 0,
    `${users.length}/${records} users, ${wrong.length} not as planned`,
  );

  const sessions = stack.emulator.sessions({ identitySourceId });
  const open = sessions.filter((s) => ['CREATED', 'IN_PROGRESS', 'TRIGGERED'].includes(s.status));
  check(
    'no session left open',
    open.length === 0,
    `${sessions.length} sessions: ${summarize(sessions.map((s) => s.status))}`,
  );

  // No chunk applied twice: each laid-out session completed exactly once, with its own requests; extra uploads in a
  // session are retries of requests whose answer was lost (Okta applies an upsert idempotently).
  const layout = (await stack.store.getPushLayout(planId)) ?? [];
  const laidOut = new Map<number, number>();
  for (const request of layout) laidOut.set(request.sessionIndex, (laidOut.get(request.sessionIndex) ?? 0) + 1);
  const completedBySlice = new Map<number, number>();
  let duplicates = 0;
  let foreign = 0;
  for (const session of sessions.filter((s) => s.status === 'COMPLETED')) {
    const owner = await stack.store.getSession(session.id);
    if (!owner) {
      foreign++;
      continue;
    }
    completedBySlice.set(owner.sessionIndex, (completedBySlice.get(owner.sessionIndex) ?? 0) + 1);
    duplicates += session.bulkRequests - (laidOut.get(owner.sessionIndex) ?? 0);
  }
  const twice = [...completedBySlice.values()].filter((n) => n > 1).length;
  const missing = [...laidOut.keys()].filter((i) => !completedBySlice.has(i)).length;
  check(
    'no chunk applied twice',
    twice === 0 && foreign === 0 && duplicates >= 0 && duplicates <= budget,
    `${laidOut.size} sessions laid out, ${completedBySlice.size} completed once, ${twice} twice, ${missing} not completed, ${foreign} unknown; ` +
      `${duplicates} re-sent upload(s) (answer lost; at most ${budget} possible)`,
  );

  const confirmed = await stack.store.countConfirmedUsers(identitySourceId);
  check(
    'store confirms exactly the plan',
    confirmed.active === records && confirmed.deactivated === 0,
    `${confirmed.active} active, ${confirmed.deactivated} deactivated confirmed`,
  );
  // Whatever became of the run, the record of what Okta has must match Okta: the next run starts from it.
  const recorded = new Map<string, string>();
  for await (const user of stack.store.streamConfirmedUsers(identitySourceId))
    recorded.set(user.externalId, user.status);
  const mismatched = users.filter((u) => recorded.get(u.externalId) !== u.status).length;
  check(
    'store record = Okta directory',
    mismatched === 0 && recorded.size === users.length,
    `${recorded.size} recorded, ${users.length} in Okta, ${mismatched} differ`,
  );
  return { checks, duplicates };
}

/** The run's result, following continue-as-new and riding out a Temporal server that is down for a while. */
export async function resultOf(stack: ChaosStack, workflowId: string): Promise<PushResult | { error: string }> {
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      return (await stack.client.workflow.getHandle(workflowId).result()) as PushResult;
    } catch (error) {
      if (error instanceof WorkflowFailedError) return { error: error.cause?.message ?? error.message };
      if (Date.now() > deadline) throw error;
      await sleep(500);
    }
  }
}

function summarize(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([v, n]) => `${n} ${v}`).join(', ');
}
