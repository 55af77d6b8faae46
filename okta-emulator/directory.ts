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
