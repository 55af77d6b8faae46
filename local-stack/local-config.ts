/**
 * The local stack's own service config (`.cache/local-stack/config.yaml`), so that the CLI run in the project finds
 * the running stack without `-c`. Secrets stay out of it: the Okta emulator's token and the webhook secret live in
 * files next to it, made once and kept, so that a command printed by one start still works after the next.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { localStackConfigPath, localStackDir } from './paths.ts';

export interface LocalStackAddresses {
  temporalAddress: string;
  namespace: string;
  oktaUrl: string;
  identitySourceId: string;
  syncConfigPath: string;
  webhookPort: number;
}

export interface LocalStackFiles {
  configPath: string;
  oktaTokenFile: string;
  webhookSecretFile: string;
  okta: { token: string };
  webhookSecret: string;
}

/** The secret in `file`, made by `make` and written there (owner-only) the first time. */
async function keptSecret(file: string, make: () => string): Promise<string> {
  try {
    const kept = (await readFile(file, 'utf8')).trim();
    if (kept) return kept;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = make();
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/** Writes the service config for this start's addresses (ports may differ between starts) and keeps the secrets. */
export async function writeLocalStackConfig(addresses: LocalStackAddresses): Promise<LocalStackFiles> {
  const dir = localStackDir();
  await mkdir(dir, { recursive: true });
  const oktaTokenFile = join(dir, 'okta-token');
  const webhookSecretFile = join(dir, 'webhook-secret');
  const token = await keptSecret(oktaTokenFile, () => randomBytes(21).toString('base64url'));
  const webhookSecret = await keptSecret(webhookSecretFile, () => `whsec_${randomBytes(24).toString('base64')}`);
  const config = {
    temporal: {
      address: addresses.temporalAddress,
      namespace: addresses.namespace,
      encryption: { required: false },
    },
    okta: {
      orgUrl: addresses.oktaUrl,
      identitySourceId: addresses.identitySourceId,
      auth: { type: 'ssws', token: { file: oktaTokenFile } },
      rateLimitShare: 1,
    },
    store: { url: `sqlite:${join(dir, 'state.db')}` },
    worker: { http: { port: 0 }, runtimeMetrics: false },
    log: { level: 'info' },
    sync: addresses.syncConfigPath,
    webhooks: { port: addresses.webhookPort, standardSecrets: [{ file: webhookSecretFile }] },
  };
  const configPath = localStackConfigPath();
  const header =
    '# Written by `npm start` (the local stack) on each start, for the CLI run in this project without -c.\n' +
    '# Secrets are files next to it, made once and kept. See docs/configuration.md.\n';
  await writeFile(configPath, header + stringify(config));
  return { configPath, oktaTokenFile, webhookSecretFile, okta: { token }, webhookSecret };
}
