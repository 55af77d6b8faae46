import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { cacheDir, startDevServer } from '../../local-stack/temporal-dev-server.ts';
import { searchAttributeTypes } from '../../contracts/search-attributes.ts';
import { WORKFLOW_BUNDLE_OPTIONS } from '../../worker/workflow-bundle.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    workflowBundlePath: string;
  }
}

// One dev server and one workflow bundle for the whole run, shared by every test file.
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [server, bundle] = await Promise.all([
    startDevServer({
      searchAttributes: searchAttributeTypes(),
      // Long runs hand over to a fresh run (continue-as-new) after a few hundred events instead of thousands, so
      // the tests exercise that path with small plans.
      dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 200 },
    }),
    bundleWorkflowCode({ ...WORKFLOW_BUNDLE_OPTIONS, logger: quietBundlerLogger }),
  ]);
  const dir = join(cacheDir(), 'test');
  await mkdir(dir, { recursive: true });
  const workflowBundlePath = join(dir, `workflow-bundle-${process.pid}.js`);
  await writeFile(workflowBundlePath, bundle.code);
  project.provide('temporalAddress', server.address);
  project.provide('temporalNamespace', server.namespace);
  project.provide('workflowBundlePath', workflowBundlePath);
  return () => server.stop();
}

const quietBundlerLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
  log: () => undefined,
};
