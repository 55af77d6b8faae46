// The invariants of one delta sync of the fast-path chaos scenario, checked against the emulator's directory,
// sessions and request log and the state store, right after the delta's sync ended.
import type { SyncSummary } from '../contracts/sync-messages.ts';
import type { LoggedRequest } from '../okta-emulator/request-log.ts';
import type { HrDelta, HrExport } from './hr-export.ts';
import { respectsResets } from './rate-limit-check.ts';
import type { ChaosStack } from './stack.ts';
import type { Check } from './trial.ts';

/** Okta's single-record writes, as the emulator's request log names them. */
export const SINGLE_RECORD_WRITES: readonly string[] = ['create-user', 'replace-user', 'delete-user'];
const ENDED = new Set(['COMPLETED', 'CLOSED', 'ERROR', 'EXPIRED']);
/** How long a worker may take to start and pick the fast path up again, beyond the heartbeat timeout. */
const RECOVERY_SLACK_MS = 15_000;

type EmulatorUser = ReturnType<ChaosStack['emulator']['users']>[number];

export interface Kill {
  /** Single-record writes Okta had answered in this delta when the kill was decided. */
  afterWrites: number;
  killedAt: number;
  restartedAt: number;
  /** When the new worker process polled its task queues. */
  pollingAt: number;
  /** The delta's people the store had confirmed when the worker died. */
  confirmed: Set<string>;
}

export interface DeltaRun {
  name: string;
  /** What broke during the delta, in words. */
  injected: string;
  delta: HrDelta;
  /** Everyone the delta changed in HR: leavers, updated, joiners. */
  people: string[];
  summary: SyncSummary | { error: string };
  firstSeq: number;
  lastSeq: number;
  usersBefore: Map<string, EmulatorUser>;
  kills: Kill[];
  /** The import session a crashed run left open before this delta. */
  staleSessionId?: string;
}

export interface DeltaChecks {
  checks: Check[];
  /** Writes Okta received again for a person in flight at a kill. */
  resent: number;
  /** Per kill: ms from the SIGKILL to the first Okta request of the new worker. */
  recoveriesMs: number[];
  /** Per kill: ms the new worker process took to poll. */
  startupsMs: number[];
}

export async function checkDelta(
  stack: ChaosStack,
  identitySourceId: string,
  hr: HrExport,
  run: DeltaRun,
): Promise<DeltaChecks> {
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail: string) =>
    checks.push({ name, ok, detail: `${run.name}: ${detail}` });
  const log = stack.emulator
    .requests({ sinceSeq: run.firstSeq })
    .requests.filter((r) => r.seq <= run.lastSeq && r.identitySourceId === identitySourceId);
  const writes = log.filter((r) => SINGLE_RECORD_WRITES.includes(r.endpoint));
  const users = new Map(stack.emulator.users({ identitySourceId }).map((u) => [u.externalId, u]));
  const people = new Set(run.people);

  check('sync applied the right way', ...appliedTheRightWay(stack, run));

  const wrong = [...hr.everyone].filter((id) => {
    const expected = hr.expectedProfile(id);
    const user = users.get(id);
    if (!expected) return user?.status !== 'DEACTIVATED';
    return user?.status !== 'ACTIVE' || !sameProfile(user.profile, expected);
  });
  const strangers = [...users.keys()].filter((id) => !hr.everyone.has(id)).length;
  check(
    "Okta's directory = HR",
    wrong.length === 0 && strangers === 0,
    `${hr.people.size} active as HR says, ${hr.everyone.size - hr.people.size} leavers deactivated: ` +
      `${wrong.length} wrong${wrong.length ? ` (${wrong.slice(0, 5).join(', ')})` : ''}, ${strangers} unknown to HR`,
  );

  const touched = [...users.values()].filter((u) => {
    if (people.has(u.externalId)) return false;
    const before = run.usersBefore.get(u.externalId);
    return before?.lastUpdated !== u.lastUpdated || before.status !== u.status;
  });
  const strayWrites = writes.filter((w) => {
    const id = externalIdOf(w);
    return id !== undefined && !people.has(id);
  });
  check(
    'nobody else touched',
    touched.length === 0 && strayWrites.length === 0,
    `${touched.length} other people changed in Okta, ${strayWrites.length} single-record writes to others`,
  );

  if ('planId' in run.summary && run.summary.planId) {
    const planned = await plannedPeople(stack, run.summary.planId);
    const missing = run.people.filter((id) => !planned.all.has(id));
    const extra = [...planned.all].filter((id) => !people.has(id));
    const leaversOk =
      planned.leavers.size === run.delta.leavers.length && run.delta.leavers.every((id) => planned.leavers.has(id));
    check(
      'plan = the HR edits',
      missing.length === 0 && extra.length === 0 && leaversOk,
      `${planned.all.size} planned (${planned.leavers.size} leavers) for ${people.size} edited: ${missing.length} missing, ${extra.length} extra`,
    );
  } else check('plan = the HR edits', false, 'no plan');

  let differ = 0;
  for (const id of run.people) {
    const confirmed = await stack.store.getConfirmedUser(identitySourceId, id);
    const user = users.get(id);
    if (!confirmed || !user || confirmed.status !== user.status) differ++;
    else if (confirmed.status === 'ACTIVE' && !sameProfile(user.profile, valuesOf(confirmed.profile ?? {}))) differ++;
  }
  check('store record = Okta', differ === 0, `${people.size} people touched, ${differ} recorded otherwise`);

  const counted = countWrites(run, writes);
  check('no change lost or doubled', counted.doubled.length === 0 && counted.unwritten.length === 0, counted.detail);

  check('no single-record write during a session', ...writesOutsideSessions(stack, identitySourceId, writes));
  checks.push({ ...respectsResets(log), detail: `${run.name}: ${respectsResets(log).detail}` });

  const recoveriesMs = run.kills.map((kill) => {
    const next = log.find((r) => Date.parse(r.time) >= kill.restartedAt);
    return next ? Date.parse(next.time) - kill.killedAt : Number.POSITIVE_INFINITY;
  });
  const startupsMs = run.kills.map((kill) => kill.pollingAt - kill.restartedAt);
  return { checks, resent: counted.resent, recoveriesMs, startupsMs };
}

