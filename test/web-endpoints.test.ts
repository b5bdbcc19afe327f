/**
 * The endpoints issue 16 adds, side by side with Prometheus 3.5 on the same config:
 * /api/v1/scrape_pools, /api/v1/targets' `scrapePool` and `state` filters, /api/v1/status/walreplay,
 * and Go's plain `404 page not found` for any unknown path, API ones included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROMETHEUS, type ReferencePrometheus, startPrometheus, stopPrometheuses } from './helpers/prometheus.js';
import { listening, removeScratchDirs, type Server } from './helpers/server.js';
import { killAll } from './helpers/spawn.js';

const READY = 'Server is ready to receive web requests.';
// Two pools, one target dropped by relabeling, one pool with no targets at all.
const CONFIG = `global:
  scrape_interval: 1h
scrape_configs:
  - job_name: self
    static_configs:
      - targets: ['127.0.0.1:1']
  - job_name: other
    static_configs:
      - targets: ['127.0.0.1:2', '127.0.0.1:3']
    relabel_configs:
      - source_labels: [__address__]
        regex: '.*:2'
        action: drop
  - job_name: empty
    static_configs: []
`;

let mini: Server;
let real: ReferencePrometheus | undefined;

async function json(base: string, path: string): Promise<{ status: number; body: unknown; text: string }> {
  const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text), text };
}

/**
 * Waits until a server's scrape manager has synced its pools: Prometheus syncs its first targets
 * up to 5s after start, and its API is the only place that shows it.
 */
async function synced(base: string): Promise<void> {
  for (;;) {
    const { body } = await json(base, '/api/v1/targets');
    const data = (body as { data: { activeTargets: unknown[]; droppedTargets: unknown[] } }).data;
    if (data.activeTargets.length === 2 && data.droppedTargets.length === 1) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  mini = await listening({ config: CONFIG });
  await mini.untilLog(READY);
  await synced(mini.base);
  if (PROMETHEUS.missing) {
    console.log(`web-endpoints.test.ts: peer comparisons skipped: ${PROMETHEUS.missing}`);
    return;
  }
  real = await startPrometheus({ config: CONFIG });
  await synced(real.base);
}, 30_000);

afterAll(async () => {
  killAll();
  await stopPrometheuses();
  removeScratchDirs();
});

/** What the filters decide: which targets of which pool, and the dropped counts. */
function targetShape(body: unknown) {
  const data = (body as { data: Record<string, unknown> }).data;
  const pick = (list: unknown) =>
    (list as Array<{ scrapePool: string; discoveredLabels: Record<string, string> }>).map(
      (t) => `${t.scrapePool} ${t.discoveredLabels.__address__}`,
    );
  return {
    active: pick(data.activeTargets).sort(),
    dropped: pick(data.droppedTargets).sort(),
    counts: data.droppedTargetCounts,
  };
}

describe('/api/v1/scrape_pools', () => {
  it('lists every pool, sorted, as Prometheus 3.5', async () => {
    const ours = await json(mini.base, '/api/v1/scrape_pools');
    expect(ours.text).toBe('{"status":"success","data":{"scrapePools":["empty","other","self"]}}');
    if (!real) return;
    expect(ours.text).toBe((await json(real.base, '/api/v1/scrape_pools')).text);
  });
});

describe('/api/v1/targets filters', () => {
  const QUERIES = [
    '',
    '?state=active',
    '?state=dropped',
    '?state=ANY',
    '?state=Active&scrapePool=other',
    '?scrapePool=other',
    '?scrapePool=self&state=dropped',
    '?scrapePool=nope',
    '?state=bogus',
  ];

  it('keeps one pool with scrapePool and one kind with state', async () => {
    expect(targetShape((await json(mini.base, '/api/v1/targets?state=active&scrapePool=other')).body)).toEqual({
      active: ['other 127.0.0.1:3'],
      dropped: [],
      counts: null,
    });
    expect(targetShape((await json(mini.base, '/api/v1/targets?state=dropped')).body)).toEqual({
      active: [],
      dropped: ['other 127.0.0.1:2'],
      counts: { empty: 0, other: 1, self: 0 },
    });
  });

  it.each(QUERIES)('answers %s as Prometheus 3.5', async (query) => {
    if (!real) return;
    const ours = await json(mini.base, `/api/v1/targets${query}`);
    const theirs = await json(real.base, `/api/v1/targets${query}`);
    expect(ours.status).toBe(theirs.status);
    expect(targetShape(ours.body)).toEqual(targetShape(theirs.body));
  });
});

describe('/api/v1/status/walreplay', () => {
  it('answers min, max and current segments; a fresh server as Prometheus 3.5', async () => {
    const ours = await json(mini.base, '/api/v1/status/walreplay');
    expect(ours.text).toBe('{"status":"success","data":{"min":0,"max":0,"current":0}}');
    if (!real) return;
    expect(ours.text).toBe((await json(real.base, '/api/v1/status/walreplay')).text);
  });
});

describe('unknown paths', () => {
  it.each(['/nope', '/api/v1/nope', '/api/v1/status/nope', '/api/v2/query', '/api', '/-/nope', '/assets'])(
    "answers %s with Go's plain-text 404, as Prometheus 3.5",
    async (path) => {
      const res = await fetch(`${mini.base}${path}`);
      const ours = { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
      expect(ours).toEqual({ status: 404, type: 'text/plain; charset=utf-8', body: '404 page not found\n' });
      if (!real) return;
      const peer = await fetch(`${real.base}${path}`);
      expect(ours).toEqual({ status: peer.status, type: peer.headers.get('content-type'), body: await peer.text() });
    },
  );
});

describe('/api/v1/status/walreplay after a restart', () => {
  it('covers the segments found and the one opened for writing, as upstream opens its segment before replay', async () => {
    const first = await listening({ config: 'global:\n  scrape_interval: 1h\n' });
    await first.untilLog(READY);
    first.child.kill('SIGTERM');
    await first.exited;
    const again = await listening({ config: 'global:\n  scrape_interval: 1h\n', dir: first.dir });
    await again.untilLog(READY);
    // Segment 0 was written by the first run; the second replays it and opens segment 1.
    expect((await json(again.base, '/api/v1/status/walreplay')).text).toBe(
      '{"status":"success","data":{"min":0,"max":1,"current":1}}',
    );
  });
});

describe('/api/v1/status/walreplay while starting', () => {
  it('answers before the server is ready, as upstream registers it without the readiness gate', async () => {
    const server = await listening({
      config: 'global:\n  scrape_interval: 1h\n',
      env: { MINIPROM_TEST_STORAGE_OPEN_DELAY: '3s' },
    });
    const [replay, query] = await Promise.all([
      fetch(`${server.base}/api/v1/status/walreplay`),
      fetch(`${server.base}/api/v1/query?query=1`),
    ]);
    expect(query.status).toBe(503);
    expect(replay.status).toBe(200);
    expect(await replay.text()).toBe('{"status":"success","data":{"min":0,"max":0,"current":0}}');
  });
});
