// Which API endpoint a request addresses. Paths are matched after duplicate slashes are collapsed, as Okta does.
import type { EndpointName } from './options.ts';
import type { BulkEndpoint } from './uploads.ts';

export interface Route {
  endpoint: EndpointName;
  identitySourceId?: string;
  sessionId?: string;
  /** The user's externalId (users) or the member's (memberships), decoded from the path. */
  externalId?: string;
  /** The group's id or externalId, decoded from the path. */
  groupOrExternalId?: string;
}

const USER_SCHEMA = /^\/api\/v1\/meta\/schemas\/apps\/([^/]+)\/default$/;
const USERS = /^\/api\/v1\/identity-sources\/([^/]+)\/users(?:\/([^/]+))?$/;
const GROUPS = /^\/api\/v1\/identity-sources\/([^/]+)\/groups(?:\/([^/]+)(?:\/(membership)(?:\/([^/]+))?)?)?$/;
const USER_METHODS: Partial<Record<string, EndpointName>> = {
  GET: 'get-user',
  PUT: 'replace-user',
  PATCH: 'update-user',
  DELETE: 'delete-user',
};
const GROUP_METHODS: Partial<Record<string, EndpointName>> = {
  GET: 'get-group',
  POST: 'update-group',
  DELETE: 'delete-group',
};
const SESSIONS = /^\/api\/v1\/identity-sources\/([^/]+)\/sessions(?:\/([^/]+)(?:\/([a-z-]+))?)?$/;
const BULK_ENDPOINTS: readonly string[] = [
  'bulk-upsert',
  'bulk-delete',
  'bulk-groups-upsert',
  'bulk-groups-delete',
  'bulk-group-memberships-upsert',
  'bulk-group-memberships-delete',
] satisfies BulkEndpoint[];

export function normalizePath(pathname: string): string {
  const collapsed = pathname.replace(/\/{2,}/g, '/');
  return collapsed.length > 1 && collapsed.endsWith('/') ? collapsed.slice(0, -1) : collapsed;
}

/** The route, 'method' when the path exists but not for this method, or undefined for an unknown path. */
export function matchRoute(method: string, path: string): Route | 'method' | undefined {
  if (path === '/oauth2/v1/token') return method === 'POST' ? { endpoint: 'token' } : 'method';
  const schema = USER_SCHEMA.exec(path);
  if (schema) return method === 'GET' ? { endpoint: 'get-user-schema', identitySourceId: schema[1] } : 'method';
  const users = USERS.exec(path);
  if (users) return userRoute(method, users[1] ?? '', users[2]);
  const groups = GROUPS.exec(path);
  if (groups) return groupRoute(method, groups[1] ?? '', groups[2], groups[3], groups[4]);
  const match = SESSIONS.exec(path);
  if (!match) return undefined;
  const [, identitySourceId, sessionId, action] = match;
  if (!sessionId) {
    if (method === 'GET') return { endpoint: 'list-sessions', identitySourceId };
    if (method === 'POST') return { endpoint: 'create-session', identitySourceId };
    return 'method';
  }
  if (!action) {
    if (method === 'GET') return { endpoint: 'get-session', identitySourceId, sessionId };
    if (method === 'DELETE') return { endpoint: 'cancel-session', identitySourceId, sessionId };
    return 'method';
  }
  if (action !== 'start-import' && !BULK_ENDPOINTS.includes(action)) return undefined;
  if (method !== 'POST') return 'method';
  return { endpoint: action as EndpointName, identitySourceId, sessionId };
}

export function isBulkEndpoint(endpoint: EndpointName): endpoint is BulkEndpoint {
  return BULK_ENDPOINTS.includes(endpoint);
}

function userRoute(method: string, identitySourceId: string, rawId: string | undefined): Route | 'method' | undefined {
  if (rawId === undefined) return method === 'POST' ? { endpoint: 'create-user', identitySourceId } : 'method';
  const externalId = decoded(rawId);
  if (externalId === undefined) return undefined;
  const endpoint = USER_METHODS[method];
  return endpoint ? { endpoint, identitySourceId, externalId } : 'method';
}

function groupRoute(
  method: string,
  identitySourceId: string,
  rawGroup: string | undefined,
  membership: string | undefined,
  rawMember: string | undefined,
): Route | 'method' | undefined {
  if (rawGroup === undefined) return method === 'POST' ? { endpoint: 'create-group', identitySourceId } : 'method';
  const groupOrExternalId = decoded(rawGroup);
  const externalId = rawMember === undefined ? undefined : decoded(rawMember);
  if (groupOrExternalId === undefined || (rawMember !== undefined && externalId === undefined)) return undefined;
  const at = { identitySourceId, groupOrExternalId, externalId };
  if (rawMember !== undefined) return method === 'DELETE' ? { endpoint: 'remove-membership', ...at } : 'method';
  if (membership) {
    if (method === 'GET') return { endpoint: 'list-memberships', ...at };
    return method === 'POST' ? { endpoint: 'add-membership', ...at } : 'method';
  }
  const endpoint = GROUP_METHODS[method];
  return endpoint ? { endpoint, ...at } : 'method';
}

/** A path segment percent-decoded; undefined when its encoding is broken (answered as an unknown path). */
function decoded(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
