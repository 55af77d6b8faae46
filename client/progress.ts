import { setTimeout as delay } from 'node:timers/promises';
import { ApplicationFailure, WorkflowFailedError, type Client } from '@temporalio/client';
import cliProgress from 'cli-progress';
import { pushProgressQuery, type PushProgress } from '../contracts/push-messages.ts';
import {
  syncRequestQuery,
  syncStatusQuery,
  type GuardrailVerdict,
  type RequestAccepted,
  type SyncPhase,
  type SyncSummary,
} from '../contracts/sync-messages.ts';

/** Where one `sync` run's request stands, as its own query and its coordinator's tell. */
export interface SyncProgress {
  /** `starting`: no worker has queued the request yet; `queued`: another request runs first. */
  stage: 'starting' | 'queued' | Exclude<SyncPhase, 'idle'>;
  accepted?: RequestAccepted;
  /** 1 = next to run. */
  position?: number;
  planId?: string;
  guardrails?: GuardrailVerdict[];
  approvalDeadline?: string;
  push?: PushProgress;
}

/** A `sync` run that ended without a summary (terminated, timed out, or failed before queuing its request). */
/** The message of the innermost cause: "Activity task failed" says less than what made it fail. */
export function innermostMessage(error: unknown): string {
  let current = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

export class SyncRunError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SyncRunError';
  }
}

/**
 * Follows a `sync` workflow until it ends, handing each new look at its progress to `onProgress`, and returns its
 * summary: the result when it applied (or found nothing to do, or was a dry run), the failure's details otherwise.
 */
export async function followSync(
  client: Client,
  workflowId: string,
  onProgress: (progress: SyncProgress) => void,
  intervalMs = 500,
): Promise<SyncSummary> {
  const handle = client.workflow.getHandle(workflowId);
  let ended = false;
  const outcome = (handle.result() as Promise<SyncSummary>).then(
    (summary) => summary,
    (error: unknown) => {
      const cause = error instanceof WorkflowFailedError ? error.cause : undefined;
      const summary = cause instanceof ApplicationFailure ? (cause.details?.[0] as SyncSummary | undefined) : undefined;
      if (summary?.outcome) return summary;
      throw new SyncRunError(`Sync ${workflowId} ended without an outcome: ${innermostMessage(cause ?? error)}`, {
        cause: error,
      });
    },
  );
  void outcome.finally(() => (ended = true)).catch(() => undefined);
  while (!ended) {
    // A query needs a worker to answer: never let one unanswered look stall the loop past the next tick.
    const progress = await client
      .withDeadline(Date.now() + Math.max(intervalMs * 4, 2_000), () => lookAt(client, workflowId))
      .catch(() => undefined);
    if (progress && !ended) onProgress(progress);
    await Promise.race([outcome.catch(() => undefined), delay(intervalMs)]);
  }
  return outcome;
}

async function lookAt(client: Client, workflowId: string): Promise<SyncProgress | undefined> {
  const mine = await client.workflow.getHandle(workflowId).query(syncRequestQuery);
  const { accepted } = mine;
  if (!accepted) return { stage: 'starting' };
  if (mine.finished) return undefined;
  const status = await client.workflow.getHandle(accepted.coordinatorWorkflowId).query(syncStatusQuery);
  const current = status.current;
  if (current?.requestId === accepted.requestId && status.phase !== 'idle') {
    const push =
      status.phase === 'pushing' && current.pushWorkflowId
        ? await client.workflow
            .getHandle(current.pushWorkflowId)
            .query(pushProgressQuery)
            .catch(() => undefined)
        : undefined;
    return {
      stage: status.phase,
      accepted,
      ...(current.planId ? { planId: current.planId } : {}),
      ...(current.guardrails?.length ? { guardrails: current.guardrails } : {}),
      ...(current.approvalDeadline ? { approvalDeadline: current.approvalDeadline } : {}),
      ...(push ? { push } : {}),
    };
  }
  const index = status.queued.findIndex((q) => q.requestId === accepted.requestId);
  return { stage: 'queued', accepted, position: index >= 0 ? index + 1 + (current ? 1 : 0) : accepted.position };
}

