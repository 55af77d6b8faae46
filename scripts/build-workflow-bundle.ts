// Builds the workflow bundle ahead of time (the Docker image does this at build time), so that workers start
// without bundling and every replica runs byte-identical workflow code. Usage: node scripts/build-workflow-bundle.ts [out]
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_BUNDLE_OPTIONS } from '../worker/workflow-bundle.ts';

const out = resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
const { code } = await bundleWorkflowCode({ ...WORKFLOW_BUNDLE_OPTIONS });
await mkdir(dirname(out), { recursive: true });
await writeFile(out, code);
console.error(`Workflow bundle: ${out} (${Math.round(code.length / 1024)} KiB)`);
