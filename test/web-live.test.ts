/**
 * The lifecycle page's event stream (src/web/live.ts) over a real HTTP server: a snapshot on
 * connect, one per turn however many changes, and on close the pending snapshot and the end.
 */
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { liveStream } from '../src/web/live.js';
import { listenLocal } from './helpers/listen.js';
import { subscribe } from './helpers/sse.js';

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function serve(snapshot: () => unknown) {
  const live = liveStream(snapshot);
  const server = createServer((_req, res) => live.attach(res));
  const port = await listenLocal(server);
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { live, server, url: `http://127.0.0.1:${port}/` };
}

describe('lifecycle event stream', () => {
  it('sends the snapshot on connect, then one snapshot per turn however many changes came', async () => {
    let n = 0;
    const { live, url } = await serve(() => ({ n }));
    const client = await subscribe(url);
    expect(client.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await client.count(1);
    expect(live.clients).toBe(1);

    n = 1;
    live.changed();
    n = 2;
    live.changed();
    live.changed();
    await client.count(2);
    live.close();
    await client.ended;
    expect(client.events).toEqual([{ n: 0 }, { n: 2 }]);
  });

  it('on close sends what is pending and ends every stream, so the server closes without waiting', async () => {
    let state = 'Ready';
    const { live, server, url } = await serve(() => ({ state }));
    const a = await subscribe(url);
    const b = await subscribe(url);
    await Promise.all([a.count(1), b.count(1)]);

    state = 'Stopping';
    live.changed();
    live.close(); // in the same turn: the pending snapshot must not be lost
    await Promise.all([a.ended, b.ended]);
    expect(a.events).toEqual([{ state: 'Ready' }, { state: 'Stopping' }]);
    expect(b.events).toEqual(a.events);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(live.clients).toBe(0);

    // Nothing of the stream is left: no immediate, no socket on either side.
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Immediate' || r === 'TCPSocketWrap')).toEqual([]);
  });

  it('answers a client that connects after close with the last snapshot and ends at once', async () => {
    const { live, url } = await serve(() => ({ last: true }));
    live.close();
    const late = await subscribe(url);
    await late.ended;
    expect(late.events).toEqual([{ last: true }]);
  });
});
