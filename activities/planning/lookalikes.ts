import type { Profile } from '../store/state-store.ts';
import { firstDifference, skeletonOf } from './skeleton.ts';

/** A person Okta has who leaves while a near-identical externalId arrives: most likely the same person re-keyed. */
export interface SuspiciousKeyPair {
  leaving: string;
  arriving: string;
  /** Where the keys differ, by code point (keys name records; they are no secret). */
  difference: string;
}

/** A new account whose userName or email looks like another person's: named by externalIds, never by values. */
export interface LookalikePair {
  attribute: string;
  existing: string;
  arriving: string;
}

/** Leavers and new keys of one plan, matched by skeleton. */
export class KeyChanges {
  private readonly leavers: string[] = [];
  private readonly arrivals: string[] = [];

  left(externalId: string): void {
    this.leavers.push(externalId);
  }

  arrived(externalId: string): void {
    this.arrivals.push(externalId);
  }

  pairs(): SuspiciousKeyPair[] {
    if (this.leavers.length === 0 || this.arrivals.length === 0) return [];
    const leaving = new Map<string, string[]>();
    for (const id of this.leavers) {
      const skeleton = skeletonOf(id);
      leaving.set(skeleton, [...(leaving.get(skeleton) ?? []), id]);
    }
    const pairs: SuspiciousKeyPair[] = [];
    for (const arriving of this.arrivals) {
      for (const left of leaving.get(skeletonOf(arriving)) ?? []) {
        pairs.push({ leaving: left, arriving, difference: firstDifference(left, arriving) });
      }
    }
    return pairs;
  }
}

/** The attributes a person signs in with or is reached at: a lookalike there is an account impersonating another. */
const WATCHED = ['userName', 'email'];

/** The valid active people's userName and email, for finding new accounts that look like someone else's. */
export class LoginNames {
  private readonly people = new Map<string, { isNew: boolean; values: (string | undefined)[] }>();

  /** Notes (or, when the person is planned again, replaces) what a person's profile signs in with. */
  note(externalId: string, profile: Profile, isNew: boolean): void {
    this.people.set(externalId, { isNew, values: WATCHED.map((attribute) => profile[attribute]) });
  }

  /** Pairs of a new account and one it looks like, among the people `valid` keeps. */
  pairs(valid: (externalId: string) => boolean): LookalikePair[] {
    const pairs: LookalikePair[] = [];
    if (!this.anyNew()) return pairs; // no new account, nothing to look like anyone
    const named = new Set<string>();
    for (const [index, attribute] of WATCHED.entries()) {
      // The new accounts' skeletons first (few, on a day with joiners), then the existing accounts that share one:
      // the skeletons of everyone else are taken but not kept.
      const bySkeleton = new Map<string, { externalId: string; value: string; isNew: boolean }[]>();
      for (const isNew of [true, false]) {
        for (const [externalId, person] of this.people) {
          const value = person.values[index];
          if (person.isNew !== isNew || value === undefined || !valid(externalId)) continue;
          const skeleton = skeletonOf(value);
          const holders = bySkeleton.get(skeleton);
          if (holders) holders.push({ externalId, value, isNew });
          else if (isNew) bySkeleton.set(skeleton, [{ externalId, value, isNew }]);
        }
      }
      for (const holders of bySkeleton.values()) {
        if (holders.length < 2) continue;
        for (const arriving of holders) {
          if (!arriving.isNew) continue;
          // The same text (in any case) is a shared value, caught as such; a lookalike differs in what it is.
          const other =
            holders.find((h) => h !== arriving && h.value.toLowerCase() !== arriving.value.toLowerCase() && !h.isNew) ??
            holders.find((h) => h !== arriving && h.value.toLowerCase() !== arriving.value.toLowerCase());
          if (!other) continue;
          const pair = [attribute, ...[other.externalId, arriving.externalId].sort()].join('\n');
          if (named.has(pair)) continue;
          named.add(pair);
          pairs.push({ attribute, existing: other.externalId, arriving: arriving.externalId });
        }
      }
    }
    return pairs;
  }

  private anyNew(): boolean {
    for (const person of this.people.values()) if (person.isNew) return true;
    return false;
  }

  clear(): void {
    this.people.clear();
  }
}
