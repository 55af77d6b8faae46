// The scale-out scenario's own PostgreSQL cluster (scripts/start-test-postgres.sh on a data dir and port of its own),
// so that restarting it mid-push disturbs no one else's tests. `.ci/run` installs the server binaries before chaos.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { cacheDir } from '../local-stack/paths.ts';

const SCRIPT = fileURLToPath(new URL('../scripts/start-test-postgres.sh', import.meta.url));
const run = promisify(execFile);

export class ScalePostgres {
  readonly dir: string;
  readonly port: number;
  private serverUrl = '';

  constructor(options: { dir?: string; port?: number } = {}) {
    this.dir = options.dir ?? join(cacheDir(), 'scale-postgres');
    this.port = options.port ?? 55433;
  }

  /** Starts the cluster (created on first use) and returns the URL of its default database. */
  async start(): Promise<string> {
    const { stdout } = await run(SCRIPT, [this.dir, String(this.port)]);
    this.serverUrl = stdout.trim();
    return this.serverUrl;
  }

  /** Drops and creates `name`, so that every run starts from an empty store; returns its URL. */
  async freshDatabase(name: string): Promise<string> {
    const admin = new pg.Client({ connectionString: this.serverUrl });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    const url = new URL(this.serverUrl);
    url.pathname = `/${name}`;
    return url.toString();
  }

  /** Stops the server (fast shutdown: open connections are cut), waits `downMs`, starts it again. Returns ms down. */
  async restart(downMs: number): Promise<number> {
    const stopped = performance.now();
    await this.stop();
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.start();
    return performance.now() - stopped;
  }

  async stop(): Promise<void> {
    await run(SCRIPT, ['--stop', this.dir]);
  }
}
