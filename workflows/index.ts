// The workflow bundle's entry point: every workflow type the worker registers.
export { pushPlan } from './push-plan.ts';
export { workerCheck } from './worker-check.ts';
