import { pino, type DestinationStream, type LevelWithSilent, type Logger } from 'pino';

/**
 * Keys whose values never reach a log line, at any of the first levels of nesting: credentials, and people's
 * personal data (profiles), in case a caller passes a record or a request along with a message.
 */
const REDACTED_KEYS = [
  'token',
  'accessToken',
  'apiKey',
  'password',
  'privateKey',
  'secret',
  'authorization',
  'Authorization',
  'cookie',
  'taskToken',
  'profile',
  'profiles',
  'items',
  'body',
];

function redactPaths(): string[] {
  return REDACTED_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);
}

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Where JSON lines go; standard error by default (standard output stays for command results). */
  destination?: DestinationStream;
  /** Fields on every line, e.g. `{ service: 'worker' }`. */
  base?: Record<string, unknown>;
}

/** The one logger of a process: JSON lines, ISO timestamps, level names, secrets and profiles redacted. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactPaths(), censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    options.destination ?? pino.destination({ fd: 2, sync: true }),
  );
}
