import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import got from 'got';
import { SourceUnreadable } from './source-record.ts';
import { resolvedHeaders } from './source-secrets.ts';

/**
 * The bytes of an export: a local file or an https:// URL (plain http only to this machine, for tests and
 * local stacks: HR data does not cross a network unencrypted).
 */
export function openInput(location: string, headers: Record<string, string>): Readable {
  if (/^https?:\/\//i.test(location)) {
    const url = new URL(location);
    if (url.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
      throw new SourceUnreadable(`refusing plain http for ${url.origin}: use https`);
    }
    return got.stream(url, { headers: resolvedHeaders(headers), retry: { limit: 2 } });
  }
  return createReadStream(location);
}

/** Describes an input error without secrets or record contents. */
export function inputFailure(location: string, error: unknown): SourceUnreadable {
  if (error instanceof SourceUnreadable) return error;
  const where = /^https?:\/\//i.test(location) ? new URL(location).origin + new URL(location).pathname : location;
  const reason = error instanceof Error ? error.message : String(error);
  return new SourceUnreadable(`cannot read ${where}: ${reason}`);
}
