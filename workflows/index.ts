// The workflow bundle's entry point: every workflow type the worker registers.
export { workerCheck } from './worker-check.ts';
