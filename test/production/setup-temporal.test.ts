import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { msToTs } from '@temporalio/common/lib/time.js';
import { stringify } from 'yaml';
import { missingSearchAttributes } from '../../client/search-attribute-setup.ts';
import { testClient } from '../support/temporal.ts';
import { waitFor } from '../support/wait-for.ts';

const CLI = fileURLToPath(new URL('../../cli/cli.ts', import.meta.url));
const execFileAsync = promisify(execFile);

describe('hr-okta-sync setup-temporal', () => {
  it('registers the missing search attributes in a fresh namespace, and is a no-op the second time', async () => {
    const client = await testClient();
    const namespace = `setup-${randomUUID()}`;
    await client.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    // A new namespace reaches the server's namespace cache after a moment.
    await waitFor(
      () =>
        missingSearchAttributes(client, namespace).then(
          (m) => m.length > 0,
          () => false,
        ),
      'the namespace to be usable',
      30_000,
    );
    const dir = await mkdtemp(join(tmpdir(), 'hr-okta-sync-setup-'));
    const configPath = join(dir, 'config.yaml');
    await writeFile(
      configPath,
      stringify({
        temporal: { address: inject('temporalAddress'), namespace },
        okta: {
          orgUrl: 'https://example.okta.com',
          identitySourceId: '0oa1',
          auth: { type: 'ssws', token: { env: 'UNUSED_TOKEN' } },
        },
      }),
    );
    const first = await execFileAsync(process.execPath, [CLI, 'setup-temporal', '-c', configPath]);
    expect(first.stdout).toMatch(new RegExp(`^Registered search attributes in ${namespace}: .*HrOktaIdentitySource`));
    expect(await missingSearchAttributes(client, namespace)).toEqual([]);
    const second = await execFileAsync(process.execPath, [CLI, 'setup-temporal', '-c', configPath]);
    expect(second.stdout.trim()).toBe(`Search attributes already registered in ${namespace}.`);
    await client.connection.close();
  });
});
