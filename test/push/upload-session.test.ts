import { CancelledFailure, type WorkflowFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { acceptedUploadsRecorder } from '../../activities/push/accepted-uploads.ts';
import { openStateStore } from '../../activities/store/open.ts';
import { pushPlan } from '../../workflows/push-plan.ts';
import { FAST_PUSH, people, savePlan, harnessForTest } from '../support/push-harness.ts';
import { uniqueWorkflowId } from '../support/temporal.ts';
import { waitFor } from '../support/wait-for.ts';

/** One session of 20 requests of 5 people. */
const ONE_SESSION = { entitiesPerRequest: 5, bytesPerRequest: 200_000, requestsPerSession: 20 };

describe('the record of uploads Okta accepted', () => {
  it('keeps each accepted upload once per session, and the items as saved', async () => {
    const store = await openStateStore('sqlite::memory:');
    try {
      const plan = await savePlan(store, { identitySourceId: '0oa1', upserts: people(3), deactivations: [] });
      await store.recordUploadsAccepted(plan.planId, 'session-1', [4, 2], '2026-11-28T00:00:00Z');
      await store.recordUploadsAccepted(plan.planId, 'session-1', [2, 3], '2026-11-28T00:00:01Z');
      await store.recordUploadsAccepted(plan.planId, 'session-2', [0], '2026-11-28T00:00:02Z');
      expect(await store.acceptedUploads('session-1')).toEqual([2, 3, 4]);
      expect(await store.acceptedUploads('session-2')).toEqual([0]);
      expect(await store.acceptedUploads('session-3')).toEqual([]);
      const texts = await store.readItemTexts(plan.planId, 'USER_UPSERT', 1, 5);
      expect(texts.map((text) => JSON.parse(text) as unknown)).toEqual(people(3).slice(1));
    } finally {
      await store.close();
    }
  });

  it('writes the uploads accepted during a write together in the next one, each resolved once written', async () => {
    const writes: number[][] = [];
    let release: (() => void) | undefined;
    const recorder = acceptedUploadsRecorder(
      {
        recordUploadsAccepted: async (_planId, _sessionId, indexes) => {
          writes.push(indexes);
          await new Promise<void>((resolve) => (release = resolve));
        },
      },
      'plan',
      'session',
    );
    const resolved: number[] = [];
    const add = (index: number) => recorder.add(index).then(() => resolved.push(index));
    const first = add(0);
    await waitFor(() => writes.length === 1, 'the first write');
    const rest = [add(1), add(2), add(3)];
    expect(writes).toEqual([[0]]);
    release!();
    await first;
    expect(resolved).toEqual([0]);
    await waitFor(() => writes.length === 2, 'the second write');
    expect(writes[1]).toEqual([1, 2, 3]);
    release!();
    await Promise.all(rest);
    expect(resolved).toEqual([0, 1, 2, 3]);
  });
});

describe('uploading a session in one activity', () => {
  it('sends again only the uploads no earlier attempt got accepted', async () => {
    const harness = await harnessForTest({
      layoutLimits: ONE_SESSION,
      emulator: {
        faults: {
          script: [
            // Tried again within the attempt.
            { endpoint: 'bulk-upsert', nth: 5, respond: 503 },
            // Ends the attempt: the next one, after the reset, starts from what the store recorded as accepted.
            { endpoint: 'bulk-upsert', nth: 9, respond: 429, resetInMs: 500 },
            // Okta applied it but the answer was lost: the one upload a retry may send twice.
            { endpoint: 'bulk-upsert', nth: 14, action: 'drop', applyBeforeDrop: true },
          ],
        },
      },
    });
    const { store, client, taskQueue, emulator, identitySourceId } = harness;
    const plan = await savePlan(store, { identitySourceId, upserts: people(100), deactivations: [] });

    const result = await client.workflow.execute(pushPlan, {
      taskQueue,
      workflowId: uniqueWorkflowId('push-resume'),
      args: [{ planId: plan.planId, options: { ...FAST_PUSH, uploadConcurrency: 1 } }],
    });

    expect(result.sessions.map((s) => [s.requests, s.records, s.outcome])).toEqual([[20, 100, 'COMPLETED']]);
    const uploads = emulator.requests({ endpoint: 'bulk-upsert' }).requests;
    // 20 requests, and once more each of those answered 503, 429 and lost: nothing else again.
    expect(uploads).toHaveLength(23);
    expect(result.totals.rateLimitWaits).toBe(1);
    expect(emulator.sessions({ identitySourceId }).map((s) => s.bulkRequests)).toEqual([21]);
    expect(await store.acceptedUploads(result.sessions[0]!.sessionId)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(emulator.users({ identitySourceId }).filter((u) => u.status === 'ACTIVE')).toHaveLength(100);
  });

  it('stops uploading soon after the run is cancelled', async () => {
    const harness = await harnessForTest({
      layoutLimits: ONE_SESSION,
      emulator: { faults: { latencyMs: { min: 150, max: 150 }, endpoints: ['bulk-upsert'] } },
    });
    const { store, client, taskQueue, emulator, identitySourceId } = harness;
    const plan = await savePlan(store, { identitySourceId, upserts: people(100), deactivations: [] });
    const handle = await client.workflow.start(pushPlan, {
      taskQueue,
      workflowId: uniqueWorkflowId('push-cancel-uploads'),
      args: [{ planId: plan.planId, options: { ...FAST_PUSH, uploadConcurrency: 1 } }],
    });
    await waitFor(() => emulator.requests({ endpoint: 'bulk-upsert' }).requests.length >= 2, 'two uploads');

    await handle.cancel();
    const failure = await handle.result().then(
      () => undefined,
      (error: unknown) => error,
    );

    expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    const [session] = emulator.sessions({ identitySourceId });
    expect(session?.status).toBe('CLOSED');
    // Once the run closed the session, Okta refuses its uploads and the activity ends (or it hears of the cancellation
    // first): at most the one upload in flight arrives after the close, and the session's 20 were never all sent.
    await waitFor(() => harness.worker.getStatus().numInFlightActivities === 0, 'the session upload to end');
    const uploads = emulator.requests({ endpoint: 'bulk-upsert' }).requests;
    expect(uploads.filter((r) => Date.parse(r.time) > Date.parse(session!.lastUpdated)).length).toBeLessThanOrEqual(1);
    expect(uploads.length).toBeLessThan(20);
    expect(emulator.users({ identitySourceId })).toEqual([]);
  });
});
