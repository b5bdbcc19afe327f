/**
 * A Latch is a one-way gate: closed until `open()` is called, open for ever after. It is the type of
 * Prometheus's dbOpen and reloadReady (a channel closed once, guarded by `closeOnce`).
 * Readiness uses latches; cancellation uses AbortSignal. `waitOrAbort` combines the two the way an
 * actor must: it waits on the latch *or* its own cancellation, whichever comes first.
 */
export class Latch {
  #isOpen = false;
  #release!: () => void;
  readonly #opened = new Promise<void>((resolve) => {
    this.#release = resolve;
  });

  /** Opens the latch; calling it again does nothing. */
  open(): void {
    if (this.#isOpen) return;
    this.#isOpen = true;
    this.#release();
  }

  /** Resolves once the latch is open (at once if it already is). */
  wait(): Promise<void> {
    return this.#opened;
  }

  get isOpen(): boolean {
    return this.#isOpen;
  }
}

/**
 * Resolves to 'open' when the latch opens, or 'aborted' when the signal aborts first (or already
 * had). When both have happened, 'aborted' wins: once interrupted, an actor's work must not start.
 * The abort listener is removed either way, so repeated waits leak nothing.
 */
export function waitOrAbort(latch: Latch, signal: AbortSignal): Promise<'open' | 'aborted'> {
  if (signal.aborted) return Promise.resolve('aborted');
  if (latch.isOpen) return Promise.resolve('open');
  return new Promise((resolve) => {
    const onAbort = () => resolve('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    latch.wait().then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(signal.aborted ? 'aborted' : 'open');
    });
  });
}

/**
 * Resolves once `signal` aborts (at once if it has): how an actor whose work runs elsewhere waits
 * for its own cancellation.
 */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
