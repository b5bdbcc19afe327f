/**
 * --query.max-concurrency (upstream's ActiveQueryTracker slots): at most `limit` queries run at
 * once; the others wait, first come first served, until one finishes or their signal aborts.
 */
export class Gate {
  #running = 0;
  readonly #waiters: (() => void)[] = [];

  constructor(readonly limit: number) {}

  /** Resolves with a release function once a slot is free; rejects with the signal's reason if it aborts while waiting. */
  acquire(signal: AbortSignal): Promise<() => void> {
    // A free slot is taken even by an aborted query: the engine's own check then reports where.
    if (this.#running < this.limit) {
      this.#running++;
      return Promise.resolve(this.#releaser());
    }
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const i = this.#waiters.indexOf(grant);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(signal.reason);
      };
      const grant = () => {
        signal.removeEventListener('abort', onAbort);
        this.#running++;
        resolve(this.#releaser());
      };
      this.#waiters.push(grant);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Queries running now. */
  get running(): number {
    return this.#running;
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#running--;
      this.#waiters.shift()?.();
    };
  }
}
