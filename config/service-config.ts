import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * A secret is named, never written: the worker reads it from an environment variable or a file when it starts, so
 * config files can be committed and printed, and no secret travels through Temporal.
 */
export const SecretRef = z
  .union([z.object({ env: z.string().min(1) }).strict(), z.object({ file: z.string().min(1) }).strict()])
  .describe('A reference to a secret: { env: VAR } or { file: /path }. Inline secrets are refused.');
export type SecretRef = z.infer<typeof SecretRef>;

const OktaAuth = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ssws'), token: SecretRef }).strict(),
  z
    .object({
      type: z.literal('oauth'),
      clientId: z.string().min(1),
      privateKey: SecretRef.describe('PKCS#8 PEM or a private JWK (JSON)'),
      keyId: z.string().optional(),
      algorithm: z.enum(['RS256', 'ES256']).default('RS256'),
      dpop: z.boolean().default(false),
    })
    .strict(),
]);

export const ServiceConfigSchema = z
  .object({
    temporal: z
      .object({
        address: z.string().default('127.0.0.1:7233'),
        namespace: z.string().default('default'),
        taskQueue: z.string().default('hr-okta-sync'),
      })
      .strict()
      .prefault({}),
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
        requestTimeoutMs: z.number().int().positive().default(60_000),
      })
      .strict(),
    store: z
      .object({ url: z.string().default('sqlite:.cache/hr-okta-sync.db') })
      .strict()
      .prefault({}),
  })
  .strict();

export type ServiceConfig = z.infer<typeof ServiceConfigSchema>;

/** Reads and validates a YAML config file; the error names every offending key. */
export async function loadServiceConfig(path: string): Promise<ServiceConfig> {
  const raw = parseYaml(await readFile(path, 'utf8')) as unknown;
  return parseServiceConfig(raw, path);
}

export function parseServiceConfig(raw: unknown, source = 'config'): ServiceConfig {
  const result = ServiceConfigSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new Error(`Invalid configuration in ${source}:\n${problems.join('\n')}`);
  }
  return result.data;
}

/** Reads a referenced secret. The error names the reference, never a value. */
export async function readSecret(ref: SecretRef): Promise<string> {
  if ('env' in ref) {
    const value = process.env[ref.env];
    if (!value) throw new Error(`Secret environment variable ${ref.env} is not set`);
    return value;
  }
  try {
    return (await readFile(ref.file, 'utf8')).trim();
  } catch (error) {
    throw new Error(`Secret file ${ref.file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, {
      cause: error,
    });
  }
}
