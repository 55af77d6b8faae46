import type { BulkOperation, ItemOf, PlannedMembership, PushRequest } from '../store/state-store.ts';
import type { BulkEndpoint } from './identity-source-client.ts';

/** Okta's limits for one bulk request and one session, by construction never exceeded. */
export const OKTA_LIMITS = {
  entitiesPerRequest: 200,
  /** 200 KB, read as the stricter 200 × 1000 bytes of serialized body. */
  bytesPerRequest: 200_000,
  requestsPerSession: 50,
} as const;

export const ENDPOINT_OF: Record<BulkOperation, BulkEndpoint> = {
  USER_UPSERT: 'bulk-upsert',
  USER_DEACTIVATE: 'bulk-delete',
  GROUP_UPSERT: 'bulk-groups-upsert',
  GROUP_DELETE: 'bulk-groups-delete',
  MEMBERSHIP_UPSERT: 'bulk-group-memberships-upsert',
  MEMBERSHIP_DELETE: 'bulk-group-memberships-delete',
};

/**
 * The order operations are pushed in: groups exist before memberships refer to them, users are upserted before they
 * join groups, memberships go before the users and groups they refer to are removed.
 */
const PUSH_ORDER: BulkOperation[] = [
  'GROUP_UPSERT',
  'USER_UPSERT',
  'MEMBERSHIP_UPSERT',
  'MEMBERSHIP_DELETE',
  'USER_DEACTIVATE',
  'GROUP_DELETE',
];

/** The exact body of one bulk request. The same function measures at layout time and serializes at upload time. */
export function serializeBody<O extends BulkOperation>(operation: O, items: ItemOf<O>[]): string {
  switch (operation) {
    case 'USER_UPSERT':
      return JSON.stringify({
        entityType: 'USERS',
        profiles: (items as ItemOf<'USER_UPSERT'>[]).map(({ externalId, profile }) => ({ externalId, profile })),
      });
    case 'USER_DEACTIVATE':
      return JSON.stringify({
        entityType: 'USERS',
        profiles: (items as string[]).map((externalId) => ({ externalId })),
      });
    case 'GROUP_UPSERT':
      return JSON.stringify({
        profiles: (items as ItemOf<'GROUP_UPSERT'>[]).map(({ externalId, profile }) => ({ externalId, profile })),
      });
    case 'GROUP_DELETE':
      return JSON.stringify({ externalIds: items as string[] });
    case 'MEMBERSHIP_UPSERT':
    case 'MEMBERSHIP_DELETE':
      return JSON.stringify({ memberships: groupMemberships(items as PlannedMembership[]) });
  }
  throw new Error(`unknown bulk operation ${String(operation)}`);
}

/**
 * The exact body of one bulk request from its items as the store saved them (each `JSON.stringify` of the planned
 * item), without parsing and serializing each again: an upserted user or group is its saved text without the trailing
 * fingerprint, a deactivated user or deleted group its saved id. `bytes` is the size the layout measured, exact for
 * every operation but memberships: a body of another size (an item saved in another shape) is built the slow,
 * certain way instead, as are memberships (grouped by group).
 */
export function bodyFromItemTexts(operation: BulkOperation, texts: string[], bytes: number): string {
  const [head, tail] = ENVELOPE_ENDS[operation];
  let parts: string[] | undefined;
  switch (operation) {
    case 'USER_UPSERT':
    case 'GROUP_UPSERT':
      parts = [];
      for (const text of texts) {
        const item = withoutFingerprint(text);
        if (item === undefined) {
          parts = undefined;
          break;
        }
        parts.push(item);
      }
      break;
    case 'USER_DEACTIVATE':
      parts = texts.map((id) => `{"externalId":${id}}`);
      break;
    case 'GROUP_DELETE':
      parts = texts;
      break;
  }
  if (parts) {
    const body = head + parts.join(',') + tail;
    if (Buffer.byteLength(body) === bytes) return body;
  }
  return serializeBody(
    operation,
    texts.map((text) => JSON.parse(text) as never),
  );
}

