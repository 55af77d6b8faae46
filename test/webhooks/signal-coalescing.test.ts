import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStateStore } from '../../activities/store/open.ts';
import type { StateStore } from '../../activities/store/state-store.ts';
import { startWebhookServer, type WebhookServer, type WebhookServerOptions } from '../../client/webhook-server.ts';
import { createLogger } from '../../observability/logger.ts';
import { coordinatorWorkflowId, type HrChange } from '../../workflows/sync-messages.ts';
import { testClient, uniqueTaskQueue } from '../support/temporal.ts';
import { newSecret, sendStandard } from './senders.ts';

// No worker serves the task queue: Temporal records the signals (all a 202 waits for) and the coordinator's history
// shows each one with the number of events it stands for.
let client: Client;
let store: StateStore;
let identitySourceId: string;
const servers: WebhookServer[] = [];
const secret = newSecret();

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
    standardSecrets: [secret],
    logger: createLogger({ level: 'silent' }),
    ...options,
  });
  servers.push(server);
  return server;
}

function joiner(n: number) {
  const externalId = `E${3000 + n}`;
  return {
    id: `evt-${n}`,
    type: 'joiner',
    occurredAt: new Date().toISOString(),
    person: { externalId, record: { employee_id: externalId, job_title: 'Analyst' } },
  };
}

/** The events each `hrChanged` signal in the coordinator's history stands for. */
async function signalledEvents(): Promise<number[]> {
  const history = await client.workflow.getHandle(coordinatorWorkflowId(identitySourceId)).fetchHistory();
  return (history.events ?? [])
    .map((e) => e.workflowExecutionSignaledEventAttributes)
    .filter((signal) => signal?.signalName === 'hrChanged')
    .map((signal) => defaultPayloadConverter.fromPayload<HrChange>(signal!.input!.payloads![0]!).events);
}

describe('webhook receiver: deliveries that arrive together share a signal', () => {
  it('answers each of many concurrent deliveries 202 with fewer signals, which count every event', async () => {
    const server = await start();
    const deliveries = 40;
    const answers = await Promise.all(
      Array.from({ length: deliveries }, (_, n) => sendStandard(server.url, joiner(n), { secrets: [secret] })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array<number>(deliveries).fill(202));
    // Every 202 came after a recorded signal that counted its event: the history holds them all already.
    const signals = await signalledEvents();
    expect(signals.reduce((sum, events) => sum + events, 0)).toBe(deliveries);
    expect(signals.length).toBeLessThan(deliveries);
    const stored = await store.pendingHrEvents(identitySourceId);
    expect(stored).toHaveLength(deliveries);
    expect(stored.every((e) => e.handedOffAt !== undefined)).toBe(true);
    // The handoff is recorded once per signal, for all the deliveries that shared it.
    expect(new Set(stored.map((e) => e.handedOffAt)).size).toBeLessThanOrEqual(signals.length);
  });

  it('answers every delivery waiting on a signal that fails 503, and hands their events off on the retries', async () => {
    const unreachable = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    const down = await start({ temporal: unreachable, handoffTimeoutMs: 1_000 });
    const bodies = Array.from({ length: 5 }, (_, n) => joiner(n));
    const refused = await Promise.all(
      bodies.map((body) => sendStandard(down.url, body, { secrets: [secret], id: `msg_${body.id}` })),
    );
    expect(refused.map((r) => r.status)).toEqual([503, 503, 503, 503, 503]);
    expect((await store.pendingHrEvents(identitySourceId)).filter((e) => e.handedOffAt)).toEqual([]);

    const up = await start();
    const retried = await Promise.all(
      bodies.map((body) => sendStandard(up.url, body, { secrets: [secret], id: `msg_${body.id}` })),
    );
    expect(retried.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    expect((await signalledEvents()).reduce((sum, events) => sum + events, 0)).toBe(5);
    await unreachable.connection.close();
  });
});
