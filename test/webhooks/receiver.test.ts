import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStateStore } from '../../activities/store/open.ts';
import type { StateStore } from '../../activities/store/state-store.ts';
import { startWebhookServer, type WebhookServer, type WebhookServerOptions } from '../../client/webhook-server.ts';
import { createLogger } from '../../observability/logger.ts';
import { coordinatorWorkflowId, type HrChange } from '../../contracts/sync-messages.ts';
import { testClient, uniqueTaskQueue } from '../support/temporal.ts';
import { newSecret, sendBambooHr, sendStandard, sendStandardRaw } from './senders.ts';

// No worker serves the task queue: a signal is recorded by Temporal (which is all the receiver waits for), and the
// coordinator's history shows how many there were.
let client: Client;
let store: StateStore;
let identitySourceId: string;
const servers: WebhookServer[] = [];

beforeEach(async () => {
  client = await testClient();
  store = await openStateStore('sqlite::memory:');
  identitySourceId = `0oa${randomUUID().replace(/-/g, '').slice(0, 17)}`;
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  await client.workflow
    .getHandle(coordinatorWorkflowId(identitySourceId))
    .terminate('test finished')
    .catch(() => undefined);
  await client.connection.close();
  await store.close();
});

async function start(options: Partial<WebhookServerOptions> = {}): Promise<WebhookServer> {
  const server = await startWebhookServer({
    temporal: client,
    store,
    identitySourceId,
    taskQueue: uniqueTaskQueue('webhooks'),
    logger: createLogger({ level: 'silent' }),
    ...options,
  });
  servers.push(server);
  return server;
}

function joiner(id: string, externalId = 'E2001') {
  return {
    id,
    type: 'joiner',
    occurredAt: new Date().toISOString(),
    person: { externalId, record: { employee_id: externalId, job_title: 'Analyst' } },
  };
}

async function signalsReceived(): Promise<number> {
  const history = await client.workflow.getHandle(coordinatorWorkflowId(identitySourceId)).fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'hrChanged')
    .length;
}

describe('webhook receiver: Standard Webhooks signatures', () => {
  it('accepts a valid signature, and any secret of a rotation; refuses a wrong secret', async () => {
    const [old, current] = [newSecret(), newSecret()];
    const server = await start({ standardSecrets: [current, old] });
    expect((await sendStandard(server.url, joiner('e1'), { secrets: [current] })).status).toBe(202);
    expect((await sendStandard(server.url, joiner('e2'), { secrets: [old] })).status).toBe(202);
    // A sender mid-rotation signs with both; one known secret is enough.
    expect((await sendStandard(server.url, joiner('e3'), { secrets: [newSecret(), current] })).status).toBe(202);
    const wrong = await sendStandard(server.url, joiner('e4'), { secrets: [newSecret()] });
    expect(wrong.status).toBe(401);
    expect((await store.pendingHrEvents(identitySourceId)).map((e) => e.eventId)).toEqual(['e1', 'e2', 'e3']);
  });

  it('refuses a stale timestamp and a tampered body, storing nothing', async () => {
    const secret = newSecret();
    const server = await start({ standardSecrets: [secret] });
    const stale = await sendStandard(server.url, joiner('e1'), {
      secrets: [secret],
      at: new Date(Date.now() - 6 * 60_000),
    });
    expect(stale.status).toBe(401);
    const tampered = await sendStandard(server.url, joiner('e2'), {
      secrets: [secret],
      tamper: (raw) => raw.replace('Analyst', 'Admin'),
    });
    expect(tampered.status).toBe(401);
    expect(await store.pendingHrEvents(identitySourceId)).toEqual([]);
  });

  it('refuses a body that is not a valid event, naming the field', async () => {
    const secret = newSecret();
    const server = await start({ standardSecrets: [secret] });
    const response = await sendStandard(server.url, { ...joiner('e1'), type: 'promotion' }, { secrets: [secret] });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/^type: /);
    const foreign = await sendStandard(
      server.url,
      { ...joiner('e2'), identitySourceId: '0oaSomebodyElse' },
      { secrets: [secret] },
    );
    expect(foreign.status).toBe(400);
  });
});

