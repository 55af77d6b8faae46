import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openStateStore } from '../../activities/store/open.ts';
import { openSqliteStore } from '../../activities/store/sqlite-store.ts';
import { latestSchemaVersion } from '../../activities/store/migrations.ts';
import { stateStoreContract } from './state-store.contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'hr-okta-sync-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

stateStoreContract('SQLite', () => Promise.resolve(`sqlite:${join(dir, `${randomUUID()}.db`)}`));

it('opens SQLite from a bare path, a sqlite: URL and in memory, at the latest schema version', async () => {
  for (const url of [join(dir, 'bare.db'), `sqlite://${join(dir, 'url.db')}`, 'sqlite::memory:']) {
    const store = await openStateStore(url);
    expect(await store.countConfirmedUsers('0oa1')).toEqual({ active: 0, deactivated: 0 });
    await store.close();
  }
  const store = openSqliteStore(join(dir, 'bare.db'));
  expect(await store.schemaVersion()).toBe(latestSchemaVersion);
  await store.close();
});
