// applyPeople alone (MockActivityEnvironment), against the emulator over real sockets and a real store: what it sends
// per person, what it records, what it re-sends after a crash, and how a refused record is reported.
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { applyPeopleActivity } from '../../activities/single-record/apply-people.ts';
import type { ApplyPeopleResult } from '../../contracts/single-record-messages.ts';
import { harnessForTest, people, savePlan, type PushHarness } from '../support/push-harness.ts';

function writesSince(h: PushHarness, seq: number): string[] {
  const prefix = `/api/v1/identity-sources/${h.identitySourceId}`;
  return h.emulator
    .requests({ sinceSeq: seq })
    .requests.filter((r) => r.method !== 'GET')
    .map((r) => `${r.method} ${r.path.slice(prefix.length)} ${r.status}`);
}

/** One attempt of the activity, as Temporal would run it (`attempt` says which). */
function run(
  activity: ReturnType<typeof applyPeopleActivity>,
  planId: string,
  info: { attempt?: number } = {},
): Promise<ApplyPeopleResult> {
  return new MockActivityEnvironment(info).run<[{ planId: string }], ApplyPeopleResult, typeof activity>(activity, {
    planId,
  });
}

/** Every request to the identity source, reads included. */
function requestsSince(h: PushHarness, seq: number): string[] {
  const prefix = `/api/v1/identity-sources/${h.identitySourceId}`;
  return h.emulator
    .requests({ sinceSeq: seq })
    .requests.map((r) => `${r.method} ${r.path.slice(prefix.length)} ${r.status}`);
}

/** A harness whose Okta has emp-0 and emp-1, created by a plan applied person by person. */
async function twoPeopleInOkta() {
  const h = await harnessForTest({ noWorker: true });
  const applyPeople = applyPeopleActivity({ store: h.store, okta: h.okta });
  const joiners = await savePlan(h.store, {
    identitySourceId: h.identitySourceId,
    upserts: people(2),
    deactivations: [],
  });
  await run(applyPeople, joiners.planId);
  return { h, applyPeople, joiners };
}

const lastSeq = (h: PushHarness) => h.emulator.requests().requests.at(-1)?.seq ?? 0;

