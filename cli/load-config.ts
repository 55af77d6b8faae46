import { ConfigError, loadServiceConfig, type ServiceConfig } from '../config/service-config.ts';

/**
 * The service config for a command. An invalid one is reported as its list of problems (no stack trace) with exit
 * code 1, and the command does nothing: then this returns undefined.
 */
export async function loadConfigForCommand(path: string): Promise<ServiceConfig | undefined> {
  try {
    return await loadServiceConfig(path);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exitCode = 1;
    return undefined;
  }
}
