import { dirname, isAbsolute, resolve } from 'node:path';
import ms from 'ms';
import { z } from 'zod';
import { environmentOverrides, type Overrides } from './environment.ts';
import { ScheduleDeclarationList } from './schedules.ts';
import { SecretRef } from './secret-ref.ts';
import {
  ConfigError,
  locatorOf,
  parseConfigText,
  readConfigText,
  validateConfig,
  type ConfigFile,
  type KeyPath,
} from './config-file.ts';
import { WebhooksSection } from './webhooks.ts';

export { SecretRef, readSecret } from './secret-ref.ts';

const Duration = z
  .string()
  .refine((value) => typeof ms(value as ms.StringValue) === 'number', 'expected a duration such as 30s, 2m or 500ms')
  .describe('A duration: `500ms`, `30s`, `2m`, `1h`');

const HostPort = z
  .string()
  .regex(/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, 'expected host:port, e.g. 0.0.0.0:9091');

const HttpListener = z
  .object({
    host: z.string().default('127.0.0.1').describe('Address to bind; `0.0.0.0` in a container'),
    port: z.number().int().min(0).max(65535).describe('Port; 0 picks a free one (tests)'),
  })
  .strict();

const OktaAuth = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('ssws'), token: SecretRef.describe('The Okta API token (SSWS)') }).strict(),
    z
      .object({
        type: z.literal('oauth'),
        clientId: z.string().min(1).describe('Client id of the OAuth 2.0 service app'),
        privateKey: SecretRef.describe('PKCS#8 PEM or a private JWK (JSON)'),
        keyId: z.string().optional().describe('`kid` of the key registered with the app'),
        algorithm: z.enum(['RS256', 'ES256']).default('RS256').describe('Signing algorithm of the client assertion'),
        dpop: z.boolean().default(false).describe('Bind access tokens with DPoP (when the app requires it)'),
      })
      .strict(),
  ])
  .describe('`ssws`: an API token; `oauth`: an OAuth 2.0 service app with a private key (what Okta recommends)');

const EncryptionKey = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'a key id is 1-64 letters, digits, dots, dashes or underscores')
      .describe('Written into every encrypted payload, so that a payload names the key that decodes it'),
    key: SecretRef.describe('32 random bytes, base64 (e.g. `openssl rand -base64 32`)'),
  })
  .strict();

const Encryption = z
  .object({
    required: z
      .boolean()
      .optional()
      .describe(
        'Refuse to start without a key. Default: true, unless `temporal.address` is a loopback address (a dev server on this machine)',
      ),
    keys: z
      .array(EncryptionKey)
      .default([])
      .describe('Payload encryption keys (AES-256-GCM). All decode; the active one encodes. Keep retired keys'),
    activeKeyId: z.string().optional().describe('The key that encrypts new payloads. Default: the first key'),
  })
  .strict();

const TemporalTls = z
  .object({
    serverName: z.string().optional().describe('Server name to verify, when it differs from the address'),
    serverRootCaCert: SecretRef.optional().describe('CA certificate (PEM) of the server, when not a public CA'),
    clientCert: SecretRef.optional().describe('Client certificate (PEM) for mTLS'),
    clientKey: SecretRef.optional().describe('Client private key (PEM) for mTLS'),
  })
  .strict()
  .refine((tls) => !tls.clientCert === !tls.clientKey, 'clientCert and clientKey go together');

const TemporalSection = z
  .object({
    address: z.string().default('127.0.0.1:7233').describe('Frontend gRPC address, host:port'),
    namespace: z.string().default('default').describe('Temporal namespace'),
    taskQueue: z.string().default('hr-okta-sync').describe('Task queue of the workflows and non-Okta activities'),
    oktaTaskQueue: z
      .string()
      .min(1)
      .optional()
      .describe('Task queue of the activities that call Okta, rate-limited by the server. Default: `<taskQueue>-okta`'),
    tls: TemporalTls.optional().describe('TLS to the frontend (Temporal Cloud, or a cluster with TLS)'),
    apiKey: SecretRef.optional().describe('Temporal Cloud API key'),
    encryption: Encryption.prefault({}),
  })
  .strict()
  .superRefine(({ encryption, address }, ctx) => {
    const ids = encryption.keys.map((k) => k.id);
    const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
    if (duplicate) ctx.addIssue({ code: 'custom', path: ['encryption', 'keys'], message: `key id ${duplicate} twice` });
    if (encryption.activeKeyId !== undefined && !ids.includes(encryption.activeKeyId)) {
      ctx.addIssue({
        code: 'custom',
        path: ['encryption', 'activeKeyId'],
        message: `no key with id ${encryption.activeKeyId} in temporal.encryption.keys`,
      });
    }
    if ((encryption.required ?? !isLoopback(address)) && ids.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['encryption', 'keys'],
        message:
          `payload encryption is required for Temporal at ${address}: add a key ` +
          '({ id: k1, key: { env: NAME } }, 32 random bytes base64) or set temporal.encryption.required: false',
      });
    }
  });

