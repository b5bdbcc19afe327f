/**
 * SignalChannel: Go's `signal.Notify(make(chan os.Signal, 1), …)` for Node. Listeners are installed
 * at construction, because on Node a signal with no listener kills the process; what arrives before
 * anyone reads is buffered, one slot deep, and further signals are dropped while the slot is full,
 * exactly like Go's buffered channel.
 */
import type { SignalSource } from './actors.js';
import { Handoff } from './handoff.js';

export class SignalChannel {
  readonly #signals: readonly NodeJS.Signals[];
  readonly #source: SignalSource;
  #buffered: NodeJS.Signals | undefined;
  readonly #handoff = new Handoff<NodeJS.Signals>();
  readonly #onSignal = (sig: NodeJS.Signals) => {
    if (!this.#handoff.give(sig)) this.#buffered ??= sig;
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
    return this.#handoff.wait(signal);
  }

  /** Removes the listeners (`signal.Stop`): the signals' default actions apply again. */
  stop(): void {
    for (const sig of this.#signals) this.#source.off(sig, this.#onSignal);
  }
}
