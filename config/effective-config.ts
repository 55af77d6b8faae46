import { stringify } from 'yaml';
import { checkSecretRef, describeSecretRef, type SecretRef } from './secret-ref.ts';
import type { ServiceConfig } from './service-config.ts';

/** Every secret reference in a config, by key path. */
export function secretRefsOf(config: ServiceConfig): { path: string; ref: SecretRef }[] {
  const found: { path: string; ref: SecretRef }[] = [];
  const walk = (value: unknown, path: string[]) => {
    if (Array.isArray(value)) value.forEach((item, i) => walk(item, [...path, String(i)]));
    else if (isSecretRef(value)) found.push({ path: path.join('.'), ref: value });
    else if (typeof value === 'object' && value !== null)
      for (const [key, child] of Object.entries(value)) walk(child, [...path, key]);
  };
  walk(config, []);
  return found;
}

function isSecretRef(value: unknown): value is SecretRef {
  if (typeof value !== 'object' || value === null) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'env' || keys[0] === 'file');
}

/** The config with every default filled in, as YAML or JSON. It holds references only, so it is safe to print. */
export function formatEffectiveConfig(config: ServiceConfig, format: 'yaml' | 'json'): string {
  return format === 'json' ? JSON.stringify(config, null, 2) + '\n' : stringify(config);
}

/** One line per secret reference: where it comes from and whether it is there; never its value. */
export async function secretReport(config: ServiceConfig): Promise<{ lines: string[]; missing: number }> {
  let missing = 0;
  const lines = await Promise.all(
    secretRefsOf(config).map(async ({ path, ref }) => {
      const problem = await checkSecretRef(ref);
      if (problem) missing++;
      return `${problem ? '✗' : '✓'} ${path}: ${describeSecretRef(ref)}${problem ? ` (${problem})` : ' (set)'}`;
    }),
  );
  return { lines, missing };
}
