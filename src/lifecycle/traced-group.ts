/**
 * The run group as main uses it: oklog/run's Group (src/run), with each actor's life recorded on
 * the lifecycle timeline under its name, so the page, `--startup.trace` and the debug log can show
 * it. Each block in main reads as upstream's does, with a name and the reason for its place:
 *
 *     g.add(ACTORS.scrapeManager, execute, interrupt)
 *
 * Both functions get the actor's context, upstream's per-block `cancel` channel made one object:
 * the interrupt calls `cancel()` where its block needs it (before stopping its module, or after
 * closing storage, as the TSDB block does); `execute` waits with `gate(latch)` for a latch or its
 * own cancellation (the "latch or my own cancellation" rule: false means the actor was interrupted
 * first and must not begin its work) or with `untilCancelled()`, and says `running()` when it
 * begins work without a latch. The teaching switch `--debug.actor-order` is an option here: it
 * moves actors in the add order when the group runs, and with them the order of shutdown.
 */
import type { ActorInfo } from '../lanes/index.js';
import { Group, type Latch, untilAborted, waitOrAbort } from '../run/index.js';
import { type ActorMove, applyActorMoves } from './actor-order.js';
import type { Timeline } from './timeline.js';

/** What an actor's execute and interrupt get from the group: its cancellation, and tracing. */
export interface ActorContext {
  /** Aborted by `cancel()`. */
  readonly cancelled: AbortSignal;
  /** Cancels the actor's execute (its gate, its `untilCancelled`, whatever listens to `cancelled`). */
  cancel(): void;
  /** Resolves once cancelled: for an actor whose work runs elsewhere until it is stopped. */
  untilCancelled(): Promise<void>;
  /** Waits for `latch` or this actor's cancellation; true when the actor's work may begin. */
  gate(latch: Latch, latchName: string): Promise<boolean>;
  /** Records that the actor's work began (for actors that wait on no latch). */
  running(): void;
}

export type TracedExecute = (ctx: ActorContext) => Promise<void>;
export type TracedInterrupt = (err: unknown, ctx: ActorContext) => Promise<void> | void;

export interface TracedGroupOptions {
  timeline: Timeline;
  /** --debug.actor-order's moves; empty keeps upstream's add order. */
  moves?: readonly ActorMove[];
  /** An interrupt's own error: the group carries on with the next interrupt. */
  onInterruptError?: (err: unknown, actor: string) => void;
}

interface Added {
  name: string;
  why: string;
  execute: () => Promise<void>;
  interrupt: (err: unknown) => Promise<void>;
}

export class TracedGroup {
  readonly #opts: TracedGroupOptions;
  readonly #actors: Added[] = [];

  constructor(opts: TracedGroupOptions) {
    this.#opts = opts;
  }

  /** Adds an actor under its name; it joins the run group, in add order, when `run()` is called. */
  add(actor: ActorInfo, execute: TracedExecute, interrupt: TracedInterrupt): void {
    const { timeline } = this.#opts;
    const { name } = actor;
    const cancel = new AbortController();
    const ctx: ActorContext = {
      cancelled: cancel.signal,
      cancel: () => cancel.abort(),
      untilCancelled: () => untilAborted(cancel.signal),
      async gate(latch, latchName) {
        if (!latch.isOpen) timeline.actor(name, 'waiting', { latch: latchName });
        if ((await waitOrAbort(latch, cancel.signal)) === 'aborted') return false;
        timeline.actor(name, 'running');
        return true;
      },
      running: () => timeline.actor(name, 'running'),
    };
    this.#actors.push({
      name,
      why: actor.why,
      execute: async () => {
        timeline.actor(name, 'execute started');
        try {
          await execute(ctx);
          timeline.actor(name, 'execute returned');
        } catch (err) {
          timeline.actor(name, 'execute returned', { error: (err as Error).message ?? String(err) });
          throw err;
        }
      },
      interrupt: async (err) => {
        timeline.actor(name, 'interrupted');
        await interrupt(err, ctx);
        // Whatever the block did, its execute must return now.
        cancel.abort();
      },
    });
  }

  /**
   * The add order the group will run in: upstream's, or as --debug.actor-order moves it. Throws
   * naming an actor this mode does not have.
   */
  order(): string[] {
    return this.#ordered().map((a) => a.name);
  }

  /** Runs the group (oklog/run's contract); resolves to the first actor's error. */
  run(): Promise<unknown> {
    const g = new Group({
      onInterruptError: (err, index) => this.#opts.onInterruptError?.(err, ordered[index]?.name ?? '?'),
    });
    const ordered = this.#ordered();
    for (const a of ordered) {
      this.#opts.timeline.declare(a.name, a.why);
      g.add(a.execute, a.interrupt);
    }
    return g.run();
  }

  #ordered(): Added[] {
    const moves = this.#opts.moves ?? [];
    return moves.length > 0 ? applyActorMoves(this.#actors, moves) : [...this.#actors];
  }
}
