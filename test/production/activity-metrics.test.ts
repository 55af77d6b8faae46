import type { ActivityInboundCallsInterceptor } from '@temporalio/worker';
import type { Context } from '@temporalio/activity';
import { expect, it } from 'vitest';
import { activityMetricsInterceptor } from '../../observability/activity-metrics.ts';
import { createMetrics } from '../../observability/metrics.ts';
import type { StateStore } from '../../activities/store/state-store.ts';

/** Runs one activity result through the interceptor, as the worker does. */
async function observe(metrics: ReturnType<typeof createMetrics>, activityType: string, result: unknown) {
  const interceptors = activityMetricsInterceptor(
    metrics,
    {} as StateStore,
  )({
    info: { activityType },
  } as unknown as Context);
  const inbound = interceptors.inbound as ActivityInboundCallsInterceptor;
  await inbound.execute!({ args: [{}], headers: {} }, () => Promise.resolve(result));
}

it('counts a session Okta found unchanged (triggerImport cancelled it) under outcome UNCHANGED', async () => {
  const metrics = createMetrics();
  await observe(metrics, 'triggerImport', { outcome: 'TRIGGERED', triggeredAt: '2026-12-04T04:00:00.000Z' });
  await observe(metrics, 'triggerImport', { outcome: 'CANCELLED' });
  await observe(metrics, 'awaitImport', { status: 'COMPLETED', endedAt: '2026-12-04T04:01:00.000Z' });
  const text = await metrics.registry.metrics();
  expect(text).toContain('hr_okta_sync_sessions_total{outcome="UNCHANGED"} 1');
  expect(text).toContain('hr_okta_sync_sessions_total{outcome="COMPLETED"} 1');
  expect(text).not.toContain('outcome="TRIGGERED"');
});
