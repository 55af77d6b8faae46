import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { openStateStore } from '../../activities/store/open.ts';
import type { PlannedMembership, PlannedUpsert, PushRequest, StateStore } from '../../activities/store/state-store.ts';
import { PlanNotFound } from '../../activities/store/state-store.ts';

/** A database for the store under test: each call gives a new, empty one (as a store URL). */
export type FreshDatabase = () => Promise<string>;

function upsert(n: number, version = 1): PlannedUpsert {
  const externalId = `E${String(n).padStart(6, '0')}`;
  return {
    externalId,
    profile: { userName: `${externalId}@example.com`, email: `${externalId}@example.com`, title: `v${version}` },
    fingerprint: `fp-${externalId}-v${version}`,
  };
}

async function* slowly<T>(items: T[]): AsyncIterable<T> {
  for (const item of items) {
    await Promise.resolve();
    yield item;
  }
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Lays out a plan one request per `size` items, one session per request, upserts before deactivations. */
function layout(counts: { upserts: number; deactivations: number }, size: number): PushRequest[] {
  const requests: PushRequest[] = [];
  const add = (operation: PushRequest['operation'], total: number) => {
    for (let first = 0; first < total; first += size) {
      const index = requests.length;
      requests.push({
        index,
        sessionIndex: index,
        operation,
        firstItem: first,
        itemCount: Math.min(size, total - first),
        bytes: 100,
      });
    }
  };
  add('USER_UPSERT', counts.upserts);
  add('USER_DEACTIVATE', counts.deactivations);
  return requests;
}

export function stateStoreContract(name: string, freshDatabase: FreshDatabase): void {
  describe(`${name} state store`, () => {
    const opened: StateStore[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });
    async function open(url?: string): Promise<StateStore> {
      const store = await openStateStore(url ?? (await freshDatabase()));
      opened.push(store);
      return store;
    }

    it('migrates an empty database and is safe to migrate again, also from two stores at once', async () => {
      const url = await freshDatabase();
      const [a, b] = await Promise.all([open(url), open(url)]);
      await Promise.all([a.migrate(), b.migrate()]);
      await a.migrate();
      expect(await a.countConfirmedUsers('0oa1')).toEqual({ active: 0, deactivated: 0 });
      const header = await b.savePlan({
        identitySourceId: '0oa1',
        mode: 'delta',
        upserts: [upsert(1)],
        deactivations: [],
      });
      expect((await a.getPlan(header.planId))?.counts.upserts).toBe(1);
    });

    it('saves a plan from sync and async streams and reads its items back in order', async () => {
      const store = await open();
      const upserts = Array.from({ length: 2345 }, (_, i) => upsert(i));
      const memberships: PlannedMembership[] = [{ groupExternalId: 'dept-eng', memberExternalId: 'E000001' }];
      const header = await store.savePlan({
        identitySourceId: '0oa1',
        mode: 'full',
        upserts: slowly(upserts),
        deactivations: ['X1', 'X2'],
        groupUpserts: [{ externalId: 'dept-eng', profile: { displayName: 'Engineering' }, fingerprint: 'g1' }],
        membershipUpserts: memberships,
        report: { note: 'kept' },
        source: { records: 2400, fields: ['id', 'email'] },
      });
      expect(header.planId).toMatch(/^[0-9a-f-]{36}$/);
      expect(header.counts).toEqual({
        upserts: 2345,
        deactivations: 2,
        groupUpserts: 1,
        groupDeletes: 0,
        membershipUpserts: 1,
        membershipDeletes: 0,
      });
      const stored = await store.getPlan(header.planId);
      expect(stored).toEqual(header);
      expect(stored?.status).toBe('planned');
      expect(stored?.report).toEqual({ note: 'kept' });
      expect(stored?.source).toEqual({ records: 2400, fields: ['id', 'email'] });
      expect(await store.readItems(header.planId, 'USER_UPSERT', 1000, 3)).toEqual(upserts.slice(1000, 1003));
      expect(await store.readItems(header.planId, 'USER_UPSERT', 2340, 100)).toEqual(upserts.slice(2340));
      expect(await store.readItems(header.planId, 'USER_DEACTIVATE', 0, 10)).toEqual(['X1', 'X2']);
      // The items' saved text, which request bodies are built from, reads back as the items themselves.
      const texts = await store.readItemTexts(header.planId, 'USER_UPSERT', 1000, 3);
      expect(texts.every((text) => typeof text === 'string')).toBe(true);
      expect(texts.map((text) => JSON.parse(text) as unknown)).toEqual(upserts.slice(1000, 1003));
      expect(await collect(store.streamItems(header.planId, 'USER_UPSERT'))).toEqual(upserts);
      expect(await collect(store.streamItems(header.planId, 'MEMBERSHIP_UPSERT'))).toEqual(memberships);
      expect(await collect(store.streamItems(header.planId, 'GROUP_DELETE'))).toEqual([]);
      expect(await store.getPlan(randomUUID())).toBeUndefined();
    });

    it('leaves no plan behind when the item stream fails midway', async () => {
      const store = await open();
      async function* failing(): AsyncIterable<PlannedUpsert> {
        for (let i = 0; i < 1200; i++) yield upsert(i);
        await Promise.resolve();
        throw new Error('HR export broke');
      }
      await expect(
        store.savePlan({ identitySourceId: '0oa1', mode: 'delta', upserts: failing(), deactivations: [] }),
      ).rejects.toThrow('HR export broke');
      expect(await store.findLatestPlan('0oa1', ['planned', 'dry-run', 'applied'])).toBeUndefined();
    });

    it('lets a plan stream read the store while it is being saved', async () => {
      const store = await open();
      const first = await store.savePlan({
        identitySourceId: '0oa1',
        mode: 'delta',
        upserts: [upsert(1)],
        deactivations: [],
      });
      await store.savePushLayout(first.planId, layout(first.counts, 200));
      await store.confirmRequests(first.planId, 0, 1, '2026-01-01T00:00:00.000Z');
      async function* deactivateAllConfirmed(): AsyncIterable<string> {
        for await (const user of store.streamConfirmedUsers('0oa1')) yield user.externalId;
      }
      const second = await store.savePlan({
        identitySourceId: '0oa1',
        mode: 'delta',
        upserts: [],
        deactivations: deactivateAllConfirmed(),
      });
      expect(await store.readItems(second.planId, 'USER_DEACTIVATE', 0, 10)).toEqual(['E000001']);
    });

    it('tracks plan status and finds the latest plan in given statuses', async () => {
      const store = await open();
      const a = await store.savePlan({ identitySourceId: '0oa1', mode: 'delta', upserts: [], deactivations: [] });
      const b = await store.savePlan({ identitySourceId: '0oa1', mode: 'delta', upserts: [], deactivations: [] });
      const dry = await store.savePlan({
        identitySourceId: '0oa1',
        mode: 'delta',
        upserts: [],
        deactivations: [],
        status: 'dry-run',
      });
      expect(dry.status).toBe('dry-run');
      await store.setPlanStatus(a.planId, 'applied');
      expect((await store.findLatestPlan('0oa1', ['applied']))?.planId).toBe(a.planId);
      await store.setPlanStatus(b.planId, 'applied');
      expect((await store.findLatestPlan('0oa1', ['applied']))?.planId).toBe(b.planId);
      expect((await store.findLatestPlan('0oa1', ['dry-run']))?.planId).toBe(dry.planId);
      expect(await store.findLatestPlan('0oa2', ['applied'])).toBeUndefined();
      expect((await store.getPlan(a.planId))?.status).toBe('applied');
      await expect(store.setPlanStatus(randomUUID(), 'failed')).rejects.toThrow(PlanNotFound);
    });

    it('keeps the push layout once and refuses a different or incomplete one', async () => {
      const store = await open();
      const plan = await store.savePlan({
        identitySourceId: '0oa1',
        mode: 'delta',
        upserts: Array.from({ length: 450 }, (_, i) => upsert(i)),
        deactivations: ['X1'],
      });
      expect(await store.getPushLayout(plan.planId)).toBeUndefined();
      const requests = layout(plan.counts, 200);
      expect(requests).toHaveLength(4);
      await store.savePushLayout(plan.planId, requests);
      await store.savePushLayout(plan.planId, requests);
      expect(await store.getPushLayout(plan.planId)).toEqual(requests);
      await expect(store.savePushLayout(plan.planId, layout(plan.counts, 100))).rejects.toThrow(
        /different push layout/,
      );
      const other = await store.savePlan({
        identitySourceId: '0oa1',
        mode: 'delta',
        upserts: [upsert(1)],
        deactivations: ['X'],
      });
      await expect(store.savePushLayout(other.planId, layout({ upserts: 1, deactivations: 0 }, 200))).rejects.toThrow(
        /covers 0 USER_DEACTIVATE items, the plan has 1/,
      );
      const empty = await store.savePlan({ identitySourceId: '0oa1', mode: 'delta', upserts: [], deactivations: [] });
      await store.savePushLayout(empty.planId, []);
      expect(await store.getPushLayout(empty.planId)).toEqual([]);
    });

    it('confirms requests into the confirmed record, once each, deactivations keeping the fingerprint', async () => {
      const store = await open();
      const first = await store.savePlan({
        identitySourceId: '0oa1',
        mode: 'delta',
        upserts: Array.from({ length: 5 }, (_, i) => upsert(i)),
        deactivations: [],
      });
      await store.savePushLayout(first.planId, layout(first.counts, 2));
      await store.confirmRequests(first.planId, 0, 2, '2026-01-01T00:00:00.000Z');
      expect(await store.countConfirmedRequests(first.planId)).toBe(2);
      expect(await store.countConfirmedUsers('0oa1')).toEqual({ active: 4, deactivated: 0 });
      await store.confirmRequests(first.planId, 0, 3, '2026-01-02T00:00:00.000Z');
      expect(await store.countConfirmedRequests(first.planId)).toBe(3);
      // Requests confirmed earlier keep their first confirmation.
      expect(await store.getConfirmedUser('0oa1', 'E000000')).toEqual({
        externalId: 'E000000',
        fingerprint: 'fp-E000000-v1',
        status: 'ACTIVE',
        confirmedAt: '2026-01-01T00:00:00.000Z',
        profile: upsert(0).profile,
      });
      expect((await store.getConfirmedUser('0oa1', 'E000004'))?.confirmedAt).toBe('2026-01-02T00:00:00.000Z');

      const second = await store.savePlan({
        identitySourceId: '0oa1',
        mode: 'delta',
        upserts: [upsert(0, 2)],
        deactivations: ['E000001'],
      });
      await store.savePushLayout(second.planId, layout(second.counts, 200));
      await store.confirmRequests(second.planId, 0, 2, '2026-01-03T00:00:00.000Z');
      expect((await store.getConfirmedUser('0oa1', 'E000000'))?.fingerprint).toBe('fp-E000000-v2');
      // A deactivation keeps the profile last confirmed: Okta keeps it too.
      expect(await store.getConfirmedUser('0oa1', 'E000001')).toEqual({
        externalId: 'E000001',
        fingerprint: 'fp-E000001-v1',
        status: 'DEACTIVATED',
        confirmedAt: '2026-01-03T00:00:00.000Z',
        profile: upsert(1).profile,
      });
      expect(await store.countConfirmedUsers('0oa1')).toEqual({ active: 4, deactivated: 1 });
      expect(await store.countConfirmedUsers('0oa2')).toEqual({ active: 0, deactivated: 0 });
      expect(await store.getConfirmedUser('0oa2', 'E000000')).toBeUndefined();
    });

    it('confirms people one by one, a deactivation keeping the fingerprint and profile Okta has', async () => {
      const store = await open();
      const profile = { userName: 'a@example.com', email: 'a@example.com', mobilePhone: null };
      await store.confirmPeople(
        '0oa1',
        [{ externalId: 'E1', status: 'ACTIVE', fingerprint: 'fp-1', profile }],
        '2026-01-01T00:00:00.000Z',
      );
      expect(await store.getConfirmedUser('0oa1', 'E1')).toEqual({
        externalId: 'E1',
        fingerprint: 'fp-1',
        status: 'ACTIVE',
        confirmedAt: '2026-01-01T00:00:00.000Z',
        profile,
      });
      await store.confirmPeople(
        '0oa1',
        [
          { externalId: 'E1', status: 'DEACTIVATED' },
          { externalId: 'E2', status: 'DEACTIVATED' },
        ],
        '2026-01-02T00:00:00.000Z',
      );
      expect(await store.getConfirmedUser('0oa1', 'E1')).toEqual({
        externalId: 'E1',
        fingerprint: 'fp-1',
        status: 'DEACTIVATED',
        confirmedAt: '2026-01-02T00:00:00.000Z',
        profile,
      });
      expect(await store.countConfirmedUsers('0oa1')).toEqual({ active: 0, deactivated: 2 });
      expect(await store.countConfirmedUsers('0oa2')).toEqual({ active: 0, deactivated: 0 });
      expect(await store.countDeactivatedSince('0oa1', '2026-01-02T00:00:00.000Z')).toBe(2);
      expect(await store.countDeactivatedSince('0oa1', '2026-01-02T00:00:00.001Z')).toBe(0);
      expect(await store.countDeactivatedSince('0oa2', '2026-01-01T00:00:00.000Z')).toBe(0);
    });

    it('confirms requests except the people Okta did not apply, and forgets what it confirmed of people', async () => {
      const store = await open();
      const first = await store.savePlan({
        identitySourceId: '0oa1',
        mode: 'delta',
        upserts: Array.from({ length: 4 }, (_, i) => upsert(i)),
        deactivations: [],
      });
      await store.savePushLayout(first.planId, layout(first.counts, 200));
      await store.confirmRequests(first.planId, 0, 1, '2026-01-01T00:00:00.000Z');
      const second = await store.savePlan({
        identitySourceId: '0oa1',
        mode: 'delta',
        upserts: [upsert(0, 2), upsert(1, 2), upsert(9)],
        deactivations: ['E000002', 'E000003'],
      });
      await store.savePushLayout(second.planId, layout(second.counts, 200));
      await store.confirmRequests(second.planId, 0, 2, '2026-01-02T00:00:00.000Z', ['E000001', 'E000009', 'E000003']);
      expect(await store.countConfirmedRequests(second.planId)).toBe(2);
      expect((await store.getConfirmedUser('0oa1', 'E000000'))?.fingerprint).toBe('fp-E000000-v2');
      // The excepted keep what was confirmed before: v1, never known, still active.
      expect((await store.getConfirmedUser('0oa1', 'E000001'))?.fingerprint).toBe('fp-E000001-v1');
      expect(await store.getConfirmedUser('0oa1', 'E000009')).toBeUndefined();
      expect((await store.getConfirmedUser('0oa1', 'E000002'))?.status).toBe('DEACTIVATED');
      expect((await store.getConfirmedUser('0oa1', 'E000003'))?.status).toBe('ACTIVE');

      expect(await store.markUsersUnconfirmed('0oa1', ['E000000', 'E000002', 'E000404'])).toBe(2);
      expect(await store.getConfirmedUser('0oa1', 'E000000')).toMatchObject({
        fingerprint: '',
        status: 'ACTIVE',
        profile: upsert(0, 2).profile,
      });
      expect((await store.getConfirmedUser('0oa1', 'E000002'))?.status).toBe('ACTIVE');
      expect((await store.getConfirmedUser('0oa1', 'E000001'))?.fingerprint).toBe('fp-E000001-v1');
      expect(await store.markUsersUnconfirmed('0oa2', ['E000000'])).toBe(0);
    });

    it('keeps a person confirmed after the import was done, and tells which people a plan upserts', async () => {
      const store = await open();
      const plan = await store.savePlan({
        identitySourceId: '0oa1',
        mode: 'full',
        upserts: [upsert(0), upsert(1), upsert(2)],
        deactivations: [],
      });
      await store.savePushLayout(plan.planId, layout(plan.counts, 200));
      // While Okta imported the plan, E000000 left and was deactivated; once the import was done, E000001 too.
      await store.confirmPeople('0oa1', [{ externalId: 'E000000', status: 'DEACTIVATED' }], '2026-01-01T00:00:10.000Z');
      await store.confirmPeople('0oa1', [{ externalId: 'E000001', status: 'DEACTIVATED' }], '2026-01-01T00:01:10.000Z');

      await store.confirmRequests(plan.planId, 0, 1, '2026-01-01T00:02:00.000Z', [], '2026-01-01T00:01:00.000Z');

      // The import made E000000 active again; E000001's deactivation came after it.
      expect(await store.getConfirmedUser('0oa1', 'E000000')).toMatchObject({
        status: 'ACTIVE',
        fingerprint: 'fp-E000000-v1',
      });
      expect(await store.getConfirmedUser('0oa1', 'E000001')).toMatchObject({
        status: 'DEACTIVATED',
        confirmedAt: '2026-01-01T00:01:10.000Z',
      });
      expect((await store.getConfirmedUser('0oa1', 'E000002'))?.status).toBe('ACTIVE');
      const many = await store.getConfirmedUsers('0oa1', ['E000001', 'E000404', 'E000000']);
      expect([...many.keys()].sort()).toEqual(['E000000', 'E000001']);
      expect(many.get('E000001')).toEqual(await store.getConfirmedUser('0oa1', 'E000001'));
      expect((await store.plannedUpserts(plan.planId, ['E000002', 'E000404', 'E000000'])).sort()).toEqual([
        'E000000',
        'E000002',
      ]);
      expect(await store.plannedUpserts(plan.planId, ['E000404'])).toEqual([]);
    });

    it('confirms each request once when two stores confirm the same range at the same time', async () => {
      const url = await freshDatabase();
      const [a, b] = [await open(url), await open(url)];
      const plan = await a.savePlan({
        identitySourceId: '0oa1',
        mode: 'delta',
        upserts: Array.from({ length: 600 }, (_, i) => upsert(i)),
        deactivations: [],
      });
      await a.savePushLayout(plan.planId, layout(plan.counts, 200));
      await Promise.all([
        a.confirmRequests(plan.planId, 0, 3, '2026-01-01T00:00:00.000Z'),
        b.confirmRequests(plan.planId, 0, 3, '2026-01-02T00:00:00.000Z'),
      ]);
      expect(await a.countConfirmedRequests(plan.planId)).toBe(3);
      // Each request is applied by exactly one of them, so every user of one request has the same stamp.
      const perRequest = await Promise.all(
        [0, 200, 400].map(async (first) => (await a.getConfirmedUser('0oa1', upsert(first).externalId))!.confirmedAt),
      );
      for (const [i, first] of [0, 200, 400].entries()) {
        expect((await a.getConfirmedUser('0oa1', upsert(first + 199).externalId))?.confirmedAt).toBe(perRequest[i]);
      }
      expect(await a.countConfirmedUsers('0oa1')).toEqual({ active: 600, deactivated: 0 });
    });

    it('streams confirmed users in pages, ordered by externalId', async () => {
      const store = await open();
      const upserts = Array.from({ length: 2100 }, (_, i) => upsert(2099 - i));
      const plan = await store.savePlan({ identitySourceId: '0oa1', mode: 'delta', upserts, deactivations: [] });
      await store.savePushLayout(plan.planId, layout(plan.counts, 200));
      await store.confirmRequests(plan.planId, 0, 11, '2026-01-01T00:00:00.000Z');
      const users = await collect(store.streamConfirmedUsers('0oa1'));
      expect(users.map((u) => u.externalId)).toEqual(upserts.map((u) => u.externalId).sort());
      expect(users.every((u) => u.status === 'ACTIVE')).toBe(true);
    });

    it('confirms groups and memberships, a group delete taking its memberships', async () => {
      const store = await open();
      const plan = await store.savePlan({
        identitySourceId: '0oa1',
        mode: 'delta',
        upserts: [],
        deactivations: [],
        groupUpserts: [
          { externalId: 'g-eng', profile: { displayName: 'Engineering' }, fingerprint: 'g1' },
          { externalId: 'g-ops', profile: { displayName: 'Operations', description: 'Ops' }, fingerprint: 'g2' },
        ],
        membershipUpserts: [
          { groupExternalId: 'g-eng', memberExternalId: 'E1' },
          { groupExternalId: 'g-eng', memberExternalId: 'E2' },
          { groupExternalId: 'g-ops', memberExternalId: 'E3' },
        ],
      });
      const requests: PushRequest[] = [
        { index: 0, sessionIndex: 0, operation: 'GROUP_UPSERT', firstItem: 0, itemCount: 2, bytes: 10 },
        { index: 1, sessionIndex: 0, operation: 'MEMBERSHIP_UPSERT', firstItem: 0, itemCount: 3, bytes: 10 },
      ];
      await store.savePushLayout(plan.planId, requests);
      await store.confirmRequests(plan.planId, 0, 2, '2026-01-01T00:00:00.000Z');
      expect((await collect(store.streamConfirmedGroups('0oa1'))).map((g) => [g.externalId, g.fingerprint])).toEqual([
        ['g-eng', 'g1'],
        ['g-ops', 'g2'],
      ]);
      expect(await collect(store.streamConfirmedMemberships('0oa1'))).toHaveLength(3);

      const next = await store.savePlan({
        identitySourceId: '0oa1',
        mode: 'delta',
        upserts: [],
        deactivations: [],
        groupDeletes: ['g-ops'],
        membershipDeletes: [{ groupExternalId: 'g-eng', memberExternalId: 'E1' }],
      });
      await store.savePushLayout(next.planId, [
        { index: 0, sessionIndex: 0, operation: 'MEMBERSHIP_DELETE', firstItem: 0, itemCount: 1, bytes: 10 },
        { index: 1, sessionIndex: 0, operation: 'GROUP_DELETE', firstItem: 0, itemCount: 1, bytes: 10 },
      ]);
      await store.confirmRequests(next.planId, 0, 2, '2026-01-02T00:00:00.000Z');
      expect((await collect(store.streamConfirmedGroups('0oa1'))).map((g) => g.externalId)).toEqual(['g-eng']);
      expect(await collect(store.streamConfirmedMemberships('0oa1'))).toEqual([
        { groupExternalId: 'g-eng', memberExternalId: 'E2' },
      ]);
    });

    it('records the uploads Okta accepted into a session once each, and the last import time of a source', async () => {
      const store = await open();
      expect(await store.acceptedUploads('aps1')).toEqual([]);
      await store.recordUploadsAccepted('plan-1', 'aps1', [3, 1], '2026-01-01T00:00:00.000Z');
      await store.recordUploadsAccepted('plan-1', 'aps1', [1, 2], '2026-01-01T00:00:01.000Z');
      await store.recordUploadsAccepted('plan-1', 'aps2', [0], '2026-01-01T00:00:02.000Z');
      expect(await store.acceptedUploads('aps1')).toEqual([1, 2, 3]);
      expect(await store.acceptedUploads('aps2')).toEqual([0]);

      expect(await store.lastImportTime('0oa1')).toBeUndefined();
      await store.recordImportTime('0oa1', { msPerRecord: 5.25, records: 10_000 }, '2026-01-01T00:01:00.000Z');
      await store.recordImportTime('0oa1', { msPerRecord: 4.5, records: 9_000 }, '2026-01-01T00:02:00.000Z');
      expect(await store.lastImportTime('0oa1')).toEqual({ msPerRecord: 4.5, records: 9_000 });
      expect(await store.lastImportTime('0oa2')).toBeUndefined();
    });

    it('records Okta sessions and their owners', async () => {
      const store = await open();
      const opened = {
        identitySourceId: '0oa1',
        oktaSessionId: 'aps1',
        planId: 'plan-1',
        sessionIndex: 0,
        workflowId: 'sync-0oa1',
        runId: 'run-1',
        openedAt: '2026-01-01T00:00:00.000Z',
      };
      await store.recordSessionOpened(opened);
      await store.recordSessionOpened(opened);
      expect(await store.getSession('aps1')).toEqual({ ...opened, status: 'CREATED', updatedAt: opened.openedAt });
      await store.recordSessionStatus('aps1', 'TRIGGERED');
      expect((await store.getSession('aps1'))?.status).toBe('TRIGGERED');
      await store.recordSessionOpened({ ...opened, oktaSessionId: 'aps2', openedAt: '2026-01-01T00:10:00.000Z' });
      expect((await store.findPlanSession('plan-1', 0))?.oktaSessionId).toBe('aps2');
      expect(await store.findPlanSession('plan-1', 1)).toBeUndefined();
      expect(await store.getSession('aps9')).toBeUndefined();
      await expect(store.recordSessionStatus('aps9', 'COMPLETED')).rejects.toThrow(/aps9/);

      await store.recordSessionOpened({ ...opened, identitySourceId: '0oa2', oktaSessionId: 'aps3' });
      expect((await store.openSessions('0oa1')).map((s) => [s.oktaSessionId, s.status])).toEqual([
        ['aps1', 'TRIGGERED'],
        ['aps2', 'CREATED'],
      ]);
      await store.recordSessionStatus('aps1', 'COMPLETED');
      await store.recordSessionStatus('aps2', 'CLOSED');
      expect(await store.openSessions('0oa1')).toEqual([]);
      expect((await store.openSessions('0oa2')).map((s) => s.oktaSessionId)).toEqual(['aps3']);
    });

    it('stores each HR event once, and says whether a repeated one was handed off', async () => {
      const store = await open();
      const joiner = {
        eventId: 'evt-1',
        identitySourceId: '0oa1',
        type: 'joiner' as const,
        externalId: 'E1',
        record: { employee_id: 'E1', job_title: 'Engineer' },
        occurredAt: '2026-01-01T10:00:00.000Z',
      };
      const received = (receivedAt: string) => store.recordHrEvents([{ ...joiner, receivedAt }]);
      expect(await received('2026-01-01T10:00:01.000Z')).toEqual([{ isNew: true, handedOff: false }]);
      expect(await received('2026-01-01T10:00:02.000Z')).toEqual([{ isNew: false, handedOff: false }]);
      await store.markHrEventsHandedOff(['evt-1'], '2026-01-01T10:00:03.000Z');
      await store.markHrEventsHandedOff(['evt-1'], '2026-01-01T10:09:00.000Z');
      // Several in one call: each says what it found, a repeat within the call included.
      const other = { ...joiner, eventId: 'evt-2', receivedAt: '2026-01-01T10:00:04.000Z' };
      expect(await store.recordHrEvents([{ ...joiner, receivedAt: '2026-01-01T10:00:04.000Z' }, other, other])).toEqual(
        [
          { isNew: false, handedOff: true },
          { isNew: true, handedOff: false },
          { isNew: false, handedOff: false },
        ],
      );
      expect(await store.pendingHrEvents('0oa1')).toEqual([
        { ...joiner, receivedAt: '2026-01-01T10:00:01.000Z', handedOffAt: '2026-01-01T10:00:03.000Z' },
        { ...joiner, eventId: 'evt-2', receivedAt: '2026-01-01T10:00:04.000Z' },
      ]);
      expect(await store.pendingHrEvents('0oa2')).toEqual([]);
    });

    it('keeps HR events pending, in order, until a plan that took them into account is applied', async () => {
      const store = await open();
      const event = (eventId: string, occurredAt: string, type: 'mover' | 'leaver' = 'mover') => ({
        eventId,
        identitySourceId: '0oa1',
        type,
        externalId: 'E1',
        occurredAt,
      });
      await store.recordHrEvents([
        { ...event('late', '2026-01-01T12:00:00.000Z', 'leaver'), receivedAt: '2026-01-01T12:00:00.000Z' },
        { ...event('early', '2026-01-01T11:00:00.000Z'), receivedAt: '2026-01-01T12:00:01.000Z' },
      ]);
      const pending = await store.pendingHrEvents('0oa1');
      expect(pending.map((e) => e.eventId)).toEqual(['early', 'late']);
      expect(pending[1]?.record).toBeUndefined();

      const failed = await store.savePlan({ identitySourceId: '0oa1', mode: 'delta', upserts: [], deactivations: [] });
      await store.markHrEventsConsumed(['early', 'late'], failed.planId);
      expect((await store.pendingHrEvents('0oa1')).map((e) => e.consumedByPlan)).toEqual([
        failed.planId,
        failed.planId,
      ]);
      await store.setPlanStatus(failed.planId, 'failed');
      expect(await store.pendingHrEvents('0oa1')).toHaveLength(2);

      const applied = await store.savePlan({ identitySourceId: '0oa1', mode: 'delta', upserts: [], deactivations: [] });
      await store.markHrEventsConsumed(['early'], applied.planId);
      await store.setPlanStatus(applied.planId, 'applied');
      expect((await store.pendingHrEvents('0oa1')).map((e) => e.eventId)).toEqual(['late']);
    });
  });
}
