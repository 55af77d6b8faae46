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
import { registerWebhookServer } from './commands/webhook-server.ts';
import { registerWebhookSend } from './commands/webhook-send.ts';
import { registerSync } from './commands/sync.ts';
import { registerStatus } from './commands/status.ts';
import { registerApproval } from './commands/approval.ts';
import { registerCancel } from './commands/cancel.ts';
import { registerReport } from './commands/report.ts';
import { registerSchedule } from './commands/schedule.ts';

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
registerWebhookServer(program);
registerWebhookSend(program);
registerSync(program);
registerStatus(program);
registerApproval(program);
registerCancel(program);
registerReport(program);
registerSchedule(program);

await program.parseAsync();
