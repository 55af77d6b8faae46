import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);
const script = join(import.meta.dirname, '../../scripts/start-test-postgres.sh');

/**
 * The PostgreSQL server the store tests use: HR_OKTA_SYNC_TEST_POSTGRES_URL (set by .ci/run), or else, outside
 * CI, a throwaway cluster started here from the Debian binaries and stopped afterwards. CI without the variable
 * is a broken setup and fails loudly rather than testing one store only.
 */
export async function testPostgresUrl(): Promise<{ url: string; stop: () => Promise<void> }> {
  const given = process.env.HR_OKTA_SYNC_TEST_POSTGRES_URL;
  if (given) return { url: given, stop: () => Promise.resolve() };
  if (process.env.CI) {
    throw new Error(
      'HR_OKTA_SYNC_TEST_POSTGRES_URL is not set; under CI it must name a PostgreSQL database (.ci/run starts one with scripts/start-test-postgres.sh)',
    );
  }
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql') : [];
  if (!versions.some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`))) {
    throw new Error(
      'The PostgreSQL store tests need a server: set HR_OKTA_SYNC_TEST_POSTGRES_URL=postgres://… or install the Debian server (apt-get install -y postgresql) so that a throwaway one is started',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'hr-okta-sync-pg-'));
  const { stdout } = await run(script, [dir, String(await freePort())]);
  return {
    url: stdout.trim(),
    stop: async () => {
      await run(script, ['--stop', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
