/**
 * Ready-made actors in the style of oklog/run's actors.go. Each returns the pair to hand to
 * `Group.add(execute, interrupt)`.
 */
import type { Actor } from './group.js';

/** The error a signal handler actor returns: it names the signal that ended the group. */
export class SignalError extends Error {
  override readonly name = 'SignalError';
  constructor(readonly signal: NodeJS.Signals) {
    super(`received signal ${signal}`);
  }
}

/**
 * Where signals come from. `process` is one; tests pass an EventEmitter and emit signal names on it,
 * so no real signal is needed.
 */
export interface SignalSource {
  on(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

/**
 * An actor that returns a SignalError on the first of `signals`, or returns cleanly when
 * interrupted. Its listeners are installed when the actor is created (a signal with no listener kills
 * a Node process, so they must not wait for the group to run) and removed when it returns.
 */
export function signalHandler(signals: readonly NodeJS.Signals[], source: SignalSource = process): Actor {
  let settle!: (sig: NodeJS.Signals | undefined) => void;
  const outcome = new Promise<NodeJS.Signals | undefined>((resolve) => {
    settle = resolve;
  });
  const onSignal = (sig: NodeJS.Signals) => settle(sig);
  for (const sig of signals) source.on(sig, onSignal);
  return {
    execute: async () => {
      const sig = await outcome;
      for (const s of signals) source.off(s, onSignal);
      if (sig !== undefined) throw new SignalError(sig);
    },
    interrupt: () => settle(undefined),
  };
}

/**
 * An actor that returns when `signal` aborts, with the signal's reason as its error (like oklog's
 * ContextHandler returning ctx.Err()), or returns cleanly when interrupted.
 */
export function abortHandler(signal: AbortSignal): Actor {
  const stop = new AbortController();
  return {
    execute: () =>
      new Promise<void>((resolve, reject) => {
        const finish = () => {
          signal.removeEventListener('abort', finish);
          stop.signal.removeEventListener('abort', finish);
          if (signal.aborted) reject(signal.reason);
          else resolve();
        };
        if (signal.aborted || stop.signal.aborted) return finish();
        signal.addEventListener('abort', finish, { once: true });
        stop.signal.addEventListener('abort', finish, { once: true });
      }),
    interrupt: () => stop.abort(),
  };
}
