// How fast the Okta emulator takes bulk uploads (200 realistic records a request, several keep-alive clients) and
// how long it takes to process a full session, so that it never becomes the bottleneck of our own benchmarks.
// Run: npm run bench:emulator [-- --seconds 10 --clients 4,8,16]
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '8' }, clients: { type: 'string', default: '4,8,16' } },
});
const seconds = Number(values.seconds);
const clientCounts = values.clients.split(',').map(Number);
const maxClients = Math.max(...clientCounts);
const TOKEN = 'bench-token';
const sources = Array.from({ length: maxClients }, (_, i) => `0oaBENCH${String(i).padStart(12, '0')}`);

const DEPARTMENTS = ['Engineering', 'Sales', 'Support', 'Finance', 'People', 'Legal'];
function bodyFor(request: number): string {
  const profiles = Array.from({ length: 200 }, (_, i) => {
    const n = request * 200 + i;
    return {
      externalId: `HR-${String(n).padStart(8, '0')}`,
      profile: {
        userName: `employee.${n}@example.com`,
        email: `employee.${n}@example.com`,
        firstName: `Firstname${n % 977}`,
        lastName: `Lastname${n % 1009}`,
        mobilePhone: `+1 555 ${String(n % 10_000).padStart(4, '0')}`,
        department: DEPARTMENTS[n % DEPARTMENTS.length] ?? 'Engineering',
        title: 'Senior Software Engineer',
        managerId: `HR-${String(Math.floor(n / 8)).padStart(8, '0')}`,
        costCenter: `CC-${n % 50}`,
      },
    };
  });
  return JSON.stringify({ entityType: 'USERS', profiles });
}
const bodies = Array.from({ length: 50 }, (_, i) => bodyFor(i));

// The emulator runs in its own process, as in real use, so the clients do not share its event loop.
const child = spawn(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    // Only this subcommand, so the emulator process does not load the rest of the CLI (Temporal and more).
    "import { Command } from 'commander'; import { registerOktaEmulator } from './cli/commands/okta-emulator.ts';" +
      "const program = new Command(); registerOktaEmulator(program); await program.parseAsync(process.argv.slice(1), { from: 'user' });",
    'okta-emulator',
    '--port',
    '0',
    '--api-token',
    TOKEN,
    ...sources.flatMap((s) => ['--identity-source', s]),
    ...['department', 'title', 'managerId', 'costCenter'].flatMap((a) => ['--custom-attribute', a]),
    '--rate-limit',
    '100000000',
    '--concurrency',
    '10000',
    '--five-minute-rule',
    '0',
    '--import-time',
    '0',
    '--import-time-per-record',
    '0',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
let url = '';
for await (const line of createInterface({ input: child.stdout })) {
  url = /Okta emulator:\s+(\S+)/.exec(line)?.[1] ?? url;
  if (line.startsWith('Press Ctrl-C')) break;
}

const agent = new Agent({ keepAlive: true, maxSockets: maxClients });
function send(method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      {
        method,
        agent,
        headers: {
          Authorization: `SSWS ${TOKEN}`,
          Accept: 'application/json',
          ...(body ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function expectStatus(status: number, reply: Promise<{ status: number; text: string }>) {
  const { status: got, text } = await reply;
  if (got !== status) throw new Error(`expected ${status}, got ${got}: ${text}`);
  return text;
}

/** One client: sessions of 50 bulk uploads each on its own identity source, canceled and begun again, until the deadline. */
async function client(source: string, deadline: number): Promise<number> {
  let uploads = 0;
  while (Date.now() < deadline) {
    const session = JSON.parse(
      await expectStatus(201, send('POST', `/api/v1/identity-sources/${source}/sessions`)),
    ) as { id: string };
    for (let i = 0; i < 50 && Date.now() < deadline; i++) {
      await expectStatus(
        202,
        send('POST', `/api/v1/identity-sources/${source}/sessions/${session.id}/bulk-upsert`, bodies[i]),
      );
      uploads++;
    }
    await expectStatus(204, send('DELETE', `/api/v1/identity-sources/${source}/sessions/${session.id}`));
  }
  return uploads;
}

const rows: string[][] = [];
for (const clients of clientCounts) {
  const started = performance.now();
  const deadline = Date.now() + seconds * 1000;
  const counts = await Promise.all(sources.slice(0, clients).map((s) => client(s, deadline)));
  const elapsed = (performance.now() - started) / 1000;
  const uploads = counts.reduce((a, b) => a + b, 0);
  rows.push([
    String(clients),
    uploads.toString(),
    (uploads / elapsed).toFixed(0),
    ((uploads * 200) / elapsed).toFixed(0),
  ]);
}

// Processing: one full session (50 × 200 = 10,000 users), triggered with no simulated processing time, timed until
// the admin API shows it COMPLETED.
const source = sources[0] ?? '';
const session = JSON.parse(await expectStatus(201, send('POST', `/api/v1/identity-sources/${source}/sessions`))) as {
  id: string;
};
for (const body of bodies)
  await expectStatus(202, send('POST', `/api/v1/identity-sources/${source}/sessions/${session.id}/bulk-upsert`, body));
const triggered = performance.now();
await expectStatus(200, send('POST', `/api/v1/identity-sources/${source}/sessions/${session.id}/start-import`));
for (;;) {
  const [state] = JSON.parse(
    (await send('GET', `/__emulator/sessions?identitySourceId=${source}&status=COMPLETED`)).text,
  ) as unknown[];
  if (state) break;
  await new Promise((resolve) => setTimeout(resolve, 2));
}
const processingMs = performance.now() - triggered;

console.log(`\nOkta emulator: bulk-upsert of 200 records per request, keep-alive clients, ${seconds} s each\n`);
console.table(
  rows.map(([clients, uploads, perSecond, records]) => ({
    clients,
    'bulk requests': uploads,
    'requests/s': perSecond,
    'records/s': records,
  })),
);
console.log(`Processing one session of 10,000 users (simulated import time 0): ${processingMs.toFixed(0)} ms`);

agent.destroy();
child.kill('SIGTERM');
