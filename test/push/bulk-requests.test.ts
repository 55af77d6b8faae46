import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { layOutRequests, OKTA_LIMITS, serializeBody } from '../../activities/okta/bulk-requests.ts';
import type { BulkOperation, ItemOf, PlannedMembership, PlannedUpsert } from '../../activities/store/state-store.ts';

type Items = { [O in BulkOperation]?: ItemOf<O>[] };

function source(items: Items) {
  return <O extends BulkOperation>(operation: O): AsyncIterable<ItemOf<O>> => {
    const all = items[operation] ?? [];
    return {
      [Symbol.asyncIterator]: () => {
        let at = 0;
        return {
          next: () =>
            Promise.resolve(at < all.length ? { value: all[at++]!, done: false } : { value: undefined, done: true }),
        };
      },
    };
  };
}

async function bodiesOf(items: Items) {
  const requests = await layOutRequests(source(items));
  return requests.map((request) => {
    const all = (items[request.operation] ?? []) as ItemOf<typeof request.operation>[];
    const slice = all.slice(request.firstItem, request.firstItem + request.itemCount);
    return { request, body: serializeBody(request.operation, slice) };
  });
}

const person = (n: number, padding: number): PlannedUpsert => ({
  externalId: `emp-${n}`,
  profile: { userName: `p${n}@example.com`, email: `p${n}@example.com`, homeAddress: 'x'.repeat(padding) },
  fingerprint: String(n),
});

describe("laying out Okta's bulk requests", () => {
  it('never exceeds 200 records, 200 KB or 50 requests a session, and covers every item once, in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 4_000 }), { maxLength: 1_500 }),
        fc.integer({ min: 0, max: 700 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 999 })), { maxLength: 600 }),
        async (paddings, deactivations, pairs) => {
          const memberships: PlannedMembership[] = pairs.map(([g, m]) => ({
            groupExternalId: `group-${g}`,
            memberExternalId: `emp-${m}`,
          }));
          const items: Items = {
            USER_UPSERT: paddings.map((padding, n) => person(n, padding)),
            USER_DEACTIVATE: Array.from({ length: deactivations }, (_, n) => `gone-${n}`),
            MEMBERSHIP_UPSERT: memberships,
          };
          const laidOut = await bodiesOf(items);
          const next: Partial<Record<BulkOperation, number>> = {};
          for (const { request, body } of laidOut) {
            expect(request.itemCount).toBeGreaterThan(0);
            expect(request.itemCount).toBeLessThanOrEqual(OKTA_LIMITS.entitiesPerRequest);
            expect(Buffer.byteLength(body)).toBeLessThanOrEqual(OKTA_LIMITS.bytesPerRequest);
            expect(Buffer.byteLength(body)).toBeLessThanOrEqual(request.bytes);
            expect(request.firstItem).toBe(next[request.operation] ?? 0);
            next[request.operation] = request.firstItem + request.itemCount;
          }
          expect(next.USER_UPSERT ?? 0).toBe(paddings.length);
          expect(next.USER_DEACTIVATE ?? 0).toBe(deactivations);
          expect(next.MEMBERSHIP_UPSERT ?? 0).toBe(memberships.length);
          const perSession = new Map<number, number>();
          for (const { request } of laidOut)
            perSession.set(request.sessionIndex, (perSession.get(request.sessionIndex) ?? 0) + 1);
          for (const count of perSession.values()) expect(count).toBeLessThanOrEqual(OKTA_LIMITS.requestsPerSession);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('packs by bytes when records are large, with the measured size of the very body sent', async () => {
    const laidOut = await bodiesOf({ USER_UPSERT: Array.from({ length: 300 }, (_, n) => person(n, 3_000)) });
    // About 3.1 KB a record: 64 fit in 200 KB, so five requests, none full by count.
    expect(laidOut.map(({ request }) => request.itemCount)).toEqual([64, 64, 64, 64, 44]);
    for (const { request, body } of laidOut) expect(request.bytes).toBe(Buffer.byteLength(body));
  });

  it('packs 200 records a request when they are small, and 50 requests a session', async () => {
    const laidOut = await bodiesOf({ USER_DEACTIVATE: Array.from({ length: 10_200 }, (_, n) => `gone-${n}`) });
    expect(laidOut).toHaveLength(51);
    expect(laidOut.every(({ request }) => request.itemCount === 200)).toBe(true);
    expect(laidOut.map(({ request }) => request.sessionIndex)).toEqual([...Array<number>(50).fill(0), 1]);
  });
});
