/**
 * What this check reads of a source configuration (any of its types). Declared here rather than imported from
 * config.ts, which calls this check: the two would import each other.
 */
interface SourceConfig {
  type: string;
  headers: Record<string, string>;
  location?: string;
  url?: string;
  basicAuth?: { username: string; password: string };
}

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
export function inlineSecrets(source: SourceConfig): { path: string[]; reason: string }[] {
  const found: { path: string[]; reason: string }[] = [];
  for (const [name, value] of Object.entries(source.headers)) {
    if (CREDENTIAL_HEADER.test(name) && !ENV_REFERENCE.test(value)) {
      found.push({ path: ['source', 'headers', name], reason: WRITE_A_REFERENCE });
    }
  }
  if (source.type === 'http') {
    const auth = source.basicAuth;
    if (auth && !ENV_REFERENCE.test(auth.username) && !ENV_REFERENCE.test(auth.password)) {
      found.push({ path: ['source', 'basicAuth', 'password'], reason: WRITE_A_REFERENCE });
    }
    if (urlHoldsSecret(source.url ?? '')) found.push({ path: ['source', 'url'], reason: MOVE_TO_A_HEADER });
  } else if (urlHoldsSecret(source.location ?? '')) {
    found.push({ path: ['source', 'location'], reason: MOVE_TO_A_HEADER });
  }
  return found;
}

const WRITE_A_REFERENCE =
  'inline secrets are refused: write ${env:NAME} (an environment variable the worker has) in its place';
const MOVE_TO_A_HEADER =
  'inline secrets are refused: a URL is logged and shown; send the credential in source.headers as ${env:NAME}';

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