describe('webhook receiver: validly signed bodies that are not events', () => {
  const corpus = (name: string) => readFileSync(join(import.meta.dirname, 'corpus', name));

  it('answers 400 naming the problem (not 401), quoting nothing of the body, storing nothing', async () => {
    const secret = newSecret();
    const server = await start({ standardSecrets: [secret] });
    const cases: [string, Buffer | string, string][] = [
      ['a body cut off mid-way', corpus('truncated.body'), 'the body is not JSON'],
      ["a proxy's error page", corpus('proxy-error-page.body'), 'the body is not JSON'],
      ['a form-encoded body', corpus('form-encoded.body'), 'the body is not JSON'],
      ['JSON written in Latin-1', corpus('latin1.body'), 'the body is not valid UTF-8 (JSON is sent as UTF-8)'],
      ['an empty body', '', 'the body is empty; expected JSON'],
    ];
    for (const [what, body, problem] of cases) {
      const response = await sendStandardRaw(server.url, body, { secrets: [secret] });
      const answer = (await response.json()) as { error: string };
      expect({ what, status: response.status, answer }).toEqual({ what, status: 400, answer: { error: problem } });
    }
    expect(await store.pendingHrEvents(identitySourceId)).toEqual([]);
  });

  it("reads an event's externalId as the export's keys are read: trimmed and NFC, invisible characters refused", async () => {
    const secret = newSecret();
    const server = await start({ standardSecrets: [secret] });
    const hidden = await sendStandard(server.url, joiner('e1', 'E2001\u200b'), { secrets: [secret] });
    expect(hidden.status).toBe(400);
    expect(await hidden.json()).toEqual({
      error: 'person.externalId: contains an invisible (zero-width) character (U+200B) at character 6',
    });
    const decomposed = 'É2002'.normalize('NFD');
    expect((await sendStandard(server.url, joiner('e2', ` ${decomposed} `), { secrets: [secret] })).status).toBe(202);
    expect((await store.pendingHrEvents(identitySourceId)).map((e) => e.externalId)).toEqual([
      'É2002'.normalize('NFC'),
    ]);
  });
});

describe('webhook receiver: BambooHR signatures', () => {
  const body = {
    employees: [{ id: '2001', action: 'Created', timestamp: '2026-11-28T10:00:00Z', fields: { job_title: 'Analyst' } }],
  };

  it('accepts a valid signature; refuses a wrong key, a stale timestamp and a tampered body', async () => {
    const secret = randomUUID();
    const server = await start({ bambooHrSecret: secret });
    expect((await sendBambooHr(server.url, body, { secret })).status).toBe(202);
    expect((await sendBambooHr(server.url, body, { secret: randomUUID() })).status).toBe(401);
    expect((await sendBambooHr(server.url, body, { secret, at: new Date(Date.now() - 6 * 60_000) })).status).toBe(401);
    const tampered = await sendBambooHr(server.url, body, {
      secret,
      tamper: (raw) => raw.replace('Analyst', 'Admin'),
    });
    expect(tampered.status).toBe(401);
    const events = await store.pendingHrEvents(identitySourceId);
    expect(events).toMatchObject([
      { type: 'joiner', externalId: '2001', record: { job_title: 'Analyst' }, occurredAt: '2026-11-28T10:00:00.000Z' },
    ]);
  });
});

describe('webhook receiver: limits, dedup and durability', () => {
  it('refuses a body over the limit, with or without a declared length', async () => {
    const secret = newSecret();
    const server = await start({ standardSecrets: [secret], maxBodyBytes: 2048 });
    const big = { ...joiner('e1'), person: { externalId: 'E1', record: { notes: 'x'.repeat(4096) } } };
    expect((await sendStandard(server.url, big, { secrets: [secret] })).status).toBe(413);

    // Chunked: no Content-Length, so the limit is counted while reading.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}/webhooks/standard`, { method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 4; i++) req.write('x'.repeat(1024));
      req.end();
    });
    expect(status).toBe(413);
    expect(await store.pendingHrEvents(identitySourceId)).toEqual([]);
  });

  it('stores and signals a repeated event once', async () => {
    const secret = newSecret();
    const server = await start({ standardSecrets: [secret] });
    const first = await sendStandard(server.url, joiner('e1'), { secrets: [secret], id: 'msg_1' });
    expect(first.status).toBe(202);
    const again = await sendStandard(server.url, joiner('e1'), { secrets: [secret], id: 'msg_1' });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ accepted: 0, duplicates: 1 });
    // A batch with the known event and a new one: only the new one is signalled.
    const batch = await sendStandard(
      server.url,
      { events: [joiner('e1'), joiner('e2', 'E2002')] },
      { secrets: [secret] },
    );
    expect(await batch.json()).toEqual({ accepted: 1, duplicates: 1 });
    expect(await store.pendingHrEvents(identitySourceId)).toHaveLength(2);
    expect(await signalsReceived()).toBe(2);
  });

  it('answers 503 while Temporal is unreachable, keeping the event, and 202 when the sender retries later', async () => {
    const secret = newSecret();
    const unreachable = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    const down = await start({ standardSecrets: [secret], temporal: unreachable, handoffTimeoutMs: 2_000 });
    const refused = await sendStandard(down.url, joiner('e1'), { secrets: [secret], id: 'msg_1' });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('30');
    expect(await store.pendingHrEvents(identitySourceId)).toMatchObject([{ eventId: 'e1' }]);
    expect((await store.pendingHrEvents(identitySourceId))[0]?.handedOffAt).toBeUndefined();
    const readiness = await fetch(`${down.url}/readyz`);
    expect(readiness.status).toBe(503);

    // Temporal is back (a receiver on the same store that reaches it): the same delivery is handed off now.
    const up = await start({ standardSecrets: [secret] });
    const accepted = await sendStandard(up.url, joiner('e1'), { secrets: [secret], id: 'msg_1' });
    expect(accepted.status).toBe(202);
    expect((await store.pendingHrEvents(identitySourceId))[0]?.handedOffAt).toBeDefined();
    expect(await signalsReceived()).toBe(1);
    expect((await fetch(`${up.url}/readyz`)).status).toBe(200);
    await unreachable.connection.close();
  });
});

