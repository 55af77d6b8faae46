import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { isInProject, localStackConfigPath } from '../local-stack/paths.ts';
import { CommandFailure } from './command-failure.ts';

/**
 * `-c, --config <file>`, the service config every long-running command and client command reads. Found in this
 * order: `-c`, HR_OKTA_SYNC_CONFIG, then (run inside the project) the one the local stack (`npm start`) writes.
 */
export function configOption(): Option {
  return new Option(
    '-c, --config <file>',
    'service config (YAML); default: $HR_OKTA_SYNC_CONFIG, else inside the project the local stack’s',
  ).env('HR_OKTA_SYNC_CONFIG');
}

/** Options made by optionalConfigOption: a command that can do without a config. */
const OPTIONAL = new WeakSet<Option>();

/** `-c, --config <file>` for a command that also works without one (found the same way when there is one). */
export function optionalConfigOption(): Option {
  const option = configOption();
  OPTIONAL.add(option);
  return option;
}

/** Fills in `--config` for a command that takes one and was given none (see configOption). */
export function discoverConfig(command: Command): void {
  const option = command.options.find((o) => o.attributeName() === 'config');
  if (!option || command.getOptionValue('config') !== undefined) return;
  const local = localStackConfigPath();
  if (OPTIONAL.has(option)) {
    if (isInProject(process.cwd()) && existsSync(local)) command.setOptionValueWithSource('config', local, 'default');
    return;
  }
  if (isInProject(process.cwd())) {
    if (existsSync(local)) {
      command.setOptionValueWithSource('config', local, 'default');
      return;
    }
    throw new CommandFailure(
      'No service config: pass -c <file> or set HR_OKTA_SYNC_CONFIG',
      `start the local stack with \`npm start\`; it writes ${local}, which commands run in the project use`,
    );
  }
  throw new CommandFailure(
    'No service config: pass -c <file> or set HR_OKTA_SYNC_CONFIG',
    'see docs/configuration.md for what goes in it',
  );
}