/**
 * One check per invariant for the whole trial: failed when any delta failed it, its detail the failures (or every
 * delta's figures). Adds how quickly the fast path went on after each kill.
 */
export function combineChecks(deltas: DeltaChecks[], heartbeatTimeoutMs: number): Check[] {
  const byName = new Map<string, Check[]>();
  for (const check of deltas.flatMap((d) => d.checks))
    byName.set(check.name, [...(byName.get(check.name) ?? []), check]);
  const combined = [...byName].map(([name, checks]) => {
    const failed = checks.filter((c) => !c.ok);
    return {
      name,
      ok: failed.length === 0,
      detail: (failed.length ? failed : checks).map((c) => c.detail).join(' | '),
    };
  });
  const recoveries = deltas.flatMap((d) => d.recoveriesMs);
  const startups = deltas.flatMap((d) => d.startupsMs);
  const bound = heartbeatTimeoutMs + RECOVERY_SLACK_MS;
  const slowest = Math.max(0, ...recoveries);
  combined.push({
    name: 'fast path goes on after a kill',
    ok: recoveries.every((ms) => ms <= bound),
    detail:
      `${recoveries.length} kills: the new worker's first Okta request ${recoveries.map((ms) => `${(ms / 1000).toFixed(1)}`).join(', ')} s ` +
      `after the kill (at most ${(bound / 1000).toFixed(0)} s: heartbeat timeout ${(heartbeatTimeoutMs / 1000).toFixed(0)} s + start-up); ` +
      `worker start-up ${startups.map((ms) => `${(ms / 1000).toFixed(1)}`).join(', ')} s` +
      (slowest === Number.POSITIVE_INFINITY ? '; after some kill, no request at all' : ''),
  });
  return combined;
}

/** A fast-path delta: applied person by person, no session. With a stale session: through a session, not imported. */
function appliedTheRightWay(stack: ChaosStack, run: DeltaRun): [boolean, string] {
  const { summary } = run;
  if ('error' in summary) return [false, `failed: ${summary.error}`];
  if (summary.outcome !== 'applied') return [false, `${summary.outcome}${summary.error ? `: ${summary.error}` : ''}`];
  if (run.staleSessionId) {
    const stale = stack.emulator.sessions({ id: run.staleSessionId })[0];
    const ok =
      summary.singleRecord === undefined && (summary.push?.sessionIds?.length ?? 0) > 0 && stale?.status === 'CLOSED';
    return [
      ok,
      `handed to import session(s) ${summary.push?.sessionIds?.join(', ') ?? 'none'}; the stale session ${stale?.status ?? 'gone'}`,
    ];
  }
  const ok =
    summary.push === undefined && summary.singleRecord?.applied === run.people.length && !summary.refused?.length;
  return [
    ok,
    `${summary.singleRecord?.applied ?? 0} of ${run.people.length} people applied person by person` +
      `${summary.push ? `, pushed through a session (${summary.push.workflowId})` : ''}` +
      `${summary.refused?.length ? `, ${summary.refused.length} refused` : ''}`,
  ];
}

