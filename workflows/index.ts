// The workflow bundle's entry point: every workflow type the worker registers.
export { identitySourceCoordinator } from './identity-source-coordinator.ts';
export { pushPlan } from './push-plan.ts';
export { sync } from './sync.ts';
export { workerCheck } from './worker-check.ts';
