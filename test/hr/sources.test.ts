import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SyncConfigError, parseSyncConfig } from '../../activities/mapping/config.ts';
import { readHrSource } from '../../activities/hr/source.ts';

const dir = mkdtempSync(join(tmpdir(), 'hr-okta-sync-sources-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function read(source: string): Promise<{ rows: unknown[]; fields: string[] }> {
  const config = parseSyncConfig(
    `source: ${source}\nmapping: { externalId: id, attributes: { userName: mail, email: mail } }\n`,
    'test',
    dir,
  );
  const fields = { names: new Set<string>() };
  const rows: unknown[] = [];
  for await (const r of readHrSource(config.source, fields)) rows.push(r.record);
  return { rows, fields: [...fields.names].sort() };
}

describe('HR sources', () => {
  it('streams the records at a path of a JSON document (Workday RaaS shape)', async () => {
    writeFileSync(
      join(dir, 'raas.json'),
      JSON.stringify({
        Report_Entry: [
          { id: '1', mail: 'a@x.io' },
          { id: '2', mail: 'b@x.io', Manager: { id: '1' } },
        ],
      }),
    );
    const { rows, fields } = await read('{ type: json, location: raas.json, recordsPath: Report_Entry }');
    expect(rows).toEqual([
      { id: '1', mail: 'a@x.io' },
      { id: '2', mail: 'b@x.io', Manager: { id: '1' } },
    ]);
    expect(fields).toEqual(['Manager', 'id', 'mail']);
  });

  it('reads NDJSON, marking a line that is not JSON', async () => {
    writeFileSync(join(dir, 'people.ndjson'), '{"id":"1"}\n\nnot json\n{"id":"2"}\n');
    const { rows } = await read('{ type: ndjson, location: people.ndjson }');
    expect(rows).toEqual([{ id: '1' }, { '(record)': 'is not valid JSON' }, { id: '2' }]);
  });

  it('reads a semicolon-delimited CSV', async () => {
    writeFileSync(join(dir, 'semi.csv'), 'id;mail\n1;"a;b@x.io"\n');
    expect((await read("{ type: csv, location: semi.csv, delimiter: ';' }")).rows).toEqual([
      { id: '1', mail: 'a;b@x.io' },
    ]);
  });

  it('pages through an HTTP API by cursor and by next link, sending the configured auth', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization}`);
      const url = new URL(req.url!, 'http://127.0.0.1');
      res.setHeader('content-type', 'application/json');
      if (url.pathname === '/cursor') {
        const page = url.searchParams.get('after');
        res.end(
          JSON.stringify(
            page ? { data: { people: [{ id: '3' }] } } : { data: { people: [{ id: '1' }, { id: '2' }] }, next: 'c2' },
          ),
        );
      } else {
        const second = url.searchParams.has('p2');
        res.end(
          JSON.stringify(
            second ? { employees: [{ id: '9' }] } : { employees: [{ id: '8' }], links: { next: '/link?p2' } },
          ),
        );
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    process.env.TEST_HR_TOKEN = 'sekret';
    process.env.TEST_HR_KEY = 'key';
    try {
      const byCursor = await read(
        `{ type: http, url: '${base}/cursor', headers: { Authorization: 'Bearer \${env:TEST_HR_TOKEN}' }, recordsPath: data.people, pagination: { type: cursor, path: next, param: after } }`,
      );
      expect(byCursor.rows).toEqual([{ id: '1' }, { id: '2' }, { id: '3' }]);
      const byLink = await read(
        `{ type: http, method: POST, url: '${base}/link', body: { fields: [id] }, basicAuth: { username: '\${env:TEST_HR_KEY}', password: x }, recordsPath: employees, pagination: { type: next-link, path: links.next } }`,
      );
      expect(byLink.rows).toEqual([{ id: '8' }, { id: '9' }]);
      expect(seen).toEqual([
        'GET /cursor Bearer sekret',
        'GET /cursor?after=c2 Bearer sekret',
        `POST /link Basic ${Buffer.from('key:x').toString('base64')}`,
        `POST /link?p2 Basic ${Buffer.from('key:x').toString('base64')}`,
      ]);
    } finally {
      server.close();
      delete process.env.TEST_HR_TOKEN;
    }
  });

  it('refuses invalid UTF-8 in JSON, NDJSON and HTTP sources by line and column, and reads a named encoding', async () => {
    // Workday RaaS saved through a Latin-1 tool: "Zoë" as the single byte 0xEB, on the document's third line.
    const latin1 = Buffer.from(
      '{"Report_Entry": [\n{"id": "1", "mail": "a@x.io"},\n{"id": "2", "name": "Zoë"}]}',
      'latin1',
    );
    writeFileSync(join(dir, 'latin1.json'), latin1);
    writeFileSync(join(dir, 'latin1.ndjson'), latin1.subarray(latin1.indexOf('\n') + 1, latin1.lastIndexOf(']')));
    const refused =
      'not valid utf-8 at line 2, column 24; if the export is in another encoding, name it in source.encoding';
    await expect(read('{ type: json, location: latin1.json, recordsPath: Report_Entry }')).rejects.toThrow(
      refused.replace('line 2', 'line 3'),
    );
    await expect(read('{ type: ndjson, location: latin1.ndjson }')).rejects.toThrow(refused);
    const { rows } = await read('{ type: json, location: latin1.json, recordsPath: Report_Entry, encoding: latin1 }');
    expect(rows).toEqual([
      { id: '1', mail: 'a@x.io' },
      { id: '2', name: 'Zoë' },
    ]);
    // A euro sign is 0x80 in windows-1252 (and a C1 control in ISO-8859-1 proper).
    writeFileSync(
      join(dir, 'cp1252.csv'),
      Buffer.concat([Buffer.from('id,budget\n1,'), Buffer.from([0x80]), Buffer.from('5\n')]),
    );
    expect((await read('{ type: csv, location: cp1252.csv, encoding: windows-1252 }')).rows).toEqual([
      { id: '1', budget: '€5' },
    ]);
    expect(() =>
      parseSyncConfig(
        'source: { type: csv, location: x.csv, encoding: ebcdic }\nmapping: { externalId: id, attributes: { userName: m, email: m } }\n',
        'sync.yaml',
      ),
    ).toThrow(
      'sync.yaml: source.encoding (line 1, column 39): is not an encoding label Node reads (e.g. utf-8, windows-1252, latin1)',
    );

    const pages = [latin1, Buffer.from('<html>502 Bad Gateway: upstream Zoe Fischer</html>')];
    const server = createServer((req, res) =>
      res.end(pages[Number(new URL(req.url!, 'http://x').searchParams.get('p'))]),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await expect(read(`{ type: http, url: '${base}/?p=0', recordsPath: Report_Entry }`)).rejects.toThrow(
        `page 1: ${refused.replace('line 2', 'line 3')}`,
      );
      const notJson = read(`{ type: http, url: '${base}/?p=1' }`);
      await expect(notJson).rejects.toThrow('page 1 is not valid JSON');
      await expect(notJson).rejects.not.toThrow(/Zoe|Fischer|Bad Gateway/);
    } finally {
      server.close();
    }
  });

  it('points a configuration error at the offending key and line', () => {
    const text =
      'source: { type: csv, location: x.csv }\nmapping:\n  externalId: id\n  attributes:\n    userName: { field: mail, transforms: [shout] }\n    email: mail\n';
    expect(() => parseSyncConfig(text, 'sync.yaml')).toThrow(SyncConfigError);
    expect(() => parseSyncConfig(text, 'sync.yaml')).toThrow(
      /sync\.yaml: mapping\.attributes\.userName.* \(line 5, column 5\)/,
    );
    expect(() =>
      parseSyncConfig(
        'source: { type: csv, location: x.csv }\nmapping: { externalId: id, attributes: { userName: m, email: m, badge: b } }\n',
        'sync.yaml',
      ),
    ).toThrow(
      'sync.yaml: mapping.attributes (line 2, column 28): badge not an Okta base attribute; declare custom attributes in mapping.customAttributes',
    );
  });
});
