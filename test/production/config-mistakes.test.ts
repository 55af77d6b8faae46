import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * Config mistakes as people make them, derived from examples/hr-okta-sync.yaml, through `hr-okta-sync config
 * check`: each is refused naming the file, the line (and for YAML errors the column), never echoing a secret.
 */

const CLI = fileURLToPath(new URL('../../cli/cli.ts', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../examples/hr-okta-sync.yaml', import.meta.url));
const run = promisify(execFile);

const SERVICE = `temporal:
  address: 127.0.0.1:7233
  namespace: default
okta:
  orgUrl: https://example.okta.com
  identitySourceId: 0oa1
  auth: { type: ssws, token: { env: OKTA_TOKEN } }
store:
  url: sqlite:/tmp/state.db
sync: sync.yaml
`;

/** `config check` of a service config and a sync config; its stderr, with exit code 1 expected. */
async function check(service: string, sync: string): Promise<{ stderr: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'hr-okta-sync-config-mistake-'));
  await writeFile(join(dir, 'config.yaml'), service);
  await writeFile(join(dir, 'sync.yaml'), sync);
  const failure = await run(process.execPath, [CLI, 'config', 'check', '-c', join(dir, 'config.yaml')], {
    env: { ...process.env, OKTA_TOKEN: 'x' },
  }).then(
    () => undefined,
    (error: { code: number; stderr: string }) => error,
  );
  expect(failure).toMatchObject({ code: 1 });
  return { stderr: failure!.stderr, dir };
}

describe('config mistakes are clear (class 9)', () => {
  it('names the file, line and column of a YAML error in the sync config', async () => {
    const example = await readFile(EXAMPLE, 'utf8');
    const cases: [string, string, string][] = [
      [
        'a quote left open',
        example.replace("displayName: 'Department: {value}'", "displayName: 'Department: {value}"),
        "YAML error at line 52, column 40: Missing closing 'quote",
      ],
      [
        'a key given twice',
        example.replace("  delimiter: ','", "  delimiter: ','\n  delimiter: ';'"),
        'YAML error at line 7, column 3: Map keys must be unique',
      ],
      [
        'a tab for indentation',
        example.replace('    preHireDays: 14', '\tpreHireDays: 14'),
        'YAML error at line 46, column 1: Tabs are not allowed as indentation',
      ],
    ];
    for (const [what, sync, problem] of cases) {
      const { stderr, dir } = await check(SERVICE, sync);
      expect(stderr, what).toContain(`✗ sync: ${dir}/sync.yaml: ${problem}`);
    }
  });

  it('names the file, line and column of a YAML error in the service config', async () => {
    const { stderr, dir } = await check(SERVICE.replace('  namespace: default', ' namespace: default'), '');
    expect(stderr).toContain(
      `Invalid configuration in ${dir}/config.yaml:\n  YAML error at line 3, column 1: All mapping items must start at the same column`,
    );
  });

  it('refuses a secret written inline in the sync config, naming the key and never echoing it', async () => {
    const example = await readFile(EXAMPLE, 'utf8');
    const cases: [string, string, string, string][] = [
      [
        'a bearer token in a header',
        example.replace(
          "  delimiter: ','",
          "  delimiter: ','\n  headers: { Authorization: 'Bearer hr-api-token-123' }",
        ),
        'hr-api-token-123',
        'source.headers.Authorization (line 7, column 14): inline secrets are refused: write ${env:NAME}',
      ],
      [
        'a password in the export URL',
        example.replace(
          '  location: hr-export.csv',
          "  location: 'https://exports:S3cretPass@hr.example.com/people.csv'",
        ),
        'S3cretPass',
        'source.location (line 5, column 3): inline secrets are refused: a URL is logged and shown',
      ],
      [
        'an API key as the Basic auth user',
        example.replace(
          /source:\n {2}type: csv\n {2}location: hr-export.csv\n {2}delimiter: ','\n/,
          'source:\n  type: http\n  url: https://api.bamboohr.com/api/gateway.php/acme/v1/reports/custom\n  basicAuth: { username: 9f3c1e77d0a2bamboo, password: x }\n',
        ),
        '9f3c1e77d0a2bamboo',
        'source.basicAuth.password (line 6, column 46): inline secrets are refused: write ${env:NAME}',
      ],
    ];
    for (const [what, sync, secret, problem] of cases) {
      expect(sync).toContain(secret);
      const { stderr, dir } = await check(SERVICE, sync);
      expect(stderr, what).toContain(`✗ sync: ${dir}/sync.yaml: ${problem}`);
      expect(stderr).not.toContain(secret);
    }
  });
});
