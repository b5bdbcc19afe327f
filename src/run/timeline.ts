/**
 * The lifecycle timeline: what each actor and latch did, and when (startup.md §7). Main records
 * into it; the debug log, `GET /api/v1/status/lifecycle` and the teaching page read it.
 * `t` is milliseconds since the process started (performance.now()), to 0.1 ms.
 */

export type ActorEvent = 'execute started' | 'waiting' | 'running' | 'interrupted' | 'execute returned';
export type LatchEvent = 'opened';
export type ReloadEvent = 'reload started' | 'reload finished';

export interface TimelineEvent {
  t: number;
  actor?: string;
  latch?: string;
  event: ActorEvent | LatchEvent | ReloadEvent;
  /** Extra facts: the latch an actor waits on, an error, a reload's result and timings. */
  [field: string]: unknown;
}

export type TimelineListener = (event: TimelineEvent) => void;

export class Timeline {
  readonly actors: Array<{ index: number; name: string }> = [];
  readonly events: TimelineEvent[] = [];
  readonly #listeners = new Set<TimelineListener>();
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** Declares an actor, in add order. */
  declare(name: string): void {
    this.actors.push({ index: this.actors.length, name });
  }

  actor(name: string, event: ActorEvent, fields: Record<string, unknown> = {}): void {
    this.#record({ actor: name, event, ...fields });
  }

  latch(name: string, event: LatchEvent): void {
    this.#record({ latch: name, event });
  }

  reload(event: ReloadEvent, fields: Record<string, unknown> = {}): void {
    this.#record({ event, ...fields });
  }

  /** Calls `listener` for every event from now on; returns the function that unsubscribes. */
  subscribe(listener: TimelineListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #record(fields: Omit<TimelineEvent, 't'>): void {
    const event = { t: Math.round(this.#now() * 10) / 10, ...fields } as TimelineEvent;
    this.events.push(event);
    for (const listener of this.#listeners) listener(event);
  }
}
