import { activityInfo, Context, heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { isOktaFailure, NON_RETRYABLE_OKTA_FAILURES, OKTA_FAILURE } from '../../contracts/okta-failure-types.ts';
import type { SessionUploadResult } from '../../contracts/push-messages.ts';
import { bodyFromItemTexts, ENDPOINT_OF } from '../okta/bulk-requests.ts';
import type { IdentitySourceClient } from '../okta/identity-source-client.ts';
import type { PushRequest, StateStore } from '../store/state-store.ts';
import { acceptedUploadsRecorder } from './accepted-uploads.ts';
import { keepAlive } from './keep-alive.ts';
import type { PlanLayouts } from './plan-layout.ts';

export interface SessionUploadInput {
  identitySourceId: string;
  sessionId: string;
  planId: string;
  requestIndexes: number[];
  concurrency: number;
}

interface SessionUploadHeartbeat {
  rateLimitWaits: number;
  /** Attempts in a row that got no upload accepted: the retry delay doubles with each. */
  stalledAttempts: number;
  /** Uploads of the session accepted so far (what is recorded in the store), for people looking at the run. */
  accepted: number;
}

const RETRY_INITIAL_MS = 1_000;
const RETRY_MAX_MS = 60_000;
/** Tries of one upload within an attempt of uploadSession, a second and then two apart. */
const TRIES_IN_ATTEMPT = 3;

/**
 * Uploads a session's requests with up to `concurrency` in flight, starting the next as soon as one is accepted, but a
 * request that begins an operation only once every earlier one is accepted (groups and users before the memberships
 * that name them). Each accepted upload is recorded in the store before its place in the window is taken again, so a
 * retried attempt (after a crash, a 5xx, a 429) sends only what is not recorded: at most the window's width of uploads
 * again. On a failure it starts nothing more, lets the uploads in flight end, and fails (a 429 with Okta's reset as the
 * retry delay). A cancelled run's uploads stop at the next heartbeat.
 */
export function uploadSessionActivity(deps: { store: StateStore; okta: IdentitySourceClient; layouts: PlanLayouts }) {
  return async function uploadSession(input: SessionUploadInput): Promise<SessionUploadResult> {
    const layout = await deps.layouts.of(input.planId);
    const requests = input.requestIndexes.map((index) => {
      const request = layout[index];
      if (!request) throw ApplicationFailure.nonRetryable(`Plan ${input.planId} has no request ${index}`);
      return request;
    });
    const earlier = activityInfo().heartbeatDetails as SessionUploadHeartbeat | undefined;
    const recorded = new Set(await deps.store.acceptedUploads(input.sessionId));
    const attempt = new UploadAttempt(deps, input, layout, {
      rateLimitWaits: earlier?.rateLimitWaits ?? 0,
      stalledAttempts: earlier?.stalledAttempts ?? 0,
      accepted: 0,
    });
    attempt.alreadyAccepted(input.requestIndexes.filter((index) => recorded.has(index)));
    return await attempt.run(requests.filter((r) => !recorded.has(r.index)));
  };
}

/** One attempt of uploadSession: the sliding window of uploads and what it learned on the way. */
class UploadAttempt {
  private readonly accepted = new Set<number>();
  private acceptedBefore = 0;
  private readonly notTaken: number[] = [];
  private waiting: PushRequest[] = [];
  private inFlight = 0;
  private full = false;
  private failure: { error: unknown } | undefined;
  private wake: (() => void) | undefined;
  private stop!: () => void;
  /** Settles once the attempt stops starting uploads (a failure, a full session, a cancellation). */
  private readonly stopped = new Promise<void>((resolve) => (this.stop = resolve));
  private readonly signal = Context.current().cancellationSignal;
  private readonly record: ReturnType<typeof acceptedUploadsRecorder>;
  private readonly deps: { store: StateStore; okta: IdentitySourceClient };
  private readonly input: SessionUploadInput;
  private readonly layout: PushRequest[];
  private readonly details: SessionUploadHeartbeat;

  constructor(
    deps: { store: StateStore; okta: IdentitySourceClient },
    input: SessionUploadInput,
    layout: PushRequest[],
    details: SessionUploadHeartbeat,
  ) {
    this.deps = deps;
    this.input = input;
    this.layout = layout;
    this.details = details;
    this.record = acceptedUploadsRecorder(deps.store, input.planId, input.sessionId);
  }

  alreadyAccepted(requestIndexes: number[]): void {
    for (const index of requestIndexes) this.accepted.add(index);
    this.acceptedBefore = this.accepted.size;
    this.details.accepted = this.accepted.size;
  }

  async run(waiting: PushRequest[]): Promise<SessionUploadResult> {
    this.waiting = waiting;
    const abort = () => {
      this.stop();
      this.changed();
    };
    this.signal.addEventListener('abort', abort);
    try {
      await keepAlive(
        () => this.slideWindow(),
        () => this.details,
      );
    } finally {
      this.signal.removeEventListener('abort', abort);
    }
    if (this.signal.aborted) await Context.current().cancelled;
    if (this.failure) {
      throw retryableAfterProgress(this.failure.error, this.details, this.accepted.size > this.acceptedBefore);
    }
    // The workflow logs the carry-over to the next session.
    if (this.full) this.notTaken.push(...this.waiting.map((r) => r.index));
    const acceptedIndexes = this.input.requestIndexes.filter((index) => this.accepted.has(index));
    return {
      accepted: acceptedIndexes,
      notTaken: this.notTaken.sort((a, b) => a - b),
      records: acceptedIndexes.reduce((sum, index) => sum + this.layout[index]!.itemCount, 0),
      rateLimitWaits: this.details.rateLimitWaits,
    };
  }

  private async slideWindow(): Promise<void> {
    while (this.waiting.length > 0 && !this.stopping()) {
      if (!this.canStart()) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      this.inFlight++;
      void this.send(this.waiting.shift()!).finally(() => {
        this.inFlight--;
        this.changed();
      });
    }
    while (this.inFlight > 0) await new Promise<void>((resolve) => (this.wake = resolve));
  }

  private changed(): void {
    this.wake?.();
    this.wake = undefined;
  }

  private stopping(): boolean {
    return this.full || this.failure !== undefined || this.signal.aborted;
  }

  private canStart(): boolean {
    const next = this.waiting[0]!;
    const startsOperation = next.index > 0 && this.layout[next.index - 1]!.operation !== next.operation;
    return this.inFlight < this.input.concurrency && (this.inFlight === 0 || !startsOperation);
  }

  private async send(request: PushRequest): Promise<void> {
    try {
      const { planId, identitySourceId, sessionId } = this.input;
      const texts = await this.deps.store.readItemTexts(
        planId,
        request.operation,
        request.firstItem,
        request.itemCount,
      );
      const body = bodyFromItemTexts(request.operation, texts, request.bytes);
      await this.uploadWithTries(() =>
        this.deps.okta.upload(identitySourceId, sessionId, ENDPOINT_OF[request.operation], body),
      );
      await this.record.add(request.index);
      this.accepted.add(request.index);
      this.details.accepted = this.accepted.size;
      // Throttled by the SDK; its answer is how a cancellation of the run reaches this attempt.
      heartbeat(this.details);
    } catch (error) {
      if (isOktaFailure(error, OKTA_FAILURE.sessionFull)) {
        this.full = true;
        this.notTaken.push(request.index);
      } else {
        this.failure ??= { error };
      }
      this.stop();
    }
  }

  /**
   * A 5xx or a lost answer is tried again here, its slot held, while the other uploads go on; a 429 or a third failure
   * ends the attempt instead (see retryableAfterProgress).
   */
  private async uploadWithTries(upload: () => Promise<unknown>): Promise<void> {
    for (let tries = 1; ; tries++) {
      try {
        await upload();
        return;
      } catch (error) {
        if (!isTransient(error) || tries >= TRIES_IN_ATTEMPT || this.stopping()) throw error;
        await Promise.race([delay(RETRY_INITIAL_MS * 2 ** (tries - 1)), this.stopped]);
        if (this.stopping()) throw error;
      }
    }
  }
}

/** A failure that another try may not meet: a 5xx or a lost answer, not a 429 (the attempt waits for the reset). */
function isTransient(error: unknown): boolean {
  return (
    error instanceof ApplicationFailure &&
    !error.nonRetryable &&
    !isOktaFailure(error, OKTA_FAILURE.rateLimited) &&
    !(NON_RETRYABLE_OKTA_FAILURES as string[]).includes(error.type ?? '')
  );
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * The failure a session upload's attempt ends with. A 429 keeps Okta's reset as its retry delay; another retryable
 * failure is retried after the retry policy's first interval when the attempt got uploads accepted, doubling only over
 * attempts that got none, so that an Okta answering 5xx now and then does not push a session's later attempts minutes
 * apart (the policy's backoff counts attempts, not attempts without progress). The counts travel in the heartbeat
 * details sent with the failure.
 */
function retryableAfterProgress(error: unknown, details: SessionUploadHeartbeat, progressed: boolean): unknown {
  if (isOktaFailure(error, OKTA_FAILURE.rateLimited)) {
    details.rateLimitWaits++;
    heartbeat(details);
    return error;
  }
  details.stalledAttempts = progressed ? 0 : details.stalledAttempts + 1;
  heartbeat(details);
  if (!(error instanceof ApplicationFailure) || error.nonRetryable) return error;
  if ((NON_RETRYABLE_OKTA_FAILURES as string[]).includes(error.type ?? '')) return error;
  return ApplicationFailure.create({
    type: error.type ?? undefined,
    message: error.message,
    details: error.details ?? undefined,
    nextRetryDelay: Math.min(RETRY_MAX_MS, RETRY_INITIAL_MS * 2 ** details.stalledAttempts),
  });
}
