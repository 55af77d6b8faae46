import { readFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { JWK } from 'jose';
import ms from 'ms';
import { startOktaEmulator } from '../../okta-emulator/index.ts';
import type {
  Durations,
  FaultSettings,
  OktaEmulatorOptions,
  SingleRecordBehaviour,
} from '../../okta-emulator/index.ts';

interface Flags {
  host: string;
  port: number;
  identitySource: string[];
  apiToken: string[];
  customAttribute: string[];
  oauthClient: string[];
  requireDpop?: boolean;
  fiveMinuteRule?: number;
  sessionExpiry?: number;
  importTime?: number;
  importTimePerRecord?: number;
  rateLimitWindow?: number;
  accessTokenTtl?: number;
  rateLimit?: number;
  concurrency?: number;
  stateFile?: string;
  faults?: string;
  faultErrorRate?: number;
  faultRateLimitBurstRate?: number;
  faultDropRate?: number;
  faultLatency?: { min: number; max: number };
  faultSeed?: number;
  createExisting?: SingleRecordBehaviour['createExisting'];
  groupUpdate?: SingleRecordBehaviour['groupUpdate'];
  deleteStatus?: string;
  deletedUsers?: SingleRecordBehaviour['deletedUsers'];
  nullInPatch?: SingleRecordBehaviour['nullInPatch'];
  singleRecordDuringImport?: SingleRecordBehaviour['duringImport'];
}

/** `hr-okta-sync okta-emulator`: a local Okta Identity Sources API to sync against without a production org. */
export function registerOktaEmulator(program: Command): void {
  program
    .command('okta-emulator')
    .description('Run a local emulator of the Okta Identity Sources API (a sandbox org); see docs/okta-emulator.md')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0 = any free port)', integer, 8081)
    .option(
      '--identity-source <id>',
      'identity source id (repeatable; one is generated when none is given)',
      collect,
      [],
    )
    .option(
      '--api-token <token>',
      'SSWS API token to accept (repeatable; one is generated when none is given)',
      collect,
      [],
    )
    .option(
      '--custom-attribute <name>',
      "custom user attribute declared in every identity source's schema (repeatable)",
      collect,
      [],
    )
    .option(
      '--oauth-client <clientId=jwksFile>',
      'OAuth service app and the file of its public JWKS (repeatable)',
      collect,
      [],
    )
    .option('--require-dpop', 'OAuth apps must use DPoP-bound tokens')
    .option('--five-minute-rule <duration>', 'the five-minute rule (default 5m)', duration)
    .option('--session-expiry <duration>', 'idle time after which a session expires (default 24h)', duration)
    .option('--import-time <duration>', 'time one triggered session takes to process (default 10s)', duration)
    .option('--import-time-per-record <duration>', 'extra processing time per uploaded record (default 5ms)', duration)
    .option('--rate-limit-window <duration>', 'rate-limit window (default 1m)', duration)
    .option('--access-token-ttl <duration>', 'lifetime of OAuth access tokens (default 1h)', duration)
    .option('--rate-limit <n>', 'requests per rate-limit window (default 600)', integer)
    .option('--concurrency <n>', 'requests in flight at once (default 75)', integer)
    .option('--state-file <file>', 'keep state in this file across restarts')
    .addOption(new Option('--faults <file>', 'JSON file of fault settings (script, rates, importOutcome)'))
    .option('--fault-error-rate <rate>', 'share of requests answered 5xx', rate)
    .option('--fault-rate-limit-burst-rate <rate>', 'share of requests that start a 429 burst', rate)
    .option('--fault-drop-rate <rate>', 'share of requests whose connection is dropped', rate)
    .option('--fault-latency <min-max>', 'added latency, e.g. 20ms-200ms', latencyRange)
    .option('--fault-seed <n>', 'seed of the random faults', integer)
    .addOption(
      new Option(
        '--create-existing <mode>',
        'POST /users or /groups with a known externalId (default conflict)',
      ).choices(['conflict', 'upsert']),
    )
    .addOption(
      new Option('--group-update <mode>', 'POST /groups/{id} replaces or merges the profile (default replace)').choices(
        ['replace', 'merge'],
      ),
    )
    .addOption(
      new Option('--delete-status <status>', 'status of a user or group DELETE (default 204)').choices(['204', '200']),
    )
    .addOption(
      new Option('--deleted-users <mode>', 'a deactivated user to the single-record API (default gone)').choices([
        'gone',
        'kept',
      ]),
    )
    .addOption(
      new Option('--null-in-patch <mode>', 'what null does in PATCH /users (default clears)').choices([
        'clears',
        'ignored',
      ]),
    )
    .addOption(
      new Option(
        '--single-record-during-import <mode>',
        'single-record writes while a session is active (default independent)',
      ).choices(['independent', 'conflict']),
    )
    .action(async (flags: Flags) => {
      const emulator = await startOktaEmulator(toOptions(flags));
      console.log(`Okta emulator:     ${emulator.url}`);
      for (const source of emulator.identitySources()) {
        const attributes = source.customAttributes.length
          ? ` (custom attributes: ${source.customAttributes.join(', ')})`
          : '';
        console.log(`Identity source:   ${source.id}${attributes}`);
      }
      // The sandbox's own credentials, printed so that a user can paste them into a config file.
      for (const token of emulator.apiTokens) console.log(`API token (SSWS):  ${token.token}`);
      console.log(`Admin API:         ${emulator.url}/__emulator/`);
      if (flags.stateFile) console.log(`State file:        ${flags.stateFile}`);
      console.log('Press Ctrl-C to stop.');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await emulator.stop();
    });
}

