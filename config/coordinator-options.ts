import ms from 'ms';
import type { CoordinatorOptions } from '../contracts/sync-messages.ts';
import type { ServiceConfig } from './service-config.ts';

/**
 * The options an identity source's coordinator is started with, from the service config. Every process that may start
 * one (the worker's enqueue activity, the webhook receiver, the CLI) passes the same, whichever starts it first.
 */
export function coordinatorOptionsOf(config: ServiceConfig): CoordinatorOptions {
  const { coordinator } = config;
  return {
    hrEventQuietMs: milliseconds(coordinator.hrEventQuiet),
    hrEventMaxDelayMs: milliseconds(coordinator.hrEventMaxDelay),
    approvalTimeoutMs: milliseconds(coordinator.approvalTimeout),
    idleTimeoutMs: milliseconds(coordinator.idleTimeout),
    fastPathMaxPeople: coordinator.fastPathMaxPeople,
    fastPathMaxLeavers: coordinator.fastPathMaxLeavers,
    push: {
      oktaTaskQueue: config.temporal.oktaTaskQueue,
      readBackSample: config.okta.readBack.sample,
      readBackMaxPerSession: config.okta.readBack.maxPerSession,
      readBackDeactivations: config.okta.readBack.deactivations,
    },
  };
}

/** A duration the schema has already checked. */
function milliseconds(duration: string): number {
  return ms(duration as ms.StringValue);
}
