import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node } from 'yaml';
import type { z } from 'zod';

/** A key path into a config file: `['okta', 'auth', 'token']`, `['temporal', 'encryption', 'keys', 0]`. */
export type KeyPath = (string | number)[];

/**
 * An invalid configuration (service or sync config): one line per problem, each naming the setting's path and where
 * it is (line and column in the file, or the variable that set it) and what is wrong; never the value.
 */
export class ConfigError extends Error {
  readonly source: string;
  readonly problems: string[];
  constructor(source: string, problems: string[], options?: ErrorOptions) {
    super(`Invalid configuration in ${source}:\n${problems.map((p) => `  ${p}`).join('\n')}`, options);
    this.name = 'ConfigError';
    this.source = source;
    this.problems = problems;
  }
}

/** A config file read and parsed as YAML, with the locator that names where a setting is written in it. */
export interface ConfigFile {
  /** The file's content as plain data (`{}` for an empty file). */
  raw: unknown;
  /** `line L, column C` of the setting at a key path, or undefined when the file does not write it. */
  lineOf: (path: KeyPath) => string | undefined;
}

/** Reads a config file; a file that cannot be read is a ConfigError naming it and the reason code. */
export async function readConfigText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [`cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`], {
      cause: error,
    });
  }
}

/**
 * Parses YAML without the parser's pretty errors: those quote the offending line, which may hold a secret. A syntax
 * error is a ConfigError with the line and column of each, from the parser's own line counter.
 */
export function parseConfigText(text: string, source: string): ConfigFile {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { prettyErrors: false, lineCounter });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `line ${line}, column ${col}`;
  };
  if (document.errors.length > 0) {
    throw new ConfigError(
      source,
      document.errors.map((error) => `YAML error at ${at(error.pos[0])}: ${error.message}`),
    );
  }
  return {
    raw: (document.toJS() as unknown) ?? {},
    lineOf: (path) => {
      const offset = offsetOf(document, path);
      return offset === undefined ? undefined : at(offset);
    },
  };
}

/** Where a setting starts: its key in a mapping (so a misspelt key is found too), its item in a sequence. */
function offsetOf(document: Document.Parsed, path: KeyPath): number | undefined {
  if (path.length === 0) return undefined;
  const parent = path.length === 1 ? document.contents : document.getIn(path.slice(0, -1), true);
  const last = path.at(-1)!;
  if (isMap(parent)) {
    const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === String(last));
    return (pair?.key as Node | undefined)?.range?.[0];
  }
  if (isSeq(parent)) return (parent.items[Number(last)] as Node | undefined)?.range?.[0];
  return undefined;
}

/** Names a setting with where it is: `okta.auth.token (line 5, column 9)`. */
export type Locate = (path: KeyPath) => string;

/** The locator of a config file: the setting's path, then its line and column when the file writes it. */
export function locatorOf(lineOf: ConfigFile['lineOf']): Locate {
  return (path) => {
    const where = lineOf(path);
    return `${path.join('.') || '(root)'}${where ? ` (${where})` : ''}`;
  };
}

/** Validates against a schema: the data, or one problem per issue (a key the schema lacks is a misspelt setting). */
export function validateConfig<Schema extends z.ZodType>(
  schema: Schema,
  raw: unknown,
  locate: Locate,
): { data: z.output<Schema>; problems: [] } | { data: undefined; problems: string[] } {
  const result = schema.safeParse(raw);
  if (result.success) return { data: result.data, problems: [] };
  const problems: string[] = [];
  for (const issue of result.error.issues) {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push(`${locate([...path, key])}: not a setting (misspelt?)`);
    } else problems.push(`${locate(path)}: ${issue.message}`);
  }
  return { data: undefined, problems };
}
