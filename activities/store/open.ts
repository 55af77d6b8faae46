import { openPostgresStore } from './postgres-store.ts';
import { openSqliteStore } from './sqlite-store.ts';
import type { OpenStateStore, StateStore } from './state-store.ts';

/**
 * Opens and migrates the store a URL names: `postgres://…` / `postgresql://…`, `sqlite:<file>`,
 * `sqlite:///absolute/file`, `sqlite::memory:`, or a bare file path (SQLite).
 */
export const openStateStore: OpenStateStore = async (url: string): Promise<StateStore> => {
  const store = /^postgres(ql)?:\/\//.test(url) ? openPostgresStore(url) : openSqliteStore(sqliteFile(url));
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
};

function sqliteFile(url: string): string {
  if (!url.startsWith('sqlite:')) return url;
  const rest = url.slice('sqlite:'.length);
  return rest.startsWith('//') ? rest.slice(2) : rest;
}
