/**
 * main's signals, as upstream's main handles them: SIGINT and SIGTERM wait in a one-slot channel
 * for the termination handler; SIGHUP asks for a reload (while one waits to be served, more are
 * dropped, like Go's `make(chan os.Signal, 1)`); and — a deviation — a second SIGINT or SIGTERM
 * once shutdown has begun ends the process at once, so a stuck shutdown can always be escaped.
 * Listening starts when this is called, before anything can accept a connection: on Node a
 * signal with no listener kills the process.
 */
import type { Logger } from 'pino';
import { SignalChannel } from '../run/index.js';
import type { ReloadQueue } from './reload-queue.js';

export interface MainSignals extends Disposable {
  /** SIGINT and SIGTERM, for the termination handler. */
  readonly term: SignalChannel;
  /** From now on a second SIGINT or SIGTERM exits the process. */
  shuttingDown(): void;
  /** Stops listening (when main returns): nothing of ours stays installed. Also `[Symbol.dispose]`. */
  release(): void;
}

export function listenForSignals(opts: { reloads: ReloadQueue; logger: Logger }): MainSignals {
  const term = new SignalChannel(['SIGINT', 'SIGTERM']);
  let shuttingDown = false;
  let hupQueued = false;
  const onHup = () => {
    if (hupQueued) return;
    hupQueued = true;
    void opts.reloads.request().then(() => {
      hupQueued = false;
    });
  };
  const onSecondSignal = (sig: NodeJS.Signals) => {
    if (!shuttingDown) return;
    opts.logger.error({ signal: sig }, 'Received a second signal while shutting down, exiting now');
    // The one deliberate exit: everything else ends by releasing what it holds.
    process.exit(1);
  };
  process.on('SIGHUP', onHup);
  process.on('SIGINT', onSecondSignal);
  process.on('SIGTERM', onSecondSignal);
  const release = () => {
    term.stop();
    process.off('SIGHUP', onHup);
    process.off('SIGINT', onSecondSignal);
    process.off('SIGTERM', onSecondSignal);
  };
  return {
    term,
    shuttingDown: () => {
      shuttingDown = true;
    },
    release,
    [Symbol.dispose]: release,
  };
}
