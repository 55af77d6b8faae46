import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import {
  ConfigError,
  locatorOf,
  parseConfigText,
  readConfigText,
  validateConfig,
  type KeyPath,
  type Locate,
} from '../../config/config-file.ts';
import { inlineSecrets } from './inline-secrets.ts';
import { DEFAULT_ENCODING, isKnownEncoding } from '../hr/encodings.ts';

/**
 * The sync configuration of one identity source: where the HR export comes from, how a record becomes an Okta
 * profile, and the guardrails. Self-contained so that the service-wide configuration can embed `syncConfigSchema`.
 */

const fieldName = z.string().min(1);

/** A string that may name environment variables as `${env:NAME}`; resolved only when the source is read. */
const secretText = z.string().min(1);

export const transformSchema = z.union([
  z.enum(['trim', 'lower', 'upper', 'title', 'ascii', 'collapseSpaces', 'digits']),
  z.strictObject({ date: z.strictObject({ from: z.string().min(1), to: z.string().min(1).default('yyyy-MM-dd') }) }),
  z.strictObject({ lookup: z.string().min(1) }),
  z.strictObject({ replace: z.strictObject({ pattern: z.string().min(1), with: z.string() }) }),
  z.strictObject({ default: z.string() }),
  z.strictObject({ prefix: z.string() }),
  z.strictObject({ suffix: z.string() }),
]);
export type Transform = z.infer<typeof transformSchema>;

export type Condition =
  | { field: string; equals?: string; in?: string[]; matches?: string; empty?: boolean }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z
      .strictObject({
        field: fieldName,
        equals: z.string().optional(),
        in: z.array(z.string()).optional(),
        matches: z.string().optional(),
        empty: z.boolean().optional(),
      })
      .refine((c) => [c.equals, c.in, c.matches, c.empty].filter((v) => v !== undefined).length === 1, {
        message: 'give exactly one of equals, in, matches, empty',
      }),
    z.strictObject({ all: z.array(conditionSchema).min(1) }),
    z.strictObject({ any: z.array(conditionSchema).min(1) }),
    z.strictObject({ not: conditionSchema }),
  ]),
);

export interface ValueExpression {
  field?: string;
  value?: string;
  template?: string;
  join?: ValueSpec[];
  separator?: string;
  firstOf?: ValueSpec[];
  transforms?: Transform[];
  when?: Condition;
}
/** A value: a field name (shorthand for `{ field }`) or an expression. */
export type ValueSpec = string | ValueExpression;

export const valueSchema: z.ZodType<ValueSpec> = z.lazy(() =>
  z.union([
    fieldName,
    z
      .strictObject({
        field: fieldName.optional(),
        value: z.string().optional(),
        template: z.string().optional(),
        join: z.array(valueSchema).min(1).optional(),
        separator: z.string().optional(),
        firstOf: z.array(valueSchema).min(1).optional(),
        transforms: z.array(transformSchema).optional(),
        when: conditionSchema.optional(),
      })
      .refine((e) => [e.field, e.value, e.template, e.join, e.firstOf].filter((v) => v !== undefined).length === 1, {
        message: 'give exactly one of field, value, template, join, firstOf',
      }),
  ]),
);

const httpPagination = z.discriminatedUnion('type', [
  /** The next page's URL is in the body (`path`) or, without `path`, in the Link header (rel="next"). */
  z.strictObject({ type: z.literal('next-link'), path: z.string().optional() }),
  /** The body carries a cursor (`path`) that goes back as a query parameter (`param`); no cursor ends. */
  z.strictObject({ type: z.literal('cursor'), path: z.string().min(1), param: z.string().min(1) }),
  /** Numbered pages: `param` starts at `start` and grows by one until a page has no records. */
  z.strictObject({ type: z.literal('page'), param: z.string().min(1), start: z.number().int().default(1) }),
]);

/**
 * The export's character encoding, as a WHATWG label (utf-8, windows-1252, latin1, iso-8859-15, utf-16le, …): bytes
 * that are not valid in it refuse the export with their line and column.
 */
const encoding = z
  .string()
  .refine(isKnownEncoding, { message: 'is not an encoding label Node reads (e.g. utf-8, windows-1252, latin1)' })
  .default(DEFAULT_ENCODING);

