import { fileURLToPath } from 'node:url';

/** The workflow bundle's entry point, for `bundleWorkflowCode` and for `workflowsPath` in development. */
export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
