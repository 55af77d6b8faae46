import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { LoggedRequest } from '../../okta-emulator/request-log.ts';
import { pushPlan } from '../../workflows/push-plan.ts';
import { FAST_PUSH, SMALL_SESSIONS, people, savePlan, harnessForTest } from '../support/push-harness.ts';
import { maybeSaveHistory, uniqueWorkflowId } from '../support/temporal.ts';

/** One session of up to 20 requests of at most 5 records. */
const ONE_SESSION = { ...SMALL_SESSIONS, requestsPerSession: 20 };

const at = (iso: string | undefined) => Date.parse(iso ?? '');
const answeredAt = (r: LoggedRequest) => at(r.time) + r.durationMs;

/** The most requests Okta was answering at one instant. */
function mostInFlight(requests: LoggedRequest[]): number {
  const edges = requests.flatMap((r) => [
    { t: at(r.time), d: 1 },
    { t: answeredAt(r), d: -1 },
  ]);
  // At equal instants an answer goes first: the next upload starts only after the answer arrived.
  edges.sort((a, b) => a.t - b.t || a.d - b.d);
  let current = 0;
  let most = 0;
  for (const { d } of edges) most = Math.max(most, (current += d));
  return most;
}

describe('pushPlan on the critical path', () => {
  it('starts the next upload as soon as one is accepted, not when the slowest of a batch is', async () => {
    // The first upload takes 3 s; the other seven are quick.
    const harness = await harnessForTest({
      layoutLimits: ONE_SESSION,
      emulator: { faults: { script: [{ endpoint: 'bulk-upsert', nth: 1, latencyMs: 3_000 }] } },
    });
    const { store, client, taskQueue, emulator, identitySourceId } = harness;
    const plan = await savePlan(store, { identitySourceId, upserts: people(40), deactivations: [] });

    const result = await client.workflow.execute(pushPlan, {
      taskQueue,
      workflowId: uniqueWorkflowId('push-window'),
      args: [{ planId: plan.planId, options: { ...FAST_PUSH, uploadConcurrency: 2 } }],
    });

    expect(result.totals).toMatchObject({ requestsUploaded: 8, recordsApplied: 40 });
    // The log is in the order of the answers; the slow one is the first upload to arrive.
    const [slow, ...rest] = emulator
      .requests({ endpoint: 'bulk-upsert' })
      .requests.sort((a, b) => at(a.time) - at(b.time) || b.durationMs - a.durationMs);
    expect(slow!.durationMs).toBeGreaterThanOrEqual(3_000);
    expect(rest).toHaveLength(7);
    // While the slow one was in flight the second slot went on, one upload after another (lock-step batches of two
    // would have started only the second before the slow one was answered).
    expect(rest.filter((upload) => at(upload.time) < answeredAt(slow!)).length).toBeGreaterThanOrEqual(3);
    expect(mostInFlight([slow!, ...rest])).toBe(2);
  });

  it("begins an operation's uploads only once every upload of the operations before it is accepted", async () => {
    const harness = await harnessForTest({
      layoutLimits: ONE_SESSION,
      emulator: { faults: { latencyMs: { min: 100, max: 300 }, seed: 7 } },
    });
    const { store, client, taskQueue, emulator, identitySourceId } = harness;
    const users = people(30);
    const groups = Array.from({ length: 10 }, (_, g) => ({
      externalId: `grp-${g}`,
      profile: { displayName: `Group ${g}` },
      fingerprint: `grp-${g}`,
    }));
    const memberships = users.map((u, i) => ({
      groupExternalId: `grp-${i % 10}`,
      memberExternalId: u.externalId,
      fingerprint: `${i}`,
    }));
    const plan = await savePlan(store, {
      identitySourceId,
      upserts: users,
      deactivations: [],
      groupUpserts: groups,
      membershipUpserts: memberships,
    });

    const result = await client.workflow.execute(pushPlan, {
      taskQueue,
      workflowId: uniqueWorkflowId('push-operations'),
      args: [{ planId: plan.planId, options: { ...FAST_PUSH, uploadConcurrency: 4 } }],
    });

    expect(result.totals.recordsApplied).toBe(70);
    const log = emulator.requests().requests.filter((r) => r.endpoint.startsWith('bulk-'));
    const byOperation = ['bulk-groups-upsert', 'bulk-upsert', 'bulk-group-memberships-upsert'].map((endpoint) =>
      log.filter((r) => r.endpoint === endpoint),
    );
    expect(byOperation.map((requests) => requests.length)).toEqual([2, 6, 6]);
    for (let later = 1; later < byOperation.length; later++) {
      const earlierAnswered = Math.max(...byOperation.slice(0, later).flat().map(answeredAt));
      for (const upload of byOperation[later]!) expect(at(upload.time)).toBeGreaterThanOrEqual(earlierAnswered);
    }
    // Within an operation several went at once; never more than the window.
    expect(mostInFlight(byOperation[1]!)).toBeGreaterThan(1);
    expect(mostInFlight(log)).toBeLessThanOrEqual(4);
    expect(emulator.memberships({ identitySourceId }).flatMap((m) => m.memberExternalIds)).toHaveLength(30);
  });

  it('triggers without asking first, and polls each import once, after its estimated end', async () => {
    // Three sessions of 15 records; every import takes 600 ms.
    const harness = await harnessForTest({
      layoutLimits: SMALL_SESSIONS,
      emulator: { durations: { importProcessingMs: 600, importProcessingPerRecordMs: 0 } },
    });
    const { store, client, taskQueue, emulator, identitySourceId } = harness;
    const plan = await savePlan(store, { identitySourceId, upserts: people(45), deactivations: [] });
    const workflowId = uniqueWorkflowId('push-estimated-polls');

    const result = await client.workflow.execute(pushPlan, {
      taskQueue,
      workflowId,
      args: [{ planId: plan.planId, options: FAST_PUSH }],
    });

    expect(result.sessions.map((s) => [s.records, s.outcome])).toEqual([
      [15, 'COMPLETED'],
      [15, 'COMPLETED'],
      [15, 'COMPLETED'],
    ]);
    const sessions = emulator.sessions({ identitySourceId });
    const log = emulator.requests().requests;
    for (const [i, session] of sessions.entries()) {
      const own = log.filter((r) => r.sessionId === session.id);
      const trigger = own.findIndex((r) => r.endpoint === 'start-import');
      // Uploads, then the trigger: no status request before it.
      expect(own.slice(0, trigger).map((r) => r.endpoint)).toEqual(['bulk-upsert', 'bulk-upsert', 'bulk-upsert']);
      const polls = own.slice(trigger + 1);
      expect(polls.every((r) => r.endpoint === 'get-session')).toBe(true);
      if (i === 0) {
        // Nothing known yet about Okta's pace: the first poll waits one poll interval, not sent right after the trigger.
        expect(at(polls[0]?.time)).toBeGreaterThanOrEqual(at(session.triggeredAt) + FAST_PUSH.pollIntervalMs!);
      } else {
        // Estimated from the first import: one poll, after the import's end.
        expect(polls).toHaveLength(1);
        expect(at(polls[0]?.time)).toBeGreaterThanOrEqual(at(session.processingEndsAt));
      }
    }
    // Besides the polls and the read-back of each person: one list of sessions at the start, then per session one
    // create and one trigger.
    expect(log.filter((r) => r.endpoint === 'get-user')).toHaveLength(45);
    const control = log.filter(
      (r) => !r.endpoint.startsWith('bulk-') && r.endpoint !== 'get-session' && r.endpoint !== 'get-user',
    );
    expect(control.map((r) => r.endpoint).sort()).toEqual(
      ['list-sessions', ...Array<string>(3).fill('create-session'), ...Array<string>(3).fill('start-import')].sort(),
    );
    await maybeSaveHistory(
      client,
      workflowId,
      fileURLToPath(new URL('../histories/push-plan-estimated-polls.json', import.meta.url)),
    );
  });
});
