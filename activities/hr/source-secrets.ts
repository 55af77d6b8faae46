import { SourceUnreadable } from './source-record.ts';

/** Resolves `${env:NAME}` references in configuration values that hold secrets. */
export function withSecrets(text: string, env: NodeJS.ProcessEnv = process.env): string {
  return text.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const value = env[name];
    if (value === undefined)
      throw new SourceUnreadable(`environment variable ${name} (named in the source configuration) is not set`);
    return value;
  });
}

export function resolvedHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, withSecrets(value)]));
}
