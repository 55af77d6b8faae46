import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import {
  coordinatorWorkflowId,
  requestSyncUpdate,
  type CoordinatorOptions,
  type RequestAccepted,
  type SyncRequest,
} from '../../workflows/sync-messages.ts';

export interface CoordinationDeps {
  temporal: Client;
  /** The worker's defaults, from its config: what `{}` means. */
  defaults: { identitySourceId: string; taskQueue: string; coordinator?: CoordinatorOptions };
}

/**
 * Activities that hand work to the one coordinator of an identity source. They live in activities because starting
 * or updating another workflow is I/O, and update-with-start makes "start it if needed, then queue" one atomic call.
 */
export function createCoordinationActivities({ temporal, defaults }: CoordinationDeps) {
  return {
    syncDefaults(): Promise<{ identitySourceId: string }> {
      return Promise.resolve({ identitySourceId: defaults.identitySourceId });
    },

    async enqueueSync(input: { identitySourceId: string; request: SyncRequest }): Promise<RequestAccepted> {
      const workflowId = coordinatorWorkflowId(input.identitySourceId);
      return temporal.workflow.executeUpdateWithStart(requestSyncUpdate, {
        args: [input.request],
        // The same id on a retried attempt, so the coordinator does not queue the request twice.
        updateId: `${input.request.notify?.[0] ?? randomUUID()}/${input.request.mode}/${input.request.dryRun}`,
        startWorkflowOperation: new WithStartWorkflowOperation('identitySourceSync', {
          workflowId,
          taskQueue: defaults.taskQueue,
          args: [{ identitySourceId: input.identitySourceId, options: defaults.coordinator ?? {} }],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      });
    },
  };
}

export type CoordinationActivities = ReturnType<typeof createCoordinationActivities>;
