import { setHandler, workflowInfo } from '@temporalio/workflow';
import {
  approveUpdate,
  cancelCurrentSignal,
  hrChangedSignal,
  rejectUpdate,
  requestSyncUpdate,
  syncStatusQuery,
  type Decision,
  externalIdsProblem,
  type SyncRequest,
} from '../../contracts/sync-messages.ts';
import { importCompletedSignal, importConfirmedSignal } from '../../contracts/push-messages.ts';
import type { CoordinatorState } from './coordinator-state.ts';

/** The coordinator's messages: each one a short change of its state. */
export function registerHandlers(state: CoordinatorState): void {
  setHandler(
    requestSyncUpdate,
    (request) => ({ ...state.enqueue(request), coordinatorWorkflowId: workflowInfo().workflowId }),
    {
      validator: (request: SyncRequest) => {
        if (request.mode !== 'delta' && request.mode !== 'full')
          throw new Error(`unknown sync mode ${String(request.mode)}`);
        const problem = request.people === undefined ? undefined : externalIdsProblem(request.people);
        if (problem) throw new Error(problem);
      },
    },
  );
  setHandler(hrChangedSignal, ({ events, leavers }) => state.noteHrEvents(events, leavers));
  setHandler(importConfirmedSignal, () => void state.importsConfirmed++);
  setHandler(importCompletedSignal, () => void state.importsCompleted++);
  const awaitingApproval = (_decision: Decision) => {
    if (state.phase !== 'awaiting-approval' || state.decision)
      throw new Error('No sync of this identity source awaits approval');
  };
  setHandler(
    approveUpdate,
    (by) => {
      state.decision = { approved: true, ...by };
      return `Approved plan ${state.current?.planId}; the push starts now`;
    },
    { validator: awaitingApproval },
  );
  setHandler(
    rejectUpdate,
    (by) => {
      state.decision = { approved: false, ...by };
      return `Rejected plan ${state.current?.planId}; nothing is sent to Okta`;
    },
    { validator: awaitingApproval },
  );
  setHandler(cancelCurrentSignal, () => {
    if (state.currentScope) state.currentScope.cancel();
    else if (state.current) state.cancelRequested = true;
  });
  setHandler(syncStatusQuery, () => state.status());
}
