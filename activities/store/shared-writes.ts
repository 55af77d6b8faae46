/**
 * Writes the items of callers that arrive together in one call of `write` (one transaction, one commit), with at
 * most one write in flight: callers arriving meanwhile wait for it and share the next one. So a busy caller makes
 * about one store commit per event-loop turn instead of one per item (the webhook receiver's deliveries, the uploads
 * a session upload records as Okta accepts them).
 *
 * `write` returns one output per item, in order; each caller gets the outputs of its own items, once they are
 * written. A failed write fails every caller that shared it.
 */
export class SharedWrites<I, O> {
  readonly #write: (items: I[]) => Promise<O[]>;
  #waiting: { items: I[]; done: PromiseWithResolvers<O[]> }[] = [];
  #busy = false;

  constructor(write: (items: I[]) => Promise<O[]>) {
    this.#write = write;
  }

  add(items: I[]): Promise<O[]> {
    const done = Promise.withResolvers<O[]>();
    this.#waiting.push({ items, done });
    if (!this.#busy) {
      this.#busy = true;
      // After the current I/O callbacks, so that the deliveries whose bodies arrived in this turn share the write.
      setImmediate(() => void this.#flush());
    }
    return done.promise;
  }

  async #flush(): Promise<void> {
    const batch = this.#waiting;
    this.#waiting = [];
    try {
      const outputs = await this.#write(batch.flatMap((caller) => caller.items));
      let next = 0;
      for (const caller of batch) {
        caller.done.resolve(outputs.slice(next, next + caller.items.length));
        next += caller.items.length;
      }
    } catch (error) {
      for (const caller of batch) caller.done.reject(error);
    }
    if (this.#waiting.length > 0) setImmediate(() => void this.#flush());
    else this.#busy = false;
  }
}
