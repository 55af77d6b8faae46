import { setCurrentDetails, upsertSearchAttributes, workflowInfo, type CancellationScope } from '@temporalio/workflow';
import { PHASE } from '../../contracts/search-attributes.ts';
import type {
  CoordinatorInput,
  CoordinatorOptions,
  RequestInProgress,
  SyncPhase,
  SyncReason,
  SyncRequest,
  SyncStatus,
  SyncSummary,
} from '../../contracts/sync-messages.ts';

export type QueuedRequest = SyncRequest & { requestId: string; reasons: SyncReason[] };
/** The request being served: what is known of it so far (its stage once it may be handed over). */
export type RunningRequest = QueuedRequest & { startedAt: string } & Partial<RequestInProgress>;

export const DEFAULTS: Required<Omit<CoordinatorOptions, 'push'>> = {
  approvalTimeoutMs: 24 * 3_600_000,
  hrEventQuietMs: 10_000,
  hrEventMaxDelayMs: 60_000,
  idleTimeoutMs: 3_600_000,
  fastPathMaxPeople: 20,
  fastPathMaxLeavers: 200,
};

/** Requests of the recent past kept for `status`; older ones live in workflow history and reports. */
const RECENT_KEPT = 20;

/**
 * Everything one coordinator run knows: the queue, the request it serves, the HR events it gathers and the recent
 * outcomes. Handlers and the main loop read and change it only through these methods.
 */
export class CoordinatorState {
  readonly identitySourceId: string;
  readonly options: typeof DEFAULTS & CoordinatorOptions;
  readonly queue: QueuedRequest[];
  readonly recent: SyncSummary[];
  pendingHrEvents: number;
  /** Of the pending HR events, leavers not yet planned on their own (they do not wait for the debounce). */
  pendingLeavers: number;
  /** Leavers deactivated (or not) while a push ran, to be planned again once it ended (see fast-path.ts). */
  deferredLeavers = 0;
  /** Imports the running push confirmed (its importConfirmed signals), in this run. */
  importsConfirmed = 0;
  /** Imports Okta completed for the running push (its importCompleted signals), in this run. */
  importsCompleted = 0;
  firstHrEventAt: number | undefined;
  lastHrEventAt: number | undefined;
  phase: SyncPhase = 'idle';
  /** What the run waits for now, and until when: shown in the Web UI's current details. */
  waitingFor: string | undefined;
  /** A request the previous run handed over midway, served first. */
  carriedRequest: RequestInProgress | undefined;
  current: RunningRequest | undefined;
  currentScope: CancellationScope | undefined;
  /** A cancel that came while a request was being handed over, for the next run to carry out. */
  cancelRequested: boolean;
  decision: RequestInProgress['decision'];
  /** Whether this run has the single-record fast path (decided once, at the run's start, by a patch marker). */
  readonly fastPath: boolean;
  /** Whether plans of leavers alone go person by person up to `fastPathMaxLeavers` (decided likewise). */
  private readonly leaversBeyondMaxPeople: boolean;
  private nextRequestNumber: number;
  private readonly input: CoordinatorInput;

  constructor(input: CoordinatorInput, patches: { fastPath: boolean; leaversBeyondMaxPeople: boolean }) {
    this.fastPath = patches.fastPath;
    this.leaversBeyondMaxPeople = patches.leaversBeyondMaxPeople;
    const carried = input.carried;
    this.input = input;
    this.identitySourceId = input.identitySourceId;
    this.options = { ...DEFAULTS, ...input.options };
    this.queue = carried?.queue ?? [];
    this.recent = carried?.recent ?? [];
    this.pendingHrEvents = carried?.pendingHrEvents ?? 0;
    this.pendingLeavers = carried?.pendingLeavers ?? 0;
    this.nextRequestNumber = carried?.nextRequestNumber ?? 1;
    this.firstHrEventAt = carried?.firstHrEventAt ?? (this.pendingHrEvents > 0 ? Date.now() : undefined);
    this.lastHrEventAt = carried?.lastHrEventAt ?? this.firstHrEventAt;
    this.carriedRequest = carried?.current;
    this.cancelRequested = this.carriedRequest?.cancelRequested ?? false;
    this.decision = this.carriedRequest?.decision;
  }

  /** How many people a plan may have to go person by person; plans of leavers alone may have more. */
  fastPathMax(leaversOnly: boolean): number {
    const { fastPathMaxPeople, fastPathMaxLeavers } = this.options;
    if (!this.fastPath || fastPathMaxPeople === 0) return 0;
    return leaversOnly && this.leaversBeyondMaxPeople
      ? Math.max(fastPathMaxPeople, fastPathMaxLeavers)
      : fastPathMaxPeople;
  }

  setPhase(next: SyncPhase, waitingFor?: string): void {
    this.phase = next;
    upsertSearchAttributes([{ key: PHASE, value: next }]);
    this.waitFor(waitingFor);
  }

