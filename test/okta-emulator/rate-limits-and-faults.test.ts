// Rate limiting that behaves like Okta's (real 429s until the announced Reset), and fault injection that a test can
// reproduce exactly: scripted faults at the nth request, seeded random faults, drops before or after applying.
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { OktaEmulator } from '../../okta-emulator/index.ts';
import {
  TOKEN,
  admin,
  call,
  createSession,
  sessionsPath,
  startFast,
  until,
  users,
  type AdminSession,
} from './support.ts';

let emulator: OktaEmulator | undefined;
afterEach(() => emulator?.stop());

interface Logged {
  seq: number;
  time: string;
  status: number;
  endpoint: string;
  rateLimitReset?: number;
  dropped?: boolean;
  applied?: boolean;
}

const log = async (e: OktaEmulator, query = '') =>
  await admin<{ requests: Logged[]; counters: Record<string, { requests: number; byStatus: Record<string, number> }> }>(
    e,
    `/requests${query}`,
  );

describe('rate limits', () => {
  it('answers 429 E0000047 once the bucket is empty, until the announced Reset', async () => {
    const e = (emulator = await startFast({ rateLimit: { perWindow: 5 }, durations: { rateLimitWindowMs: 1500 } }));
    const replies = [];
    for (let i = 0; i < 7; i++) replies.push(await call(e, 'GET', sessionsPath()));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(replies.map((r) => r.headers.get('x-rate-limit-remaining'))).toEqual(['4', '3', '2', '1', '0', '0', '0']);
    const limited = replies[5];
    expect(limited?.json()).toMatchObject({ errorCode: 'E0000047', errorLink: 'E0000047' });
    const reset = Number(limited?.headers.get('x-rate-limit-reset'));
    expect(Number.isInteger(reset)).toBe(true);
    expect(reset * 1000).toBeGreaterThan(Date.now() - 1000);

    // Whoever comes back before Reset is refused again; the first success is at or after it.
    const success = await until(async () => {
      const reply = await call(e, 'GET', sessionsPath());
      return reply.status === 200
        ? { at: Date.now(), remaining: reply.headers.get('x-rate-limit-remaining') }
        : undefined;
    });
    expect(success.at).toBeGreaterThanOrEqual(reset * 1000);
    expect(success.remaining).toBe('4');
    const { requests, counters } = await log(e);
    const refused = requests.filter((r) => r.status === 429);
    expect(refused.every((r) => r.rateLimitReset === reset && Date.parse(r.time) < reset * 1000)).toBe(true);
    expect(counters['list-sessions']?.byStatus['429']).toBe(refused.length);
  });

  it('limits requests in flight, answering a concurrency 429 with Limit and Remaining 0', async () => {
    const e = (emulator = await startFast({
      rateLimit: { concurrency: 2 },
      faults: { latencyMs: { min: 300, max: 300 } },
    }));
    const replies = await Promise.all(Array.from({ length: 4 }, () => call(e, 'GET', sessionsPath())));
    expect(replies.map((r) => r.status).sort()).toEqual([200, 200, 429, 429]);
    const refused = replies.find((r) => r.status === 429);
    expect([refused?.headers.get('x-rate-limit-limit'), refused?.headers.get('x-rate-limit-remaining')]).toEqual([
      '0',
      '0',
    ]);
  });

  it('starts a 429 burst that lasts until the announced Reset', async () => {
    const e = (emulator = await startFast({
      durations: { rateLimitWindowMs: 1000 },
      faults: { rateLimitBurstRate: 1, endpoints: ['create-session'] },
    }));
    const burst = await call(e, 'POST', sessionsPath());
    expect(burst.status).toBe(429);
    const reset = Number(burst.headers.get('x-rate-limit-reset'));
    await admin(e, '/faults', {});
    // The faults are gone, but the burst emptied the bucket: the API stays closed until Reset.
    await until(async () => (await call(e, 'GET', sessionsPath())).status === 200);
    const { requests } = await log(e);
    expect(requests.filter((r) => r.status === 429).length).toBeGreaterThan(1);
    expect(
      requests
        .filter((r) => r.status === 429)
        .every((r) => r.rateLimitReset === reset && Date.parse(r.time) < reset * 1000),
    ).toBe(true);
    expect(requests.filter((r) => r.status === 200).every((r) => Date.parse(r.time) >= reset * 1000)).toBe(true);
  });
});

