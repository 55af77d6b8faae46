import { describe, expect, it } from 'vitest';
import { pushPlan } from '../../workflows/push-plan.ts';
import type { PushOptions } from '../../contracts/push-messages.ts';
import { FAST_PUSH, people, savePlan, harnessForTest } from '../support/push-harness.ts';
import { fileURLToPath } from 'node:url';
import { maybeSaveHistory, uniqueWorkflowId } from '../support/temporal.ts';

const at = (iso: string | undefined) => Date.parse(iso ?? '');

/** The production poll interval: a poll late by one interval would be plain to see. */
const PRODUCTION_POLLS: PushOptions = { ...FAST_PUSH, pollIntervalMs: 15_000 };

describe('an import time learned from one size, applied to a session of another', () => {
  it('sees a 107-record import done within a second of COMPLETED after learning from a 1-record one', async () => {
    // The local stack's emulator: 2 s per import plus 1 ms per record, so a 1-record import teaches ~2 s per record.
    const harness = await harnessForTest({
      emulator: { durations: { importProcessingMs: 2_000, importProcessingPerRecordMs: 1 } },
    });
    const { store, client, taskQueue, emulator, identitySourceId } = harness;
    const push = async (from: number, count: number) => {
      const plan = await savePlan(store, { identitySourceId, upserts: people(count, { from }), deactivations: [] });
      const workflowId = uniqueWorkflowId('push-estimate-bounds');
      const result = await client.workflow.execute(pushPlan, {
        taskQueue,
        workflowId,
        args: [{ planId: plan.planId, options: PRODUCTION_POLLS }],
      });
      const session = emulator.sessions({ identitySourceId }).find((s) => s.id === result.sessions[0]!.sessionId)!;
      const polls = emulator.requests({ endpoint: 'get-session' }).requests.filter((r) => r.sessionId === session.id);
      return { result, session, polls, workflowId };
    };

    const small = await push(0, 1);
    expect(small.result.sessions[0]?.outcome).toBe('COMPLETED');
    expect((await store.lastImportTime(identitySourceId))?.records).toBe(1);

    const large = await push(1, 107);
    expect(large.result.sessions.map((s) => [s.records, s.outcome])).toEqual([[107, 'COMPLETED']]);
    const ended = at(large.session.processingEndsAt);
    // The last poll is the one that saw COMPLETED: shortly after Okta finished, not 107 × 2 s after the trigger.
    const sawDone = at(large.polls.at(-1)?.time);
    expect(sawDone).toBeGreaterThanOrEqual(ended);
    expect(sawDone - ended).toBeLessThan(1_000);
    // No poll before the learned import's whole time: a larger session cannot be done sooner.
    expect(at(large.polls[0]?.time) - at(large.session.triggeredAt)).toBeGreaterThanOrEqual(2_000);
    expect(large.polls.length).toBeLessThanOrEqual(3);
    await maybeSaveHistory(
      client,
      large.workflowId,
      fileURLToPath(new URL('../histories/push-plan-import-estimate-bounds.json', import.meta.url)),
    );
  });
});
