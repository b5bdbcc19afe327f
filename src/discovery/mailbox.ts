/**
 * A one-slot, latest-wins channel: what Prometheus's discovery managers feed their consumers
 * through (`SyncCh()`). A publisher never blocks; a slow consumer simply sees the newest value.
 * There is no close: like upstream, the consumer stops by its own cancellation, not by the
 * channel ending, so discovery stopping first never makes the scrape manager return early.
 */
export class Mailbox<T> implements AsyncIterable<T> {
  #value: { v: T } | undefined;
  #waiter: ((value: T) => void) | undefined;

  publish(value: T): void {
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter(value);
    } else {
      this.#value = { v: value };
    }
  }

  /** Resolves to the newest unseen value, waiting for one if there is none. One consumer at a time. */
  next(): Promise<T> {
    const pending = this.#value;
    if (pending) {
      this.#value = undefined;
      return Promise.resolve(pending.v);
    }
    if (this.#waiter) throw new Error('Mailbox: only one consumer may wait at a time');
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: async () => ({ value: await this.next(), done: false }),
      return: async () => {
        this.#waiter = undefined;
        return { value: undefined, done: true };
      },
    };
  }
}
