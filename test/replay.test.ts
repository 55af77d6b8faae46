import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { installQuietRuntime } from './support/temporal.ts';

const HISTORIES = fileURLToPath(new URL('./histories/', import.meta.url));

// Histories saved from real runs (UPDATE_HISTORIES=1 npm test, in Temporal's JSON history format): an edit that makes workflow code
// non-deterministic against them fails here, before it can break runs in flight after a deploy.
describe('replay of saved histories', async () => {
  const files = (await readdir(HISTORIES)).filter((f) => f.endsWith('.json') && f !== 'workflow-ids.json').sort();
  const workflowIds = JSON.parse(await readFile(HISTORIES + 'workflow-ids.json', 'utf8')) as Record<string, string>;

  it('has saved histories to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s replays without non-determinism', async (file) => {
    installQuietRuntime();
    const history = historyFromJSON(JSON.parse(await readFile(HISTORIES + file, 'utf8')));
    const workflowId = workflowIds[file] ?? file.replace(/\.json$/, '');
    await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, workflowId);
  });
});
