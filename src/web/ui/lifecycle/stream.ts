/**
 * The lifecycle page's one contact with the server's event stream
 * (GET /api/v1/status/lifecycle/events). Everything about the wire format stays in this file: the
 * rest of the page sees whole snapshots. Today every event of the stream is a whole snapshot;
 * a stream that sends changes instead only changes how `followLifecycle` builds the snapshot.
 */
import type { LaneEvent } from '../../../lanes/index.js';

/** A timeline event with the extra facts main records (see src/run/timeline.ts). */
export interface LifecycleEvent extends LaneEvent {
  /** An actor's error, or a failed reload's. */
  error?: string;
  /** A reload's result: `success` or `failure`. */
  result?: string;
  /** A successful reload's timings by reloader, in ms. */
  timingsMs?: Record<string, number>;
}

/** One line an actor's loggers wrote. */
export interface ActorLogLine {
  t: number;
  level: string;
  msg: string;
}

/** The lifecycle as the page draws it. */
export interface LifecycleSnapshot {
  mode: string;
  /** In add order. */
  actors: Array<{ index: number; name: string }>;
  events: LifecycleEvent[];
  /** By actor name: the first and latest lines, and how many were dropped between. */
  logs: Record<string, { lines: ActorLogLine[]; omitted: number }>;
  /** The critical chains as `--startup.trace` prints them. */
  chains: string;
  readiness: 'NotReady' | 'Ready' | 'Stopping';
  /** The server's clock (ms since its process started) when it built the snapshot. */
  now?: number;
}

/** The connection: receiving, reconnecting after a break, or over (the server stopped). */
export type StreamStatus = 'live' | 'retrying' | 'ended';

export interface LifecycleHandlers {
  /** The lifecycle as it now is; `receivedAt` is the page's performance.now() on arrival. */
  snapshot(snapshot: LifecycleSnapshot, receivedAt: number): void;
  status(status: StreamStatus): void;
}

/**
 * Follows the lifecycle live. The server sends the state on connect and after every change, and
 * ends the stream when it stops: then the last state stays, and the stream is not reopened. Any
 * other break is retried by EventSource. Returns the function that stops following.
 */
export function followLifecycle(handlers: LifecycleHandlers): () => void {
  const source = new EventSource('/api/v1/status/lifecycle/events');
  let last: LifecycleSnapshot | undefined;
  source.onopen = () => handlers.status('live');
  source.onmessage = (message: MessageEvent<string>) => {
    last = JSON.parse(message.data) as LifecycleSnapshot;
    handlers.snapshot(last, performance.now());
  };
  source.onerror = () => {
    if (last?.readiness === 'Stopping') {
      source.close();
      handlers.status('ended');
    } else handlers.status('retrying');
  };
  return () => source.close();
}
