import { fileURLToPath } from 'node:url';

/** The workflow bundle's entry point, for `bundleWorkflowCode` and for `workflowsPath` in development. */
export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/**
 * The failure converter of every worker, client and bundle. A bundle built without it would write workflow failures
 * in clear while the worker encrypts activity failures.
 */
export const FAILURE_CONVERTER_PATH = fileURLToPath(new URL('../codec/failure-converter.ts', import.meta.url));

/** What every `bundleWorkflowCode` call passes, so that all bundles hold the same converters. */
export const WORKFLOW_BUNDLE_OPTIONS = { workflowsPath: WORKFLOWS_PATH, failureConverterPath: FAILURE_CONVERTER_PATH };
