import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { stringify } from 'yaml';
import type { PushHarness } from '../support/push-harness.ts';

const CLI = fileURLToPath(new URL('../../cli/cli.ts', import.meta.url));
const TOKEN_VARIABLE = 'CLI_TEST_OKTA_TOKEN';

/** Each command is a Node process that loads the whole CLI: seconds apiece on a loaded machine. */
export const CLI_TEST_TIMEOUT = 240_000;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A service config for the harness: its Temporal server and task queue, its emulator, its store. */
export async function writeCliConfig(h: PushHarness, extra: Record<string, unknown> = {}): Promise<string> {
  const path = join(h.dir, 'service.yaml');
  await writeFile(
    path,
    stringify({
      temporal: { address: inject('temporalAddress'), namespace: inject('temporalNamespace'), taskQueue: h.taskQueue },
      okta: {
        orgUrl: h.emulator.url,
        identitySourceId: h.identitySourceId,
        auth: { type: 'ssws', token: { env: TOKEN_VARIABLE } },
      },
      store: { url: h.storeUrl },
      ...extra,
    }),
  );
  return path;
}

/** The real command line in a process of its own; resolves when it exits. */
export function runCli(h: PushHarness, args: string[]): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, [TOKEN_VARIABLE]: h.token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
