#!/usr/bin/env node
// The one command line of hr-okta-sync. Each subcommand lives in its own module and registers itself here.
import { Command } from 'commander';
import { reportCommandError } from './command-errors.ts';
import { discoverConfig } from './config-option.ts';

type Register = (program: Command) => void;

/**
 * Every subcommand by name, loaded on demand: a command imports only what it needs (a `status` does not load the
 * worker), which keeps start-up short. Help and unknown commands load them all.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  start: async () => (await import('./commands/start.ts')).registerStart,
  'okta-emulator': async () => (await import('./commands/okta-emulator.ts')).registerOktaEmulator,
  worker: async () => (await import('./commands/worker.ts')).registerWorker,
  config: async () => (await import('./commands/config.ts')).registerConfig,
  doctor: async () => (await import('./commands/doctor.ts')).registerDoctor,
  'codec-server': async () => (await import('./commands/codec-server.ts')).registerCodecServer,
  'setup-temporal': async () => (await import('./commands/setup-temporal.ts')).registerSetupTemporal,
  'webhook-server': async () => (await import('./commands/webhook-server.ts')).registerWebhookServer,
  'webhook-send': async () => (await import('./commands/webhook-send.ts')).registerWebhookSend,
  sync: async () => (await import('./commands/sync.ts')).registerSync,
  provision: async () => (await import('./commands/provision.ts')).registerProvision,
  status: async () => (await import('./commands/status.ts')).registerStatus,
  // One module registers both verbs.
  approve: async () => (await import('./commands/approval.ts')).registerApproval,
  cancel: async () => (await import('./commands/cancel.ts')).registerCancel,
  report: async () => (await import('./commands/report.ts')).registerReport,
  schedule: async () => (await import('./commands/schedule.ts')).registerSchedule,
  verify: async () => (await import('./commands/verify.ts')).registerVerify,
};
COMMANDS.reject = COMMANDS.approve!;

const program = new Command()
  .name('hr-okta-sync')
  .description('Keeps an Okta Custom Identity Source in step with an HR system, durably, on Temporal.')
  .showHelpAfterError()
  .hook('preAction', (_program, command) => discoverConfig(command));

const named = COMMANDS[process.argv[2] ?? ''];
const loaders = named ? [named] : [...new Set(Object.values(COMMANDS))];
for (const register of await Promise.all(loaders.map((load) => load()))) register(program);

try {
  await program.parseAsync();
} catch (error) {
  reportCommandError(error);
  // A command that failed half-way may leave handles open (the Temporal runtime of a worker that never started):
  // the process ends anyway, after its output has gone out.
  setTimeout(() => process.exit(), 500).unref();
}
