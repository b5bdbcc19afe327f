/**
 * Handoff: one reader waiting for one value, or for its own cancellation, whichever comes first.
 * The shared core of channels whose producer must never block (SignalChannel, the web's reload
 * queue): the producer offers a value with `give`, and buffers it itself when nobody is waiting.
 */
export class Handoff<T> {
  #reader: ((value: T) => void) | undefined;

  /** Hands `value` to the waiting reader; false (and nothing happens) when nobody waits. */
  give(value: T): boolean {
    const reader = this.#reader;
    if (!reader) return false;
    this.#reader = undefined;
    reader(value);
    return true;
  }

  /** The next value given, or undefined once `signal` aborts; its abort listener never outlives it. */
  wait(signal: AbortSignal): Promise<T | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const onAbort = () => {
        this.#reader = undefined;
        resolve(undefined);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#reader = (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      };
    });
  }
}
