/**
 * SignalChannel: Go's `signal.Notify(make(chan os.Signal, 1), …)` for Node. Listeners are installed
 * at construction, because on Node a signal with no listener kills the process; what arrives before
 * anyone reads is buffered, one slot deep, and further signals are dropped while the slot is full,
 * exactly like Go's buffered channel.
 */
import type { SignalSource } from './actors.js';

export class SignalChannel {
  readonly #signals: readonly NodeJS.Signals[];
  readonly #source: SignalSource;
  #buffered: NodeJS.Signals | undefined;
  #reader: ((sig: NodeJS.Signals) => void) | undefined;
  readonly #onSignal = (sig: NodeJS.Signals) => {
    const reader = this.#reader;
    if (reader) {
      this.#reader = undefined;
      reader(sig);
    } else this.#buffered ??= sig;
  };

  constructor(signals: readonly NodeJS.Signals[], source: SignalSource = process) {
    this.#signals = signals;
    this.#source = source;
    for (const sig of signals) source.on(sig, this.#onSignal);
  }

  /** The next signal (a buffered one at once), or undefined when `signal` aborts first. */
  next(signal: AbortSignal): Promise<NodeJS.Signals | undefined> {
    const buffered = this.#buffered;
    if (buffered) {
      this.#buffered = undefined;
      return Promise.resolve(buffered);
    }
    if (signal.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const onAbort = () => {
        this.#reader = undefined;
        resolve(undefined);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#reader = (sig) => {
        signal.removeEventListener('abort', onAbort);
        resolve(sig);
      };
    });
  }

  /** Removes the listeners (`signal.Stop`): the signals' default actions apply again. */
  stop(): void {
    for (const sig of this.#signals) this.#source.off(sig, this.#onSignal);
  }
}
