/**
 * Package run implements an actor-runner with deterministic teardown: a port of Go's oklog/run.
 *
 * An actor is a pair of functions, `execute` and `interrupt`, added to a Group with `add`.
 * `run()` starts every `execute` at once. When the first of them finishes (successfully, with an
 * error, or by throwing), every `interrupt` is called, each exactly once, one after another, in the
 * order the actors were added, each given that first error. `run()` then waits for every `execute`
 * to finish and resolves (never rejects) to the first actor's error, or `undefined` when that actor
 * returned cleanly. A group with no actors resolves at once.
 *
 * - When several actors finish in the same tick, the one added first counts as first.
 * - An interrupt may be async: the next interrupt is not called until it settles. That is what
 *   makes shutdown order safe (storage closes only after the scrape manager has stopped).
 * - An interrupt that throws or rejects does not stop the remaining interrupts; the error is
 *   handed to `onInterruptError` when given, and `run()` still resolves to the first error.
 * - Every interrupt is called, including the one whose own `execute` already returned, and an
 *   interrupt may come before its actor's work has started. Both must be safe.
 * - A group runs once: calling `run()` a second time throws, as do actors added after `run()`
 *   (they would never be interrupted).
 */

/** Does the actor's work; a rejection or a synchronous throw is the actor's error. */
export type Execute = () => Promise<void> | void;

/** Makes its `execute` return promptly; may await until the actor has really stopped. */
export type Interrupt = (err: unknown) => Promise<void> | void;

export interface GroupOptions {
  /** Called with an interrupt's own error and the actor's add index; the group carries on. */
  onInterruptError?: (err: unknown, index: number) => void;
}

/** An actor: the pair `add` takes, and what the ready-made actors (actors.ts) return. */
export interface Actor {
  execute: Execute;
  interrupt: Interrupt;
}

type Outcome = { index: number; error: unknown };

export class Group {
  readonly #actors: Actor[] = [];
  readonly #options: GroupOptions;
  #running = false;

  constructor(options: GroupOptions = {}) {
    this.#options = options;
  }

  /** Registers an actor; throws once `run()` has been called. */
  add(execute: Execute, interrupt: Interrupt): void {
    if (this.#running) throw new Error('run.Group: add() after run()');
    this.#actors.push({ execute, interrupt });
  }

  /** Runs every actor; resolves to the first actor's error once all of them have returned. */
  async run(): Promise<unknown> {
    if (this.#running) throw new Error('run.Group: run() called twice');
    this.#running = true;
    const actors = [...this.#actors];
    if (actors.length === 0) return undefined;

    const finished: Outcome[] = [];
    let firstFinished!: () => void;
    const someoneFinished = new Promise<void>((resolve) => {
      firstFinished = resolve;
    });
    const done = actors.map((actor, index) =>
      start(actor.execute).then((error) => {
        finished.push({ index, error });
        firstFinished();
      }),
    );

    await someoneFinished;
    // Let every promise chain that settles in this same tick settle too, then let add order decide.
    // A nextTick queued from a microtask runs only once the microtask queue has drained.
    await new Promise<void>((resolve) => process.nextTick(resolve));
    const first = finished.reduce((a, b) => (b.index < a.index ? b : a));

    for (const [index, actor] of actors.entries()) {
      try {
        await actor.interrupt(first.error);
      } catch (err) {
        this.#options.onInterruptError?.(err, index);
      }
    }
    await Promise.all(done);
    return first.error;
  }
}

/** Starts an execute and resolves to its error (undefined when it returned cleanly); never rejects. */
function start(execute: Execute): Promise<unknown> {
  try {
    return Promise.resolve(execute()).then(
      () => undefined,
      (err: unknown) => err ?? new Error('actor rejected without a reason'),
    );
  } catch (err) {
    return Promise.resolve(err ?? new Error('actor threw without a reason'));
  }
}
