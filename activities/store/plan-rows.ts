import type {
  BulkOperation,
  ItemOf,
  NewPlan,
  PlanCounts,
  PlannedGroup,
  PlannedMembership,
  PlannedUpsert,
  PushRequest,
} from './state-store.ts';

/**
 * How plan items are kept in a row: the keys the confirmation step needs as columns (so it runs as set-based SQL,
 * without loading items), and the item itself as JSON.
 */
export interface ItemRow {
  key1: string;
  key2: string | null;
  fingerprint: string | null;
  data: string;
}

export function toItemRow(operation: BulkOperation, item: unknown): ItemRow {
  switch (operation) {
    case 'USER_UPSERT':
    case 'GROUP_UPSERT': {
      const u = item as PlannedUpsert | PlannedGroup;
      return { key1: u.externalId, key2: null, fingerprint: u.fingerprint, data: JSON.stringify(u) };
    }
    case 'USER_DEACTIVATE':
    case 'GROUP_DELETE':
      return { key1: item as string, key2: null, fingerprint: null, data: JSON.stringify(item) };
    case 'MEMBERSHIP_UPSERT':
    case 'MEMBERSHIP_DELETE': {
      const m = item as PlannedMembership;
      return { key1: m.groupExternalId, key2: m.memberExternalId, fingerprint: null, data: JSON.stringify(m) };
    }
  }
}

export function fromItemData<O extends BulkOperation>(data: string): ItemOf<O> {
  return JSON.parse(data) as ItemOf<O>;
}

type CountKey = keyof PlanCounts;

/** The sequences of a new plan, in the order they are stored, with the count each one feeds. */
export function planSequences(
  plan: NewPlan,
): { operation: BulkOperation; count: CountKey; items: Iterable<unknown> | AsyncIterable<unknown> }[] {
  return [
    { operation: 'USER_UPSERT', count: 'upserts', items: plan.upserts },
    { operation: 'USER_DEACTIVATE', count: 'deactivations', items: plan.deactivations },
    { operation: 'GROUP_UPSERT', count: 'groupUpserts', items: plan.groupUpserts ?? [] },
    { operation: 'GROUP_DELETE', count: 'groupDeletes', items: plan.groupDeletes ?? [] },
    { operation: 'MEMBERSHIP_UPSERT', count: 'membershipUpserts', items: plan.membershipUpserts ?? [] },
    { operation: 'MEMBERSHIP_DELETE', count: 'membershipDeletes', items: plan.membershipDeletes ?? [] },
  ];
}

export function emptyCounts(): PlanCounts {
  return { upserts: 0, deactivations: 0, groupUpserts: 0, groupDeletes: 0, membershipUpserts: 0, membershipDeletes: 0 };
}

const countOf: Record<BulkOperation, CountKey> = {
  USER_UPSERT: 'upserts',
  USER_DEACTIVATE: 'deactivations',
  GROUP_UPSERT: 'groupUpserts',
  GROUP_DELETE: 'groupDeletes',
  MEMBERSHIP_UPSERT: 'membershipUpserts',
  MEMBERSHIP_DELETE: 'membershipDeletes',
};

/** Rejects a layout that does not cover each operation's items exactly once, in order, before it is stored. */
export function checkPushLayout(planId: string, counts: PlanCounts, requests: PushRequest[]): void {
  const next: Record<string, number> = {};
  requests.forEach((r, i) => {
    if (r.index !== i) throw new Error(`push layout of plan ${planId}: request ${i} has index ${r.index}`);
    const expected = next[r.operation] ?? 0;
    if (r.firstItem !== expected || r.itemCount < 1) {
      throw new Error(
        `push layout of plan ${planId}: request ${i} (${r.operation}) starts at item ${r.firstItem} with ${r.itemCount} items, expected to start at ${expected}`,
      );
    }
    next[r.operation] = expected + r.itemCount;
  });
  for (const [operation, key] of Object.entries(countOf)) {
    if ((next[operation] ?? 0) !== counts[key]) {
      throw new Error(
        `push layout of plan ${planId}: covers ${next[operation] ?? 0} ${operation} items, the plan has ${counts[key]}`,
      );
    }
  }
}

export function sameLayout(a: PushRequest[], b: PushRequest[]): boolean {
  return (
    a.length === b.length &&
    a.every(
      (r, i) =>
        r.index === b[i]!.index &&
        r.sessionIndex === b[i]!.sessionIndex &&
        r.operation === b[i]!.operation &&
        r.firstItem === b[i]!.firstItem &&
        r.itemCount === b[i]!.itemCount &&
        r.bytes === b[i]!.bytes,
    )
  );
}

export const SAVE_BATCH = 500;
export const PAGE = 1000;
