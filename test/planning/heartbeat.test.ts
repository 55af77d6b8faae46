import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, expect, it } from 'vitest';
import { parseSyncConfig } from '../../activities/mapping/config.ts';
import { createPlanningActivities } from '../../activities/planning/planning-activities.ts';
import type { PlanningProgress, PlanSummary, PlanSyncInput } from '../../activities/planning/plan-types.ts';
import { openStateStore } from '../../activities/store/open.ts';

const dir = mkdtempSync(join(tmpdir(), 'hr-okta-sync-heartbeat-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('heartbeats the stage and the records read as it plans, and nothing of the records', async () => {
  const rows = Array.from({ length: 2500 }, (_, i) => `E${i},person${i}@example.com`);
  writeFileSync(join(dir, 'export.csv'), ['id,email', ...rows].join('\n'));
  const config = parseSyncConfig(
    `
source: { type: csv, location: ${join(dir, 'export.csv')} }
mapping:
  externalId: id
  attributes:
    userName: { field: email, transforms: [trim, lower] }
    email: { field: email, transforms: [trim, lower] }
reports: { dir: ${join(dir, 'reports')} }
`,
    'heartbeat config',
  );
  const store = await openStateStore('sqlite::memory:');
  try {
    const activities = createPlanningActivities({ store, config });
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 30_000 });
    const beats: PlanningProgress[] = [];
    env.on('heartbeat', (details: PlanningProgress) => beats.push(details));
    const input: PlanSyncInput = { identitySourceId: '0oa1', mode: 'delta', dryRun: false };
    const summary: PlanSummary = await env.run((i: PlanSyncInput) => activities.planSync(i), input);

    expect(summary.counts.creates).toBe(2500);
    const reading = beats.filter((beat) => beat.stage === 'read').map((beat) => beat.recordsRead);
    expect(reading).toEqual([0, 1000, 2000]);
    // Every stage reports, in order; saving reports per thousand items written.
    const stages = beats.map((beat) => beat.stage).filter((stage, i, all) => stage !== all[i - 1]);
    expect(stages).toEqual(['snapshot', 'read', 'managers', 'diff', 'guardrails', 'save']);
    expect(beats.filter((beat) => beat.stage === 'save').length).toBe(3);
    expect(beats.at(-1)).toEqual({ stage: 'save', recordsRead: 2500 });
    expect(JSON.stringify(beats)).not.toContain('example.com');
  } finally {
    await store.close();
  }
});
