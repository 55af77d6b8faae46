import type {
  BulkOperation,
  PlanCounts,
  PushRequest,
  Profile,
  StateStore,
  UpsertProfile,
} from '../../activities/store/state-store.ts';

/** A model of what Okta holds for one identity source. */
export interface OktaModel {
  users: Map<string, { profile: Profile; active: boolean }>;
  memberships: Set<string>;
}

const order: [BulkOperation, keyof PlanCounts][] = [
  ['USER_UPSERT', 'upserts'],
  ['GROUP_UPSERT', 'groupUpserts'],
  ['MEMBERSHIP_UPSERT', 'membershipUpserts'],
  ['MEMBERSHIP_DELETE', 'membershipDeletes'],
  ['GROUP_DELETE', 'groupDeletes'],
  ['USER_DEACTIVATE', 'deactivations'],
];

/**
 * Does what the durable sync does, minus Okta: lays the plan out (200 items a request), applies every request to
 * the model exactly as stored, and confirms them as if every session COMPLETED.
 */
export async function applyPlan(store: StateStore, planId: string, okta: OktaModel): Promise<void> {
  const plan = (await store.getPlan(planId))!;
  const requests: PushRequest[] = [];
  for (const [operation, count] of order) {
    for (let first = 0; first < plan.counts[count]; first += 200) {
      const itemCount = Math.min(200, plan.counts[count] - first);
      requests.push({
        index: requests.length,
        sessionIndex: Math.floor(requests.length / 50),
        operation,
        firstItem: first,
        itemCount,
        bytes: 0,
      });
    }
  }
  await store.savePushLayout(planId, requests);
  for (const r of requests) {
    for (const item of await store.readItems(planId, r.operation, r.firstItem, r.itemCount)) {
      switch (r.operation) {
        case 'USER_UPSERT': {
          // Okta's bulk upsert merges: given attributes replace stored ones, null clears one (the emulator's default).
          const u = item as { externalId: string; profile: UpsertProfile };
          const profile: Profile = { ...okta.users.get(u.externalId)?.profile };
          for (const [name, value] of Object.entries(u.profile)) {
            if (value === null) delete profile[name];
            else profile[name] = value;
          }
          okta.users.set(u.externalId, { profile, active: true });
          break;
        }
        case 'USER_DEACTIVATE': {
          const user = okta.users.get(item as string);
          if (user) user.active = false;
          break;
        }
        case 'MEMBERSHIP_UPSERT':
        case 'MEMBERSHIP_DELETE': {
          const m = item as { groupExternalId: string; memberExternalId: string };
          const key = `${m.groupExternalId}/${m.memberExternalId}`;
          if (r.operation === 'MEMBERSHIP_UPSERT') okta.memberships.add(key);
          else okta.memberships.delete(key);
          break;
        }
        case 'GROUP_DELETE':
          // Deleting a group in Okta removes its memberships.
          for (const key of okta.memberships) if (key.startsWith(`${item as string}/`)) okta.memberships.delete(key);
          break;
        default:
          break;
      }
    }
  }
  await store.confirmRequests(planId, 0, requests.length, new Date().toISOString());
  await store.setPlanStatus(planId, 'applied');
}

export function emptyOkta(): OktaModel {
  return { users: new Map(), memberships: new Set() };
}
