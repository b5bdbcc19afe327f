/**
 * A server-sent event stream of one snapshot (the lifecycle page's data): every client gets the
 * whole snapshot when it connects, then only what changed. Changes come in bursts (a shutdown
 * records a dozen events in one turn), so one frame is built per turn of the event loop, not per
 * change. `close()` sends what is pending and ends every stream, so the web server can close
 * without waiting on a client that would otherwise stay connected forever.
 *
 * The frames are described, and read, in live-frames.ts.
 */
import type { ServerResponse } from 'node:http';
import type { ChangesFrame, Frame, Snapshot } from './live-frames.js';

export { applyFrame, type ChangesFrame, type Frame, type Snapshot, type SnapshotFrame } from './live-frames.js';

/** A client slower than this many unsent bytes is dropped rather than buffered for without end. */
const MAX_BUFFERED = 1 << 20;

export interface LiveStream {
  /** Takes over a response: writes the event-stream head and the current snapshot. */
  attach(res: ServerResponse): void;
  /** Something in the snapshot changed: every client gets the changes, once per turn. */
  changed(): void;
  /** Sends pending changes, then ends every stream; later attaches get the snapshot and end. */
  close(): void;
  readonly clients: number;
}

/** True for an array every item of which is an object with a numeric `seq`. */
function isSeqArray(value: unknown): value is Array<{ seq: number }> {
  return (
    Array.isArray(value) &&
    value.every(
      (item) => typeof item === 'object' && item !== null && typeof (item as { seq?: unknown }).seq === 'number',
    )
  );
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What the clients were last sent, by top-level field: enough to tell what changed since. */
class Sent {
  /** Fields sent whole: their JSON. */
  readonly #json = new Map<string, string>();
  /** Seq arrays: the seqs the clients hold. */
  readonly #seqs = new Map<string, Set<number>>();
  /** Maps: each entry's JSON. */
  readonly #entries = new Map<string, Map<string, string>>();

  /** Records `current` as sent; returns the frame that takes the clients there (undefined: nothing changed). */
  advance(current: Snapshot): ChangesFrame | undefined {
    const frame: ChangesFrame = { type: 'changes' };
    let changed = false;
    const part = <K extends 'set' | 'drop' | 'append' | 'merge'>(name: K) => {
      changed = true;
      frame[name] ??= {} as NonNullable<ChangesFrame[K]>;
      return frame[name] as NonNullable<ChangesFrame[K]>;
    };
    for (const [key, value] of Object.entries(current)) {
      const held = this.#seqs.get(key);
      if (isSeqArray(value) && (held || !this.#json.has(key))) {
        const now = new Set(value.map((item) => item.seq));
        const dropped = held ? [...held].filter((seq) => !now.has(seq)) : [];
        const added = held ? value.filter((item) => !held.has(item.seq)) : value;
        if (dropped.length > 0) part('drop')[key] = dropped;
        if (added.length > 0 || !held) part('append')[key] = added;
        this.#seqs.set(key, now);
        continue;
      }
      const entries = this.#entries.get(key);
      if (
        isMap(value) &&
        (entries || !this.#json.has(key)) &&
        (!entries || [...entries.keys()].every((k) => k in value))
      ) {
        const next = new Map<string, string>();
        const changedEntries: Record<string, unknown> = {};
        let any = !entries;
        for (const [k, v] of Object.entries(value)) {
          const json = JSON.stringify(v);
          next.set(k, json);
          if (entries?.get(k) !== json) {
            changedEntries[k] = v;
            any = true;
          }
        }
        if (any) part('merge')[key] = changedEntries;
        this.#entries.set(key, next);
        continue;
      }
      // Anything else, or a field whose kind changed, is sent whole.
      const json = JSON.stringify(value);
      if (this.#json.get(key) !== json || held || entries) {
        part('set')[key] = value;
        this.#json.set(key, json);
        this.#seqs.delete(key);
        this.#entries.delete(key);
      }
    }
    // A field that is gone is sent as null.
    for (const key of [...this.#json.keys(), ...this.#seqs.keys(), ...this.#entries.keys()]) {
      if (Object.hasOwn(current, key)) continue;
      part('set')[key] = null;
      this.#json.delete(key);
      this.#seqs.delete(key);
      this.#entries.delete(key);
    }
    return changed ? frame : undefined;
  }
}

export function liveStream(snapshot: () => Snapshot): LiveStream {
  const clients = new Set<ServerResponse>();
  let sent = new Sent();
  let pending: NodeJS.Immediate | undefined;
  let closed = false;

  const send = (res: ServerResponse, frame: Frame) => {
    if (res.writableLength > MAX_BUFFERED) res.destroy();
    else res.write(`data: ${JSON.stringify(frame)}\n\n`);
  };
  /** Brings every client to `current`; returns it. */
  const broadcast = (current: Snapshot) => {
    if (clients.size === 0) {
      // Nobody holds the old state: the next client starts from a snapshot anyway.
      sent = new Sent();
      sent.advance(current);
      return;
    }
    const frame = sent.advance(current);
    if (!frame) return;
    const data = `data: ${JSON.stringify(frame)}\n\n`; // built once for every client
    for (const res of clients) {
      if (res.writableLength > MAX_BUFFERED) res.destroy();
      else res.write(data);
    }
  };
  const flush = () => {
    pending = undefined;
    broadcast(snapshot());
  };

  return {
    attach(res) {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        // The stream is the connection's last response: ending it closes the socket, so nothing
        // is left for the server's close to wait on.
        connection: 'close',
      });
      const current = snapshot();
      if (closed) {
        res.end(`data: ${JSON.stringify({ type: 'snapshot', data: current } satisfies Frame)}\n\n`);
        return;
      }
      // The clients already here catch up first, so that every client holds `current`.
      if (pending) clearImmediate(pending);
      pending = undefined;
      broadcast(current);
      clients.add(res);
      res.once('close', () => clients.delete(res));
      send(res, { type: 'snapshot', data: current });
    },
    changed() {
      if (closed || pending || clients.size === 0) return;
      pending = setImmediate(flush);
    },
    close() {
      if (closed) return;
      closed = true;
      if (pending) {
        clearImmediate(pending);
        flush();
      }
      for (const res of clients) res.end();
      clients.clear();
    },
    get clients() {
      return clients.size;
    },
  };
}
