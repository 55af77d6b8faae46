import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import type { Logger } from 'pino';

const LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * Temporal's logger interface on top of pino, for `Runtime.install({ logger })`: workflow, activity and SDK messages
 * become JSON lines carrying the attributes Temporal adds (workflowId, runId, activityType, attempt, …).
 */
export function temporalLogger(logger: Logger): TemporalLogger {
  const log = (level: LogLevel, message: string, meta: LogMetadata = {}) => {
    const { workflowRunId, error, ...rest } = meta as LogMetadata & { workflowRunId?: unknown; error?: unknown };
    // Workflow logs say runId, activity logs workflowRunId: one name makes a run's lines easy to find.
    const fields: Record<string, unknown> = { ...rest };
    if (workflowRunId !== undefined) fields.runId = workflowRunId;
    if (error !== undefined) fields.err = error;
    logger[LEVEL[level]](fields, message);
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}
