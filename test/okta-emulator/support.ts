// Helpers for the emulator's own tests: raw HTTP against a started emulator, and polling its admin API.
import { setTimeout as delay } from 'node:timers/promises';
import { startOktaEmulator, type OktaEmulator, type OktaEmulatorOptions } from '../../okta-emulator/index.ts';

export const SOURCE = '0oaTESTSOURCE0000001';
export const TOKEN = 'test-api-token';

/** An emulator on Okta's rules with durations scaled down so that a test takes milliseconds. */
export function startFast(options: OktaEmulatorOptions = {}): Promise<OktaEmulator> {
  return startOktaEmulator({
    identitySources: [{ id: SOURCE, customAttributes: ['department', 'managerId'] }],
    apiTokens: [{ token: TOKEN }],
    ...options,
    durations: {
      fiveMinuteRuleMs: 60_000,
      importProcessingMs: 50,
      importProcessingPerRecordMs: 0,
      ...options.durations,
    },
    rateLimit: { perWindow: 10_000, ...options.rateLimit },
  });
}

/** Anything served over HTTP: an in-process emulator or one started by the CLI. */
export interface Served {
  url: string;
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: <T = Record<string, unknown>>() => T;
}

export async function call(
  emulator: Served,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { Authorization: `SSWS ${TOKEN}` },
): Promise<Reply> {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: {
      Accept: 'application/json',
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: <T>() => JSON.parse(text) as T };
}

export const sessionsPath = (source = SOURCE) => `/api/v1/identity-sources/${source}/sessions`;

export async function createSession(emulator: Served, source = SOURCE): Promise<string> {
  const reply = await call(emulator, 'POST', sessionsPath(source));
  if (reply.status !== 201) throw new Error(`create session answered ${reply.status}: ${reply.text}`);
  return reply.json<{ id: string }>().id;
}

export function users(count: number, from = 0, extra: Record<string, string> = {}) {
  return Array.from({ length: count }, (_, i) => ({
    externalId: `emp-${from + i}`,
    profile: {
      userName: `user${from + i}@example.com`,
      email: `user${from + i}@example.com`,
      firstName: 'Ada',
      lastName: `Number${from + i}`,
      ...extra,
    },
  }));
}

export async function admin<T = unknown>(emulator: Served, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${emulator.url}/__emulator${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`admin ${path} answered ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export interface AdminSession {
  id: string;
  status: string;
  history: { status: string; at: string }[];
  bulkRequests: number;
  result?: {
    usersCreated: number;
    usersUpdated: number;
    usersDeactivated: number;
    failures: { externalId: string; errors: string[] }[];
  };
}

/** Polls the admin API until `probe` returns something, or fails after the deadline. */
export async function until<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await delay(10);
  }
}

export function sessionReaches(emulator: Served, id: string, status: string): Promise<AdminSession> {
  return until(async () =>
    (await admin<AdminSession[]>(emulator, '/sessions')).find((s) => s.id === id && s.status === status),
  );
}

/**
 * Runs the `okta-emulator` subcommand as its own process: commander with just this command registered, so that the
 * test measures this command and not how long the rest of the CLI takes to load.
 */
export const OKTA_EMULATOR_COMMAND = [
  '--input-type=module',
  '-e',
  [
    "import { Command } from 'commander';",
    "import { registerOktaEmulator } from './cli/commands/okta-emulator.ts';",
    'const program = new Command().name("hr-okta-sync");',
    'registerOktaEmulator(program);',
    "await program.parseAsync(process.argv.slice(1), { from: 'user' });",
  ].join('\n'),
];

export const usersPath = (source = SOURCE) => `/api/v1/identity-sources/${source}/users`;
export const userPath = (externalId: string, source = SOURCE) =>
  `${usersPath(source)}/${encodeURIComponent(externalId)}`;
export const groupsPath = (source = SOURCE) => `/api/v1/identity-sources/${source}/groups`;
export const groupPath = (idOrExternalId: string, source = SOURCE) =>
  `${groupsPath(source)}/${encodeURIComponent(idOrExternalId)}`;

/** A valid single-record user body. */
export function person(externalId: string, profile: Record<string, unknown> = {}) {
  return {
    externalId,
    profile: { userName: `${externalId}@example.com`, email: `${externalId}@example.com`, ...profile },
  };
}

export interface AdminUser {
  identitySourceId: string;
  id: string;
  appUserId: string;
  externalId: string;
  status: string;
  profile: Record<string, string>;
}

export async function adminUser(emulator: Served, externalId: string): Promise<AdminUser | undefined> {
  return (await admin<AdminUser[]>(emulator, `/users?externalId=${encodeURIComponent(externalId)}`))[0];
}
