import type { ServiceConfig } from './service-config.ts';
import { readSecret } from './secret-ref.ts';

/** The store URL with its password filled in from the reference; only ever handed to the store, never printed. */
export async function resolveStoreUrl(store: ServiceConfig['store']): Promise<string> {
  if (!store.password) return store.url;
  const url = new URL(store.url);
  url.password = encodeURIComponent(await readSecret(store.password));
  return url.toString();
}
