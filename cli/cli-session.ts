import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { openStateStore } from '../activities/store/open.ts';
import type { PlanStatus, StateStore } from '../activities/store/state-store.ts';
import { loadServiceConfig, type ServiceConfig } from '../config/service-config.ts';
import { resolveStoreUrl } from '../config/store-url.ts';
import { connectTemporal } from '../connection/temporal-connection.ts';
import { configOption } from './config-option.ts';

/** What the commands that start or steer syncs share: the config, a Temporal client, the store on demand. */
export interface CliSession {
  config: ServiceConfig;
  /** `--identity-source`, else the config's default identity source. */
  identitySourceId: string;
  temporal(): Promise<Client>;
  /** The state store, or undefined when a SQLite store was never created (nothing planned yet). */
  store(): Promise<StateStore | undefined>;
}

export { CommandFailure } from './command-failure.ts';

/** `-c, --config` and `--identity-source`, the options every sync command takes. */
export function withSessionOptions(command: Command): Command {
  return command
    .addOption(configOption())
    .option('-s, --identity-source <id>', 'identity source (0oa…); default: okta.identitySourceId of the config');
}

/** Runs a command body with a session and closes what it opened; errors are reported by the CLI (command-errors). */
export async function runWithSession(
  options: { config: string; identitySource?: string },
  body: (session: CliSession) => Promise<void>,
): Promise<void> {
  let client: Client | undefined;
  let store: StateStore | undefined;
  try {
    const config = await loadServiceConfig(options.config);
    await body({
      config,
      identitySourceId: options.identitySource ?? config.okta.identitySourceId,
      async temporal() {
        client ??= await connectTemporal(config);
        return client;
      },
      async store() {
        if (store) return store;
        const url = await resolveStoreUrl(config.store);
        const sqliteFile = /^sqlite:(?!:memory:)(?:\/\/)?(.+)$/.exec(url)?.[1];
        // Reading must not leave an empty database behind in the current folder.
        if (sqliteFile !== undefined && !existsSync(sqliteFile)) return undefined;
        store = await openStateStore(url);
        return store;
      },
    });
  } finally {
    await store?.close();
    await client?.connection.close();
  }
}

/** Who a decision is recorded as, when `--by` is not given. */
export function defaultActor(): string {
  try {
    return userInfo().username;
  } catch {
    return 'cli';
  }
}

/** Every status a plan can have: for "the latest plan, whatever became of it". */
export const ANY_PLAN_STATUS: PlanStatus[] = [
  'planned',
  'awaiting-approval',
  'rejected',
  'pushing',
  'applied',
  'failed',
  'cancelled',
  'dry-run',
];
