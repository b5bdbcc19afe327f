/**
 * The lifecycle page's one contact with the server's event stream
 * (GET /api/v1/status/lifecycle/events). Everything about the wire format stays in this file: the
 * rest of the page sees whole snapshots. The stream sends the snapshot on connect, then only
 * what changed (src/web/live-frames.ts describes the frames); `applyFrame` rebuilds each
 * snapshot from the one before.
 */
import { pathPrefix } from '../prefix.js';
import type { LaneEvent } from '../../../lanes/index.js';
import { applyFrame, type Frame } from '../../live-frames.js';

/** A timeline event with the extra facts main records (see src/run/timeline.ts). */
export interface LifecycleEvent extends LaneEvent {
  /** Unique and increasing: how a frame of changes names the event. */
  seq?: number;
  /** A reload event's reload: 1 is the initial configuration, then each reload in turn. */
  reload?: number;
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
  /** In add order, with why each sits where it does. */
  actors: Array<{ index: number; name: string; why: string }>;
  events: LifecycleEvent[];
  /** By actor name: the first and latest lines, and how many were dropped between. */
  logs: Record<string, { lines: ActorLogLine[]; omitted: number }>;
  /** The critical chains as `--startup.trace` prints them. */
  chains: string;
  readiness: 'NotReady' | 'Ready' | 'Stopping';
  /** The server's clock (ms since its process started) when it built the snapshot. */
  now?: number;
  /** Reloads the bounded timeline let go between the first and the latest ones. */
  reloadsOmitted?: number;
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
  const source = new EventSource(`${pathPrefix()}/api/v1/status/lifecycle/events`);
  let last: LifecycleSnapshot | undefined;
  source.onopen = () => handlers.status('live');
  source.onmessage = (message: MessageEvent<string>) => {
    const frame = JSON.parse(message.data) as Frame;
    // A reconnection starts over with a snapshot frame, which replaces whatever was held.
    last = applyFrame(last as Record<string, unknown> | undefined, frame) as unknown as LifecycleSnapshot;
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