  waitFor(waitingFor: string | undefined): void {
    this.waitingFor = waitingFor;
    this.showDetails();
  }

  /** The Web UI's current details: phase, what it waits for, the running request, the queue, the last outcome. */
  showDetails(): void {
    const { current, queue, recent } = this;
    const lines = [`**Phase:** ${this.phase}${this.waitingFor ? `, waiting for ${this.waitingFor}` : ''}`];
    if (current) {
      const plan = current.planId ? `, plan ${current.planId}` : '';
      lines.push(`**Running:** ${describeRequest(current)} (${current.reasons.join(', ')})${plan}`);
    }
    const queued = queue.map(describeRequest).join('; ');
    lines.push(`**Queue:** ${queue.length ? `${queue.length} waiting: ${queued}` : 'empty'}`);
    if (this.pendingHrEvents > 0) lines.push(`**HR events gathered:** ${this.pendingHrEvents}`);
    if (recent[0]) lines.push(`**Last:** ${recent[0].requestId} ${recent[0].outcome} at ${recent[0].finishedAt}`);
    setCurrentDetails(lines.join('\n'));
  }

  hasWork(): boolean {
    return this.queue.length > 0 || this.pendingHrEvents > 0;
  }

  /**
   * Merges into a waiting request that does the same or more; otherwise queues. A full sync covers a delta one; a
   * sync of named people merges only with another of named people (their union), the leavers' request only with
   * itself, and the leavers' request goes first.
   */
  enqueue(request: SyncRequest, first = false): { requestId: string; merged: boolean; position: number } {
    const { queue, current } = this;
    const same = (waiting: QueuedRequest) =>
      waiting.dryRun === request.dryRun &&
      (waiting.leavers ?? false) === (request.leavers ?? false) &&
      (waiting.people === undefined) === (request.people === undefined);
    const compatible = queue.find(
      (waiting) => same(waiting) && (waiting.mode === request.mode || waiting.mode === 'full'),
    );
    const upgradable = queue.find((waiting) => same(waiting) && request.mode === 'full');
    const target = compatible ?? upgradable;
    if (target) {
      target.mode = target.mode === 'full' || request.mode === 'full' ? 'full' : 'delta';
      if (!target.reasons.includes(request.reason)) target.reasons.push(request.reason);
      target.notify = [...(target.notify ?? []), ...(request.notify ?? [])];
      if (target.people && request.people) target.people = [...new Set([...target.people, ...request.people])];
      this.showDetails();
      return { requestId: target.requestId, merged: true, position: queue.indexOf(target) + (current ? 2 : 1) };
    }
    const requestId = `${workflowInfo().workflowId}#${this.nextRequestNumber++}`;
    const queued = { ...request, requestId, reasons: [request.reason] };
    if (first) queue.unshift(queued);
    else queue.push(queued);
    this.showDetails();
    return { requestId, merged: false, position: (first ? 1 : queue.length) + (current ? 1 : 0) };
  }

  noteHrEvents(events: number, leavers = 0): void {
    this.pendingLeavers += leavers;
    this.pendingHrEvents += events;
    this.lastHrEventAt = Date.now();
    this.firstHrEventAt ??= this.lastHrEventAt;
    this.showDetails();
  }

  /**
   * The pending leavers become one request at the head of the queue, planned without the export. The other events
   * keep their debounce; once no other event is pending, nothing is left to gather.
   */
  queueLeavers(): void {
    this.takeLeavers();
    this.enqueue({ mode: 'delta', dryRun: false, reason: 'webhook', leavers: true }, true);
  }

  /** Takes the pending leavers out of the HR events that wait for the debounce; returns how many there were. */
  takeLeavers(): number {
    const taken = this.pendingLeavers;
    this.pendingHrEvents = Math.max(0, this.pendingHrEvents - taken);
    this.pendingLeavers = 0;
    if (this.pendingHrEvents === 0) this.firstHrEventAt = this.lastHrEventAt = undefined;
    this.showDetails();
    return taken;
  }

  /** Leavers taken while a push ran, to be planned once more after it. */
  deferLeavers(count: number): void {
    this.deferredLeavers += count;
  }

  /** The push ended: the leavers taken meanwhile are pending again, and go first. */
  releaseDeferredLeavers(): void {
    if (this.deferredLeavers === 0) return;
    this.noteHrEvents(this.deferredLeavers, this.deferredLeavers);
    this.deferredLeavers = 0;
  }

  /** The outcome of work done beside the running request (leavers deactivated while a push ran). */
  recordSideOutcome(outcome: SyncSummary['outcome'], startedAt: string, extra: Partial<SyncSummary>): void {
    this.recent.unshift({
      requestId: `${workflowInfo().workflowId}#${this.nextRequestNumber++}`,
      identitySourceId: this.identitySourceId,
      mode: 'delta',
      dryRun: false,
      reasons: ['webhook'],
      outcome,
      ...extra,
      startedAt,
      finishedAt: new Date().toISOString(),
    });
    this.recent.splice(RECENT_KEPT);
    this.showDetails();
  }

