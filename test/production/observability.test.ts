import { Writable } from 'node:stream';
import { Counter } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { startHealthServer } from '../../observability/health-server.ts';
import { createLogger } from '../../observability/logger.ts';
import { createRegistry } from '../../observability/metrics.ts';
import { temporalLogger } from '../../observability/temporal-logger.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', destination, base: { service: 'test' } }) };
}

describe('logger', () => {
  it('writes JSON lines and redacts secrets and profiles at any of the first levels', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        token: 'ssws-123',
        request: { headers: { authorization: 'SSWS abc' } },
        record: { externalId: 'emp-1', profile: { email: 'ada@example.com' } },
        items: [{ email: 'bob@example.com' }],
        sessionId: 'ses-1',
      },
      'Uploaded',
    );
    expect(lines[0]).toMatchObject({
      level: 'info',
      service: 'test',
      msg: 'Uploaded',
      token: '[redacted]',
      request: { headers: { authorization: '[redacted]' } },
      record: { externalId: 'emp-1', profile: '[redacted]' },
      items: '[redacted]',
      sessionId: 'ses-1',
    });
    expect(JSON.stringify(lines)).not.toMatch(/ssws-123|SSWS abc|ada@example|bob@example/);
  });

  it("carries Temporal's log attributes, with one name for the run id, and drops the task token", () => {
    const { lines, logger } = capture();
    const temporal = temporalLogger(logger);
    temporal.debug('Activity completed', {
      workflowId: 'wf-1',
      workflowRunId: 'run-1',
      activityType: 'uploadSession',
      attempt: 2,
      taskToken: 'Q2hh…',
    });
    temporal.warn('Workflow log', { workflowId: 'wf-1', runId: 'run-1', error: new Error('boom') });
    expect(lines[0]).toMatchObject({
      level: 'debug',
      msg: 'Activity completed',
      workflowId: 'wf-1',
      runId: 'run-1',
      activityType: 'uploadSession',
      attempt: 2,
      taskToken: '[redacted]',
    });
    expect(lines[1]).toMatchObject({ level: 'warn', runId: 'run-1', err: { message: 'boom', type: 'Error' } });
  });
});

describe('health server', () => {
  it('answers /healthz always, /readyz by its checks (503 naming what failed), and /metrics', async () => {
    let storeProblem: string | undefined = 'connection refused';
    const registry = createRegistry();
    new Counter({ name: 'webhooks_received_total', help: 'test', registers: [registry] }).inc(3);
    const server = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      registry,
      checkTimeoutMs: 200,
      readiness: {
        store: () => Promise.resolve(storeProblem),
        temporal: () => Promise.resolve(undefined),
      },
    });
    try {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      const notReady = await fetch(`${server.url}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual({
        status: 'not ready',
        checks: { store: 'connection refused', temporal: 'ok' },
      });
      storeProblem = undefined;
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      const metrics = await fetch(`${server.url}/metrics`);
      expect(metrics.headers.get('content-type')).toContain('text/plain');
      const text = await metrics.text();
      expect(text).toContain('webhooks_received_total 3');
      expect(text).toContain('hr_okta_sync_process_cpu_user_seconds_total');
      expect((await fetch(`${server.url}/nothing`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('reports a check that hangs as not ready instead of hanging', async () => {
    const server = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      checkTimeoutMs: 100,
      readiness: { store: () => new Promise(() => undefined) },
    });
    try {
      const response = await fetch(`${server.url}/readyz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ checks: { store: 'no answer within 100 ms' } });
    } finally {
      await server.close();
    }
  });
});