export const sourceSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('csv'),
    /** A local file path (relative to the config file) or an https:// URL. */
    location: z.string().min(1),
    delimiter: z.string().min(1).max(4).default(','),
    encoding,
    headers: z.record(z.string(), secretText).default({}),
  }),
  z.strictObject({
    type: z.literal('json'),
    location: z.string().min(1),
    /** Dot path to the array of records (e.g. `Report_Entry` for Workday RaaS); empty when the root is the array. */
    recordsPath: z.string().default(''),
    encoding,
    headers: z.record(z.string(), secretText).default({}),
  }),
  z.strictObject({
    type: z.literal('ndjson'),
    location: z.string().min(1),
    encoding,
    headers: z.record(z.string(), secretText).default({}),
  }),
  z.strictObject({
    type: z.literal('http'),
    url: z.url(),
    method: z.enum(['GET', 'POST']).default('GET'),
    encoding,
    headers: z.record(z.string(), secretText).default({}),
    basicAuth: z.strictObject({ username: secretText, password: z.string() }).optional(),
    /** A JSON body for POST (e.g. BambooHR's custom report field list). */
    body: z.unknown().optional(),
    recordsPath: z.string().default(''),
    pagination: httpPagination.optional(),
    /** Stops a misbehaving API that never ends its pages. */
    maxPages: z.number().int().positive().default(10_000),
  }),
]);
export type SourceConfig = z.infer<typeof sourceSchema>;

export const mappingSchema = z.strictObject({
  externalId: valueSchema,
  /** Okta profile attributes: base ones (userName, email, firstName, …) and the custom ones declared below. */
  attributes: z.record(z.string().min(1), valueSchema),
  /** Custom attributes declared in the identity source's schema in Okta; others are refused. */
  customAttributes: z.array(z.string().min(1)).default([]),
  /** Records matching this are out of scope: not synced; a confirmed user who falls out of scope is deactivated. */
  exclude: conditionSchema.optional(),
  lookups: z.record(z.string(), z.record(z.string(), z.string())).default({}),
  lifecycle: z
    .strictObject({
      status: z
        .strictObject({
          field: fieldName,
          active: z.array(z.string()).min(1),
          terminated: z.array(z.string()).min(1),
        })
        .optional(),
      startDate: z.strictObject({ field: fieldName, format: z.string().default('yyyy-MM-dd') }).optional(),
      terminationDate: z.strictObject({ field: fieldName, format: z.string().default('yyyy-MM-dd') }).optional(),
      /** A future hire is created this many days before the start date. */
      preHireDays: z.number().int().min(0).default(7),
      /** Time zone of the HR dates (IANA name); a date starts at midnight there. */
      timeZone: z.string().default('UTC'),
    })
    .default({ preHireDays: 7, timeZone: 'UTC' }),
  manager: z
    .strictObject({
      /** The HR field holding the manager's reference (e.g. managerId). */
      field: fieldName,
      /** The HR field that reference points at (default: the externalId value). */
      matches: fieldName.optional(),
      /** The Okta attribute that receives the manager's value. */
      attribute: z.string().min(1),
      /** Which mapped attribute of the manager to use (e.g. email). */
      value: z.string().min(1),
    })
    .optional(),
  groups: z
    .array(
      z.strictObject({
        /** The value naming the group (e.g. the department); an empty value means no group. */
        value: valueSchema,
        externalIdPrefix: z.string().default(''),
        displayName: z.string().default('{value}'),
        description: z.string().optional(),
      }),
    )
    .default([]),
});
export type MappingConfig = z.infer<typeof mappingSchema>;

export const guardrailsSchema = z
  .strictObject({
    /** Fewer valid records than this is an empty export. */
    minRecords: z.number().int().min(0).default(1),
    /** Records read may fall at most this much (percent) below the last applied export. */
    maxShrinkPercent: z.number().min(0).max(100).default(20),
    /** Deactivations allowed without approval: absolute, and percent of the confirmed active users. */
    maxDeactivations: z.number().int().min(0).default(50),
    maxDeactivationPercent: z.number().min(0).max(100).default(10),
    /** Invalid records allowed, percent of records read. */
    maxInvalidPercent: z.number().min(0).max(100).default(20),
    /** A field the last applied export had (or the mapping reads) is missing. */
    headerDrift: z.boolean().default(true),
  })
  .default({
    minRecords: 1,
    maxShrinkPercent: 20,
    maxDeactivations: 50,
    maxDeactivationPercent: 10,
    maxInvalidPercent: 20,
    headerDrift: true,
  });
export type GuardrailsConfig = z.infer<typeof guardrailsSchema>;

