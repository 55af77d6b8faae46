import type { SourceConfig } from './config.ts';

/** Headers that carry credentials, by name (case-insensitive): their value must come from the environment. */
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|cookie)$|api[-_]?key|token|secret|password|passwd|auth/i;
/** Query parameters that carry credentials (a URL is logged and shown far more often than a header). */
const CREDENTIAL_PARAMETER = /^(access_token|token|api_key|apikey|key|secret|password|sig|signature)$/i;
const ENV_REFERENCE = /\$\{env:[A-Za-z_][A-Za-z0-9_]*\}/;

/**
 * The key paths of the source configuration that hold a secret written inline rather than named as
 * `${env:NAME}`: credential headers, Basic auth with no reference in it at all, and passwords or query tokens in a
 * URL. Only paths: the values are never repeated.
 */
export function inlineSecrets(source: SourceConfig): (string | number)[][] {
  const found: (string | number)[][] = [];
  for (const [name, value] of Object.entries(source.headers)) {
    if (CREDENTIAL_HEADER.test(name) && !ENV_REFERENCE.test(value)) found.push(['source', 'headers', name]);
  }
  if (source.type === 'http') {
    const auth = source.basicAuth;
    if (auth && !ENV_REFERENCE.test(auth.username) && !ENV_REFERENCE.test(auth.password)) {
      found.push(['source', 'basicAuth', 'password']);
    }
    if (urlHoldsSecret(source.url)) found.push(['source', 'url']);
  } else if (urlHoldsSecret(source.location)) found.push(['source', 'location']);
  return found;
}

function urlHoldsSecret(location: string): boolean {
  if (!/^https?:\/\//i.test(location)) return false;
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return false;
  }
  if (url.password !== '' && !ENV_REFERENCE.test(decodeURIComponent(url.password))) return true;
  for (const [name, value] of url.searchParams) {
    if (CREDENTIAL_PARAMETER.test(name) && value !== '') return true;
  }
  return false;
}
