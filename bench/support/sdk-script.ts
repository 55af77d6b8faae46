import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@okta/okta-sdk-nodejs';

/**
 * What a careful team writes today with the official Okta Node SDK: a full push every run. It cancels sessions a
 * crashed run left open, chunks the people into requests of at most 200 profiles and 200 KB, 50 requests to a
 * session, sleeps out the five-minute rule between sessions (retrying the create if Okta still refuses), and
 * waits for the last import to finish so it can report success.
 */
export interface SdkScriptOptions {
  orgUrl: string;
  token: string;
  identitySourceId: string;
  fiveMinuteRuleMs: number;
  pollIntervalMs: number;
}

type Person = { externalId: string; profile: Record<string, string> };

const MAX_PROFILES = 200;
const MAX_BYTES = 200_000;
const MAX_REQUESTS_PER_SESSION = 50;

export async function sdkFullPush(options: SdkScriptOptions, people: Iterable<Person>): Promise<{ sessions: number }> {
  const api = new Client({ orgUrl: options.orgUrl, token: options.token, cacheMiddleware: null }).identitySourceApi;
  const identitySourceId = options.identitySourceId;

  for await (const session of await api.listIdentitySourceSessions({ identitySourceId })) {
    if (session && (session.status === 'CREATED' || session.status === 'IN_PROGRESS')) {
      await api.deleteIdentitySourceSession({ identitySourceId, sessionId: session.id ?? '' });
    }
  }

  const requests = chunk(people);
  let lastTriggerAt: number | undefined;
  let lastSessionId = '';
  let sessions = 0;
  for (let first = 0; first < requests.length; first += MAX_REQUESTS_PER_SESSION) {
    if (lastTriggerAt !== undefined) await sleep(Math.max(0, lastTriggerAt + options.fiveMinuteRuleMs - Date.now()));
    const sessionId = await createSession(api, identitySourceId, options.pollIntervalMs);
    for (const profiles of requests.slice(first, first + MAX_REQUESTS_PER_SESSION)) {
      await api.uploadIdentitySourceDataForUpsert({
        identitySourceId,
        sessionId,
        BulkUpsertRequestBody: { entityType: 'USERS', profiles },
      });
    }
    await api.startImportFromIdentitySource({ identitySourceId, sessionId });
    lastTriggerAt = Date.now();
    lastSessionId = sessionId;
    sessions++;
  }
  for (;;) {
    const session = await api.getIdentitySourceSession({ identitySourceId, sessionId: lastSessionId });
    if (session.status === 'COMPLETED') break;
    if (session.status !== 'TRIGGERED') throw new Error(`import ended ${session.status}`);
    await sleep(options.pollIntervalMs);
  }
  return { sessions };
}

async function createSession(
  api: Client['identitySourceApi'],
  identitySourceId: string,
  retryMs: number,
): Promise<string> {
  for (;;) {
    try {
      return (await api.createIdentitySourceSession({ identitySourceId })).id ?? '';
    } catch (error) {
      if ((error as { status?: number }).status !== 400) throw error;
      await sleep(retryMs);
    }
  }
}

function chunk(people: Iterable<Person>): Person[][] {
  const requests: Person[][] = [];
  let current: Person[] = [];
  let bytes = 40;
  for (const person of people) {
    const size = Buffer.byteLength(JSON.stringify(person)) + 1;
    if (current.length === MAX_PROFILES || bytes + size > MAX_BYTES) {
      requests.push(current);
      current = [];
      bytes = 40;
    }
    current.push(person);
    bytes += size;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}
