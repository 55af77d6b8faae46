import type { CoordinatorOptions } from '../workflows/sync-messages.ts';
import type { ServiceConfig } from './service-config.ts';

/**
 * The options an identity source's coordinator is started with, from the service config. Every process that may start
 * one (the worker's enqueue activity, the webhook receiver, the CLI) passes the same, whichever starts it first.
 */
export function coordinatorOptionsOf(config: ServiceConfig): CoordinatorOptions {
  return { push: { oktaTaskQueue: config.temporal.oktaTaskQueue } };
}
