import type { Command } from 'commander';
import { runWorker } from '../../worker/run-worker.ts';
import { loadConfigForCommand } from '../load-config.ts';
import { configOption } from '../config-option.ts';

/** `hr-okta-sync worker`: hosts the workflows and activities on the configured task queues. */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('Run a worker: the workflows and the activities that talk to Okta and the state store')
    .addOption(configOption())
    .option('--workflow-bundle <file>', 'a workflow bundle built ahead, instead of bundling at start-up')
    .action(async (options: { config: string; workflowBundle?: string }) => {
      const config = await loadConfigForCommand(options.config);
      if (!config) return;
      // runWorker logs "Worker polling task queues …" (JSON) once it polls.
      await runWorker(config, options.workflowBundle ? { workflowBundlePath: options.workflowBundle } : {});
    });
}
