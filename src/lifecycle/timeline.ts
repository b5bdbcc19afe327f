/**
 * The lifecycle timeline: what each actor and latch did, and when (contract.md §7). The traced
 * group records into it; the debug log, `GET /api/v1/status/lifecycle` and the teaching page read it.
 * `t` is milliseconds since the process started (performance.now()), to 0.1 ms.
 *
 * Bounded, so a server reloaded every minute for a year does not grow it without end: actor and
 * latch events happen once per actor (startup and shutdown), each actor's log lines are bounded
 * (see ActorLog), and of the reloads the first (the initial configuration, part of startup) and
 * the latest LATEST_RELOADS are kept; `reloadsOmitted` counts those let go between.
 */

export type ActorEvent = 'execute started' | 'waiting' | 'running' | 'interrupted' | 'execute returned';
export type LatchEvent = 'opened';
export type ReloadEvent = 'reload started' | 'reload finished';

export interface TimelineEvent {
  /** Unique and increasing: names the event when a stream of changes adds or drops it. */
  seq: number;
  t: number;
  actor?: string;
  latch?: string;
  event: ActorEvent | LatchEvent | ReloadEvent;
  /** Extra facts: the latch an actor waits on, an error, a reload's result and timings. */
  [field: string]: unknown;
}

export type TimelineListener = (event: TimelineEvent) => void;

/** One log line an actor's loggers wrote, as the page shows it under the actor. */
export interface LogLine {
  t: number;
  level: string;
  msg: string;
}

/**
 * An actor's log lines, bounded: the first lines (how it started) and the latest ones (how it is
 * doing, how it stopped) are kept, and `omitted` counts those dropped between, so an actor that
 * logs an error per scrape cannot grow the timeline without end.
 */
export interface ActorLog {
  lines: LogLine[];
  omitted: number;
}

const FIRST_LINES = 10;
const LATEST_LINES = 20;
/** Reloads kept besides the first: enough to see a pattern, few enough to send often. */
export const LATEST_RELOADS = 10;

export class Timeline {
  /** The actors in add order, with why each sits where it does (served in the lifecycle JSON). */
  readonly actors: Array<{ index: number; name: string; why: string }> = [];
  readonly events: TimelineEvent[] = [];
  /** By actor name. */
  readonly logs: Record<string, ActorLog> = {};
  readonly #listeners = new Set<TimelineListener>();
  readonly #changeListeners = new Set<() => void>();
  readonly #now: () => number;
  #seq = 0;
  /** Reloads started so far; each reload's events carry their number as `reload`. */
  #reloads = 0;
  #reloadsOmitted = 0;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** Declares an actor, in add order. */
  declare(name: string, why = ''): void {
    this.actors.push({ index: this.actors.length, name, why });
  }

  actor(name: string, event: ActorEvent, fields: Record<string, unknown> = {}): void {
    this.#record({ actor: name, event, ...fields });
  }

  latch(name: string, event: LatchEvent): void {
    this.#record({ latch: name, event });
  }

  reload(event: ReloadEvent, fields: Record<string, unknown> = {}): void {
    if (event === 'reload started') {
      this.#reloads++;
      if (this.#reloads - LATEST_RELOADS > 1) this.#dropReload(this.#reloads - LATEST_RELOADS);
    }
    this.#record({ event, reload: this.#reloads, ...fields });
  }

  /** Reloads let go between the first and the latest LATEST_RELOADS. */
  get reloadsOmitted(): number {
    return this.#reloadsOmitted;
  }

  /** Removes the events of reload `n` (never the first: it is part of startup). */
  #dropReload(n: number): void {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const e = this.events[i] as TimelineEvent;
      if (e.reload === n && e.actor === undefined && e.latch === undefined) this.events.splice(i, 1);
    }
    this.#reloadsOmitted++;
  }

  /** Keeps a line `actor`'s loggers wrote (see ownedLogger in src/log). */
  logLine(actor: string, level: string, msg: string): void {
    const log = Object.hasOwn(this.logs, actor) ? (this.logs[actor] as ActorLog) : { lines: [], omitted: 0 };
    this.logs[actor] = log;
    log.lines.push({ t: this.#time(), level, msg });
    if (log.lines.length > FIRST_LINES + LATEST_LINES) {
      log.lines.splice(FIRST_LINES, 1);
      log.omitted++;
    }
    for (const listener of this.#changeListeners) listener();
  }

  /** Calls `listener` for every event from now on; returns the function that unsubscribes. */
  subscribe(listener: TimelineListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Calls `listener` after every event and every log line; returns the function that unsubscribes. */
  onChange(listener: () => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  #time(): number {
    return Math.round(this.#now() * 10) / 10;
  }

  #record(fields: Omit<TimelineEvent, 't'>): void {
    const event = { seq: ++this.#seq, t: this.#time(), ...fields } as TimelineEvent;
    this.events.push(event);
    for (const listener of this.#listeners) listener(event);
    for (const listener of this.#changeListeners) listener();
  }
}
