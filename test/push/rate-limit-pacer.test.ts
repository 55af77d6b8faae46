import { describe, expect, it } from 'vitest';
import { RateLimitPacer } from '../../activities/okta/rate-limit-pacer.ts';

/** A pacer on a clock of the test's own: sleeping moves the clock. */
function pacerAt(start: number) {
  const clock = { now: start };
  const pacer = new RateLimitPacer({
    share: 1,
    now: () => clock.now,
    sleep: (ms) => {
      clock.now += ms;
      return Promise.resolve();
    },
  });
  return { clock, pacer };
}

describe('pacing from the rate-limit headers', () => {
  // The server's clock is the test's; its Date header is whole seconds, the reset at 10 s.
  const emptyUntil10s = (serverNow: number) => ({
    limit: 10,
    remaining: 0,
    reset: 10,
    serverDate: Math.floor(serverNow / 1000) * 1000,
  });

  it("waits out an empty bucket until Okta's reset, never sending before it", async () => {
    const { clock, pacer } = pacerAt(8_300);
    await pacer.acquire();
    pacer.release(emptyUntil10s(clock.now));
    await pacer.acquire();
    expect(clock.now).toBeGreaterThanOrEqual(10_000);
  });

  it('ends the wait near the reset once an answer came just after a second began, not up to a second late', async () => {
    const { clock, pacer } = pacerAt(9_010);
    await pacer.acquire();
    await pacer.acquire();
    // An answer 10 ms into the ninth second pins the server's clock down.
    pacer.release(emptyUntil10s(clock.now));
    // At 9.95 s the Date header still says 9 s: alone, it allows that the reset is up to 1.05 s away.
    clock.now = 9_950;
    pacer.release(emptyUntil10s(clock.now));
    await pacer.acquire();
    expect(clock.now).toBeGreaterThanOrEqual(10_000);
    expect(clock.now).toBeLessThan(10_300);
  });

  it('starts over when the clock was set back, rather than send before the reset', async () => {
    const { clock, pacer } = pacerAt(9_010);
    await pacer.acquire();
    pacer.release(emptyUntil10s(clock.now));
    // Our clock jumps 5 s ahead (the server's does not): the reset is now at 15 s by our clock.
    clock.now = 14_500;
    await pacer.acquire();
    pacer.release(emptyUntil10s(clock.now - 5_000));
    await pacer.acquire();
    expect(clock.now).toBeGreaterThanOrEqual(15_000);
  });
});

describe("keeping under Okta's concurrency limit", () => {
  it('holds a request past maxInFlight until one in flight is answered, first come first served', async () => {
    const pacer = new RateLimitPacer({ share: 1, maxInFlight: 2 });
    await pacer.acquire();
    await pacer.acquire();
    const order: string[] = [];
    const third = pacer.acquire().then(() => order.push('third'));
    const fourth = pacer.acquire().then(() => order.push('fourth'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(order).toEqual([]);
    pacer.release(undefined);
    await third;
    expect(order).toEqual(['third']);
    pacer.release(undefined);
    await fourth;
    expect(order).toEqual(['third', 'fourth']);
  });
});

async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('urgent single-record writes', () => {
  it('holds background requests back while urgent ones go out one after another', async () => {
    const { clock, pacer } = pacerAt(0);
    await pacer.acquire('urgent');
    pacer.release(undefined);
    // The next urgent one (the next leaver) goes at once; a read-back's read waits until none came for a moment.
    await pacer.acquire('urgent');
    expect(clock.now).toBe(0);
    pacer.release(undefined);
    await pacer.acquire('background');
    expect(clock.now).toBeGreaterThanOrEqual(100);
    pacer.release(undefined);
    const before = clock.now;
    await pacer.acquire('background');
    expect(clock.now).toBe(before);
  });

  it('gives a freed slot to an urgent request before the background ones that waited longer', async () => {
    const pacer = new RateLimitPacer({ share: 1, maxInFlight: 1 });
    await pacer.acquire('background');
    const order: string[] = [];
    const background = pacer.acquire('background').then(() => order.push('background'));
    // Both wait for the slot (acquire reads answers for two event-loop turns first); the urgent one asked later.
    await turns(3);
    const urgent = pacer.acquire('urgent').then(() => order.push('urgent'));
    await turns(3);
    pacer.release(undefined);
    await urgent;
    pacer.release(undefined);
    await background;
    expect(order).toEqual(['urgent', 'background']);
  });
});
