import type { Command } from 'commander';
import { bearerTokenAuth, jwtAuth, noAuth } from '../../codec/codec-auth.ts';
import { codecFromConfig } from '../../codec/codec-from-config.ts';
import { startCodecServer } from '../../codec/codec-server.ts';
import { readSecret } from '../../config/secret-ref.ts';
import { createLogger } from '../../observability/logger.ts';
import { loadConfigForCommand } from '../load-config.ts';
import { configOption } from '../config-option.ts';

/** `hr-okta-sync codec-server`: lets the Temporal Web UI show encrypted payloads decoded. */
export function registerCodecServer(program: Command): void {
  program
    .command('codec-server')
    .description('Serve POST /encode and /decode for the Temporal Web UI and CLI, with CORS and a bearer-token check')
    .addOption(configOption())
    .action(async (options: { config: string }) => {
      const config = await loadConfigForCommand(options.config);
      if (!config) return;
      const logger = createLogger({ level: config.log.level, base: { service: 'codec-server' } });
      const settings = config.codecServer;
      const codec = await codecFromConfig(config.temporal);
      if (!settings || !codec) {
        logger.error(
          !settings
            ? 'No codecServer section in the config: add codecServer.auth (and host, port, corsOrigins)'
            : 'No encryption keys in temporal.encryption.keys: there is nothing to decode',
        );
        process.exitCode = 1;
        return;
      }
      const server = await startCodecServer({
        host: settings.host,
        port: settings.port,
        codec,
        corsOrigins: settings.corsOrigins,
        authorize:
          settings.auth.type === 'bearer'
            ? bearerTokenAuth(await readSecret(settings.auth.token))
            : settings.auth.type === 'jwt'
              ? jwtAuth(settings.auth)
              : noAuth,
        namespaces: [config.temporal.namespace],
        logger,
      });
      logger.info(
        { url: server.url, corsOrigins: settings.corsOrigins, auth: settings.auth.type },
        'Codec server ready',
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
      logger.info('Codec server stopped');
    });
}
