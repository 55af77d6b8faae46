import { InvalidArgumentError, type Command } from 'commander';
import { findDrift, type Drift } from '../../activities/okta/confirmed-drift.ts';
import type { ConfirmedUser, StateStore } from '../../activities/store/state-store.ts';
import { startSync } from '../../client/sync-client.ts';
import { printable } from '../../activities/planning/printable.ts';
import { createOktaClient } from '../../worker/okta-client.ts';
import { CommandFailure, runWithSession, withSessionOptions } from '../cli-session.ts';

interface VerifyOptions {
  config: string;
  identitySource?: string;
  all?: boolean;
  sample: number;
  repair?: boolean;
  json?: boolean;
}

/** Reads in flight at once; the Okta client's pacer keeps them within the configured share of the rate limit. */
const CONCURRENCY = 8;
const DEFAULT_SAMPLE = 200;
/** People checked at a time with --all. */
const BATCH = 1_000;

/**
 * `hr-okta-sync verify`: checks what the store says Okta has (the confirmed record) against Okta, person by person
 * (GET /users/{externalId}), and reports drift: attributes changed by hand in Okta, people Okta does not have, people
 * deactivated here whom Okta still has. `--repair` forgets what was confirmed of the drifted people and queues a
 * delta sync, which sends each of them again. Exit 1 when drift is found and not repaired.
 */
export function registerVerify(program: Command): void {
  withSessionOptions(
    program
      .command('verify')
      .description(
        'Check the confirmed record against Okta (all of it, or a random sample) and report drift per person; ' +
          '--repair queues a delta sync that sends the drifted people again',
      ),
  )
    .option('--all', 'check everyone confirmed (one Okta read each)')
    .option('--sample <n>', `check a random sample of n people (default ${DEFAULT_SAMPLE})`, count, DEFAULT_SAMPLE)
    .option('--repair', 'mark the drifted people unconfirmed and queue a delta sync that sends them again')
    .option('--json', 'print JSON')
    .action((options: VerifyOptions) =>
      runWithSession(options, async (session) => {
        const store = await session.store();
        const total = store ? await countConfirmed(store, session.identitySourceId) : 0;
        if (!store || total === 0) {
          throw new CommandFailure(
            `Nothing confirmed for ${session.identitySourceId} yet: there is nothing to verify`,
            'run a sync first (`hr-okta-sync sync --wait`)',
          );
        }
        const okta = await createOktaClient(session.config.okta);
        const check = { concurrency: CONCURRENCY, deactivations: session.config.okta.readBack.deactivations };
        let checked = 0;
        const drift: Drift[] = [];
        const batches = options.all
          ? inBatches(store.streamConfirmedUsers(session.identitySourceId))
          : [await pick(store, session.identitySourceId, options.sample)];
        for await (const users of batches) {
          const found = await findDrift(okta, session.identitySourceId, users, check);
          checked += found.checked;
          drift.push(...found.drift);
        }
        let repair: { markedUnconfirmed: number; workflowId: string } | undefined;
        if (options.repair && drift.length > 0) {
          const markedUnconfirmed = await store.markUsersUnconfirmed(
            session.identitySourceId,
            drift.map((d) => d.externalId),
          );
          const workflowId = await startSync(
            await session.temporal(),
            { identitySourceId: session.identitySourceId, taskQueue: session.config.temporal.taskQueue },
            { mode: 'delta', reason: 'manual' },
            'hr-okta-sync verify --repair',
          );
          repair = { markedUnconfirmed, workflowId };
        }
        const report = { identitySourceId: session.identitySourceId, confirmed: total, checked, drift, repair };
        if (options.json) console.log(JSON.stringify(report, null, 2));
        else process.stdout.write(renderVerify(report));
        if (drift.length > 0 && !repair) process.exitCode = 1;
      }),
    );
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

async function countConfirmed(store: StateStore, identitySourceId: string): Promise<number> {
  const { active, deactivated } = await store.countConfirmedUsers(identitySourceId);
  return active + deactivated;
}

/** The stream in batches, so that checking everyone holds one batch of profiles in memory at a time. */
async function* inBatches(users: AsyncIterable<ConfirmedUser>): AsyncIterable<ConfirmedUser[]> {
  let batch: ConfirmedUser[] = [];
  for await (const user of users) {
    batch.push(user);
    if (batch.length === BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** A uniform random sample of `size` (reservoir sampling over the stream), in externalId order. */
async function pick(store: StateStore, identitySourceId: string, size: number): Promise<ConfirmedUser[]> {
  const chosen: ConfirmedUser[] = [];
  let seen = 0;
  for await (const user of store.streamConfirmedUsers(identitySourceId)) {
    seen++;
    if (chosen.length < size) chosen.push(user);
    else {
      const at = Math.floor(Math.random() * seen);
      if (at < size) chosen[at] = user;
    }
  }
  return chosen.sort((a, b) => (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0));
}

function renderVerify(report: {
  identitySourceId: string;
  confirmed: number;
  checked: number;
  drift: Drift[];
  repair?: { markedUnconfirmed: number; workflowId: string };
}): string {
  const out = [
    `Checked ${report.checked} of ${report.confirmed} confirmed people of ${report.identitySourceId} against Okta: ` +
      (report.drift.length === 0 ? 'no drift' : `${report.drift.length} drifted`),
  ];
  for (const d of report.drift) out.push(`  ${d.externalId}  ${driftText(d)}`);
  if (report.repair) {
    out.push(
      `Marked ${report.repair.markedUnconfirmed} unconfirmed and queued a delta sync that sends them again: ` +
        `workflow ${report.repair.workflowId} (follow it with \`hr-okta-sync status\`)`,
    );
  } else if (report.drift.length > 0) out.push('Run with --repair to send them again.');
  return printable(`${out.join('\n')}\n`);
}

function driftText(drift: Drift): string {
  switch (drift.problem) {
    case 'changed':
      return `changed in Okta: ${drift.attributes?.join(', ')}`;
    case 'missing':
      return 'missing in Okta (refused at import, or deleted there)';
    case 'not-deactivated':
      return 'deactivated here, but Okta still has them';
  }
}
