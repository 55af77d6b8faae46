import { Option, type Command } from 'commander';
import { loadSyncConfig } from '../../activities/mapping/config.ts';
import { formatEffectiveConfig, secretReport } from '../../config/effective-config.ts';
import { ConfigError, loadServiceConfig } from '../../config/service-config.ts';
import { configOption } from '../config-option.ts';

/** `hr-okta-sync config check`: validates the config and prints it as the service will use it. */
export function registerConfig(program: Command): void {
  const config = program.command('config').description('Inspect the service configuration');
  config
    .command('check')
    .description(
      'Validate the config file plus HR_OKTA_SYNC__* overrides, print the effective config (secrets as references, ' +
        'never values) and whether each referenced secret is there; exit 1 when anything is wrong',
    )
    .addOption(configOption())
    .addOption(new Option('--format <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .action(async (options: { config: string; format: 'yaml' | 'json' }) => {
      let loaded;
      try {
        loaded = await loadServiceConfig(options.config);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        console.error(error.message);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(formatEffectiveConfig(loaded, options.format));
      const secrets = await secretReport(loaded);
      if (secrets.lines.length > 0) console.error(`Secrets:\n${secrets.lines.map((l) => `  ${l}`).join('\n')}`);
      if (secrets.missing > 0) {
        console.error(`${secrets.missing} secret(s) missing: set the variables or mount the files named above.`);
        process.exitCode = 1;
      }
      if (loaded.sync) {
        try {
          await loadSyncConfig(loaded.sync);
          console.error(`✓ sync: ${loaded.sync} is valid`);
        } catch (error) {
          console.error(`✗ sync: ${(error as Error).message}`);
          process.exitCode = 1;
        }
      }
      if (process.exitCode === 1) return;
      console.error(`✓ ${options.config} is valid.`);
    });
}
