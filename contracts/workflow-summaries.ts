import { coordinatorWorkflowId, type SyncMode } from './sync-messages.ts';

/**
 * What a workflow's row in the Web UI says (Temporal user metadata set at its start): ids and counts only, never
 * personal data, since it is stored unencrypted with the workflow.
 */
export interface StartMetadata {
  staticSummary: string;
  staticDetails: string;
}

/** The coordinator, started by whichever trigger reaches an identity source first. */
export function coordinatorMetadata(identitySourceId: string, startedBy: string): StartMetadata {
  return {
    staticSummary: `coordinator of identity source ${identitySourceId}, started by ${startedBy}`,
    staticDetails:
      `Queues every sync of identity source **${identitySourceId}** and serves them one at a time ` +
      `(workflow id \`${coordinatorWorkflowId(identitySourceId)}\`). Its current details say the phase, the running ` +
      'request, the queue and what it waits for.',
  };
}

export interface SyncStart {
  identitySourceId?: string;
  mode?: SyncMode;
  dryRun?: boolean;
  externalIds?: string[];
}

/** A `sync` workflow: one request handed to the coordinator. `from` says who asked ("the CLI", "schedule …"). */
export function syncMetadata(start: SyncStart, from: string): StartMetadata {
  const source = start.identitySourceId ?? 'the default identity source';
  const people = start.externalIds?.length
    ? ` for ${start.externalIds.length === 1 ? start.externalIds[0] : `${start.externalIds.length} people`}`
    : '';
  const kind = `${start.dryRun ? 'dry-run ' : ''}${start.mode ?? 'delta'} sync${people}`;
  return {
    staticSummary: `${kind} of ${source} from ${from}`,
    staticDetails:
      `Queues a ${kind} of **${source}** with its coordinator and waits for the outcome; the coordinator plans, ` +
      'holds the plan for approval when a guardrail trips, and pushes it.',
  };
}

/** The changes a push carries, by kind: only the kinds it has. */
export interface PushCounts {
  creates?: number;
  updates?: number;
  deactivations?: number;
  groupUpserts?: number;
  groupDeletes?: number;
  membershipUpserts?: number;
  membershipDeletes?: number;
}

const PUSH_COUNT_WORDS: [keyof PushCounts, string][] = [
  ['creates', 'creates'],
  ['updates', 'updates'],
  ['deactivations', 'deactivations'],
  ['groupUpserts', 'group upserts'],
  ['groupDeletes', 'group deletes'],
  ['membershipUpserts', 'membership upserts'],
  ['membershipDeletes', 'membership deletes'],
];

/** A push of one stored plan ("push of plan p-1: 49 creates, 3 deactivations"). */
export function pushMetadata(planId: string, counts: PushCounts | undefined, startedBy: string): StartMetadata {
  const parts = PUSH_COUNT_WORDS.filter(([key]) => (counts?.[key] ?? 0) > 0).map(
    ([key, words]) => `${counts![key]} ${words}`,
  );
  return {
    staticSummary: `push of plan ${planId}${parts.length ? `: ${parts.join(', ')}` : ''}`,
    staticDetails:
      `Sends stored plan **${planId}** to Okta in import sessions, started by ${startedBy}. Its current details say ` +
      'the phase, the session and the records applied.',
  };
}
