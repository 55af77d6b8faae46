import { ApplicationFailure, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type {
  CarriedState,
  ImportTimes,
  PushLayoutSummary,
  PushPhase,
  PushPlanInput,
  PushProgress,
  PushResult,
  PushTotals,
  ReadBackResult,
  RefusedByOkta,
  SessionSummary,
} from '../../contracts/push-messages.ts';
import {
  CHUNKS_UPLOADED,
  IDENTITY_SOURCE,
  PHASE,
  RATE_LIMIT_WAITS,
  RECORDS_APPLIED,
  SESSION,
} from '../../contracts/search-attributes.ts';
import { withDefaults, type PushRunOptions } from './options.ts';

/** People refused by Okta listed in a result at most (all are counted): a result travels through history. */
const REFUSED_LISTED = 1_000;

/** A triggered import: `ended` once Okta finished it, `done` once what it applied is confirmed in the store. */
export interface PendingImport {
  summary: SessionSummary;
  ended: boolean;
  /** When the first poll was due (epoch ms), to hand over to a continued run. */
  firstPollAt?: number;
  done: Promise<void>;
}

/** What the run waits for, and until when (epoch ms, workflow time) if a timer bounds the wait. */
export interface Wait {
  what: string;
  untilMs?: number;
}

/**
 * Everything one run of a push knows: the plan's layout, the totals and sessions it carries over continue-as-new, the
 * session it holds open, the import in flight and what Okta's imports took so far. The steps of the push change it
 * only through this class, which keeps the progress query, the search attributes and the Web UI's details in step.
 */
export class PushRun {
  readonly planId: string;
  readonly options: PushRunOptions;
  readonly startedAt: string;
  readonly totals: PushTotals;
  readonly sessions: SessionSummary[];
  readonly progress: PushProgress;
  lastTriggeredAtMs: number | undefined;
  importTimes: ImportTimes | undefined;
  /** The session this run holds open (CREATED or IN_PROGRESS), which cleanup must cancel. */
  openSession: SessionSummary | undefined;
  /** A triggered session whose outcome is awaited while the next session is prepared. */
  pendingImport: PendingImport | undefined;
  importFailure: ApplicationFailure | undefined;
  /** Whether this run opened a session while the previous one's confirmation was still being stored. */
  openedBeforeConfirmation = false;
  /** The next of the layout's sessions to push. */
  nextSession: number;
  /** Requests a full session could not take (see OKTA_FAILURE.sessionFull): they get a session of their own next. */
  overflow: number[];
  /** People Okta did not apply as sent, found by read-back (the first REFUSED_LISTED). */
  readonly refusedByOkta: RefusedByOkta[];
  private laidOut: PushLayoutSummary | undefined;
  private waiting: Wait | undefined;

  readonly input: PushPlanInput;

  constructor(input: PushPlanInput) {
    this.input = input;
    const carried: CarriedState = input.carried ?? {
      nextSession: 0,
      totals: emptyTotals(),
      sessions: [],
      startedAt: new Date().toISOString(),
    };
    this.planId = input.planId;
    this.options = withDefaults(input.options);
    this.startedAt = carried.startedAt;
    this.totals = carried.totals;
    this.sessions = carried.sessions;
    this.lastTriggeredAtMs = carried.lastTriggeredAtMs;
    this.importTimes = carried.importTimes;
    this.nextSession = carried.nextSession;
    this.overflow = carried.overflow ?? [];
    this.refusedByOkta = carried.refusedByOkta ?? [];
    this.progress = {
      planId: input.planId,
      phase: 'preparing',
      session: carried.nextSession,
      sessionsTotal: 0,
      requestsTotal: 0,
      recordsTotal: 0,
      totals: this.totals,
    };
  }

  get layout(): PushLayoutSummary | undefined {
    return this.laidOut;
  }

  get identitySourceId(): string {
    return this.laidOut!.identitySourceId;
  }

  /** The session an earlier run triggered and handed over unconfirmed. */
  get handedOverImport(): SessionSummary | undefined {
    const pending = this.input.carried?.pendingImport;
    return pending && this.sessions.find((s) => s.sessionId === pending.sessionId);
  }

  setLayout(layout: PushLayoutSummary): void {
    this.laidOut = layout;
    this.progress.identitySourceId = layout.identitySourceId;
    this.progress.sessionsTotal = layout.sessions.length;
    this.progress.requestsTotal = layout.requests;
    this.progress.recordsTotal = layout.records;
    upsertSearchAttributes([{ key: IDENTITY_SOURCE, value: layout.identitySourceId }]);
    this.publishCounters();
  }

  /**
   * The requests of the next session to push, or undefined when none is left. A re-run of a plan skips what an
   * earlier run already got COMPLETED and confirmed.
   */
  takeNextSession(): number[] | undefined {
    const layout = this.laidOut!;
    if (this.overflow.length > 0) {
      const requestIndexes = this.overflow;
      this.overflow = [];
      this.progress.sessionsTotal++;
      return requestIndexes;
    }
    while (this.nextSession < layout.sessions.length) {
      const slice = layout.sessions[this.nextSession++]!;
      if (slice.firstRequest + slice.requestCount <= layout.confirmedRequests) continue;
      return Array.from({ length: slice.requestCount }, (_, i) => slice.firstRequest + i);
    }
    return undefined;
  }

  get hasSessionsLeft(): boolean {
    return this.overflow.length > 0 || this.nextSession < this.laidOut!.sessions.length;
  }

  /** Numbers the session about to open (1-based in the progress) and publishes it. */
  beginSession(): number {
    const sessionIndex = this.sessions.length;
    this.progress.session = sessionIndex + 1;
    this.publishCounters();
    return sessionIndex;
  }

  /** Records a session Okta opened for this run, as the one cleanup must cancel. */
  sessionOpened(sessionIndex: number, sessionId: string): SessionSummary {
    const summary: SessionSummary = {
      sessionIndex,
      sessionId,
      requests: 0,
      records: 0,
      outcome: 'OPEN',
      startedAt: new Date().toISOString(),
      requestIndexes: [],
    };
    this.sessions.push(summary);
    this.openSession = summary;
    return summary;
  }

  /** Uploads Okta accepted (and the records they carry), in their session's summary and the run's totals. */
  countUploads(
    summary: SessionSummary,
    accepted: { accepted: number[]; records: number; rateLimitWaits: number },
  ): void {
    summary.requestIndexes!.push(...accepted.accepted);
    summary.requests += accepted.accepted.length;
    summary.records += accepted.records;
    this.totals.requestsUploaded += accepted.accepted.length;
    this.totals.recordsUploaded += accepted.records;
    this.totals.rateLimitWaits += accepted.rateLimitWaits;
  }

  /** What read-back found of a COMPLETED import. */
  readBack(result: ReadBackResult): void {
    this.totals.recordsReadBack = (this.totals.recordsReadBack ?? 0) + result.checked;
    this.totals.recordsRepaired = (this.totals.recordsRepaired ?? 0) + result.repaired;
    this.totals.recordsRefusedByOkta = (this.totals.recordsRefusedByOkta ?? 0) + result.refused.length;
    this.refusedByOkta.push(...result.refused.slice(0, Math.max(0, REFUSED_LISTED - this.refusedByOkta.length)));
  }

  /** Records applied by a COMPLETED import (but `notApplied`, found by read-back), now confirmed in the store. */
  importConfirmed(summary: SessionSummary, notApplied = 0): void {
    summary.outcome = 'COMPLETED';
    this.totals.recordsApplied += summary.records - notApplied;
    this.publishCounters();
  }

  throwIfImportFailed(): void {
    if (this.importFailure) throw this.importFailure;
  }

  setPhase(phase: PushPhase): void {
    if (this.progress.phase === phase) return;
    this.progress.phase = phase;
    upsertSearchAttributes([{ key: PHASE, value: phase }]);
    this.showDetails();
  }

  /** Sets the phase unless a session is open (whose phase says more than the import awaited beside it). */
  setPhaseIfIdle(phase: PushPhase): void {
    if (!this.openSession) this.setPhase(phase);
  }

  /** Says what the run waits for (shown in the Web UI) until `waitedFor` is called. */
  waitFor(wait: Wait): void {
    this.waiting = wait;
    this.showDetails();
  }

  waitedFor(): void {
    this.waiting = undefined;
    this.showDetails();
  }

  publishCounters(): void {
    upsertSearchAttributes([
      { key: SESSION, value: `${this.progress.session} of ${this.progress.sessionsTotal}` },
      { key: CHUNKS_UPLOADED, value: this.totals.requestsUploaded },
      { key: RECORDS_APPLIED, value: this.totals.recordsApplied },
      { key: RATE_LIMIT_WAITS, value: this.totals.rateLimitWaits },
    ]);
    this.showDetails();
  }

  /** What the run hands to the next after continue-as-new, with the import it triggered last still in flight. */
  carriedState(pending: PendingImport): CarriedState {
    return {
      nextSession: this.nextSession,
      overflow: this.overflow,
      totals: this.totals,
      sessions: this.sessions,
      startedAt: this.startedAt,
      lastTriggeredAtMs: this.lastTriggeredAtMs,
      pendingImport: {
        sessionIndex: pending.summary.sessionIndex,
        sessionId: pending.summary.sessionId,
        firstPollAt: pending.firstPollAt,
      },
      importTimes: this.importTimes,
      ...(this.refusedByOkta.length > 0 ? { refusedByOkta: this.refusedByOkta } : {}),
    };
  }

  result(): PushResult {
    return {
      planId: this.planId,
      identitySourceId: this.identitySourceId,
      status: 'applied',
      sessions: this.sessions,
      totals: this.totals,
      ...(this.refusedByOkta.length > 0 ? { refusedByOkta: this.refusedByOkta } : {}),
      startedAt: this.startedAt,
      finishedAt: new Date().toISOString(),
    };
  }

  /** The run's failure, naming the session it stopped at and what Okta applied before it. */
  failure(error: unknown): ApplicationFailure {
    const reason =
      error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    return ApplicationFailure.create({
      type: 'PushFailed',
      nonRetryable: true,
      message:
        `Pushing plan ${this.planId} failed at session ${this.progress.session} of ${this.progress.sessionsTotal}: ` +
        `${reason}. Applied and confirmed: ${this.totals.recordsApplied} records; the rest is sent again by the next run.`,
      cause: error instanceof Error ? error : undefined,
      details: [{ sessions: this.sessions, totals: this.totals }],
    });
  }

  /** The Web UI's current details: phase, session n of m, records applied and what the run waits for. */
  private showDetails(): void {
    const { phase, session, sessionsTotal, recordsTotal } = this.progress;
    const lines = [
      `**Phase:** ${phase}`,
      `**Session:** ${session} of ${sessionsTotal}`,
      `**Records applied:** ${this.totals.recordsApplied} of ${recordsTotal} (uploaded: ${this.totals.recordsUploaded})`,
    ];
    if (this.totals.recordsRefusedByOkta) {
      lines.push(`**Not applied by Okta (read back):** ${this.totals.recordsRefusedByOkta}, pending for the next sync`);
    }
    if (this.waiting) {
      const until = this.waiting.untilMs === undefined ? '' : ` until ${new Date(this.waiting.untilMs).toISOString()}`;
      lines.push(`**Waiting for:** ${this.waiting.what}${until}`);
    }
    setCurrentDetails(lines.join('\n\n'));
  }
}

function emptyTotals(): PushTotals {
  return {
    requestsUploaded: 0,
    recordsUploaded: 0,
    recordsApplied: 0,
    rateLimitWaits: 0,
    fiveMinuteWaits: 0,
    staleSessionsCancelled: 0,
  };
}