  /** The gathered HR events become one delta request. */
  queueGatheredHrEvents(): void {
    this.pendingHrEvents = 0;
    this.pendingLeavers = 0;
    this.firstHrEventAt = this.lastHrEventAt = undefined;
    this.enqueue({ mode: 'delta', dryRun: false, reason: 'webhook' });
  }

  /** Takes the next request to serve: the one handed over, else the first queued. */
  takeNext(): RunningRequest {
    if (this.carriedRequest) {
      this.current = { ...this.carriedRequest };
      this.carriedRequest = undefined;
    } else {
      this.current = { ...this.queue.shift()!, startedAt: new Date().toISOString() };
    }
    return this.current;
  }

  /** Records a served request's outcome among the recent ones. */
  finish(result: SyncSummary): void {
    this.current = undefined;
    this.recent.unshift(result);
    this.recent.splice(RECENT_KEPT);
    this.showDetails();
  }

  status(): SyncStatus {
    const { current } = this;
    return {
      identitySourceId: this.identitySourceId,
      phase: this.phase,
      ...(current
        ? {
            current: {
              requestId: current.requestId,
              mode: current.mode,
              dryRun: current.dryRun,
              reasons: current.reasons,
              planId: current.planId,
              pushWorkflowId: current.pushWorkflowId,
              guardrails: current.guardrails,
              approvalDeadline: current.approvalDeadline,
              counts: current.counts,
            },
          }
        : {}),
      queued: this.queue.map(({ requestId, mode, dryRun, reasons }) => ({ requestId, mode, dryRun, reasons })),
      pendingHrEvents: this.pendingHrEvents,
      recent: this.recent,
    };
  }

  /** What the next run goes on from: the queue, the recent outcomes, the pending HR events, a request midway. */
  handOverInput(): CoordinatorInput {
    const { firstHrEventAt, lastHrEventAt, current } = this;
    return {
      identitySourceId: this.identitySourceId,
      ...(this.input.options ? { options: this.input.options } : {}),
      carried: {
        queue: this.queue,
        recent: this.recent,
        pendingHrEvents: this.pendingHrEvents + this.deferredLeavers,
        ...(this.pendingLeavers + this.deferredLeavers > 0
          ? { pendingLeavers: this.pendingLeavers + this.deferredLeavers }
          : {}),
        nextRequestNumber: this.nextRequestNumber,
        ...(firstHrEventAt === undefined ? {} : { firstHrEventAt, lastHrEventAt: lastHrEventAt! }),
        ...(current?.stage ? { current: this.inProgress(current) } : {}),
      },
    };
  }

  private inProgress(request: RunningRequest): RequestInProgress {
    const { requestId, mode, dryRun, reason, reasons, notify, startedAt, stage, planId, reportPath, planItems } =
      request as RequestInProgress;
    return {
      requestId,
      mode,
      dryRun,
      reason,
      reasons,
      ...(notify ? { notify } : {}),
      ...(request.people ? { people: request.people } : {}),
      ...(request.leavers ? { leavers: true } : {}),
      startedAt,
      stage,
      planId,
      reportPath,
      planItems,
      ...(request.planPeople === undefined ? {} : { planPeople: request.planPeople }),
      ...(request.guardrails ? { guardrails: request.guardrails } : {}),
      ...(request.counts ? { counts: request.counts } : {}),
      ...(request.approvalDeadline ? { approvalDeadline: request.approvalDeadline } : {}),
      ...(request.pushWorkflowId ? { pushWorkflowId: request.pushWorkflowId } : {}),
      ...(this.decision ? { decision: this.decision } : {}),
      ...(this.cancelRequested ? { cancelRequested: this.cancelRequested } : {}),
    };
  }

  /** The outcome of the running request, with what is known of it so far. */
  summary(outcome: SyncSummary['outcome'], extra: Partial<SyncSummary> = {}): SyncSummary {
    const request = this.current!;
    return {
      requestId: request.requestId,
      identitySourceId: this.identitySourceId,
      mode: request.mode,
      dryRun: request.dryRun,
      reasons: request.reasons,
      outcome,
      ...(request.planId ? { planId: request.planId } : {}),
      ...(request.guardrails?.length ? { guardrails: request.guardrails } : {}),
      ...(request.counts ? { counts: request.counts } : {}),
      ...extra,
      startedAt: request.startedAt,
      finishedAt: new Date().toISOString(),
    };
  }
}

function describeRequest(request: QueuedRequest): string {
  const what = request.leavers
    ? 'HR leavers'
    : request.people
      ? `${request.mode} sync of ${request.people.length === 1 ? request.people[0] : `${request.people.length} people`}`
      : `${request.mode} sync`;
  return `${request.requestId}: ${request.dryRun ? 'dry-run ' : ''}${what}`;
}
