import pg from 'pg';
import { SqlStateStore } from './sql-store.ts';
import type { Row, SqlDriver, SqlExecutor, SqlValue } from './sql-store.ts';

/**
 * The shared store for several workers on several hosts: PostgreSQL through a connection pool. Transactions
 * run on one pooled connection; concurrent confirmations of the same requests are serialised by row locks.
 */
export function openPostgresStore(url: string): SqlStateStore {
  return new SqlStateStore(new PostgresDriver(url));
}

/** Our SQL uses `?`; PostgreSQL numbers its parameters. No statement of ours has a `?` inside a literal. */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function executor(client: pg.Pool | pg.PoolClient): SqlExecutor {
  return {
    async all<T extends Row>(sql: string, params: SqlValue[] = []): Promise<T[]> {
      return (await client.query<T>(numbered(sql), params)).rows;
    },
    async run(sql: string, params: SqlValue[] = []): Promise<number> {
      return (await client.query(numbered(sql), params)).rowCount ?? 0;
    },
  };
}

class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #executor: SqlExecutor;

  constructor(url: string) {
    this.#pool = new pg.Pool({ connectionString: url, max: 5 });
    // An idle connection that the server drops must not crash the worker; the next query reconnects.
    this.#pool.on('error', () => undefined);
    this.#executor = executor(this.#pool);
  }

  all<T extends Row>(sql: string, params?: SqlValue[]): Promise<T[]> {
    return this.#executor.all<T>(sql, params);
  }

  run(sql: string, params?: SqlValue[]): Promise<number> {
    return this.#executor.run(sql, params);
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(executor(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async lockForMigration(tx: SqlExecutor): Promise<void> {
    await tx.all("SELECT pg_advisory_xact_lock(hashtext('hr-okta-sync schema migration'))");
  }

  close(): Promise<void> {
    return this.#pool.end();
  }
}
