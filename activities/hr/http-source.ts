import got, { parseLinkHeader } from 'got';
import type { SourceConfig } from '../mapping/config.ts';
import type { HrRecord } from '../mapping/expressions.ts';
import { NOT_AN_OBJECT, SourceUnreadable, noteFields } from './source-record.ts';
import type { SourceFields, SourceRecord } from './source-record.ts';
import { resolvedHeaders, withSecrets } from './source-secrets.ts';
import { decodedBody } from './text-decoding.ts';

type HttpSource = Extract<SourceConfig, { type: 'http' }>;

/**
 * Reads a paginated HTTP JSON API page by page (one page in memory at a time): the records at `recordsPath` of
 * each page, the next page by link (body or Link header), cursor, or page number. Shapes such as Workday RaaS
 * (`Report_Entry`, one page) and BambooHR custom reports (POST with a field list, `employees`) are configuration.
 */
export async function* readHttpApi(config: HttpSource, fields: SourceFields): AsyncIterable<SourceRecord> {
  const headers = resolvedHeaders(config.headers);
  if (config.basicAuth) {
    const credentials = `${withSecrets(config.basicAuth.username)}:${withSecrets(config.basicAuth.password)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  const first = new URL(config.url);
  if (first.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(first.hostname)) {
    throw new SourceUnreadable(`refusing plain http for ${first.origin}: use https`);
  }
  const pagination = config.pagination;
  let url: URL | undefined = first;
  if (pagination?.type === 'page') url.searchParams.set(pagination.param, String(pagination.start));
  let row = 0;
  for (let page = 1; url; page++) {
    if (page > config.maxPages)
      throw new SourceUnreadable(`${first.origin}${first.pathname}: more than ${config.maxPages} pages`);
    let response;
    try {
      response = await got(url, {
        method: config.method,
        headers: { accept: 'application/json', ...headers },
        ...(config.body === undefined ? {} : { json: config.body }),
        responseType: 'buffer',
        retry: { limit: 3, methods: ['GET', 'POST'] },
      });
    } catch (error) {
      // The URL without its query: cursors and tokens sometimes travel there.
      throw new SourceUnreadable(
        `cannot read page ${page} of ${url.origin}${url.pathname}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const body = await pageBody(response.body, config.encoding, page);
    const records = at(body, config.recordsPath);
    if (!Array.isArray(records)) {
      throw new SourceUnreadable(
        `page ${page} of ${url.origin}${url.pathname}: no list of records at "${config.recordsPath || '(root)'}"`,
      );
    }
    for (const value of records) {
      row++;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        yield { row, record: { [NOT_AN_OBJECT]: 'is not a JSON object' } };
        continue;
      }
      noteFields(value as HrRecord, fields);
      yield { row, record: value as HrRecord };
    }
    const link = response.headers.link;
    url = nextPage(url, body, Array.isArray(link) ? link.join(', ') : link, records.length, pagination);
  }
}

/** A page's JSON; a page that is not JSON is refused by its number (the parser's message would quote the text). */
async function pageBody(bytes: Uint8Array, encoding: string, page: number): Promise<unknown> {
  let text: string;
  try {
    text = await decodedBody(bytes, encoding);
  } catch (error) {
    throw new SourceUnreadable(`page ${page}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new SourceUnreadable(`page ${page} is not valid JSON`);
  }
}

function nextPage(
  current: URL,
  body: unknown,
  link: string | undefined,
  pageSize: number,
  pagination: HttpSource['pagination'],
): URL | undefined {
  if (!pagination) return undefined;
  switch (pagination.type) {
    case 'next-link': {
      const next = pagination.path
        ? at(body, pagination.path)
        : link && parseLinkHeader(link).find((l) => l.parameters.rel?.replaceAll('"', '') === 'next')?.reference;
      return typeof next === 'string' && next !== '' ? new URL(next, current) : undefined;
    }
    case 'cursor': {
      const cursor = at(body, pagination.path);
      if (typeof cursor !== 'string' && typeof cursor !== 'number') return undefined;
      if (cursor === '') return undefined;
      const next = new URL(current);
      next.searchParams.set(pagination.param, String(cursor));
      return next;
    }
    case 'page': {
      if (pageSize === 0) return undefined;
      const next = new URL(current);
      next.searchParams.set(pagination.param, String(Number(current.searchParams.get(pagination.param)) + 1));
      return next;
    }
  }
}

function at(value: unknown, path: string): unknown {
  if (path === '') return value;
  return path
    .split('.')
    .reduce<unknown>(
      (node, key) => (typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined),
      value,
    );
}