const StoreSection = z
  .object({
    url: z
      .string()
      .default('sqlite:.cache/hr-okta-sync.db')
      .refine(
        (url) => !/^postgres(ql)?:\/\/[^/@]*:[^/@]*@/.test(url),
        'inline secrets are refused: remove the password from the URL and set store.password: { env: NAME }',
      )
      .describe('`postgres://user@host:5432/db` or `sqlite:<file>`; the password goes in `store.password`'),
    password: SecretRef.optional().describe('PostgreSQL password'),
  })
  .strict();

const WorkerSection = z
  .object({
    shutdownGraceTime: Duration.default('30s').describe(
      'On SIGTERM, time given to activities in flight before they are cancelled',
    ),
    oktaActivitiesPerSecond: z
      .number()
      .positive()
      .default(4)
      .describe(
        'Okta activities started per second across ALL workers (enforced by the Temporal server); set every worker alike',
      ),
    maxConcurrentOktaActivities: z.number().int().positive().default(8).describe('Okta activities at once per worker'),
    http: HttpListener.extend({ port: HttpListener.shape.port.default(9090) })
      .prefault({})
      .describe('/healthz, /readyz and /metrics (our metrics)'),
    runtimeMetrics: z
      .union([HostPort, z.literal(false)])
      .default('127.0.0.1:9091')
      .describe('Where the Temporal runtime serves its Prometheus metrics, or false; `0.0.0.0:9091` in a container'),
  })
  .strict();

const CodecServerSection = z
  .object({
    host: z.string().default('127.0.0.1').describe('Address to bind; `0.0.0.0` in a container'),
    port: z.number().int().min(0).max(65535).default(8888).describe('Port of POST /encode, /decode and GET /healthz'),
    corsOrigins: z
      .array(z.string())
      .default(['http://localhost:8233'])
      .describe('Origins of the Temporal Web UI allowed to call the codec server'),
    auth: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('bearer'), token: SecretRef.describe('The expected bearer token') }).strict(),
        z
          .object({
            type: z.literal('jwt'),
            issuer: z.url().describe("The Web UI's OIDC issuer"),
            audience: z.string().min(1).describe('Audience the access token must be meant for'),
            jwksUrl: z.url().describe("The issuer's JWKS URL (its signing keys)"),
          })
          .strict()
          .describe("The Web UI user's access token (UI with OIDC and TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true)"),
        z
          .object({ type: z.literal('none') })
          .strict()
          .describe('Only behind a proxy that authenticates'),
      ])
      .describe(
        'How callers prove they may see decoded payloads: `bearer` (a shared token: CLI, scripts), `jwt` (the Web UI user, via OIDC), `none` (a proxy in front authenticates)',
      ),
  })
  .strict();

const CoordinatorSection = z
  .object({
    hrEventQuiet: Duration.default('10s').describe(
      'HR events (webhooks) are gathered into one delta sync until none has come for this long…',
    ),
    hrEventMaxDelay: Duration.default('1m').describe('…or until this long after the first of them'),
    approvalTimeout: Duration.default('24h').describe(
      'How long a plan held by a guardrail waits for `approve` or `reject`; then it is dropped and nothing is sent',
    ),
    idleTimeout: Duration.default('1h').describe(
      'A coordinator with nothing to do ends after this long; the next request starts it again',
    ),
    fastPathMaxPeople: z
      .number()
      .int()
      .min(0)
      .default(20)
      .describe(
        "Plans of at most this many people (upserts and deactivations, no group changes) go straight through Okta's single-record API instead of an import session: seconds instead of minutes, one or two requests a person. HR leavers skip the debounce. 0 sends everything through import sessions",
      ),
    fastPathMaxLeavers: z
      .number()
      .int()
      .min(0)
      .default(200)
      .describe(
        "Plans of HR leavers alone go person by person up to this many (at least fastPathMaxPeople), one DELETE a leaver, also beside a running push: an import session would wait for that push or for Okta's five-minute rule. The deactivation guardrails still hold a burst for approval",
      ),
  })
  .strict()
  .refine(
    (c) => ms(c.hrEventQuiet as ms.StringValue) <= ms(c.hrEventMaxDelay as ms.StringValue),
    'hrEventQuiet must not be longer than hrEventMaxDelay',
  );

const ReadBackSection = z
  .object({
    sample: z
      .number()
      .int()
      .min(0)
      .default(20)
      .describe(
        'A session of at most this many people is read back whole; a bigger one this many, spread over it, plus every deactivation and every upsert that clears an attribute',
      ),
    maxPerSession: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .default(200)
      .describe(
        'Read-backs per import session at most (each one request of the rate limit), but for every clearing once Okta is seen ignoring one; 0 turns read-back off',
      ),
    deactivations: z
      .boolean()
      .default(true)
      .describe(
        'Check that deactivated people read back as gone (404); turn off for an org that still answers GET for them',
      ),
  })
  .strict();

