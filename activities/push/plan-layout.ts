import { ApplicationFailure } from '@temporalio/common';
import type { PushLayoutSummary } from '../../contracts/push-messages.ts';
import { layOutItemTexts, OKTA_LIMITS, type LayoutLimits } from '../okta/bulk-requests.ts';
import type { BulkOperation, PushRequest, StateStore } from '../store/state-store.ts';

/** A worker's cache of plans' laid-out requests, read from the store once per plan. */
export interface PlanLayouts {
  of(planId: string): Promise<PushRequest[]>;
  remember(planId: string, layout: PushRequest[]): void;
}

export function planLayouts(store: StateStore): PlanLayouts {
  const layouts = new Map<string, PushRequest[]>();
  return {
    async of(planId) {
      let layout = layouts.get(planId);
      if (!layout) {
        layout = await store.getPushLayout(planId);
        if (!layout) throw ApplicationFailure.nonRetryable(`Plan ${planId} has no push layout`, 'PlanNotLaidOut');
        layouts.set(planId, layout);
      }
      return layout;
    },
    remember(planId, layout) {
      layouts.set(planId, layout);
    },
  };
}

/** Lays the plan out into requests and sessions once; later calls (a resumed run) read the same layout. */
export function prepareImportActivity(
  store: StateStore,
  layouts: PlanLayouts,
  layoutLimits: LayoutLimits = OKTA_LIMITS,
) {
  return async function prepareImport(planId: string): Promise<PushLayoutSummary> {
    const plan = await store.getPlan(planId);
    if (!plan) throw ApplicationFailure.nonRetryable(`No plan ${planId} in the state store`, 'PlanNotFound');
    let layout = await store.getPushLayout(planId);
    if (!layout) {
      layout = await layOutItemTexts((operation) => itemTextPages(store, planId, operation), layoutLimits);
      await store.savePushLayout(planId, layout);
    }
    layouts.remember(planId, layout);
    await store.setPlanStatus(planId, 'pushing');
    const lastImportTime = await store.lastImportTime(plan.identitySourceId);
    return {
      ...(lastImportTime ? { lastImportTime } : {}),
      identitySourceId: plan.identitySourceId,
      requests: layout.length,
      records: layout.reduce((sum, r) => sum + r.itemCount, 0),
      sessions: sessionSlices(layout),
      confirmedRequests: await store.countConfirmedRequests(planId),
    };
  };
}

/** The layout's sessions, each a run of consecutive requests. */
function sessionSlices(layout: PushRequest[]): PushLayoutSummary['sessions'] {
  const sessions: PushLayoutSummary['sessions'] = [];
  for (const request of layout) {
    const session = (sessions[request.sessionIndex] ??= { firstRequest: request.index, requestCount: 0, records: 0 });
    session.requestCount++;
    session.records += request.itemCount;
  }
  return sessions;
}

const TEXT_PAGE = 2_000;

/** A plan's items of one operation as saved, a page at a time. */
async function* itemTextPages(store: StateStore, planId: string, operation: BulkOperation): AsyncIterable<string[]> {
  for (let from = 0; ; from += TEXT_PAGE) {
    const texts = await store.readItemTexts(planId, operation, from, TEXT_PAGE);
    if (texts.length > 0) yield texts;
    if (texts.length < TEXT_PAGE) return;
  }
}