describe('applyPeople', () => {
  it('re-sends only the person in flight after a crash, and skips whoever the plan already applied', async () => {
    const h = await harnessForTest({ noWorker: true });
    const applyPeople = applyPeopleActivity({ store: h.store, okta: h.okta });
    const plan = await savePlan(h.store, {
      identitySourceId: h.identitySourceId,
      upserts: people(3),
      deactivations: [],
    });
    // Okta applies the second create, and the answer is lost.
    h.emulator.setFaults({ script: [{ endpoint: 'create-user', nth: 2, action: 'drop', applyBeforeDrop: true }] });
    const since = lastSeq(h);

    await expect(run(applyPeople, plan.planId, { attempt: 1 })).rejects.toThrow(/no answer from Okta/);
    const retried = await run(applyPeople, plan.planId, { attempt: 2 });

    expect(retried).toEqual({ outcome: 'applied', applied: 3, refused: [] });
    expect(writesSince(h, since)).toEqual([
      'POST /users 200',
      'POST /users 0', // applied, answer dropped
      'POST /users 400', // the retry's create of the one in flight: Okta has it already…
      'PUT /users/emp-1 200', // …so it is replaced, not created twice
      'POST /users 200',
    ]);
    for (const person of people(3)) {
      expect(
        h.emulator.users({ identitySourceId: h.identitySourceId, externalId: person.externalId })[0]?.profile,
      ).toEqual(expect.objectContaining(person.profile));
      expect(await h.store.getConfirmedUser(h.identitySourceId, person.externalId)).toMatchObject({
        status: 'ACTIVE',
        fingerprint: person.fingerprint,
      });
    }
  });

  it('reports a record Okta refuses by id and reason, never its values, leaves it unconfirmed, and applies the others', async () => {
    const h = await harnessForTest({ noWorker: true });
    const applyPeople = applyPeopleActivity({ store: h.store, okta: h.okta });
    const [good, bad] = people(2);
    // An attribute the identity source's schema in Okta does not have: Okta refuses the record.
    const refused = { ...bad!, profile: { ...bad!.profile, nickname: 'Secret Nick' } };
    const plan = await savePlan(h.store, {
      identitySourceId: h.identitySourceId,
      upserts: [refused, good!],
      deactivations: [],
    });

    const result = await run(applyPeople, plan.planId);

    expect(result.outcome).toBe('applied');
    expect(result.applied).toBe(1);
    expect(result.refused).toHaveLength(1);
    expect(result.refused[0]?.externalId).toBe(refused.externalId);
    expect(result.refused[0]?.reason).toContain('nickname');
    expect(JSON.stringify(result)).not.toContain('Secret Nick');
    expect(await h.store.getConfirmedUser(h.identitySourceId, refused.externalId)).toBeUndefined();
    expect(h.emulator.users({ identitySourceId: h.identitySourceId, externalId: good!.externalId })[0]?.status).toBe(
      'ACTIVE',
    );
  });

  it('hands the plan back, writing nothing, while an import session is open or a person comes back', async () => {
    const h = await harnessForTest({ noWorker: true });
    const applyPeople = applyPeopleActivity({ store: h.store, okta: h.okta });
    const plan = await savePlan(h.store, {
      identitySourceId: h.identitySourceId,
      upserts: people(1),
      deactivations: [],
    });
    const session = await h.okta.createSession(h.identitySourceId);
    const since = lastSeq(h);

    const open = await run(applyPeople, plan.planId);

    expect(open).toMatchObject({ outcome: 'needs-session', applied: 0 });
    expect(open.reason).toContain(session.id);
    expect(writesSince(h, since)).toEqual([]);

    await h.okta.cancelSession(h.identitySourceId, session.id);
    await h.store.confirmPeople(
      h.identitySourceId,
      [{ externalId: 'emp-0', status: 'DEACTIVATED' }],
      '2026-01-01T00:00:00.000Z',
    );
    const returning = await new MockActivityEnvironment().run(applyPeople, { planId: plan.planId });

    expect(returning).toMatchObject({ outcome: 'needs-session', reason: '1 deactivated person comes back' });
  });

  it('deactivates a plan of leavers with one request a leaver while the store knows no open session of ours', async () => {
    const { h, applyPeople } = await twoPeopleInOkta();
    const leavers = await savePlan(h.store, {
      identitySourceId: h.identitySourceId,
      upserts: [],
      deactivations: ['emp-0', 'emp-1'],
    });
    const since = lastSeq(h);

    expect(await run(applyPeople, leavers.planId)).toEqual({ outcome: 'applied', applied: 2, refused: [] });

    expect(requestsSince(h, since)).toEqual(['DELETE /users/emp-0 204', 'DELETE /users/emp-1 204']);
    expect(h.emulator.users({ identitySourceId: h.identitySourceId, status: 'DEACTIVATED' })).toHaveLength(2);
  });

  it('hands a plan of leavers back while a session of ours is open, and records one Okta ended meanwhile', async () => {
    const { h, applyPeople, joiners } = await twoPeopleInOkta();
    // A push of ours opened a session and was terminated before it closed it.
    const session = await h.okta.createSession(h.identitySourceId);
    await h.store.recordSessionOpened({
      identitySourceId: h.identitySourceId,
      oktaSessionId: session.id,
      planId: joiners.planId,
      sessionIndex: 0,
      workflowId: 'push-terminated',
      runId: 'run-terminated',
      openedAt: new Date().toISOString(),
    });
    const first = await savePlan(h.store, {
      identitySourceId: h.identitySourceId,
      upserts: [],
      deactivations: ['emp-0'],
    });

    const open = await run(applyPeople, first.planId);

    expect(open).toMatchObject({ outcome: 'needs-session', applied: 0 });
    expect(open.reason).toContain(session.id);

    // Okta closes it (a person cancelled it in the Admin Console, say): the store still has it open.
    await h.okta.cancelSession(h.identitySourceId, session.id);
    const since = lastSeq(h);

    expect(await run(applyPeople, first.planId)).toMatchObject({ outcome: 'applied', applied: 1 });
    expect(requestsSince(h, since)).toEqual([
      'GET /sessions 200',
      `GET /sessions/${session.id} 200`,
      'DELETE /users/emp-0 204',
    ]);
    expect(await h.store.openSessions(h.identitySourceId)).toEqual([]);

    const second = await savePlan(h.store, {
      identitySourceId: h.identitySourceId,
      upserts: [],
      deactivations: ['emp-1'],
    });
    const afterwards = lastSeq(h);
    await run(applyPeople, second.planId);
    expect(requestsSince(h, afterwards)).toEqual(['DELETE /users/emp-1 204']);
  });
});
