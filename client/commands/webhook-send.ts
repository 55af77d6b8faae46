import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { Webhook } from 'standardwebhooks';

/**
 * `hr-okta-sync webhook-send`: signs an event file with the Standard Webhooks scheme and posts it, as an HR system
 * would. For trying the receiver (npm start prints a ready command) and for smoke tests after a deploy.
 */
export function registerWebhookSend(program: Command): void {
  program
    .command('webhook-send')
    .description('Sign an HR event (Standard Webhooks) and send it to a webhook receiver')
    .requiredOption('--url <url>', 'the receiver, e.g. http://127.0.0.1:8787/webhooks/standard')
    .requiredOption('--file <file>', 'the event (JSON, the generic event schema of docs/webhooks.md)')
    .option('--secret-env <name>', 'environment variable holding the whsec_ secret', 'HR_OKTA_SYNC_WEBHOOK_SECRET')
    .action(async (options: { url: string; file: string; secretEnv: string }) => {
      const secret = process.env[options.secretEnv];
      if (!secret) throw new Error(`Set ${options.secretEnv} to the receiver's Standard Webhooks secret (whsec_…)`);
      const event = JSON.parse(await readFile(options.file, 'utf8')) as Record<string, unknown>;
      const id = `evt_${randomUUID()}`;
      const body = JSON.stringify({ occurredAt: new Date().toISOString(), ...event, id });
      const timestamp = new Date();
      const signature = new Webhook(secret).sign(id, timestamp, body);
      const response = await fetch(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': signature,
        },
        body,
      });
      console.log(`${response.status} ${await response.text()}`);
      if (!response.ok) process.exitCode = 1;
    });
}
