import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { StatementSync } from 'node:sqlite';
import { SqlStateStore } from './sql-store.ts';
import type { Row, SqlDriver, SqlExecutor, SqlValue } from './sql-store.ts';

/**
 * The embedded store: one SQLite file (WAL mode), no server. Node's built-in driver is synchronous, so work is
 * queued: a transaction holds the queue until it ends. Stores opened on the same file in one process share one
 * connection and its queue (two connections would wait on each other's lock while blocking the one thread);
 * other processes on the same file wait on SQLite's lock (busy timeout).
 */
export function openSqliteStore(file: string): SqlStateStore {
  return new SqlStateStore(new SqliteDriver(file));
}

class Connection {
  readonly db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  #queue: Promise<unknown> = Promise.resolve();
  users = 0;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new DatabaseSync(file);
    this.db.exec('PRAGMA busy_timeout = 30000');
    if (file !== ':memory:') this.db.exec('PRAGMA journal_mode = WAL');
  }

  exclusive<T>(work: () => T | Promise<T>): Promise<T> {
    const result = this.#queue.then(work);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  all<T extends Row>(sql: string, params: SqlValue[]): T[] {
    return this.#statement(sql).all(...params) as T[];
  }

  run(sql: string, params: SqlValue[]): number {
    return Number(this.#statement(sql).run(...params).changes);
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

const shared = new Map<string, Connection>();

function connect(file: string): { connection: Connection; release: () => void } {
  if (file === ':memory:') {
    const connection = new Connection(file);
    return { connection, release: () => connection.db.close() };
  }
  const key = resolve(file);
  let connection = shared.get(key);
  if (!connection) {
    connection = new Connection(key);
    shared.set(key, connection);
  }
  connection.users++;
  const owned = connection;
  return {
    connection,
    release: () => {
      if (--owned.users > 0) return;
      shared.delete(key);
      owned.db.close();
    },
  };
}

class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  readonly #connection: Connection;
  readonly #release: () => void;
  #closed = false;
  readonly #direct: SqlExecutor = {
    all: <T extends Row>(sql: string, params: SqlValue[] = []) => Promise.resolve(this.#connection.all<T>(sql, params)),
    run: (sql: string, params: SqlValue[] = []) => Promise.resolve(this.#connection.run(sql, params)),
  };

  constructor(file: string) {
    const { connection, release } = connect(file);
    this.#connection = connection;
    this.#release = release;
  }

  all<T extends Row>(sql: string, params: SqlValue[] = []): Promise<T[]> {
    return this.#connection.exclusive(() => this.#connection.all<T>(sql, params));
  }

  run(sql: string, params: SqlValue[] = []): Promise<number> {
    return this.#connection.exclusive(() => this.#connection.run(sql, params));
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#connection.exclusive(async () => {
      const db = this.#connection.db;
      db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(this.#direct);
        db.exec('COMMIT');
        return result;
      } catch (error) {
        db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  async lockForMigration(): Promise<void> {
    // BEGIN IMMEDIATE already holds the database's write lock.
  }

  close(): Promise<void> {
    return this.#connection.exclusive(() => {
      if (this.#closed) return;
      this.#closed = true;
      this.#release();
    });
  }
}
