import { describe, expect, it } from 'vitest';
import { pushPlan } from '../../workflows/push-plan.ts';
import type { PushOptions } from '../../contracts/push-messages.ts';
import { FAST_PUSH, people, savePlan, harnessForTest } from '../support/push-harness.ts';
import { fileURLToPath } from 'node:url';
import { maybeSaveHistory, uniqueWorkflowId } from '../support/temporal.ts';

const at = (iso: string | undefined) => Date.parse(iso ?? '');

/** A poll interval much longer than an import, so that a poll at the interval and one at the import's end differ. */
const LONG_POLLS: PushOptions = { ...FAST_PUSH, pollIntervalMs: 2_500 };

describe("the first session of a push, estimated from the identity source's last import", () => {
  it('polls once, after the import ends, when an earlier push taught how long a record takes', async () => {
    const harness = await harnessForTest({
      layoutLimits: { entitiesPerRequest: 20, bytesPerRequest: 200_000, requestsPerSession: 10 },
      emulator: { durations: { importProcessingMs: 100, importProcessingPerRecordMs: 4 } },
    });
    const { store, client, taskQueue, emulator, identitySourceId } = harness;
    const push = async (from: number, count: number) => {
      const plan = await savePlan(store, { identitySourceId, upserts: people(count, { from }), deactivations: [] });
      const workflowId = uniqueWorkflowId('push-remembered');
      const result = await client.workflow.execute(pushPlan, {
        taskQueue,
        workflowId,
        args: [{ planId: plan.planId, options: LONG_POLLS }],
      });
      const session = emulator.sessions({ identitySourceId }).find((s) => s.id === result.sessions[0]!.sessionId)!;
      const polls = emulator.requests({ endpoint: 'get-session' }).requests.filter((r) => r.sessionId === session.id);
      return { session, polls, workflowId };
    };

    // Nothing known yet: the first poll comes a second after the trigger, not a whole interval.
    const first = await push(0, 100);
    expect(at(first.polls[0]?.time)).toBeGreaterThanOrEqual(at(first.session.triggeredAt) + 1_000);
    expect(at(first.polls[0]?.time)).toBeLessThan(at(first.session.triggeredAt) + LONG_POLLS.pollIntervalMs!);
    const kept = await store.lastImportTime(identitySourceId);
    expect(kept?.records).toBe(100);
    expect(kept?.msPerRecord).toBeGreaterThan(4);

    // A push of the same size: one poll, once the import has ended, well before an interval.
    const second = await push(100, 100);
    expect(second.polls).toHaveLength(1);
    expect(at(second.polls[0]?.time)).toBeGreaterThanOrEqual(at(second.session.processingEndsAt));
    expect(at(second.polls[0]?.time)).toBeLessThan(at(second.session.triggeredAt) + LONG_POLLS.pollIntervalMs!);
    await maybeSaveHistory(
      client,
      second.workflowId,
      fileURLToPath(new URL('../histories/push-plan-remembered-import-time.json', import.meta.url)),
    );

    // A much smaller push: Okta's fixed cost per import makes its share of the remembered time too early for the first
    // poll; the next comes a quarter of the import's age later, so the import is seen done well before an interval.
    const third = await push(200, 20);
    expect(at(third.polls[0]?.time)).toBeLessThan(at(third.session.processingEndsAt));
    expect(third.polls.length).toBeLessThanOrEqual(3);
    expect(at(third.polls.at(-1)?.time)).toBeGreaterThanOrEqual(at(third.session.processingEndsAt));
    expect(at(third.polls.at(-1)?.time)).toBeLessThan(at(third.session.triggeredAt) + LONG_POLLS.pollIntervalMs!);
  });
});
