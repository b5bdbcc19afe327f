/**
 * A server-sent event stream of one snapshot (the lifecycle page's data): every client gets the
 * snapshot when it connects and again after each change. Changes come in bursts (a shutdown
 * records a dozen events in one turn), so one snapshot is built per turn of the event loop, not
 * per change. `close()` sends what is pending and ends every stream, so the web server can close
 * without waiting on a client that would otherwise stay connected forever.
 */
import type { ServerResponse } from 'node:http';

/** A client slower than this many unsent bytes is dropped rather than buffered for without end. */
const MAX_BUFFERED = 1 << 20;

export interface LiveStream {
  /** Takes over a response: writes the event-stream head and the current snapshot. */
  attach(res: ServerResponse): void;
  /** Something in the snapshot changed: every client gets it, once per turn. */
  changed(): void;
  /** Sends a pending snapshot, then ends every stream; later attaches are ended at once. */
  close(): void;
  readonly clients: number;
}

export function liveStream(snapshot: () => unknown): LiveStream {
  const clients = new Set<ServerResponse>();
  let pending: NodeJS.Immediate | undefined;
  let closed = false;

  const send = (res: ServerResponse, data: string) => {
    if (res.writableLength > MAX_BUFFERED) res.destroy();
    else res.write(data);
  };
  const frame = () => `data: ${JSON.stringify(snapshot())}\n\n`;
  const flush = () => {
    pending = undefined;
    if (clients.size === 0) return;
    const data = frame(); // built once for every client
    for (const res of clients) send(res, data);
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
      if (closed) {
        res.end(frame());
        return;
      }
      clients.add(res);
      res.once('close', () => clients.delete(res));
      send(res, frame());
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
