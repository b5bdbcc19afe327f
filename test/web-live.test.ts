/**
 * The lifecycle page's event stream (src/web/live.ts) over a real HTTP server: the snapshot on
 * connect, then one frame of changes per turn however many changes came, and on close the pending
 * changes and the end. The frames' format is documented in live.ts; `applyFrame` reads them.
 */
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { applyFrame, type Frame, liveStream } from '../src/web/live.js';
import { listenLocal } from './helpers/listen.js';
import { subscribe } from './helpers/sse.js';

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function serve(snapshot: () => Record<string, unknown>) {
  const live = liveStream(snapshot);
  const server = createServer((_req, res) => live.attach(res));
  const port = await listenLocal(server);
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { live, server, url: `http://127.0.0.1:${port}/` };
}

describe('lifecycle event stream', () => {
  it('sends the snapshot on connect, then one frame of changes per turn however many changes came', async () => {
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
    expect(client.events).toEqual([
      { type: 'snapshot', data: { n: 0 } },
      { type: 'changes', set: { n: 2 } },
    ]);
  });

  it('on close sends what is pending and ends every stream, so the server closes without waiting', async () => {
    let state = 'Ready';
    const { live, server, url } = await serve(() => ({ state }));
    const a = await subscribe(url);
    const b = await subscribe(url);
    await Promise.all([a.count(1), b.count(1)]);

    state = 'Stopping';
    live.changed();
    live.close(); // in the same turn: the pending changes must not be lost
    await Promise.all([a.ended, b.ended]);
    expect(a.events).toEqual([
      { type: 'snapshot', data: { state: 'Ready' } },
      { type: 'changes', set: { state: 'Stopping' } },
    ]);
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
    expect(late.events).toEqual([{ type: 'snapshot', data: { last: true } }]);
  });

  it('sends appended and dropped items by seq, changed map entries, and replaced fields: nothing else', async () => {
    const events = [
      { seq: 1, event: 'execute started' },
      { seq: 2, event: 'reload started' },
    ];
    const logs: Record<string, { lines: string[] }> = { TSDB: { lines: ['a'] }, Web: { lines: ['b'] } };
    let readiness = 'NotReady';
    const actors = [{ index: 0, name: 'TSDB' }];
    const { live, url } = await serve(() => ({ actors, events: [...events], logs: { ...logs }, readiness }));
    const client = await subscribe(url);
    await client.count(1);

    events.splice(1, 1); // a bounded timeline lets an old reload go…
    events.push({ seq: 3, event: 'reload started' }); // …as a new one comes
    logs.Web = { lines: ['b', 'c'] };
    readiness = 'Ready';
    live.changed();
    await client.count(2);
    expect(client.events[1]).toEqual({
      type: 'changes',
      set: { readiness: 'Ready' },
      drop: { events: [2] },
      append: { events: [{ seq: 3, event: 'reload started' }] },
      merge: { logs: { Web: { lines: ['b', 'c'] } } },
    });
    live.close();
    await client.ended;
  });

  it('lets every client, early or late, rebuild exactly the current snapshot with applyFrame', async () => {
    const state = {
      events: [] as Array<{ seq: number; t: number }>,
      logs: {} as Record<string, number[]>,
      readiness: 'NotReady',
      chains: '',
    };
    let seq = 0;
    const current = () => structuredClone(state) as unknown as Record<string, unknown>;
    const { live, url } = await serve(current);
    const step = (i: number) => {
      state.events.push({ seq: ++seq, t: i });
      if (i % 3 === 0) state.events.splice(0, 1);
      state.logs[`actor${i % 4}`] = [...(state.logs[`actor${i % 4}`] ?? []), i];
      if (i % 5 === 0) state.readiness = i % 2 === 0 ? 'Ready' : 'Stopping';
      state.chains = `chain ${Math.floor(i / 7)}`;
      live.changed();
    };
    const early = await subscribe(url);
    await early.count(1);
    for (let i = 1; i <= 20; i++) {
      step(i);
      await new Promise((resolve) => setImmediate(resolve));
    }
    step(21); // pending when the late client comes: the early one must catch up first
    const late = await subscribe(url);
    await late.count(1);
    for (let i = 22; i <= 30; i++) {
      step(i);
      await new Promise((resolve) => setImmediate(resolve));
    }
    live.close();
    await Promise.all([early.ended, late.ended]);
    const rebuild = (frames: unknown[]) => (frames as Frame[]).reduce(applyFrame, undefined as never);
    expect(rebuild(early.events)).toEqual(current());
    expect(rebuild(late.events)).toEqual(current());
  });
});
