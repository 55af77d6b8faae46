import type { SourceConfig } from '../mapping/config.ts';
import { readCsv } from './csv-source.ts';
import { readHttpApi } from './http-source.ts';
import { readJson, readNdjson } from './json-source.ts';
import type { SourceFields, SourceRecord } from './source-record.ts';

/**
 * Streams an HR export's records; `fields` fills as the stream goes. The one place that knows every reader: the
 * readers share only source-record.ts, so no reader imports back into this dispatch.
 */
export function readHrSource(config: SourceConfig, fields: SourceFields): AsyncIterable<SourceRecord> {
  switch (config.type) {
    case 'csv':
      return readCsv(config, fields);
    case 'json':
      return readJson(config, fields);
    case 'ndjson':
      return readNdjson(config, fields);
    case 'http':
      return readHttpApi(config, fields);
  }
}
