import { Client, Connection } from '@temporalio/client';
import type { Command } from 'commander';
import { openStateStore } from '../../activities/store/open.ts';
import { coordinatorOptionsOf } from '../../config/coordinator-options.ts';
import { readSecret } from '../../config/secret-ref.ts';
import { resolveStoreUrl } from '../../config/store-url.ts';
import { createLogger } from '../../observability/logger.ts';
import { dataConverterFor, temporalConnectionSettings } from '../../connection/temporal-connection.ts';
import { startWebhookServer } from '../../client/webhook-server.ts';
import { loadConfigForCommand } from '../load-config.ts';
import { configOption } from '../config-option.ts';

/** `hr-okta-sync webhook-server`: receives HR change events and hands them to the identity source's coordinator. */
export function registerWebhookServer(program: Command): void {
  program
    .command('webhook-server')
    .description('Receive HR webhooks (Standard Webhooks, BambooHR) and start a delta sync after a short debounce')
    .addOption(configOption())
    .option('-p, --port <port>', 'port to listen on (default: webhooks.port)', (value) => Number.parseInt(value, 10))
    .action(async (options: { config: string; port?: number }) => {
      const config = await loadConfigForCommand(options.config);
      if (!config) return;
      const logger = createLogger({ level: config.log.level, base: { service: 'webhook-server' } });
      const settings = config.webhooks;
      if (!settings) {
        logger.error('No webhooks section in the config: add webhooks.standardSecrets or webhooks.bambooHrSecret');
        process.exitCode = 1;
        return;
      }
      const store = await openStateStore(await resolveStoreUrl(config.store));
      // Lazy: the receiver starts while Temporal is down and answers 503 until it is back, so senders retry.
      const connection = Connection.lazy(await temporalConnectionSettings(config.temporal));
      const temporal = new Client({
        connection,
        namespace: config.temporal.namespace,
        dataConverter: await dataConverterFor(config.temporal),
      });
      const server = await startWebhookServer({
        temporal,
        store,
        identitySourceId: config.okta.identitySourceId,
        taskQueue: config.temporal.taskQueue,
        coordinator: coordinatorOptionsOf(config),
        standardSecrets: await Promise.all(settings.standardSecrets.map(readSecret)),
        ...(settings.bambooHrSecret ? { bambooHrSecret: await readSecret(settings.bambooHrSecret) } : {}),
        host: settings.host,
        port: options.port ?? settings.port,
        maxBodyBytes: settings.maxBodyBytes,
        logger,
      });
      logger.info(
        {
          url: server.url,
          routes: [
            ...(settings.standardSecrets.length > 0 ? ['/webhooks/standard'] : []),
            ...(settings.bambooHrSecret ? ['/webhooks/bamboohr'] : []),
          ],
        },
        'Webhook receiver ready',
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.stop();
      await connection.close();
      await store.close();
      logger.info('Webhook receiver stopped');
    });
}
