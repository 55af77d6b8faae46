/** Hands HR events (by id) to an identity source's coordinator with one signal, by `deadline` (epoch ms). */
export type SignalCoordinator = (identitySourceId: string, eventIds: string[], deadline: number) => Promise<void>;

interface Batch {
  eventIds: string[];
  /** The earliest deadline of the deliveries waiting on this batch. */
  deadline: number;
  done: PromiseWithResolvers<void>;
}

/**
 * Hands HR events to the coordinators with at most one signal in flight per identity source: deliveries that arrive
 * while a signal is in flight wait for it to end and then share the next one. Signals to one workflow execution are
 * recorded one at a time by Temporal, and an execution takes at most 10,000 of them, so one signal per delivery
 * caps the intake at the signal rate of one workflow and fills that budget at the delivery rate; this way a busy
 * receiver sends about one signal per round trip, whatever the number of deliveries (and the caller records the
 * handoff of the batch's events with one store write).
 *
 * A delivery's promise settles only once a signal that counts its events is recorded (or failed), so a 202 still
 * means Temporal has them. Deadlines come from the arrival times, so a batch's deadline is never later than that of
 * a delivery waiting on it, and waiting behind a signal in flight never lets a delivery outlive its own deadline.
 */
export class CoalescingHandoff {
  readonly #signal: SignalCoordinator;
  readonly #waiting = new Map<string, Batch>();
  readonly #inFlight = new Set<string>();

  constructor(signal: SignalCoordinator) {
    this.#signal = signal;
  }

  handOff(identitySourceId: string, eventIds: string[], deadline: number): Promise<void> {
    let batch = this.#waiting.get(identitySourceId);
    if (!batch) {
      batch = { eventIds: [], deadline, done: Promise.withResolvers<void>() };
      this.#waiting.set(identitySourceId, batch);
    }
    batch.eventIds.push(...eventIds);
    batch.deadline = Math.min(batch.deadline, deadline);
    const settled = batch.done.promise;
    if (!this.#inFlight.has(identitySourceId)) this.#send(identitySourceId);
    return settled;
  }

  #send(identitySourceId: string): void {
    const batch = this.#waiting.get(identitySourceId);
    if (!batch) return;
    this.#waiting.delete(identitySourceId);
    this.#inFlight.add(identitySourceId);
    void this.#signal(identitySourceId, batch.eventIds, batch.deadline)
      .then(batch.done.resolve, batch.done.reject)
      .finally(() => {
        this.#inFlight.delete(identitySourceId);
        this.#send(identitySourceId);
      });
  }
}
