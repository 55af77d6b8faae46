import type { Client } from '@temporalio/client';
import {
  coordinatorWorkflowId,
  hrChangedSignal,
  syncStatusQuery,
  type CoordinatorOptions,
  type SyncInput,
  type SyncStatus,
} from '../contracts/sync-messages.ts';
import { coordinatorMetadata, syncMetadata } from '../contracts/workflow-summaries.ts';
import { identitySourceCoordinator } from '../workflows/identity-source-coordinator.ts';
import { sync } from '../workflows/sync.ts';

export interface CoordinatorTarget {
  identitySourceId: string;
  taskQueue: string;
  options?: CoordinatorOptions;
}

/**
 * Tells the identity source's coordinator that HR events arrived, starting it if it is not running. Resolves once
 * Temporal has durably recorded the signal: the webhook receiver answers 2xx only after that.
 */
export async function notifyHrChanged(
  client: Client,
  target: CoordinatorTarget,
  events: number,
  leavers = 0,
): Promise<void> {
  await client.workflow.signalWithStart(identitySourceCoordinator, {
    workflowId: coordinatorWorkflowId(target.identitySourceId),
    taskQueue: target.taskQueue,
    args: [{ identitySourceId: target.identitySourceId, options: target.options ?? {} }],
    signal: hrChangedSignal,
    signalArgs: [{ events, ...(leavers > 0 ? { leavers } : {}) }],
    ...coordinatorMetadata(target.identitySourceId, 'HR webhooks'),
  });
}

/** The coordinator's status, or undefined when it is not running (nothing queued, nothing running). */
export async function coordinatorStatus(client: Client, identitySourceId: string): Promise<SyncStatus | undefined> {
  const handle = client.workflow.getHandle(coordinatorWorkflowId(identitySourceId));
  try {
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') return undefined;
    return await handle.query(syncStatusQuery);
  } catch (error) {
    if ((error as { name?: string }).name === 'WorkflowNotFoundError') return undefined;
    throw error;
  }
}

/**
 * Starts the `sync` workflow (the one the Web UI and schedules start), which queues the request with the identity
 * source's coordinator. Returns its workflow id.
 */
export async function startSync(
  client: Client,
  target: { identitySourceId: string; taskQueue: string },
  input: Omit<SyncInput, 'identitySourceId'>,
  from: string,
): Promise<string> {
  const start: SyncInput = { identitySourceId: target.identitySourceId, ...input };
  const workflowId = `sync-${target.identitySourceId}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  await client.workflow.start(sync, {
    workflowId,
    taskQueue: target.taskQueue,
    args: [start],
    ...syncMetadata(start, from),
  });
  return workflowId;
}