describe('scripted faults', () => {
  it('answers the nth request to an endpoint with the scripted status, without applying it', async () => {
    const e = (emulator = await startFast({ faults: { script: [{ endpoint: 'bulk-upsert', nth: 3, respond: 503 }] } }));
    const id = await createSession(e);
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push(
        (await call(e, 'POST', `${sessionsPath()}/${id}/bulk-upsert`, { entityType: 'USERS', profiles: users(1, i) }))
          .status,
      );
    expect(statuses).toEqual([202, 202, 503, 202]);
    const [session] = await admin<AdminSession[]>(e, '/sessions');
    expect(session?.bulkRequests).toBe(3);
    expect((await log(e, '?status=503')).requests).toMatchObject([{ endpoint: 'bulk-upsert', status: 503 }]);
  });

  it('drops the connection before applying, or after applying when asked (the answer is lost)', async () => {
    const e = (emulator = await startFast({
      faults: {
        script: [
          { endpoint: 'bulk-upsert', nth: 1, action: 'drop' },
          { endpoint: 'bulk-upsert', nth: 2, action: 'drop', applyBeforeDrop: true },
        ],
      },
    }));
    const id = await createSession(e);
    const path = `${sessionsPath()}/${id}/bulk-upsert`;
    await expect(call(e, 'POST', path, { entityType: 'USERS', profiles: users(1) })).rejects.toThrow();
    expect((await admin<AdminSession[]>(e, '/sessions'))[0]).toMatchObject({ status: 'CREATED', bulkRequests: 0 });
    await expect(call(e, 'POST', path, { entityType: 'USERS', profiles: users(1) })).rejects.toThrow();
    expect((await admin<AdminSession[]>(e, '/sessions'))[0]).toMatchObject({ status: 'IN_PROGRESS', bulkRequests: 1 });
    const dropped = (await log(e, '?endpoint=bulk-upsert')).requests;
    expect(dropped.map((r) => [r.dropped, r.applied])).toEqual([
      [true, false],
      [true, true],
    ]);
  });

  it('logs a client that dies mid-body as aborted, applies nothing, and reports no error of its own', async () => {
    // One request at a time: a probe answered 429 shows that the partial request holds the slot.
    const e = (emulator = await startFast({ rateLimit: { concurrency: 1 } }));
    const id = await createSession(e);
    const errors = vi.spyOn(console, 'error');
    try {
      const { hostname, port } = new URL(e.url);
      const socket = connect(Number(port), hostname);
      await once(socket, 'connect');
      const body = JSON.stringify({ entityType: 'USERS', profiles: users(1) });
      socket.write(
        `POST ${sessionsPath()}/${id}/bulk-upsert HTTP/1.1\r\nHost: ${hostname}\r\n` +
          `Authorization: SSWS ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n` +
          body.slice(0, 10),
      );
      await until(async () => (await call(e, 'GET', sessionsPath())).status === 429);
      socket.destroy();
      const [aborted] = (await until(async () => {
        const { requests } = await log(e, '?endpoint=bulk-upsert');
        return requests.length > 0 && requests;
      })) as (Logged & { abortedByClient?: boolean })[];
      expect(aborted).toMatchObject({ status: 0, abortedByClient: true });
      expect((await admin<AdminSession[]>(e, '/sessions'))[0]).toMatchObject({ status: 'CREATED', bulkRequests: 0 });
      // Its slot is free again.
      const next = await call(e, 'POST', `${sessionsPath()}/${id}/bulk-upsert`, {
        entityType: 'USERS',
        profiles: users(1),
      });
      expect(next.status).toBe(202);
      expect(errors).not.toHaveBeenCalled();
    } finally {
      errors.mockRestore();
    }
  });

  it('is replaced at run time, counting again from zero', async () => {
    const e = (emulator = await startFast());
    expect((await call(e, 'GET', sessionsPath())).status).toBe(200);
    await admin(e, '/faults', { script: [{ endpoint: 'list-sessions', nth: 1, respond: 500 }] });
    const failed = await call(e, 'GET', sessionsPath());
    expect(failed.status).toBe(500);
    expect(failed.json()).toMatchObject({ errorCode: 'E0000009' });
    expect((await call(e, 'GET', sessionsPath())).status).toBe(200);
  });

  it('answers a scripted 429 with the Reset asked for', async () => {
    const e = (emulator = await startFast({
      faults: { script: [{ endpoint: 'create-session', nth: 1, respond: 429, resetInMs: 2000 }] },
    }));
    const before = Date.now();
    const reply = await call(e, 'POST', sessionsPath());
    expect(reply.status).toBe(429);
    const reset = Number(reply.headers.get('x-rate-limit-reset'));
    expect(reset).toBeGreaterThanOrEqual(Math.ceil((before + 2000) / 1000));
    expect(reset).toBeLessThanOrEqual(Math.ceil((Date.now() + 2000) / 1000));
    expect((await log(e)).requests[0]?.rateLimitReset).toBe(Number(reply.headers.get('x-rate-limit-reset')));
  });
});

describe('random faults', () => {
  it('reproduces the same faults from the same seed', async () => {
    const e = (emulator = await startFast());
    const run = async () => {
      await admin(e, '/faults', { errorRate: 0.4, seed: 42 });
      const statuses = [];
      for (let i = 0; i < 20; i++) statuses.push((await call(e, 'GET', sessionsPath())).status);
      return statuses;
    };
    const first = await run();
    expect(first.filter((s) => s >= 500).length).toBeGreaterThan(0);
    expect(first.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(await run()).toEqual(first);
  });

  it('drops a share of requests when asked', async () => {
    const e = (emulator = await startFast({ faults: { dropRate: 1, endpoints: ['get-session'] } }));
    const id = await createSession(e);
    await expect(call(e, 'GET', `${sessionsPath()}/${id}`)).rejects.toThrow();
    expect((await log(e, '?endpoint=get-session')).requests).toMatchObject([{ dropped: true, status: 0 }]);
  });
});
