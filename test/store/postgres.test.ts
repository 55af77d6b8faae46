import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import pg from 'pg';
import { stateStoreContract } from './state-store.contract.ts';
import { testPostgresUrl } from './test-postgres.ts';

// Each test gets its own database on the test server, dropped at the end.
let baseUrl = '';
let stop: () => Promise<void> = () => Promise.resolve();
const created: string[] = [];

beforeAll(async () => {
  const server = await testPostgresUrl();
  baseUrl = server.url;
  stop = server.stop;
});

afterAll(async () => {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  for (const name of created) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
  await stop();
});

stateStoreContract('PostgreSQL', async () => {
  const name = `store_${randomUUID().replaceAll('-', '')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  created.push(name);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
});
