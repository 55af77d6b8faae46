import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Typed search attributes that make a run's progress filterable in the Web UI and `temporal workflow list`.
// A server must have them registered: the dev server gets them through --search-attribute.
export const IDENTITY_SOURCE = defineSearchAttributeKey('HrOktaIdentitySource', SearchAttributeType.KEYWORD);
export const PHASE = defineSearchAttributeKey('HrOktaPhase', SearchAttributeType.KEYWORD);
// "2 of 5": a keyword, because the dev server's SQLite visibility store allows only three Int attributes.
export const SESSION = defineSearchAttributeKey('HrOktaSession', SearchAttributeType.KEYWORD);
export const CHUNKS_UPLOADED = defineSearchAttributeKey('HrOktaChunksUploaded', SearchAttributeType.INT);
export const RECORDS_APPLIED = defineSearchAttributeKey('HrOktaRecordsApplied', SearchAttributeType.INT);
export const RATE_LIMIT_WAITS = defineSearchAttributeKey('HrOktaRateLimitWaits', SearchAttributeType.INT);

export const ALL_SEARCH_ATTRIBUTES = [
  IDENTITY_SOURCE,
  PHASE,
  SESSION,
  CHUNKS_UPLOADED,
  RECORDS_APPLIED,
  RATE_LIMIT_WAITS,
];

/** Name → type, as the dev server and `temporal operator search-attribute create` take them. */
export function searchAttributeTypes(): Record<string, SearchAttributeType> {
  return Object.fromEntries(ALL_SEARCH_ATTRIBUTES.map((key) => [key.name, key.type]));
}