function toOptions(flags: Flags): OktaEmulatorOptions {
  const durations: Partial<Durations> = {};
  const set = (key: keyof Durations, value: number | undefined) => {
    if (value !== undefined) durations[key] = value;
  };
  set('fiveMinuteRuleMs', flags.fiveMinuteRule);
  set('sessionExpiryMs', flags.sessionExpiry);
  set('importProcessingMs', flags.importTime);
  set('importProcessingPerRecordMs', flags.importTimePerRecord);
  set('rateLimitWindowMs', flags.rateLimitWindow);
  set('accessTokenTtlMs', flags.accessTokenTtl);

  const faults: FaultSettings = flags.faults ? (JSON.parse(readFileSync(flags.faults, 'utf8')) as FaultSettings) : {};
  if (flags.faultErrorRate !== undefined) faults.errorRate = flags.faultErrorRate;
  if (flags.faultRateLimitBurstRate !== undefined) faults.rateLimitBurstRate = flags.faultRateLimitBurstRate;
  if (flags.faultDropRate !== undefined) faults.dropRate = flags.faultDropRate;
  if (flags.faultLatency !== undefined) faults.latencyMs = flags.faultLatency;
  if (flags.faultSeed !== undefined) faults.seed = flags.faultSeed;

  const customAttributes = flags.customAttribute;
  return {
    host: flags.host,
    port: flags.port,
    identitySources: flags.identitySource.length
      ? flags.identitySource.map((id) => ({ id, customAttributes }))
      : undefined,
    apiTokens: flags.apiToken.length ? flags.apiToken.map((token) => ({ token })) : undefined,
    oauthClients: flags.oauthClient.map((spec) => {
      const [clientId, file] = spec.split('=', 2);
      if (!clientId || !file) throw new InvalidArgumentError(`--oauth-client ${spec}: expected <clientId>=<jwks file>`);
      const jwks = JSON.parse(readFileSync(file, 'utf8')) as { keys?: JWK[] } | JWK[];
      return { clientId, publicJwks: Array.isArray(jwks) ? jwks : (jwks.keys ?? []), requireDpop: flags.requireDpop };
    }),
    durations,
    rateLimit: {
      ...(flags.rateLimit === undefined ? {} : { perWindow: flags.rateLimit }),
      ...(flags.concurrency === undefined ? {} : { concurrency: flags.concurrency }),
    },
    faults,
    stateFile: flags.stateFile,
    singleRecord: {
      ...(flags.createExisting ? { createExisting: flags.createExisting } : {}),
      ...(flags.groupUpdate ? { groupUpdate: flags.groupUpdate } : {}),
      ...(flags.deleteStatus ? { deleteStatus: flags.deleteStatus === '200' ? 200 : 204 } : {}),
      ...(flags.deletedUsers ? { deletedUsers: flags.deletedUsers } : {}),
      ...(flags.nullInPatch ? { nullInPatch: flags.nullInPatch } : {}),
      ...(flags.singleRecordDuringImport ? { duringImport: flags.singleRecordDuringImport } : {}),
    },
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${value} is not a whole number`);
  return n;
}

function rate(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`${value} is not a rate between 0 and 1`);
  return n;
}

/** "5m", "2s", "150ms", "24h", or a bare number of milliseconds. */
function duration(value: string): number {
  const n = /^\d+(\.\d+)?$/.test(value) ? Number(value) : ms(value as ms.StringValue);
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`${value} is not a duration (e.g. 5m, 2s, 150ms)`);
  return n;
}

function latencyRange(value: string): { min: number; max: number } {
  const [min = '', max = min] = value.split('-');
  return { min: duration(min), max: duration(max) };
}
