import { parse as parseYaml } from 'yaml';

/** Prefix of the variables that override config keys: `HR_OKTA_SYNC__OKTA__ORG_URL` sets `okta.orgUrl`. */
export const OVERRIDE_PREFIX = 'HR_OKTA_SYNC__';

export interface Overrides {
  values: { variable: string; path: string[]; value: unknown }[];
  problems?: string[];
}

/**
 * Config keys set by environment variables, for containers and CI: `__` separates levels, words are
 * SCREAMING_SNAKE_CASE, and the value is read as YAML, so `4` is a number, `false` a boolean and
 * `{ env: OKTA_TOKEN }` a secret reference.
 */
export function environmentOverrides(env: NodeJS.ProcessEnv): Overrides {
  const values: Overrides['values'] = [];
  const problems: string[] = [];
  for (const [variable, text] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (!variable.startsWith(OVERRIDE_PREFIX) || text === undefined) continue;
    const path = variable.slice(OVERRIDE_PREFIX.length).split('__').map(camelCase);
    if (path.some((key) => key === '')) {
      problems.push(`${variable}: expected HR_OKTA_SYNC__SECTION__KEY, e.g. HR_OKTA_SYNC__OKTA__ORG_URL`);
      continue;
    }
    let value: unknown;
    try {
      value = parseYaml(text);
    } catch {
      // Never echo the value: the variable may hold something secret by mistake.
      problems.push(`${variable}: the value is not valid YAML`);
      continue;
    }
    values.push({ variable, path, value });
  }
  return { values, problems };
}

function camelCase(word: string): string {
  return word.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The variable that overrides a key path, for documentation. */
export function overrideVariable(path: string[]): string {
  return OVERRIDE_PREFIX + path.map((key) => key.replace(/([A-Z])/g, '_$1').toUpperCase()).join('__');
}
