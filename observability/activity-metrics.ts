import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import type { StateStore } from '../activities/store/state-store.ts';
import { OKTA_FAILURE } from '../contracts/okta-failure-types.ts';
import type { Metrics } from './metrics.ts';

/** Expected while Okta processes an import: part of polling, not a failure (see activities/push). */
const IMPORT_PENDING = 'OktaImportPending';

/**
 * Derives the sync metrics from the push activities' inputs and results as the worker runs them, so the activities
 * stay free of metrics code. Activity names and shapes are those of activities/push/push-activities.ts.
 */
export function activityMetricsInterceptor(metrics: Metrics, store: StateStore): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const activity = ctx.info.activityType;
        try {
          const result = await next(input);
          await observe(activity, input.args[0], result).catch(() => undefined);
          return result;
        } catch (error) {
          const type = failureType(error);
          if (type === OKTA_FAILURE.rateLimited) metrics.rateLimitWaits.inc({ activity });
          else if (type !== IMPORT_PENDING) metrics.activityFailures.inc({ activity, type });
          throw error;
        }
      },
    },
  });

  async function observe(activity: string, input: unknown, result: unknown): Promise<void> {
    switch (activity) {
      case 'prepareImport': {
        const { identitySourceId, records } = result as { identitySourceId: string; records: number };
        metrics.recordsPlanned.inc({ identity_source: identitySourceId }, records);
        return;
      }
      case 'openSession':
        metrics.sessionsOpened.inc();
        return;
      case 'uploadSession':
        metrics.recordsUploaded.inc((result as { records: number }).records);
        return;
      case 'triggerImport':
        // Okta kept the session CREATED (no upload changed anything): cancelled, nothing to import.
        if ((result as { outcome: string }).outcome === 'CANCELLED') metrics.sessions.inc({ outcome: 'UNCHANGED' });
        return;
      case 'awaitImport':
        metrics.sessions.inc({ outcome: (result as { status: string }).status });
        return;
      case 'confirmImport': {
        const { planId, requestIndexes } = input as { planId: string; requestIndexes: number[] };
        const [plan, layout] = await Promise.all([store.getPlan(planId), store.getPushLayout(planId)]);
        if (!plan || !layout) return;
        const confirmed = new Set(requestIndexes);
        const records = layout.filter((r) => confirmed.has(r.index)).reduce((sum, r) => sum + r.itemCount, 0);
        metrics.recordsApplied.inc({ identity_source: plan.identitySourceId }, records);
        metrics.changeToCompleted.observe((Date.now() - Date.parse(plan.createdAt)) / 1000);
        return;
      }
    }
  }
}

function failureType(error: unknown): string {
  if (error instanceof ApplicationFailure && error.type) return error.type;
  return error instanceof Error ? error.name : 'Error';
}