export const ServiceConfigSchema = z
  .object({
    temporal: TemporalSection.prefault({}),
    okta: z
      .object({
        orgUrl: z.url().describe('e.g. https://example.okta.com'),
        identitySourceId: z.string().min(1).describe('The default identity source (0oa…)'),
        auth: OktaAuth,
        rateLimitShare: z
          .number()
          .gt(0)
          .max(1)
          .default(0.5)
          .describe("Share of Okta's rate-limit bucket this tool uses; Okta allows one token 50 % by default"),
        requestTimeoutMs: z.number().int().positive().default(60_000).describe('Timeout of one Okta request'),
        maxConcurrentRequests: z
          .number()
          .int()
          .positive()
          .default(24)
          .describe(
            "Okta requests in flight at once per worker process; keep workers × this under the org's concurrency limit (35 on free developer orgs, 75 otherwise)",
          ),
        readBack: ReadBackSection.prefault({}).describe(
          'After each COMPLETED import, people are read back (GET /users/{externalId}) and compared with what was sent: those Okta did not apply stay pending and are sent again',
        ),
      })
      .strict(),
    store: StoreSection.prefault({}),
    coordinator: CoordinatorSection.prefault({}).describe(
      'The one workflow per identity source that queues and runs syncs; a coordinator reads these when it starts, so a change applies from its next start (after `idleTimeout`, or `cancel`)',
    ),
    worker: WorkerSection.prefault({}),
    log: z
      .object({
        level: z
          .enum(['trace', 'debug', 'info', 'warn', 'error'])
          .default('info')
          .describe('JSON lines on standard error; `debug` adds every activity and workflow task'),
      })
      .strict()
      .prefault({}),
    codecServer: CodecServerSection.optional().describe('The codec server the Web UI uses to show decoded payloads'),
    sync: z
      .string()
      .min(1)
      .optional()
      .describe('Path of the sync config (HR source, mapping, guardrails), relative to this file'),
    webhooks: WebhooksSection.optional().describe('The HR webhook receiver (`hr-okta-sync webhook-server`)'),
    schedules: ScheduleDeclarationList.optional().describe(
      'Schedules of syncs, applied by `hr-okta-sync schedule apply`',
    ),
  })
  .strict()
  .transform((config) => ({
    ...config,
    temporal: {
      ...config.temporal,
      oktaTaskQueue: config.temporal.oktaTaskQueue ?? `${config.temporal.taskQueue}-okta`,
      encryption: {
        ...config.temporal.encryption,
        required: config.temporal.encryption.required ?? !isLoopback(config.temporal.address),
        activeKeyId: config.temporal.encryption.activeKeyId ?? config.temporal.encryption.keys[0]?.id,
      },
    },
  }));

export type ServiceConfig = z.output<typeof ServiceConfigSchema>;

export { ConfigError } from './config-file.ts';

export interface LoadOptions {
  /** Environment to read overrides from (`HR_OKTA_SYNC__SECTION__KEY`); process.env by default. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Reads a YAML config file, applies environment overrides and validates; the error names every offending key with
 * its line and column or variable. Relative paths in the file (`sync`) are resolved against the file's folder.
 */
export async function loadServiceConfig(path: string, options: LoadOptions = {}): Promise<ServiceConfig> {
  const { raw, lineOf } = parseConfigText(await readConfigText(path), path);
  const config = parseWithOverrides(raw, path, environmentOverrides(options.env ?? process.env), lineOf);
  if (config.sync !== undefined && !isAbsolute(config.sync)) config.sync = resolve(dirname(path), config.sync);
  return config;
}

/** Validates a config object (already parsed), without environment overrides. */
export function parseServiceConfig(raw: unknown, source = 'config'): ServiceConfig {
  return parseWithOverrides(raw, source, { values: [] }, () => undefined);
}

function parseWithOverrides(
  raw: unknown,
  source: string,
  overrides: Overrides,
  lineOf: ConfigFile['lineOf'],
): ServiceConfig {
  const merged = overrides.values.reduce((target, o) => setIn(target, o.path, o.value), structuredClone(raw));
  const inFile = locatorOf(lineOf);
  // A setting an environment variable touches is blamed on the variable, not on the file's line.
  const locate = (keyPath: KeyPath) => {
    const fromEnv = overrides.values.find(
      (o) => keyPath.length > 0 && (isPrefix(o.path, keyPath) || isPrefix(keyPath, o.path)),
    );
    return fromEnv ? `${keyPath.join('.')} (from ${fromEnv.variable})` : inFile(keyPath);
  };
  const { data, problems } = validateConfig(ServiceConfigSchema, merged, locate);
  const all = [...(overrides.problems ?? []), ...problems];
  if (all.length > 0 || data === undefined) throw new ConfigError(source, all);
  return data;
}

function setIn(target: unknown, path: string[], value: unknown): unknown {
  const root = (typeof target === 'object' && target !== null ? target : {}) as Record<string, unknown>;
  let node = root;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node = node[key] = (typeof next === 'object' && next !== null ? next : {}) as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
  return root;
}

function isPrefix(prefix: KeyPath, path: KeyPath): boolean {
  return prefix.length <= path.length && prefix.every((key, i) => path[i] === key);
}

/** A dev server on this machine: the one case where payloads may stay unencrypted by default. */
export function isLoopback(address: string): boolean {
  const host = address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
