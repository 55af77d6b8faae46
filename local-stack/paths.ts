import { join, relative, resolve, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout this code runs from. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where built tools and local state are kept: HR_OKTA_SYNC_CACHE_DIR, else `.cache/` in the project. */
export function cacheDir(): string {
  return resolve(process.env.HR_OKTA_SYNC_CACHE_DIR ?? join(PROJECT_ROOT, '.cache'));
}

/** The local stack's state (Temporal's database, the emulator's directory, the store) and its service config. */
export function localStackDir(): string {
  return join(cacheDir(), 'local-stack');
}

/** The service config `npm start` writes for the CLI. */
export function localStackConfigPath(): string {
  return join(localStackDir(), 'config.yaml');
}

/** Whether `dir` is the project or inside it: where the CLI may fall back to the local stack's config. */
export function isInProject(dir: string): boolean {
  const path = relative(PROJECT_ROOT, resolve(dir));
  return path === '' || (!path.startsWith('..') && !isAbsolute(path));
}
