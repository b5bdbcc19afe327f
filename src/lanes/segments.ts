/**
 * Lanes and phases: what each actor of the run group was doing when, and the three phases of a
 * run, read from the lifecycle timeline's events.
 */
import { LATCHES } from './actors.js';

/** The fields of a timeline event that lanes and phases read (src/run's TimelineEvent has them). */
export interface LaneEvent {
  /** Milliseconds since the process started. */
  t: number;
  actor?: string;
  latch?: string;
  event: string;
}

/**
 * What an actor is doing: not started yet, waiting on a latch, running (its execute function is
 * working), interrupted (its interrupt was called; it has not returned yet), or returned.
 */
export type LaneState = 'not started' | 'waiting' | 'running' | 'interrupted' | 'returned';

/** One stretch of a lane: `state` from `from` up to `to` (ms since process start). */
export interface LaneSegment {
  state: LaneState;
  from: number;
  to: number;
  /** The last segment: the actor is still in this state at the lane's end. */
  last: boolean;
  /** For a waiting segment, the latch waited on. */
  latch?: string;
}

/** The state each of an actor's events leads to; other events leave the state as it is. */
const NEXT_STATE: Readonly<Record<string, LaneState>> = {
  'execute started': 'running',
  waiting: 'waiting',
  running: 'running',
  interrupted: 'interrupted',
  'execute returned': 'returned',
};

/**
 * The lane of `actor` from process start (t = 0) to `end`: consecutive segments, each state from
 * the event that began it to the next event of the same actor. An actor with no events is one
 * 'not started' segment.
 */
export function laneSegments(actor: string, events: readonly LaneEvent[], end: number): LaneSegment[] {
  const out: LaneSegment[] = [];
  let state: LaneState = 'not started';
  let from = 0;
  let latch: string | undefined;
  const segment = (to: number, last: boolean): LaneSegment =>
    latch === undefined ? { state, from, to, last } : { state, from, to, last, latch };
  for (const e of events) {
    if (e.actor !== actor) continue;
    const next = NEXT_STATE[e.event];
    if (next === undefined) continue;
    out.push(segment(e.t, false));
    state = next;
    from = e.t;
    latch = next === 'waiting' ? e.latch : undefined;
  }
  out.push(segment(Math.max(from, end), true));
  return out;
}

/** A stretch of the run the page can zoom to; times in ms since process start. */
export interface Phase {
  from: number;
  to: number;
  /** Still going on: `to` is the latest time known, and moves. */
  open: boolean;
}

/**
 * The three phases of a run. Startup: from the first event to `reloadReady` (when the server
 * answers ready), or until shutdown began if it never got there. Running: from ready to the first
 * interrupt. Shutdown: from the first interrupt to the last actor's return. A phase that has not
 * begun is undefined. `now` is the latest time known (the server's clock, or the last event).
 */
export interface Phases {
  /** The first event: before it, Node started and main() prepared (flags, config, listener). */
  first: number;
  /** The latest event. */
  last: number;
  startup: Phase;
  running: Phase | undefined;
  shutdown: Phase | undefined;
}

/** Reads the phases from the events; undefined when there are no events yet. */
export function lifecyclePhases(events: readonly LaneEvent[], now?: number): Phases | undefined {
  if (events.length === 0) return undefined;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  let ready: number | undefined;
  let firstInterrupt: number | undefined;
  const started = new Set<string>();
  const returned = new Set<string>();
  for (const e of events) {
    first = Math.min(first, e.t);
    last = Math.max(last, e.t);
    if (e.latch === LATCHES.reloadReady && e.event === 'opened') ready ??= e.t;
    if (e.actor === undefined) continue;
    if (e.event === 'interrupted') firstInterrupt ??= e.t;
    else if (e.event === 'execute started') started.add(e.actor);
    else if (e.event === 'execute returned') returned.add(e.actor);
  }
  const latest = Math.max(last, now ?? last);
  // The group is done once every actor that started has returned.
  const done = started.size > 0 && [...started].every((actor) => returned.has(actor));
  const startupEnd = ready ?? firstInterrupt;
  return {
    first,
    last,
    startup: { from: first, to: startupEnd ?? latest, open: startupEnd === undefined },
    running:
      ready === undefined
        ? undefined
        : { from: ready, to: firstInterrupt ?? latest, open: firstInterrupt === undefined },
    shutdown:
      firstInterrupt === undefined ? undefined : { from: firstInterrupt, to: done ? last : latest, open: !done },
  };
}
