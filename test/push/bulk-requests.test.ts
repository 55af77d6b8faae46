import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bodyFromItemTexts,
  layOutItemTexts,
  layOutRequests,
  OKTA_LIMITS,
  serializeBody,
} from '../../activities/okta/bulk-requests.ts';
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

describe('request bodies from the items as the store saved them', () => {
  const texts = (items: unknown[]) => items.map((item) => JSON.stringify(item));
  const exact = async (items: Items) =>
    (await bodiesOf(items)).map(({ request, body }) => {
      const all = (items[request.operation] ?? []) as unknown[];
      const saved = texts(all.slice(request.firstItem, request.firstItem + request.itemCount));
      return { built: bodyFromItemTexts(request.operation, saved, request.bytes), body };
    });

  it('builds the very body serializeBody makes, for every operation', async () => {
    const memberships: PlannedMembership[] = [
      { groupExternalId: 'g-1', memberExternalId: 'emp-1' },
      { groupExternalId: 'g-2', memberExternalId: 'emp-1' },
      { groupExternalId: 'g-1', memberExternalId: 'emp-2' },
    ];
    const built = await exact({
      // Quotes, backslashes, control characters, non-ASCII and a profile attribute named like the fingerprint.
      USER_UPSERT: [
        person(1, 10),
        {
          externalId: 'emp-"2"\\',
          profile: { userName: 'zoë@example.com', title: 'line\nbreak \u2028 "quoted"', fingerprint: 'x' },
          fingerprint: 'abc+/=',
        },
      ],
      USER_DEACTIVATE: ['gone-1', 'gone-"2"'],
      GROUP_UPSERT: [{ externalId: 'g-1', profile: { displayName: 'Sales', description: 'ä' }, fingerprint: 'f' }],
      GROUP_DELETE: ['g-old'],
      MEMBERSHIP_UPSERT: memberships,
      MEMBERSHIP_DELETE: memberships,
    });
    expect(built).toHaveLength(6);
    for (const { built: fromTexts, body } of built) expect(fromTexts).toBe(body);
  });

  it('falls back to parsing items saved in another shape, and still sends exactly the planned body', async () => {
    const items = [person(1, 10), person(2, 10)];
    const { request, body } = (await bodiesOf({ USER_UPSERT: items }))[0]!;
    // The fingerprint first, and an attribute the body leaves out: no fingerprint to cut off at the end.
    const reordered = items.map(({ externalId, profile, fingerprint }) =>
      JSON.stringify({ fingerprint, externalId, profile }),
    );
    expect(bodyFromItemTexts('USER_UPSERT', reordered, request.bytes)).toBe(body);
    const extra = items.map((item) => JSON.stringify({ ...item, note: 'kept out of the body' }));
    expect(bodyFromItemTexts('USER_UPSERT', extra, request.bytes)).toBe(body);
  });

  it('lays a plan out from the saved texts exactly as from the items, whatever shape they were saved in', async () => {
    const texts = (items: Items) =>
      async function* (operation: BulkOperation) {
        const all = (items[operation] ?? []) as unknown[];
        // Pages of 7, so that requests span pages.
        for (let i = 0; i < all.length; i += 7) {
          yield await Promise.resolve(all.slice(i, i + 7).map((item) => JSON.stringify(item)));
        }
      };
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            id: fc.string({ maxLength: 12 }),
            padding: fc.integer({ min: 0, max: 3_000 }),
            text: fc.string({ unit: 'grapheme', maxLength: 20 }),
            shape: fc.constantFrom('as-planned', 'fingerprint-first', 'extra-member', 'nested-lookalike'),
          }),
          { maxLength: 400 },
        ),
        fc.array(fc.string({ maxLength: 10 }), { maxLength: 300 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 99 })), { maxLength: 300 }),
        async (people, ids, pairs) => {
          const upserts = people.map(({ id, padding, text, shape }, n) => {
            const profile = { userName: `p${n}@example.com`, title: text, homeAddress: 'x'.repeat(padding) };
            if (shape === 'fingerprint-first') return { fingerprint: text, externalId: id, profile };
            if (shape === 'extra-member') return { externalId: id, profile, note: text, fingerprint: 'f' };
            if (shape === 'nested-lookalike')
              return { externalId: id, profile: { ...profile, fingerprint: text }, fingerprint: `"${text}` };
            return { externalId: id, profile, fingerprint: text };
          }) as PlannedUpsert[];
          const items: Items = {
            USER_UPSERT: upserts,
            USER_DEACTIVATE: ids,
            GROUP_UPSERT: ids.map((id) => ({ externalId: id, profile: { displayName: id }, fingerprint: id })),
            GROUP_DELETE: ids,
            MEMBERSHIP_UPSERT: pairs.map(([g, m]) => ({ groupExternalId: `g-${g}`, memberExternalId: `emp-${m}` })),
          };
          const limits = { entitiesPerRequest: 20, bytesPerRequest: 20_000, requestsPerSession: 5 };
          expect(await layOutItemTexts(texts(items), limits)).toEqual(await layOutRequests(source(items), limits));
        },
      ),
      { numRuns: 60 },
    );
  });
});
