/**
 * What `npm start` tells a person about syncs while it runs: one plain line when HR events arrive, when a sync
 * starts and when it ends (what triggered it, what it changed), read from the coordinator's status query.
 */
import type { Client } from '@temporalio/client';
import type { SyncReason, SyncStatus, SyncSummary } from '../contracts/sync-messages.ts';
import { coordinatorStatus } from './sync-client.ts';

const TRIGGER_WORDS: Record<SyncReason, string> = {
  manual: 'a person (CLI or Web UI)',
  schedule: 'a schedule',
  webhook: 'HR webhooks',
};

const OUTCOME_WORDS: Record<SyncSummary['outcome'], string> = {
  applied: 'applied',
  'nothing-to-do': 'found nothing to change',
  'dry-run': 'planned only (dry run)',
  rejected: 'was rejected',
  'approval-timed-out': 'waited for approval in vain',
  'unreadable-export': 'could not read the HR export',
  failed: 'failed',
  cancelled: 'was cancelled',
};

/** "HR webhooks", "a person (CLI or Web UI) and a schedule". */
export function triggerWords(reasons: SyncReason[]): string {
  const words = reasons.map((reason) => TRIGGER_WORDS[reason] ?? reason);
  return words.length <= 1 ? (words[0] ?? 'a request') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/** One sync in a sentence: how it ended, what triggered it, what it changed in Okta. */
export function describeSync(summary: SyncSummary): string {
  const c = summary.counts ?? {};
  const kind = `${summary.dryRun ? 'dry-run ' : ''}${summary.mode} sync`;
  const changes = [
    [c.creates, 'to create'],
    [c.updates, 'to update'],
    [c.deactivations, 'to deactivate'],
    [c.invalid, 'refused as invalid'],
  ]
    .filter(([count]) => (count as number | undefined) !== undefined && (count as number) > 0)
    .map(([count, words]) => `${String(count)} ${String(words)}`);
  const read = c.recordsRead === undefined ? '' : `${c.recordsRead} HR records read`;
  const what = [read, ...changes].filter(Boolean).join(', ');
  const totals = summary.push?.totals;
  const refusedByOkta = totals?.recordsRefusedByOkta
    ? `, ${totals.recordsRefusedByOkta} not applied (pending, sent again next sync)`
    : summary.refused?.length
      ? `, ${summary.refused.length} refused by Okta (pending, sent again next sync)`
      : '';
  const applied = totals
    ? `; Okta applied ${totals.recordsApplied} records in ${summary.push?.sessionIds?.length ?? 0} import session(s)${refusedByOkta}`
    : summary.singleRecord
      ? `; Okta applied ${summary.singleRecord.applied} people one by one, without an import session${refusedByOkta}`
      : '';
  const error = summary.error ? `: ${summary.error}` : '';
  const seconds = (Date.parse(summary.finishedAt) - Date.parse(summary.startedAt)) / 1000;
  return (
    `The ${kind} started by ${triggerWords(summary.reasons)} ${OUTCOME_WORDS[summary.outcome] ?? summary.outcome}` +
    `${error} in ${seconds.toFixed(1)} s${what ? ` (${what}${applied})` : applied}.`
  );
}

/** Prints what changes in the coordinator's status, every `everyMs`, until stopped. */
export function watchSyncs(
  client: Client,
  identitySourceId: string,
  say: (line: string) => void,
  options: { everyMs?: number; alreadyTold?: SyncSummary[] } = {},
): { stop(): Promise<void> } {
  const told = new Set((options.alreadyTold ?? []).map(key));
  let running: string | undefined;
  let pending = 0;
  let stopped = false;
  let first = true;
  const look = async () => {
    const status: SyncStatus | undefined = await coordinatorStatus(client, identitySourceId).catch(() => undefined);
    if (first) {
      // What the coordinator did before this start was told then, or is in `status`.
      for (const summary of status?.recent ?? []) told.add(key(summary));
      first = false;
    }
    if (!status) return;
    if (status.pendingHrEvents > pending) {
      say(`${clock()} HR events received (${status.pendingHrEvents} pending): a delta sync follows once they stop.`);
    }
    pending = status.pendingHrEvents;
    if (status.current && status.current.requestId !== running) {
      say(`${clock()} A ${status.current.mode} sync started, triggered by ${triggerWords(status.current.reasons)}.`);
    }
    running = status.current?.requestId;
    for (const summary of [...status.recent].reverse()) {
      if (told.has(key(summary))) continue;
      told.add(key(summary));
      say(`${clock()} ${describeSync(summary)}`);
      if (summary.reportPath) say(`         Report: ${summary.reportPath}`);
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await look();
      await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 1_000));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

function key(summary: SyncSummary): string {
  return `${summary.requestId}@${summary.startedAt}`;
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}
