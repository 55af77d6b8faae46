import type { PlannedUpsert } from '../store/state-store.ts';

/** One person to read back: an upsert (with what was sent) or a deactivation. */
export type ReadBack = { kind: 'upsert'; item: PlannedUpsert } | { kind: 'deactivation'; externalId: string };

export interface SampleLimits {
  /** A session of at most this many people is read whole; a bigger one this many of the rest, spread evenly. */
  sample: number;
  /** Reads at most; the ones that must be read come first. */
  max: number;
  /** Whether deactivations are read at all (only where Okta answers 404 for a deactivated user). */
  deactivations: boolean;
}

/**
 * Who of a session is read back: everyone in a small session; in a big one every deactivation and every upsert that
 * clears an attribute (the changes most likely not applied as sent) and an even spread of the others, at most `max`.
 * `moreClearing` are the clearing upserts the maximum left out: to be read too once one read shows Okta ignored a
 * clearing (then every clearing of the session needs the repair). The same session always gives the same choice, so a
 * retried read-back reads the same people.
 */
export function chooseReadBacks(
  upserts: PlannedUpsert[],
  deactivations: string[],
  limits: SampleLimits,
): { chosen: ReadBack[]; unchecked: number; moreClearing: ReadBack[] } {
  const all: ReadBack[] = [
    ...deactivations.map((externalId): ReadBack => ({ kind: 'deactivation', externalId })),
    ...upserts.map((item): ReadBack => ({ kind: 'upsert', item })),
  ];
  const readable = limits.deactivations ? all : all.filter((r) => r.kind === 'upsert');
  let chosen: ReadBack[];
  if (readable.length <= limits.sample) chosen = readable;
  else {
    const mustRead = readable.filter(mustBeRead);
    const rest = readable.filter((r) => !mustBeRead(r));
    chosen = [...mustRead, ...spread(rest, Math.min(limits.sample, rest.length))];
  }
  const max = Math.max(0, limits.max);
  const moreClearing = chosen.slice(max).filter((r) => r.kind === 'upsert' && clears(r));
  chosen = chosen.slice(0, max);
  return { chosen, unchecked: all.length - chosen.length, moreClearing };
}

function clears(readBack: Extract<ReadBack, { kind: 'upsert' }>): boolean {
  return Object.values(readBack.item.profile).includes(null);
}

function mustBeRead(readBack: ReadBack): boolean {
  return readBack.kind === 'deactivation' || clears(readBack);
}

/** `count` items evenly spaced over the list, first included. */
function spread<T>(items: T[], count: number): T[] {
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]!);
}
