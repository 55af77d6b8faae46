import type { Command } from 'commander';
import { startDevServer } from '../../local-stack/temporal-dev-server.ts';
import { searchAttributeTypes } from '../../workflows/search-attributes.ts';

/** `hr-okta-sync start`: the local stack on embedded defaults (what `npm start` runs). */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Start the local stack on embedded defaults: Temporal dev server with its Web UI, and more to come')
    .option('--once', 'stop after the first sync instead of running until Ctrl-C')
    .action(async (options: { once?: boolean }) => {
      const server = await startDevServer({ ui: true, searchAttributes: searchAttributeTypes() });
      console.log(`Temporal dev server: ${server.address} (namespace ${server.namespace})`);
      if (server.uiUrl) console.log(`Temporal Web UI:     ${server.uiUrl}`);
      console.log('Not built yet: the Okta emulator, the worker and the first sync of examples/.');
      if (options.once) {
        await server.stop();
        return;
      }
      console.log('Press Ctrl-C to stop.');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.stop();
    });
}
