// The directory of one identity source: its users, groups and memberships as Okta holds them.

export interface RecordFailure {
  entityType: 'USER' | 'GROUP' | 'MEMBERSHIP';
  externalId: string;
  operation: 'UPSERT' | 'DELETE';
  errors: string[];
}

/** What Okta's import monitoring shows for a processed session. */
export interface ImportResult {
  usersCreated: number;
  usersUpdated: number;
  usersDeactivated: number;
  groupsCreated: number;
  groupsUpdated: number;
  groupsDeleted: number;
  membershipsAdded: number;
  membershipsRemoved: number;
  failures: RecordFailure[];
}

export interface UserRecord {
  /** The Okta user ("00u…"). */
  id: string;
  /** The identity-source (app) user ("0ua…"): the id the single-record endpoints answer with. */
  appUserId: string;
  externalId: string;
  status: 'ACTIVE' | 'DEACTIVATED';
  profile: Record<string, string>;
  created: number;
  lastUpdated: number;
  /**
   * Every change of status after the user was created, oldest first: what Okta's System Log shows as the user's
   * lifecycle events (for tests and benchmarks that ask when a person was deactivated or made active again).
   */
  statusChanges?: { status: UserRecord['status']; at: number }[];
}

/** Stamps a change to a user at `at`; a change of status is also added to its `statusChanges`. */
export function touchUser(user: UserRecord, status: UserRecord['status'], at: number): void {
  if (user.status !== status) (user.statusChanges ??= []).push({ status, at });
  user.status = status;
  user.lastUpdated = at;
}

export interface GroupRecord {
  id: string;
  externalId: string;
  profile: Record<string, string>;
  created: number;
  lastUpdated: number;
}

export interface IdentitySource {
  id: string;
  customAttributes: string[];
  users: Map<string, UserRecord>;
  groups: Map<string, GroupRecord>;
  /** group externalId → member externalIds */
  memberships: Map<string, Set<string>>;
  /** When the last triggered session of this source finishes processing: the next one starts then. */
  queueEndsAt: number;
}
