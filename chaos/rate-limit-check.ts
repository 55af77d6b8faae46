import type { LoggedRequest } from '../okta-emulator/request-log.ts';
import type { Check } from './trial.ts';

/** How late a request may arrive after a 429 left the emulator and still count as already in flight. */
const IN_FLIGHT_GRACE_MS = 100;

/**
 * No request before a 429's reset: once a 429 has left the emulator, no request may arrive before the reset it
 * announced, except requests already on their way (arrived within IN_FLIGHT_GRACE_MS of the 429's answer). The worker's
 * pacer is shared by every call in the process, so this holds whatever the upload concurrency.
 */
export function respectsResets(log: LoggedRequest[]): Check {
  const violations: string[] = [];
  let closest = Number.POSITIVE_INFINITY;
  for (const limited of log.filter((r) => r.status === 429 && r.rateLimitReset !== undefined)) {
    const answeredAt = Date.parse(limited.time) + limited.durationMs;
    const resetAt = limited.rateLimitReset! * 1000;
    for (const r of log) {
      const arrived = Date.parse(r.time);
      if (arrived <= answeredAt + IN_FLIGHT_GRACE_MS) continue;
      if (arrived < resetAt)
        violations.push(`#${r.seq} ${r.endpoint} ${resetAt - arrived} ms before #${limited.seq}'s reset`);
      else closest = Math.min(closest, arrived - resetAt);
    }
  }
  return {
    name: "no request before a 429's reset",
    ok: violations.length === 0,
    detail:
      violations.length > 0
        ? violations.slice(0, 3).join('; ')
        : `${log.filter((r) => r.status === 429).length} 429s; nearest later request ${closest === Number.POSITIVE_INFINITY ? '–' : `${closest} ms`} after a reset`,
  };
}
