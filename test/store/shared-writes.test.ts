import { afterEach, beforeEach, expect, it } from 'vitest';
import { openStateStore } from '../../activities/store/open.ts';
import type { HrEvent, StateStore } from '../../activities/store/state-store.ts';
import { SharedWrites } from '../../activities/store/shared-writes.ts';

let store: StateStore;
beforeEach(async () => {
  store = await openStateStore('sqlite::memory:');
  await store.migrate();
});
afterEach(() => store.close());

const received = (eventId: string): HrEvent & { receivedAt: string } => ({
  eventId,
  identitySourceId: '0oa1',
  type: 'mover',
  externalId: eventId,
  occurredAt: '2026-01-01T10:00:00.000Z',
  receivedAt: '2026-01-01T10:00:01.000Z',
});

/** The store's own recordHrEvents, noting the events of each call (each call is one transaction). */
function countedWrites() {
  const calls: string[][] = [];
  const writes = new SharedWrites((events: (HrEvent & { receivedAt: string })[]) => {
    calls.push(events.map((e) => e.eventId));
    return store.recordHrEvents(events);
  });
  return { calls, writes };
}

it('stores the events of callers that arrive together in one transaction, each caller getting its own outcomes', async () => {
  const { calls, writes } = countedWrites();
  const [a, b, c] = await Promise.all([
    writes.add([received('a1'), received('a2')]),
    writes.add([received('b1')]),
    writes.add([received('a1')]),
  ]);
  expect(calls).toEqual([['a1', 'a2', 'b1', 'a1']]);
  expect(a).toEqual([
    { isNew: true, handedOff: false },
    { isNew: true, handedOff: false },
  ]);
  expect(b).toEqual([{ isNew: true, handedOff: false }]);
  expect(c).toEqual([{ isNew: false, handedOff: false }]);
});

it('lets callers that arrive while a write is in flight wait for it, then share the next one', async () => {
  const calls: string[][] = [];
  const started = Promise.withResolvers<void>();
  const release = Promise.withResolvers<void>();
  const writes = new SharedWrites(async (events: (HrEvent & { receivedAt: string })[]) => {
    calls.push(events.map((e) => e.eventId));
    if (calls.length === 1) {
      started.resolve();
      await release.promise;
    }
    return store.recordHrEvents(events);
  });
  const first = writes.add([received('first')]);
  await started.promise;
  const later = [writes.add([received('later1')]), writes.add([received('later2')])];
  release.resolve();
  await Promise.all([first, ...later]);
  expect(calls).toEqual([['first'], ['later1', 'later2']]);
});

it('fails every caller that shared a failed write, and writes again for the next', async () => {
  let fail = true;
  const writes = new SharedWrites((events: (HrEvent & { receivedAt: string })[]) =>
    fail ? Promise.reject(new Error('store unavailable')) : store.recordHrEvents(events),
  );
  const outcomes = await Promise.allSettled([writes.add([received('x')]), writes.add([received('y')])]);
  expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
  fail = false;
  expect(await writes.add([received('x')])).toEqual([{ isNew: true, handedOff: false }]);
});