const FINGERPRINT_KEY = ',"fingerprint":"';
const FINGERPRINT_END = /^[^"\\]*"\}$/;

/**
 * `{"externalId":…,"profile":{…},"fingerprint":"…"}` without its fingerprint, or undefined for any other shape. A `,"`
 * never occurs inside a JSON string (a quote in a string is escaped), so the last one found ends the outer object.
 */
function withoutFingerprint(text: string): string | undefined {
  const at = text.lastIndexOf(FINGERPRINT_KEY);
  if (at < 0 || !FINGERPRINT_END.test(text.slice(at + FINGERPRINT_KEY.length))) return undefined;
  return text.slice(0, at) + '}';
}

function groupMemberships(items: PlannedMembership[]): { groupExternalId: string; memberExternalIds: string[] }[] {
  const byGroup = new Map<string, string[]>();
  for (const { groupExternalId, memberExternalId } of items) {
    const members = byGroup.get(groupExternalId);
    if (members) members.push(memberExternalId);
    else byGroup.set(groupExternalId, [memberExternalId]);
  }
  return [...byGroup].map(([groupExternalId, memberExternalIds]) => ({ groupExternalId, memberExternalIds }));
}

/** An item too large to fit in any request on its own: reported, never sent truncated. */
export class OversizedItemError extends Error {
  constructor(operation: BulkOperation, index: number, bytes: number) {
    super(
      `${operation} item ${index} serializes to ${bytes} bytes, over Okta's ${OKTA_LIMITS.bytesPerRequest}-byte request limit`,
    );
    this.name = 'OversizedItemError';
  }
}

export interface LayoutLimits {
  entitiesPerRequest: number;
  bytesPerRequest: number;
  requestsPerSession: number;
}

const ENVELOPE_BYTES = Object.fromEntries(
  PUSH_ORDER.map((operation) => [operation, Buffer.byteLength(serializeBody(operation, []))]),
) as Record<BulkOperation, number>;

/** Each operation's body around its items: what comes before the first item and after the last. */
const ENVELOPE_ENDS = Object.fromEntries(
  PUSH_ORDER.map((operation) => {
    const empty = serializeBody(operation, []);
    const at = empty.indexOf('[]');
    return [operation, [empty.slice(0, at + 1), empty.slice(at + 1)]];
  }),
) as Record<BulkOperation, [string, string]>;

/** Bytes of the body around the items: `{"entityType":"USERS","profiles":[` … `]}` and the like. */
function envelopeBytes(operation: BulkOperation): number {
  return ENVELOPE_BYTES[operation];
}

/**
 * Bytes one item adds to a body, comma included. Exact for every operation but memberships, where it is an upper
 * bound (members of one group share one entry), so a packed request never exceeds the limit.
 */
function itemBytes<O extends BulkOperation>(operation: O, item: ItemOf<O>): number {
  if (operation === 'MEMBERSHIP_UPSERT' || operation === 'MEMBERSHIP_DELETE') {
    const { groupExternalId, memberExternalId } = item as PlannedMembership;
    return Buffer.byteLength(JSON.stringify({ groupExternalId, memberExternalIds: [memberExternalId] })) + 1;
  }
  return Buffer.byteLength(serializeBody(operation, [item])) - envelopeBytes(operation) + 1;
}

/**
 * Bytes one item adds to a body, comma included, from the item as the store saved it (`JSON.stringify` of the planned
 * item): the same figure as itemBytes, without parsing and serializing the item when its saved text already holds
 * the body's part (an upsert saved as `{"externalId":…,"profile":…,"fingerprint":…}`, an id as a JSON string).
 */
