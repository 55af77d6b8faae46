/**
 * Versioned schema migrations shared by the SQLite and PostgreSQL stores. A migration, once released, never
 * changes: a new schema version is a new entry. `{key}` stands for the column type of keys that are paged through
 * in order, so that both databases order them byte-wise (PostgreSQL's default collation depends on the locale).
 */
export interface Migration {
  version: number;
  description: string;
  statements: string[];
}

export type Dialect = 'sqlite' | 'postgres';

const migrations: Migration[] = [
  {
    version: 1,
    description: 'plans, push layout, confirmed users/groups/memberships, Okta sessions',
    statements: [
      `CREATE TABLE plans (
        plan_id TEXT PRIMARY KEY,
        identity_source_id TEXT NOT NULL,
        mode TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        complete INTEGER NOT NULL DEFAULT 0,
        laid_out INTEGER NOT NULL DEFAULT 0,
        counts TEXT NOT NULL,
        report TEXT,
        source TEXT
      )`,
      `CREATE INDEX plans_by_source ON plans (identity_source_id, status, created_at)`,
      `CREATE TABLE plan_items (
        plan_id TEXT NOT NULL,
        operation TEXT NOT NULL,
        item_index INTEGER NOT NULL,
        key1 TEXT NOT NULL,
        key2 TEXT,
        fingerprint TEXT,
        data TEXT NOT NULL,
        PRIMARY KEY (plan_id, operation, item_index)
      )`,
      `CREATE TABLE push_requests (
        plan_id TEXT NOT NULL,
        request_index INTEGER NOT NULL,
        session_index INTEGER NOT NULL,
        operation TEXT NOT NULL,
        first_item INTEGER NOT NULL,
        item_count INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        confirmed_at TEXT,
        PRIMARY KEY (plan_id, request_index)
      )`,
      `CREATE TABLE confirmed_users (
        identity_source_id {key} NOT NULL,
        external_id {key} NOT NULL,
        fingerprint TEXT NOT NULL,
        status TEXT NOT NULL,
        confirmed_at TEXT NOT NULL,
        PRIMARY KEY (identity_source_id, external_id)
      )`,
      `CREATE TABLE confirmed_groups (
        identity_source_id {key} NOT NULL,
        external_id {key} NOT NULL,
        fingerprint TEXT NOT NULL,
        confirmed_at TEXT NOT NULL,
        PRIMARY KEY (identity_source_id, external_id)
      )`,
      `CREATE TABLE confirmed_memberships (
        identity_source_id {key} NOT NULL,
        group_external_id {key} NOT NULL,
        member_external_id {key} NOT NULL,
        confirmed_at TEXT NOT NULL,
        PRIMARY KEY (identity_source_id, group_external_id, member_external_id)
      )`,
      `CREATE TABLE okta_sessions (
        okta_session_id TEXT PRIMARY KEY,
        identity_source_id TEXT NOT NULL,
        plan_id TEXT NOT NULL,
        session_index INTEGER NOT NULL,
        workflow_id TEXT NOT NULL,
        run_id TEXT NOT NULL,
        status TEXT NOT NULL,
        opened_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
      `CREATE INDEX okta_sessions_by_plan ON okta_sessions (plan_id, session_index, opened_at)`,
    ],
  },
  {
    version: 2,
    description: 'HR events received by the webhook receiver',
    statements: [
      `CREATE TABLE hr_events (
        event_id TEXT PRIMARY KEY,
        identity_source_id TEXT NOT NULL,
        type TEXT NOT NULL,
        external_id TEXT NOT NULL,
        record_json TEXT,
        occurred_at TEXT NOT NULL,
        received_at TEXT NOT NULL,
        handed_off_at TEXT,
        consumed_by_plan TEXT
      )`,
      `CREATE INDEX hr_events_by_source ON hr_events (identity_source_id, occurred_at)`,
    ],
  },
  {
    version: 3,
    description: 'uploads Okta accepted into a session, so that a retried session upload sends only the rest',
    statements: [
      `CREATE TABLE push_uploads (
        okta_session_id TEXT NOT NULL,
        request_index INTEGER NOT NULL,
        plan_id TEXT NOT NULL,
        accepted_at TEXT NOT NULL,
        PRIMARY KEY (okta_session_id, request_index)
      )`,
    ],
  },
  {
    version: 4,
    description: "Okta's last learned import time per identity source, for the first poll of the next push",
    statements: [
      `CREATE TABLE import_times (
        identity_source_id TEXT PRIMARY KEY,
        ms_per_record REAL NOT NULL,
        records INTEGER NOT NULL,
        learned_at TEXT NOT NULL
      )`,
    ],
  },
  {
    version: 5,
    description: 'the profile Okta was last sent and confirmed for a user, cleared attributes as null',
    statements: [`ALTER TABLE confirmed_users ADD COLUMN profile TEXT`],
  },
  {
    version: 6,
    description: "an identity source's open Okta sessions, which the fast path asks for before each plan of leavers",
    statements: [`CREATE INDEX okta_sessions_by_source ON okta_sessions (identity_source_id, status)`],
  },
];

export function migrationsFor(dialect: Dialect): Migration[] {
  const key = dialect === 'postgres' ? 'TEXT COLLATE "C"' : 'TEXT';
  return migrations.map((m) => ({ ...m, statements: m.statements.map((s) => s.replaceAll('{key}', key)) }));
}

export const latestSchemaVersion = migrations.at(-1)!.version;