export const syncConfigSchema = z.strictObject({
  source: sourceSchema,
  mapping: mappingSchema,
  guardrails: guardrailsSchema,
  hrEvents: z
    .strictObject({
      /**
       * How long an applied HR event (webhook) keeps overlaying the export: an export that lags behind the HR system's
       * webhooks would otherwise undo a joiner, mover or leaver at the next sync.
       */
      retainAppliedHours: z.number().min(0).default(24),
    })
    .prefault({}),
  reports: z
    .strictObject({ dir: z.string().default('reports'), samples: z.number().int().min(0).default(10) })
    .default({
      dir: 'reports',
      samples: 10,
    }),
});
export type SyncConfig = z.infer<typeof syncConfigSchema>;

/**
 * An invalid sync config: the same problems as a service config's (setting path, line and column), one line each
 * prefixed with the file, as `config check` and the worker print them.
 */
export class SyncConfigError extends ConfigError {
  constructor(source: string, problems: string[]) {
    super(source, problems);
    this.name = 'SyncConfigError';
    this.message = problems.map((problem) => `${source}: ${problem}`).join('\n');
  }
}

const baseAttributes = ['userName', 'email', 'firstName', 'lastName', 'secondEmail', 'mobilePhone', 'homeAddress'];

/**
 * Parses and validates a YAML sync configuration. Relative local source locations and the reports dir are
 * resolved against `baseDir` (the config file's folder).
 */
export function parseSyncConfig(text: string, origin: string, baseDir?: string): SyncConfig {
  const config = validSyncConfig(text, origin);
  if (baseDir !== undefined) {
    if (config.source.type !== 'http' && !/^https?:\/\//.test(config.source.location)) {
      config.source.location = resolvePath(baseDir, config.source.location);
    }
    config.reports.dir = resolvePath(baseDir, config.reports.dir);
  }
  return config;
}

export async function loadSyncConfig(path: string): Promise<SyncConfig> {
  return parseSyncConfig(await readConfigText(path), path, dirname(path));
}

/** The schema's checks, then the ones across settings; each stage reports all its problems at once. */
function validSyncConfig(text: string, origin: string): SyncConfig {
  let file;
  try {
    file = parseConfigText(text, origin);
  } catch (error) {
    if (error instanceof ConfigError) throw new SyncConfigError(origin, error.problems);
    throw error;
  }
  const locate = locatorOf(file.lineOf);
  const { data: config, problems } = validateConfig(syncConfigSchema, file.raw, locate);
  if (config === undefined) throw new SyncConfigError(origin, problems);
  const secrets = inlineSecrets(config.source).map(({ path, reason }) => `${locate(path)}: ${reason}`);
  if (secrets.length > 0) throw new SyncConfigError(origin, secrets);
  const mappingProblems = mappingProblemsOf(config.mapping, locate);
  if (mappingProblems.length > 0) throw new SyncConfigError(origin, mappingProblems);
  return config;
}

/** Attributes Okta would refuse, and lookups that name no table. */
function mappingProblemsOf(mapping: MappingConfig, locate: Locate): string[] {
  const problems: string[] = [];
  const declared = (attribute: string) =>
    baseAttributes.includes(attribute) || mapping.customAttributes.includes(attribute);
  const undeclared = Object.keys(mapping.attributes).filter((a) => !declared(a));
  if (mapping.manager && !declared(mapping.manager.attribute)) undeclared.push(mapping.manager.attribute);
  if (undeclared.length > 0) {
    problems.push(
      `${locate(['mapping', 'attributes'])}: ${undeclared.join(', ')} not an Okta base attribute; declare custom attributes in mapping.customAttributes`,
    );
  }
  for (const required of ['userName', 'email']) {
    if (!(required in mapping.attributes)) {
      problems.push(`mapping.attributes.${required}: required (Okta needs it to create a user)`);
    }
  }
  for (const [path, spec] of allValueSpecs(mapping)) {
    for (const transform of transformsOf(spec)) {
      if (typeof transform === 'object' && 'lookup' in transform && !(transform.lookup in mapping.lookups)) {
        problems.push(`${locate(path)}: lookup table "${transform.lookup}" is not in mapping.lookups`);
      }
    }
  }
  return problems;
}

function resolvePath(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

function* allValueSpecs(mapping: MappingConfig): Iterable<[KeyPath, ValueSpec]> {
  yield [['mapping', 'externalId'], mapping.externalId];
  for (const [name, spec] of Object.entries(mapping.attributes)) yield [['mapping', 'attributes', name], spec];
  for (const [i, group] of mapping.groups.entries()) yield [['mapping', 'groups', i, 'value'], group.value];
}

function* transformsOf(spec: ValueSpec): Iterable<Transform> {
  if (typeof spec === 'string') return;
  yield* spec.transforms ?? [];
  for (const inner of [...(spec.join ?? []), ...(spec.firstOf ?? [])]) yield* transformsOf(inner);
}