async function plannedPeople(stack: ChaosStack, planId: string) {
  const plan = await stack.store.getPlan(planId);
  const upserts = plan ? await stack.store.readItems(planId, 'USER_UPSERT', 0, plan.counts.upserts) : [];
  const leavers = plan ? await stack.store.readItems(planId, 'USER_DEACTIVATE', 0, plan.counts.deactivations) : [];
  return { all: new Set([...upserts.map((u) => u.externalId), ...leavers]), leavers: new Set(leavers) };
}

/**
 * Writes Okta applied (2xx) per person: at most one, plus one per kill that hit while the person was in flight
 * (written by the worker that died and not yet confirmed in the store). A POST carries its externalId in the body,
 * which the log does not keep: it counts for the delta's one joiner.
 */
function countWrites(run: DeltaRun, writes: LoggedRequest[]) {
  const joiner = run.delta.joiners[0];
  const applied = new Map<string, number>();
  for (const w of writes.filter((w) => w.status >= 200 && w.status < 300)) {
    const id = externalIdOf(w) ?? joiner ?? '?';
    applied.set(id, (applied.get(id) ?? 0) + 1);
  }
  const inFlight = new Map<string, number>();
  let from = Number.NEGATIVE_INFINITY;
  for (const kill of run.kills) {
    const sent = new Set(
      writes
        .filter((w) => Date.parse(w.time) >= from && Date.parse(w.time) < kill.restartedAt)
        .map((w) => externalIdOf(w) ?? joiner ?? '?'),
    );
    for (const id of sent) if (!kill.confirmed.has(id)) inFlight.set(id, (inFlight.get(id) ?? 0) + 1);
    from = kill.restartedAt;
  }
  const expectWrites = run.staleSessionId === undefined;
  const doubled = run.people.filter((id) => (applied.get(id) ?? 0) > (expectWrites ? 1 : 0) + (inFlight.get(id) ?? 0));
  const unwritten = expectWrites ? run.people.filter((id) => !applied.has(id)) : [];
  const total = [...applied.values()].reduce((a, b) => a + b, 0);
  const resent = [...applied.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0);
  const inFlightTotal = [...inFlight.values()].reduce((a, b) => a + b, 0);
  return {
    doubled,
    unwritten,
    resent,
    detail:
      `${total} writes applied for ${run.people.length} people, ${resent} re-sent (${inFlightTotal} in flight at ` +
      `${run.kills.length} kill(s))` +
      (doubled.length ? `; written more often than in flight: ${doubled.join(', ')}` : '') +
      (unwritten.length ? `; never written: ${unwritten.join(', ')}` : ''),
  };
}

/** No single-record write arrived while an import session of the identity source was open (created to ended). */
function writesOutsideSessions(
  stack: ChaosStack,
  identitySourceId: string,
  writes: LoggedRequest[],
): [boolean, string] {
  const sessions = stack.emulator.sessions({ identitySourceId }).map((s) => ({
    id: s.id,
    from: Date.parse(s.created),
    to: Date.parse(s.history.find((h) => ENDED.has(h.status))?.at ?? '9999-12-31T00:00:00Z'),
  }));
  const during = writes.filter((w) => {
    const at = Date.parse(w.time);
    return sessions.some((s) => s.from <= at && at <= s.to);
  });
  return [
    during.length === 0,
    `${writes.length} single-record writes, ${sessions.length} sessions so far: ${during.length} writes while one was open` +
      (during.length ? ` (#${during.map((w) => w.seq).join(', #')})` : ''),
  ];
}

function externalIdOf(request: LoggedRequest): string | undefined {
  if (request.endpoint === 'create-user') return undefined;
  const segment = request.path.split('/').at(-1);
  return segment === undefined ? undefined : decodeURIComponent(segment);
}

function valuesOf(profile: Record<string, string | null>): Record<string, string> {
  return Object.fromEntries(Object.entries(profile).filter(([, v]) => v !== null)) as Record<string, string>;
}

function sameProfile(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const sorted = (p: Record<string, unknown>) =>
    JSON.stringify(Object.entries(p).sort(([x], [y]) => x.localeCompare(y)));
  return sorted(a) === sorted(b);
}
