import { fileURLToPath } from 'node:url';
import { FAILURE_CONVERTER_PATH } from '../codec/failure-converter-path.ts';

/** The workflow bundle's entry point, for `bundleWorkflowCode` and for `workflowsPath` in development. */
export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** What every `bundleWorkflowCode` call passes, so that all bundles hold the same converters. */
export const WORKFLOW_BUNDLE_OPTIONS = { workflowsPath: WORKFLOWS_PATH, failureConverterPath: FAILURE_CONVERTER_PATH };
