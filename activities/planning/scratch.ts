import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/**
 * A throwaway on-disk SQLite database for one planning run. Only what must wait or be looked at again goes here
 * (the changes, records waiting for a manager that comes later in the export, group memberships, and Okta's groups
 * to compare with), so that memory does not grow with the export's profiles. Tables have no secondary indexes:
 * they are read in row order or joined once at the end.
 */
export class Scratch {
  readonly db: DatabaseSync;
  readonly #dir: string;
  #pending = 0;

  constructor() {
    this.#dir = mkdtempSync(join(tmpdir(), 'hr-okta-sync-plan-'));
    this.db = new DatabaseSync(join(this.#dir, 'plan.db'));
    this.db.exec(`
      PRAGMA journal_mode = OFF;
      PRAGMA synchronous = OFF;
      PRAGMA cache_size = -16000;
      CREATE TABLE upserts (row INTEGER PRIMARY KEY, external_id TEXT NOT NULL, profile TEXT NOT NULL, fingerprint TEXT NOT NULL, is_new INTEGER NOT NULL);
      CREATE TABLE deactivations (seq INTEGER PRIMARY KEY, external_id TEXT NOT NULL);
      CREATE TABLE waiting (row INTEGER PRIMARY KEY, external_id TEXT NOT NULL, profile TEXT NOT NULL, manager_ref TEXT NOT NULL);
      CREATE TABLE desired_memberships (group_id TEXT NOT NULL, member_id TEXT NOT NULL, row INTEGER NOT NULL, profile TEXT NOT NULL, fingerprint TEXT NOT NULL, PRIMARY KEY (group_id, member_id));
      CREATE TABLE desired_groups (external_id TEXT PRIMARY KEY, profile TEXT NOT NULL, fingerprint TEXT NOT NULL);
      CREATE TABLE invalidated (external_id TEXT PRIMARY KEY, row INTEGER NOT NULL);
      CREATE TABLE confirmed_groups (external_id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL);
      CREATE TABLE confirmed_memberships (group_id TEXT NOT NULL, member_id TEXT NOT NULL, PRIMARY KEY (group_id, member_id));
      CREATE TABLE protected_members (external_id TEXT PRIMARY KEY);
      CREATE TABLE known_members (external_id TEXT PRIMARY KEY);
    `);
    this.db.exec('BEGIN');
  }

  /** Groups writes into transactions of a few thousand rows (fast) without holding one open across reads. */
  wrote(): void {
    if (++this.#pending < 5000) return;
    this.flush();
  }

  flush(): void {
    this.db.exec('COMMIT');
    this.db.exec('BEGIN');
    this.#pending = 0;
  }

  /** Rows of a query, read in keyset pages on an integer key so that no result set is held whole. */
  *pages<T>(sql: string, key: string, params: (string | number)[] = []): Iterable<T> {
    let after = -1;
    const statement = this.db.prepare(`${sql} AND ${key} > ? ORDER BY ${key} LIMIT 1000`);
    for (;;) {
      const rows = statement.all(...params, after) as (T & Record<string, number>)[];
      yield* rows;
      if (rows.length < 1000) return;
      after = rows.at(-1)![key]!;
    }
  }

  close(): void {
    try {
      this.db.close();
    } finally {
      rmSync(this.#dir, { recursive: true, force: true });
    }
  }
}