export interface ProgressRenderer {
  update(progress: SyncProgress): void;
  stop(): void;
  /** Stops, then shows how the push ended when the last look did not (a short push ends between two looks). */
  finish(summary: SyncSummary): void;
}

/**
 * Shows progress on a stream: a line per change of stage, and while pushing a live bar of records uploaded on a
 * terminal, or a line per change of session or upload count when the output is a file or a pipe.
 */
export function progressRenderer(stream: NodeJS.WriteStream = process.stderr): ProgressRenderer {
  const tty = stream.isTTY === true;
  let lastStage: string | undefined;
  let lastPushLine: string | undefined;
  let bar: cliProgress.SingleBar | undefined;

  const say = (line: string) => {
    if (bar) {
      bar.stop();
      bar = undefined;
    }
    stream.write(`${line}\n`);
  };

  return {
    update(progress) {
      const stage = stageLine(progress);
      if (stage !== lastStage) {
        lastStage = stage;
        say(stage);
      }
      const push = progress.push;
      if (progress.stage !== 'pushing' || !push) return;
      const payload = {
        pushPhase: push.phase,
        session: push.session,
        sessions: push.sessionsTotal,
        applied: push.totals.recordsApplied,
        waits: push.totals.rateLimitWaits,
      };
      if (tty) {
        if (!bar) {
          bar = new cliProgress.SingleBar(
            {
              stream,
              format:
                '  {bar} {value}/{total} records uploaded, {applied} applied | session {session}/{sessions} ' +
                '| {pushPhase} | 429 waits {waits}',
              hideCursor: true,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(push.recordsTotal, push.totals.recordsUploaded, payload);
        } else {
          bar.setTotal(push.recordsTotal);
          bar.update(push.totals.recordsUploaded, payload);
        }
        return;
      }
      const line =
        `  ${push.totals.recordsUploaded}/${push.recordsTotal} records uploaded, ${payload.applied} applied, ` +
        `session ${payload.session}/${payload.sessions}, ${payload.pushPhase}, 429 waits ${payload.waits}`;
      if (line !== lastPushLine) {
        lastPushLine = line;
        stream.write(`${line}\n`);
      }
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
    finish(summary) {
      this.stop();
      const totals = summary.push?.totals;
      if (!totals) return;
      const sessions = summary.push?.sessionIds?.length ?? 0;
      const line =
        `  ${totals.recordsUploaded}/${totals.recordsUploaded} records uploaded, ${totals.recordsApplied} applied, ` +
        `session ${sessions}/${sessions}, done, 429 waits ${totals.rateLimitWaits}`;
      if (line !== lastPushLine) stream.write(`${line}\n`);
      lastPushLine = line;
    },
  };
}

function stageLine(progress: SyncProgress): string {
  const plan = progress.planId ? ` plan ${progress.planId}` : '';
  switch (progress.stage) {
    case 'starting':
      return 'Starting: waiting for a worker to queue the request';
    case 'queued':
      return `Queued: ${(progress.position ?? 1) - 1} request(s) ahead${
        progress.accepted?.merged ? ' (merged into a request already waiting)' : ''
      }`;
    case 'debouncing-hr-events':
      return 'Gathering HR events into one sync';
    case 'planning':
      return 'Planning: reading the HR export and working out what changed';
    case 'awaiting-approval':
      return [
        `Held for approval:${plan}`,
        ...(progress.guardrails ?? []).map(
          (g) => `  ${g.guardrail}: ${g.message} (measured ${g.measured}, threshold ${g.threshold})`,
        ),
        `  Approve with \`hr-okta-sync approve\` or reject with \`hr-okta-sync reject\`${
          progress.approvalDeadline ? ` before ${progress.approvalDeadline}` : ''
        }`,
      ].join('\n');
    case 'pushing':
      return `Pushing${plan} to Okta`;
  }
}