/** The events each `hrChanged` signal in the coordinator's history stands for. */
async function signalledEvents(): Promise<number[]> {
  const history = await client.workflow.getHandle(coordinatorWorkflowId(identitySourceId)).fetchHistory();
  return (history.events ?? [])
    .map((e) => e.workflowExecutionSignaledEventAttributes)
    .filter((signal) => signal?.signalName === 'hrChanged')
    .map((signal) => defaultPayloadConverter.fromPayload<HrChange>(signal!.input!.payloads![0]!).events);
}

describe('webhook receiver: deliveries that arrive together share a signal', () => {
  const secret = newSecret();
  const numbered = (n: number) => joiner(`evt-${n}`, `E${3000 + n}`);

  it('answers each of many concurrent deliveries 202 with fewer signals, which count every event', async () => {
    const server = await start({ standardSecrets: [secret] });
    const writes: number[] = [];
    const recordHrEvents = store.recordHrEvents.bind(store);
    store.recordHrEvents = (events) => {
      writes.push(events.length);
      return recordHrEvents(events);
    };
    const deliveries = 40;
    const answers = await Promise.all(
      Array.from({ length: deliveries }, (_, n) => sendStandard(server.url, numbered(n), { secrets: [secret] })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array<number>(deliveries).fill(202));
    // Every 202 came after a recorded signal that counted its event: the history holds them all already.
    const signals = await signalledEvents();
    expect(signals.reduce((sum, events) => sum + events, 0)).toBe(deliveries);
    expect(signals.length).toBeLessThan(deliveries);
    const stored = await store.pendingHrEvents(identitySourceId);
    expect(stored).toHaveLength(deliveries);
    expect(stored.every((e) => e.handedOffAt !== undefined)).toBe(true);
    // The handoff is recorded once per signal, for all the deliveries that shared it…
    expect(new Set(stored.map((e) => e.handedOffAt)).size).toBeLessThanOrEqual(signals.length);
    // …and every event was stored once, through the writes that deliveries arriving together share.
    expect(writes.reduce((sum, events) => sum + events, 0)).toBe(deliveries);
  });

  it('answers every delivery waiting on a signal that fails 503, and hands their events off on the retries', async () => {
    const unreachable = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    const down = await start({ temporal: unreachable, handoffTimeoutMs: 1_000, standardSecrets: [secret] });
    const bodies = Array.from({ length: 5 }, (_, n) => numbered(n));
    const refused = await Promise.all(
      bodies.map((body) => sendStandard(down.url, body, { secrets: [secret], id: `msg_${body.id}` })),
    );
    expect(refused.map((r) => r.status)).toEqual([503, 503, 503, 503, 503]);
    expect((await store.pendingHrEvents(identitySourceId)).filter((e) => e.handedOffAt)).toEqual([]);

    const up = await start({ standardSecrets: [secret] });
    const retried = await Promise.all(
      bodies.map((body) => sendStandard(up.url, body, { secrets: [secret], id: `msg_${body.id}` })),
    );
    expect(retried.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    expect((await signalledEvents()).reduce((sum, events) => sum + events, 0)).toBe(5);
    await unreachable.connection.close();
  });
});
