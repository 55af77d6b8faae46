import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { Webhook } from 'standardwebhooks';
import { CommandFailure } from '../command-failure.ts';
import { optionalConfigOption } from '../config-option.ts';
import { loadServiceConfig } from '../../config/service-config.ts';
import { readSecret, type SecretRef } from '../../config/secret-ref.ts';

interface WebhookSendOptions {
  url?: string;
  file: string;
  secretEnv: string;
  secretFile?: string;
  config?: string;
}

/**
 * `hr-okta-sync webhook-send`: signs an event file with the Standard Webhooks scheme and posts it, as an HR system
 * would. For trying the receiver (npm start prints a ready command) and for smoke tests after a deploy.
 */
export function registerWebhookSend(program: Command): void {
  program
    .command('webhook-send')
    .description('Sign an HR event (Standard Webhooks) and send it to a webhook receiver')
    .requiredOption('--file <file>', 'the event (JSON, the generic event schema of docs/webhooks.md)')
    .option(
      '--url <url>',
      'the receiver, e.g. http://127.0.0.1:8787/webhooks/standard; default: webhooks of the config',
    )
    .option('--secret-file <file>', 'file holding the whsec_ secret; default: the first of webhooks.standardSecrets')
    .option('--secret-env <name>', 'environment variable holding the whsec_ secret', 'HR_OKTA_SYNC_WEBHOOK_SECRET')
    .addOption(optionalConfigOption())
    .action(async (options: WebhookSendOptions) => {
      const webhooks = options.config ? (await loadServiceConfig(options.config)).webhooks : undefined;
      const url = options.url ?? (webhooks ? `http://${webhooks.host}:${webhooks.port}/webhooks/standard` : undefined);
      if (!url) {
        throw new CommandFailure(
          'No receiver: pass --url',
          'inside the project, `npm start` runs one and writes its config',
        );
      }
      const secret = await readWebhookSecret(options, webhooks?.standardSecrets[0]);
      const event = await readEvent(options.file);
      const id = `evt_${randomUUID()}`;
      const body = JSON.stringify({ occurredAt: new Date().toISOString(), ...event, id });
      const timestamp = new Date();
      let signature: string;
      try {
        signature = new Webhook(secret).sign(id, timestamp, body);
      } catch {
        throw new CommandFailure(
          'The webhook secret is not a Standard Webhooks secret',
          'it looks like whsec_<base64>',
        );
      }
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'webhook-id': id,
            'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
            'webhook-signature': signature,
          },
          body,
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        throw new CommandFailure(
          `Cannot reach ${url}: ${cause?.code ?? cause?.message ?? String(error)}`,
          'is the webhook receiver running? `npm start` runs one and prints its URL',
        );
      }
      console.log(`${response.status} ${await response.text()}`);
      if (!response.ok) process.exitCode = 1;
    });
}

async function readWebhookSecret(options: WebhookSendOptions, configured?: SecretRef): Promise<string> {
  if (options.secretFile) {
    try {
      return (await readFile(options.secretFile, 'utf8')).trim();
    } catch (error) {
      throw new CommandFailure(
        `Cannot read the webhook secret file ${options.secretFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        '`npm start` writes the local receiver’s secret to .cache/local-stack/webhook-secret',
      );
    }
  }
  const secret = process.env[options.secretEnv] ?? (configured ? await readSecret(configured) : undefined);
  if (!secret) {
    throw new CommandFailure(
      `No webhook secret: ${options.secretEnv} is not set and no --secret-file was given`,
      'pass --secret-file, or set the variable to the receiver’s whsec_ secret; inside the project, `npm start` provides one',
    );
  }
  return secret;
}

async function readEvent(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CommandFailure(
      `Cannot read the event file ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      'examples/webhook-joiner.json is a sample event',
    );
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new CommandFailure(`The event file ${file} is not JSON: ${(error as Error).message}`);
  }
}
