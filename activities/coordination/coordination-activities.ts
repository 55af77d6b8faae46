import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { WithStartWorkflowOperation, WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, TerminatedFailure } from '@temporalio/common';
import type { PushPlanWorkflow, PushTotals, RefusedByOkta } from '../../contracts/push-messages.ts';
import { OKTA_FAILURE } from '../../contracts/okta-failure-types.ts';
import { coordinatorMetadata } from '../../contracts/workflow-summaries.ts';
import type { IdentitySourceVerdict } from '../okta/identity-source-check.ts';
import {
  coordinatorWorkflowId,
  requestSyncUpdate,
  type CoordinatorOptions,
  type IdentitySourceCoordinatorWorkflow,
  type RequestAccepted,
  type SyncRequest,
} from '../../contracts/sync-messages.ts';

export interface CoordinationDeps {
  temporal: Client;
  /** The worker's defaults, from its config: what `{}` means. */
  defaults: { identitySourceId: string; taskQueue: string; coordinator?: CoordinatorOptions };
  /** Whether Okta knows an identity source (identitySourceCheck); without it, every id is taken as it is. */
  checkIdentitySource?: (identitySourceId: string) => Promise<IdentitySourceVerdict>;
  /** The coordinator workflow itself, so it is started by reference (the worker hands it in). */
  coordinator: IdentitySourceCoordinatorWorkflow;
}

/**
 * Activities that hand work to the one coordinator of an identity source. They live in activities because starting
 * or updating another workflow is I/O, and update-with-start makes "start it if needed, then queue" one atomic call.
 */
export function createCoordinationActivities({
  temporal,
  defaults,
  checkIdentitySource,
  coordinator,
}: CoordinationDeps) {
  return {
    syncDefaults(): Promise<{ identitySourceId: string }> {
      return Promise.resolve({ identitySourceId: defaults.identitySourceId });
    },

    /**
     * Queues a request with the identity source's coordinator, starting it if needed; an id Okta does not know fails
     * here, before a coordinator starts (and idles) for it or anything is planned.
     */
    async enqueueSync(input: { identitySourceId: string; request: SyncRequest }): Promise<RequestAccepted> {
      if ((await checkIdentitySource?.(input.identitySourceId)) === 'unknown') {
        throw ApplicationFailure.nonRetryable(
          `Okta does not know identity source ${input.identitySourceId}: check the id (Admin Console > Settings > ` +
            'Integrations > Identity Sources) and the org URL; nothing was planned or started',
          OKTA_FAILURE.identitySourceNotFound,
        );
      }
      const workflowId = coordinatorWorkflowId(input.identitySourceId);
      return temporal.workflow.executeUpdateWithStart(requestSyncUpdate, {
        args: [input.request],
        // The same id on a retried attempt, so the coordinator does not queue the request twice.
        updateId: `${input.request.notify?.[0] ?? randomUUID()}/${input.request.mode}/${input.request.dryRun}`,
        startWorkflowOperation: new WithStartWorkflowOperation(coordinator, {
          workflowId,
          taskQueue: defaults.taskQueue,
          args: [{ identitySourceId: input.identitySourceId, options: defaults.coordinator ?? {} }],
          workflowIdConflictPolicy: 'USE_EXISTING',
          ...coordinatorMetadata(input.identitySourceId, `a ${input.request.reason} sync request`),
        }),
      });
    },

    /**
     * Waits for a push that a coordinator started before it handed over to a fresh run: a child's result reaches only
     * the run that started it. Returns ids and counts only. Cancelling this wait leaves the push running (the
     * coordinator cancels the push itself).
     */
    async awaitPush(input: {
      workflowId: string;
    }): Promise<{ totals: PushTotals; sessionIds: string[]; refusedByOkta?: RefusedByOkta[] }> {
      const context = Context.current();
      // Cancellation, and a coordinator run that handed over, reach an activity only through heartbeats.
      const heartbeats = setInterval(() => context.heartbeat(), AWAIT_PUSH_HEARTBEAT_MS);
      try {
        const result = await Promise.race([
          temporal.workflow.getHandle<PushPlanWorkflow>(input.workflowId).result(),
          context.cancelled,
        ]);
        return {
          totals: result.totals,
          sessionIds: result.sessions.map((s) => s.sessionId),
          ...(result.refusedByOkta ? { refusedByOkta: result.refusedByOkta } : {}),
        };
      } catch (error) {
        throw pushFailure(input.workflowId, error);
      } finally {
        clearInterval(heartbeats);
      }
    },
  };
}

const AWAIT_PUSH_HEARTBEAT_MS = 5_000;

/** How a push ended, as the coordinator reports it (the push's own message; never personal data). */
function pushFailure(workflowId: string, error: unknown): unknown {
  if (!(error instanceof WorkflowFailedError)) return error;
  const ended =
    error.cause instanceof CancelledFailure
      ? 'Cancelled'
      : error.cause instanceof TerminatedFailure
        ? 'Terminated'
        : undefined;
  if (ended)
    return ApplicationFailure.create({
      type: `Push${ended}`,
      nonRetryable: true,
      message: `push ${workflowId} was ${ended.toLowerCase()}`,
    });
  return ApplicationFailure.create({
    type: 'PushFailed',
    nonRetryable: true,
    message: error.cause?.message ?? error.message,
  });
}

export type CoordinationActivities = ReturnType<typeof createCoordinationActivities>;
