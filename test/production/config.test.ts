import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { coordinatorOptionsOf } from '../../config/coordinator-options.ts';
import { ConfigError, loadServiceConfig, parseServiceConfig } from '../../config/service-config.ts';

const CLI = fileURLToPath(new URL('../../cli/cli.ts', import.meta.url));
const execFileAsync = promisify(execFile);

/** The shape existing configs (and the push tests) use. */
const MINIMAL = {
  temporal: { address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'sync' },
  okta: {
    orgUrl: 'https://example.okta.com',
    identitySourceId: '0oa1',
    auth: { type: 'ssws', token: { env: 'OKTA_TOKEN' } },
    rateLimitShare: 1,
  },
  store: { url: 'sqlite:/tmp/state.db' },
};

async function configFile(content: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hr-okta-sync-config-'));
  const path = join(dir, 'config.yaml');
  await writeFile(path, content);
  return path;
}

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

async function loadProblems(path: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  try {
    await loadServiceConfig(path, { env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('service config', () => {
  it('accepts the existing shape and fills in the production defaults', () => {
    const config = parseServiceConfig(MINIMAL);
    expect(config.temporal.oktaTaskQueue).toBe('sync-okta');
    // A dev server on this machine: encryption not required, and off without a key.
    expect(config.temporal.encryption).toEqual({ required: false, keys: [], activeKeyId: undefined });
    expect(config.worker).toMatchObject({ shutdownGraceTime: '30s', oktaActivitiesPerSecond: 4 });
    expect(config.log.level).toBe('info');
  });

  it('requires an encryption key for a Temporal server elsewhere, and takes the first key as active', () => {
    const remote = { ...MINIMAL, temporal: { ...MINIMAL.temporal, address: 'temporal:7233' } };
    expect(problemsOf(() => parseServiceConfig(remote))).toEqual([
      expect.stringMatching(
        /^temporal\.encryption\.keys: payload encryption is required for Temporal at temporal:7233/,
      ),
    ]);
    const keys = [
      { id: 'k2', key: { env: 'KEY_2' } },
      { id: 'k1', key: { file: '/run/secrets/k1' } },
    ];
    const config = parseServiceConfig({ ...remote, temporal: { ...remote.temporal, encryption: { keys } } });
    expect(config.temporal.encryption).toMatchObject({ required: true, activeKeyId: 'k2' });
    expect(
      problemsOf(() =>
        parseServiceConfig({ ...remote, temporal: { ...remote.temporal, encryption: { keys, activeKeyId: 'k9' } } }),
      ),
    ).toEqual(['temporal.encryption.activeKeyId: no key with id k9 in temporal.encryption.keys']);
  });

  it('refuses inline secrets, naming the key, its line and what to write instead', async () => {
    const path = await configFile(
      [
        'temporal: { address: 127.0.0.1:7233 }',
        'okta:',
        '  orgUrl: https://example.okta.com',
        '  identitySourceId: 0oa1',
        '  auth: { type: ssws, token: 00abcdefSECRET }',
        'store:',
        '  url: postgres://sync:hunter2@db:5432/sync',
        'worker: { shutdownGraceTime: soon }',
        'oktta: {}',
      ].join('\n'),
    );
    const problems = await loadProblems(path);
    expect(problems).toEqual([
      expect.stringMatching(
        /^okta\.auth\.token \(line 5, column 23\): inline secrets are refused: write \{ env: NAME \}.*\{ file: PATH \}/,
      ),
      expect.stringMatching(
        /^store\.url \(line 7, column 3\): inline secrets are refused: .*store\.password: \{ env: NAME \}/,
      ),
      expect.stringMatching(/^worker\.shutdownGraceTime \(line 8, column 11\): expected a duration/),
      'oktta (line 9, column 1): not a setting (misspelt?)',
    ]);
    // The refusal never repeats the secret.
    expect(problems.join('\n')).not.toMatch(/SECRET|hunter2/);
  });

  it('applies HR_OKTA_SYNC__ overrides over the file and blames the variable for a bad value', async () => {
    const path = await configFile(stringify(MINIMAL));
    const config = await loadServiceConfig(path, {
      env: {
        HR_OKTA_SYNC__OKTA__ORG_URL: 'https://acme.okta.com',
        HR_OKTA_SYNC__WORKER__OKTA_ACTIVITIES_PER_SECOND: '2.5',
        HR_OKTA_SYNC__WORKER__HTTP__HOST: '0.0.0.0',
        HR_OKTA_SYNC__TEMPORAL__ENCRYPTION__KEYS: '[{ id: k1, key: { env: KEY_1 } }]',
        UNRELATED: 'x',
      },
    });
    expect(config.okta.orgUrl).toBe('https://acme.okta.com');
    expect(config.worker.oktaActivitiesPerSecond).toBe(2.5);
    expect(config.worker.http).toEqual({ host: '0.0.0.0', port: 9090 });
    expect(config.temporal.encryption.activeKeyId).toBe('k1');

    expect(await loadProblems(path, { HR_OKTA_SYNC__OKTA__AUTH__TOKEN: 'plain-token' })).toEqual([
      expect.stringMatching(/^okta\.auth\.token \(from HR_OKTA_SYNC__OKTA__AUTH__TOKEN\): inline secrets are refused/),
    ]);
    expect(await loadProblems(path, { HR_OKTA_SYNC__TEMPORAL__ADDRESS: 'temporal.internal:7233' })).toEqual([
      expect.stringMatching(/^temporal\.encryption\.keys: payload encryption is required/),
    ]);
  });

  it('gives coordinators the debounce, approval and idle times of the config, and refuses a quiet period past the limit', () => {
    expect(coordinatorOptionsOf(parseServiceConfig(MINIMAL))).toEqual({
      hrEventQuietMs: 10_000,
      hrEventMaxDelayMs: 60_000,
      approvalTimeoutMs: 24 * 3_600_000,
      idleTimeoutMs: 3_600_000,
      fastPathMaxPeople: 20,
      fastPathMaxLeavers: 200,
      push: {
        oktaTaskQueue: 'sync-okta',
        readBackSample: 20,
        readBackMaxPerSession: 200,
        readBackDeactivations: true,
      },
    });
    const tuned = parseServiceConfig({
      ...MINIMAL,
      okta: { ...MINIMAL.okta, readBack: { sample: 20, maxPerSession: 0, deactivations: false } },
      coordinator: { hrEventQuiet: '2s', hrEventMaxDelay: '30s', approvalTimeout: '4h', fastPathMaxLeavers: 50 },
    });
    expect(coordinatorOptionsOf(tuned)).toMatchObject({
      fastPathMaxLeavers: 50,
      hrEventQuietMs: 2_000,
      hrEventMaxDelayMs: 30_000,
      approvalTimeoutMs: 4 * 3_600_000,
      push: { readBackSample: 20, readBackMaxPerSession: 0, readBackDeactivations: false },
    });
    expect(
      problemsOf(() => parseServiceConfig({ ...MINIMAL, coordinator: { hrEventQuiet: '2m', hrEventMaxDelay: '1m' } })),
    ).toEqual([expect.stringMatching(/^coordinator: hrEventQuiet must not be longer than hrEventMaxDelay/)]);
    expect(problemsOf(() => parseServiceConfig({ ...MINIMAL, coordinator: { approvalTimeout: 'soon' } }))).toEqual([
      expect.stringMatching(/^coordinator\.approvalTimeout: expected a duration/),
    ]);
  });

  it('resolves the sync config path against the config file', async () => {
    const path = await configFile(stringify({ ...MINIMAL, sync: 'sync.yaml' }));
    expect((await loadServiceConfig(path, { env: {} })).sync).toBe(join(path, '..', 'sync.yaml'));
  });
});

describe('hr-okta-sync config check', () => {
  it('prints the effective config with secret references and never their values', async () => {
    const path = await configFile(stringify(MINIMAL));
    const { stdout, stderr } = await execFileAsync(process.execPath, [CLI, 'config', 'check', '-c', path], {
      env: { ...process.env, OKTA_TOKEN: 'ssws-value-never-printed' },
    });
    const effective = parse(stdout) as Record<string, Record<string, unknown>>;
    expect(effective.okta!.auth).toEqual({ type: 'ssws', token: { env: 'OKTA_TOKEN' } });
    expect(effective.temporal!.oktaTaskQueue).toBe('sync-okta');
    expect(stderr).toContain('✓ okta.auth.token: env:OKTA_TOKEN (set)');
    expect(stdout + stderr).not.toContain('ssws-value-never-printed');
  });

  it('exits 1 and lists the problems of an invalid config, or a missing secret', async () => {
    const invalid = await configFile(
      stringify({ ...MINIMAL, okta: { ...MINIMAL.okta, auth: { type: 'ssws', token: 'x' } } }),
    );
    const failure = await execFileAsync(process.execPath, [CLI, 'config', 'check', '-c', invalid]).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toMatch(
      /okta\.auth\.token \(line \d+, column \d+\): inline secrets are refused/,
    );

    const valid = await configFile(stringify(MINIMAL));
    const env = { ...process.env };
    delete env.OKTA_TOKEN;
    const missing = await execFileAsync(process.execPath, [CLI, 'config', 'check', '-c', valid], { env }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(missing).toMatchObject({ code: 1 });
    expect((missing as { stderr: string }).stderr).toContain(
      '✗ okta.auth.token: env:OKTA_TOKEN (environment variable OKTA_TOKEN is not set)',
    );

    // A sync config that names it, but is wrong: the error names its file and key.
    const withSync = await configFile(stringify({ ...MINIMAL, sync: 'sync.yaml' }));
    await writeFile(join(withSync, '..', 'sync.yaml'), 'source: { type: csv, location: hr.csv }\nmapping: {}\n');
    const badSync = await execFileAsync(process.execPath, [CLI, 'config', 'check', '-c', withSync], {
      env: { ...process.env, OKTA_TOKEN: 'x' },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(badSync).toMatchObject({ code: 1 });
    expect((badSync as { stderr: string }).stderr).toMatch(/✗ sync: .*sync\.yaml: mapping\.externalId/);
  });
});
