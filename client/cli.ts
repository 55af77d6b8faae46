#!/usr/bin/env node
// The one command line of hr-okta-sync. Each subcommand lives in its own module and registers itself here.
import { Command } from 'commander';
import { registerStart } from './commands/start.ts';
import { registerOktaEmulator } from './commands/okta-emulator.ts';
import { registerWorker } from './commands/worker.ts';
import { registerConfig } from './commands/config.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerCodecServer } from './commands/codec-server.ts';
import { registerSetupTemporal } from './commands/setup-temporal.ts';

const program = new Command()
  .name('hr-okta-sync')
  .description('Keeps an Okta Custom Identity Source in step with an HR system, durably, on Temporal.')
  .showHelpAfterError();

registerStart(program);
registerOktaEmulator(program);
registerWorker(program);
registerConfig(program);
registerDoctor(program);
registerCodecServer(program);
registerSetupTemporal(program);

await program.parseAsync();
