// Checks of how several worker processes share one org's rate-limit bucket, from what each process was told (the
// recording proxies) and from Okta's own session records.
import type { OktaEmulator } from '../okta-emulator/index.ts';
import type { SeenRequest } from './okta-proxy.ts';
import type { Check } from './trial.ts';

/**
 * How late a request may reach the proxy after an answer left it and still count as already on its way (decided by
 * its worker before the worker read that answer), as in the okta-faults trial. Measured with the proxies on a thread of
 * their own: 3–32 ms. (On the emulator's event loop, their timestamps were up to 434 ms late whenever it parsed
 * uploads, which looked like requests sent after a 429.)
 */
const IN_FLIGHT_GRACE_MS = 100;

/** Answers that told their worker the bucket is empty until their reset: a 429, or the last token taken. */
function saysEmpty(r: SeenRequest): boolean {
  return r.answeredAt !== undefined && r.reset !== undefined && (r.status === 429 || r.remaining === 0);
}

/** Requests a worker process sent after an answer had told it the bucket was empty, and before that answer's reset. */
function sentKnowingEmpty(seen: SeenRequest[], filter: (r: SeenRequest) => boolean): string[] {
  const violations: string[] = [];
  const bySender = Map.groupBy(seen, (r) => r.sender);
  for (const [sender, requests] of bySender) {
    const told = requests.filter(saysEmpty);
    for (const r of requests.filter(filter)) {
      const knew = told.find((t) => t.answeredAt! + IN_FLIGHT_GRACE_MS < r.sentAt && r.sentAt < t.reset! * 1000);
      if (knew)
        violations.push(
          `${sender} ${r.method} ${r.path.replace(/.*\//, '')} ${t(r.sentAt - knew.answeredAt!)} after it was told, ` +
            `${t(knew.reset! * 1000 - r.sentAt)} before the reset`,
        );
    }
  }
  return violations;
}

const t = (ms: number) => `${Math.round(ms)} ms`;

/** How many requests reached Okta after their worker had been told the bucket was empty, within the grace. */
function lateOnTheirWay(seen: SeenRequest[]): string {
  let late = 0;
  let latest = 0;
  for (const requests of Map.groupBy(seen, (r) => r.sender).values()) {
    const told = requests.filter(saysEmpty);
    for (const r of requests) {
      const after = told
        .filter((k) => k.answeredAt! < r.sentAt && r.sentAt < k.reset! * 1000)
        .map((k) => r.sentAt - k.answeredAt!);
      if (after.length === 0) continue;
      late++;
      latest = Math.max(latest, Math.min(...after));
    }
  }
  return `${late} arrived after their worker's answer had left, at most ${t(latest)} after`;
}

/**
 * No 429 hammered: once a worker process has been answered 429 (or told the bucket is empty), it sends nothing to
 * Okta before the announced reset, except requests already on their way.
 */
export function noRequestBeforeKnownReset(seen: SeenRequest[]): Check {
  const violations = sentKnowingEmpty(seen, () => true);
  const limited = seen.filter((r) => r.status === 429).length;
  return {
    name: 'no worker sends before a reset it was told',
    ok: violations.length === 0,
    detail:
      violations.length > 0
        ? violations.slice(0, 3).join('; ')
        : `${limited} 429s over ${new Set(seen.map((r) => r.sender)).size} worker processes; none followed by a request before its reset`,
  };
}

/**
 * The org's bucket is overdrawn (a request meets an empty bucket: 429) only by requests sent before their worker
 * could know: no answer it had received said the bucket was empty. Across processes, that is all a worker can know;
 * the pacer counts its own requests in flight against what the last answer said.
 */
export function overdrawOnlyInFlight(seen: SeenRequest[]): Check {
  const overdrawn = seen.filter((r) => r.status === 429);
  const violations = sentKnowingEmpty(seen, (r) => r.status === 429);
  const windows = new Map<number, number>();
  for (const r of overdrawn) windows.set(r.reset ?? 0, (windows.get(r.reset ?? 0) ?? 0) + 1);
  return {
    name: 'bucket overdrawn only by requests in flight',
    ok: violations.length === 0,
    detail:
      violations.length > 0
        ? violations.slice(0, 3).join('; ')
        : `${seen.length} requests, ${overdrawn.length} met an empty bucket (${windows.size} window(s), at most ${Math.max(0, ...windows.values())} in one), each sent before its worker was told (${lateOnTheirWay(seen)})`,
  };
}

/** The bucket checks above bite only if the org's bucket ran out during the trial: that it did is checked too. */
export function bucketRanOut(seen: SeenRequest[]): Check {
  const told = seen.filter(saysEmpty).length;
  return {
    name: 'the org bucket ran out (the bucket checks bite)',
    ok: told > 0,
    detail: `${told} answer(s) said the bucket was empty (429 or Remaining 0)`,
  };
}

/** Per identity source, one session open at a time: each session was created after the previous one left CREATED/IN_PROGRESS. */
export function oneSessionAtATime(emulator: OktaEmulator, identitySourceIds: string[], firstSeq: number): Check {
  const overlaps: string[] = [];
  for (const [index, identitySourceId] of identitySourceIds.entries()) {
    const sessions = emulator
      .sessions({ identitySourceId })
      .sort((a, b) => Date.parse(a.created) - Date.parse(b.created));
    for (let i = 1; i < sessions.length; i++) {
      const previous = sessions[i - 1]!;
      const left = previous.history.find((h) => h.status !== 'CREATED' && h.status !== 'IN_PROGRESS');
      if (!left || Date.parse(left.at) > Date.parse(sessions[i]!.created))
        overlaps.push(`source ${index + 1}: ${sessions[i]!.id} opened while ${previous.id} was open`);
    }
  }
  // Okta refuses a second open session; a create it refused says two runs reached for one source's session.
  const ids = new Set(identitySourceIds);
  const refused = emulator
    .requests({ sinceSeq: firstSeq, endpoint: 'create-session' })
    .requests.filter((r) => r.status === 400 && ids.has(r.identitySourceId ?? '')).length;
  return {
    name: 'one open session per source at a time',
    ok: overlaps.length === 0,
    detail:
      overlaps.length > 0
        ? overlaps.slice(0, 3).join('; ')
        : `${identitySourceIds.length} sources, sessions one after another; ${refused} session create(s) refused by Okta`,
  };
}
