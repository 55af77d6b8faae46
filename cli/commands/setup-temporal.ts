import type { Command } from 'commander';
import { connectTemporal } from '../../connection/temporal-connection.ts';
import { missingSearchAttributes, registerSearchAttributes } from '../../client/search-attribute-setup.ts';
import { loadConfigForCommand } from '../load-config.ts';
import { configOption } from '../config-option.ts';

/** `hr-okta-sync setup-temporal`: registers the custom search attributes the workflows set (idempotent). */
export function registerSetupTemporal(program: Command): void {
  program
    .command('setup-temporal')
    .description('Register the search attributes hr-okta-sync uses in the namespace; safe to run on every deploy')
    .addOption(configOption())
    .action(async (options: { config: string }) => {
      const config = await loadConfigForCommand(options.config);
      if (!config) return;
      const client = await connectTemporal(config);
      try {
        const missing = await missingSearchAttributes(client, config.temporal.namespace);
        if (missing.length > 0) await registerSearchAttributes(client, config.temporal.namespace, missing);
        console.log(
          missing.length > 0
            ? `Registered search attributes in ${config.temporal.namespace}: ${missing.join(', ')}`
            : `Search attributes already registered in ${config.temporal.namespace}.`,
        );
      } finally {
        await client.connection.close();
      }
    });
}