function itemTextBytes(operation: BulkOperation, text: string): number {
  switch (operation) {
    case 'USER_UPSERT':
    case 'GROUP_UPSERT': {
      const keys = topLevelKeys(text);
      const item =
        keys?.length === 3 && keys[0] === 'externalId' && keys[1] === 'profile' ? withoutFingerprint(text) : undefined;
      if (item !== undefined) return Buffer.byteLength(item) + 1;
      break;
    }
    case 'USER_DEACTIVATE':
      if (isJsonString(text)) return Buffer.byteLength(text) + '{"externalId":}'.length + 1;
      break;
    case 'GROUP_DELETE':
      if (isJsonString(text)) return Buffer.byteLength(text) + 1;
      break;
  }
  return itemBytes(operation, JSON.parse(text) as ItemOf<typeof operation>);
}

/** A JSON string on its own: a quote, no other unescaped quote before the closing one. */
function isJsonString(text: string): boolean {
  if (text.length < 2 || text.charCodeAt(0) !== QUOTE || text.charCodeAt(text.length - 1) !== QUOTE) return false;
  for (let i = 1; i < text.length - 1; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return false;
  }
  return true;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The keys of a JSON object's own members, in order (raw, escapes kept); undefined for anything but an object. */
function topLevelKeys(text: string): string[] | undefined {
  if (text.charCodeAt(0) !== 0x7b) return undefined;
  const keys: string[] = [];
  let depth = 0;
  let keyNext = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i + 1;
      for (i = start; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
      if (depth === 1 && keyNext) keys.push(text.slice(start, i));
      keyNext = false;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      keyNext = depth === 1;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === 0x2c) {
      keyNext = depth === 1;
    }
  }
  return keys;
}

/**
 * Packs a plan's items into requests (≤ 200 entities and ≤ 200 KB of serialized body each) and requests into
 * sessions (≤ 50 each), in push order. Greedy: each request takes as many consecutive items as fit, which gives the
 * fewest requests for items in a fixed order. Only counts and sizes are kept: items stay in the store.
 */
export function layOutRequests(
  itemsOf: <O extends BulkOperation>(operation: O) => AsyncIterable<ItemOf<O>>,
  limits: LayoutLimits = OKTA_LIMITS,
): Promise<PushRequest[]> {
  return layOutSizes(async function* (operation) {
    for await (const item of itemsOf(operation)) yield itemBytes(operation, item);
  }, limits);
}

/** The same layout as layOutRequests, from the items as the store saved them (see itemTextBytes). */
export function layOutItemTexts(
  textsOf: (operation: BulkOperation) => AsyncIterable<string[]>,
  limits: LayoutLimits = OKTA_LIMITS,
): Promise<PushRequest[]> {
  return layOutSizes(async function* (operation) {
    for await (const texts of textsOf(operation)) for (const text of texts) yield itemTextBytes(operation, text);
  }, limits);
}

async function layOutSizes(
  sizesOf: (operation: BulkOperation) => AsyncIterable<number>,
  limits: LayoutLimits,
): Promise<PushRequest[]> {
  const requests: PushRequest[] = [];
  for (const operation of PUSH_ORDER) {
    // The last comma is not written, so a full body is envelope + Σ item bytes − 1.
    const envelope = envelopeBytes(operation) - 1;
    let first = 0;
    let count = 0;
    let bytes = envelope;
    let index = 0;
    const close = () => {
      const at = requests.length;
      requests.push({
        index: at,
        sessionIndex: Math.floor(at / limits.requestsPerSession),
        operation,
        firstItem: first,
        itemCount: count,
        bytes,
      });
    };
    for await (const size of sizesOf(operation)) {
      if (envelope + size > limits.bytesPerRequest) throw new OversizedItemError(operation, index, envelope + size);
      if (count > 0 && (count + 1 > limits.entitiesPerRequest || bytes + size > limits.bytesPerRequest)) {
        close();
        first = index;
        count = 0;
        bytes = envelope;
      }
      count++;
      bytes += size;
      index++;
    }
    if (count > 0) close();
  }
  return requests;
}
