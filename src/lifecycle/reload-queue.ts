/**
 * Reload requests from the web (`POST /-/reload`), waiting for the reload handler: the port of
 * upstream's `webHandler.Reload()` channel of reply channels. A request made before the handler
 * runs waits, and gets the result of the reload that serves it. Once shutdown begins the queue is
 * closed: waiting and later requests are refused with a reason, never left hanging.
 */

import { Handoff } from '../run/index.js';

export type ReloadOutcome = { ok: true } | { ok: false; status: 500 | 503; message: string };

interface Pending {
  settle: (outcome: ReloadOutcome) => void;
}

export class ReloadQueue {
  readonly #pending: Pending[] = [];
  readonly #handoff = new Handoff<Pending>();
  #closedReason: string | undefined;

  /** Web side: queues a request and resolves with its outcome. */
  request(): Promise<ReloadOutcome> {
    return new Promise((settle) => {
      if (this.#closedReason !== undefined) return settle({ ok: false, status: 503, message: this.#closedReason });
      const request = { settle };
      if (!this.#handoff.give(request)) this.#pending.push(request);
    });
  }

  /** Handler side: the next request, or undefined once `signal` aborts. */
  next(signal: AbortSignal): Promise<Pending | undefined> {
    const queued = this.#pending.shift();
    if (queued) return Promise.resolve(queued);
    return this.#handoff.wait(signal);
  }

  /** Refuses every waiting and future request with `reason` (a 503). Idempotent. */
  close(reason: string): void {
    if (this.#closedReason !== undefined) return;
    this.#closedReason = reason;
    for (const request of this.#pending.splice(0)) request.settle({ ok: false, status: 503, message: reason });
  }
}
