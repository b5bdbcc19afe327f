/**
 * The lifecycle timeline of a long-lived server stays bounded, and its live stream sends changes:
 * a server reloaded many times keeps its startup, its latest reloads and the count of the others,
 * and each reload reaches a connected page as a small frame of changes, from which the page's
 * reader (`applyFrame`) rebuilds exactly what `GET /api/v1/status/lifecycle` answers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LATEST_RELOADS } from '../src/lifecycle/index.js';
import { applyFrame, type ChangesFrame, type Frame } from '../src/web/live.js';
import { listening, removeScratchDirs } from './helpers/server.js';
import { killAll } from './helpers/spawn.js';
import { subscribe } from './helpers/sse.js';

afterEach(() => {
  killAll();
  removeScratchDirs();
});

interface Lifecycle {
  events: Array<{ seq: number; event: string; reload?: number }>;
  reloadsOmitted: number;
  [field: string]: unknown;
}

describe('a server reloaded many times', () => {
  it('keeps its timeline bounded and streams each reload as a small frame of changes', async () => {
    const server = await listening({ config: 'global:\n  scrape_interval: 1h\n', args: ['--web.enable-lifecycle'] });
    await server.untilLog('Server is ready to receive web requests.');
    const stream = await subscribe(`${server.base}/api/v1/status/lifecycle/events`);
    await stream.count(1);
    const reloads = LATEST_RELOADS + 20;
    for (let i = 0; i < reloads; i++) {
      expect((await fetch(`${server.base}/-/reload`, { method: 'POST' })).status).toBe(200);
    }
    const res = await fetch(`${server.base}/api/v1/status/lifecycle`);
    const { data } = (await res.json()) as { data: Lifecycle };
    expect(data.reloadsOmitted).toBe(20);
    const kept = [...new Set(data.events.filter((e) => e.reload !== undefined).map((e) => e.reload))];
    expect(kept).toEqual([
      1,
      ...Array.from({ length: LATEST_RELOADS }, (_, i) => reloads + 1 - LATEST_RELOADS + 1 + i),
    ]);

    // Wait for the stream to have carried the last reload's end, then compare.
    const lastSeq = Math.max(...data.events.map((e) => e.seq));
    const holds = () => {
      const state = (stream.events as Frame[]).reduce(applyFrame, undefined as never) as unknown as Lifecycle;
      return state.events.some((e) => e.seq === lastSeq);
    };
    while (!holds()) await stream.count(stream.events.length + 1);
    const [first, ...rest] = stream.events as Frame[];
    expect(first?.type).toBe('snapshot');
    for (const frame of rest) {
      expect(frame.type).toBe('changes');
      // Never the whole timeline again: no actor list, only the few events that are new.
      expect((frame as ChangesFrame).set?.actors).toBeUndefined();
      expect(((frame as ChangesFrame).append?.events ?? []).length).toBeLessThanOrEqual(4);
    }
    const rebuilt = (stream.events as Frame[]).reduce(applyFrame, undefined as never);
    // All but the server's clock, which each answer reads anew.
    expect({ ...rebuilt, now: 0 }).toEqual({ ...data, now: 0 });
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
  });
});
