/**
 * --web.enable-remote-write-receiver in the built server: writes land in storage and the API
 * serves them (server mode), the agent takes writes too, as upstream's. Beside Prometheus 3.5 (the
 * reference peer), the same series pushed by the real promtool into both come back the same from
 * /federate, /api/v1/series, /api/v1/labels and /api/v1/label/…/values.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findPeer } from '../scripts/peers.mjs';
import { encodeWriteRequest, snappyCompress } from '../src/remote/index.js';
import { PROMETHEUS, startPrometheus, stopPrometheuses } from './helpers/prometheus.js';
import { http, listening, removeScratchDirs, scratchDir } from './helpers/server.js';
import { killAll } from './helpers/spawn.js';

const PROMTOOL = findPeer('promtool');
const havePeers = PROMETHEUS.path !== undefined && PROMTOOL.path !== undefined;
for (const peer of [PROMETHEUS, PROMTOOL]) {
  if (peer.missing) console.log(`api-remote-write.test.ts: skipped the comparison: ${peer.missing}`);
}

const READY = 'Server is ready to receive web requests.';
const RECEIVER = '--web.enable-remote-write-receiver';
const FEATURES = '--enable-feature=promql-experimental-functions';

async function ready(args: string[]) {
  const s = await listening({ config: 'global:\n  scrape_interval: 1h\n', args });
  await s.untilLog(READY);
  return s;
}

/** A remote write 1.0 request as a sender makes it: protobuf, snappy, upstream's headers. */
function write(base: string, samples: Array<{ labels: Record<string, string>; t: number; v: number }>) {
  return fetch(`${base}/api/v1/write`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'snappy',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
    },
    body: snappyCompress(encodeWriteRequest(samples)),
  });
}

describe('the remote write receiver', () => {
  afterEach(async () => {
    killAll();
    removeScratchDirs();
  });

  it('stores what it receives, and the API serves it', async () => {
    const s = await ready([RECEIVER]);
    const t = Date.now();
    const res = await write(s.base, [
      { labels: { __name__: 'pushed', job: 'w', instance: 'a' }, t, v: 1.5 },
      { labels: { __name__: 'pushed', job: 'w', instance: 'b' }, t, v: 2 },
    ]);
    expect(res.status).toBe(204);
    const series = JSON.parse((await http(`${s.base}/api/v1/series?match[]=pushed`)).body);
    expect(series).toEqual({
      status: 'success',
      data: [
        { __name__: 'pushed', instance: 'a', job: 'w' },
        { __name__: 'pushed', instance: 'b', job: 'w' },
      ],
    });
    const federated = (await http(`${s.base}/federate?match[]=pushed`)).body;
    expect(federated).toBe(
      `# TYPE pushed untyped\npushed{instance="a",job="w"} 1.5 ${t}\npushed{instance="b",job="w"} 2 ${t}\n`,
    );
  });

  it('takes writes in agent mode too, as upstream’s agent', async () => {
    const s = await ready(['--agent', RECEIVER]);
    const res = await write(s.base, [{ labels: { __name__: 'pushed', job: 'w' }, t: Date.now(), v: 1 }]);
    expect(res.status).toBe(204);
  });
});

describe.skipIf(!havePeers)('pushed series beside Prometheus 3.5', () => {
  // One pair of servers for the comparisons below, each with the same series pushed by the real
  // promtool. Their names tie across label orders (AA sorts before __name__), so federation's
  // unstable sort shows.
  const servers = { mini: '', real: '' };
  beforeAll(async () => {
    if (!havePeers) return;
    const file = join(scratchDir(), 'pushed.prom');
    const lines = Array.from({ length: 60 }, (_, i) => {
      const name = ['tie_a', 'tie_b', 'tie_c'][(i * 7) % 3];
      return `${name}{AA="${String(i).padStart(3, '0')}",zz="${(i * 13) % 5}",v="x<y&z"} ${i / 4}`;
    });
    writeFileSync(file, `${lines.join('\n')}\n`);
    const config = 'global:\n  scrape_interval: 1h\n  external_labels: { replica: r1 }\n';
    const [mini, real] = await Promise.all([
      listening({ config, args: [RECEIVER] }),
      startPrometheus({ config, args: [RECEIVER] }),
    ]);
    await mini.untilLog(READY);
    servers.mini = mini.base;
    servers.real = real.base;
    expect(await Promise.all([push(mini.base, file), push(real.base, file)])).toEqual([0, 0]);
  }, 30_000);
  afterAll(async () => {
    killAll();
    await stopPrometheuses();
    removeScratchDirs();
  });

  async function same(path: string) {
    const [ours, theirs] = await Promise.all([http(`${servers.mini}${path}`), http(`${servers.real}${path}`)]);
    expect([ours.status, ours.headers.get('content-type'), ours.body]).toEqual([
      theirs.status,
      theirs.headers.get('content-type'),
      theirs.body,
    ]);
  }

  const selector = encodeURIComponent('{__name__=~"tie_.*"}');
  const other = encodeURIComponent('{zz="0"}');

  it.each([
    // Two sets: upstream merges sorted selects, so the answer is in label order.
    `/api/v1/series?match[]=${selector}&match[]=${other}`,
    `/api/v1/series?match[]=${selector}&match[]=${other}&limit=7`,
    `/api/v1/labels?match[]=${selector}`,
    '/api/v1/labels?limit=2',
    '/api/v1/label/v/values',
    `/api/v1/label/__name__/values?match[]=${selector}`,
    `/api/v1/label/AA/values?match[]=${other}`,
  ])('answers %s the same', async (path) => {
    await same(path);
  });

  it('federates the same lines in the same order (the timestamps are each server’s push time)', async () => {
    const withoutTime = (text: string) => text.replace(/ \d+\n/g, '\n');
    const [ours, theirs] = await Promise.all([
      http(`${servers.mini}/federate?match[]=${selector}`),
      http(`${servers.real}/federate?match[]=${selector}`),
    ]);
    expect(ours.headers.get('content-type')).toBe(theirs.headers.get('content-type'));
    expect(withoutTime(ours.body)).toBe(withoutTime(theirs.body));
  });

  // Upstream's head answers some requests in the order its series were created (here, the pushed
  // request's), and so does miniprom's.
  it('answers one match[] in the order the series were created (upstream selects unsorted)', async () => {
    await same(`/api/v1/series?match[]=${selector}`);
  });

  it('truncates label values to the first ones created (upstream’s limit hint), then sorts', async () => {
    await same('/api/v1/label/AA/values?limit=5');
  });
});

/** The real promtool's `push metrics`: remote write into `base`. */
function push(base: string, file: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(PROMTOOL.path as string, ['push', 'metrics', `${base}/api/v1/write`, file], {
      stdio: 'ignore',
    });
    child.once('error', reject);
    child.once('close', resolve);
  });
}

describe.skipIf(PROMETHEUS.path === undefined)(
  'query answers beside Prometheus 3.5, over the same written samples',
  () => {
    const servers = { mini: '', real: '' };
    // Whole seconds, recent enough for both servers' heads; the samples are written with them.
    const T0 = Math.floor(Date.now() / 1000) * 1000 - 120_000;
    beforeAll(async () => {
      if (PROMETHEUS.path === undefined) return;
      const config = 'global:\n  scrape_interval: 1h\n';
      const [mini, real] = await Promise.all([
        listening({ config, args: [RECEIVER, FEATURES] }),
        startPrometheus({ config, args: [RECEIVER, FEATURES] }),
      ]);
      await mini.untilLog(READY);
      servers.mini = mini.base;
      servers.real = real.base;
      const values = [0, 1, -1, 0.1, 1e-7, -2.5e-10, 1e21, 123456789.125, Number.NaN, Number.POSITIVE_INFINITY];
      const samples = values.flatMap((v, i) =>
        [0, 15_000, 30_050, 45_001].map((dt, j) => ({
          labels: { __name__: 'w', i: String(i).padStart(2, '0'), x: 'a<b>&"c"\n' },
          t: T0 + dt,
          v: j === 2 ? -v : v,
        })),
      );
      for (const base of [mini.base, real.base]) expect((await write(base, samples)).status).toBe(204);
    }, 30_000);
    afterAll(async () => {
      killAll();
      await stopPrometheuses();
      removeScratchDirs();
    });

    const t = (ms: number) => String(ms / 1000);
    it.each([
      () => `/api/v1/query?query=w&time=${t(T0 + 50_000)}`,
      () => `/api/v1/query?query=w&time=${t(T0 + 30_050)}&limit=3`,
      () => `/api/v1/query?query=${encodeURIComponent('w[1m]')}&time=${t(T0 + 50_000)}`,
      () => `/api/v1/query?query=${encodeURIComponent('sum(w) / count(w)')}&time=${t(T0 + 50_000)}`,
      () => `/api/v1/query?query=${encodeURIComponent('scalar(w{i="03"})')}&time=${t(T0 + 30_050)}`,
      () => `/api/v1/query?query=${encodeURIComponent('rate(w[1m])')}&time=${t(T0 + 50_000)}`,
      () => `/api/v1/query_range?query=w&start=${t(T0)}&end=${t(T0 + 60_000)}&step=7.5`,
      () =>
        `/api/v1/query_range?query=${encodeURIComponent('w * 2')}&start=${t(T0)}&end=${t(T0 + 60_000)}&step=15s&limit=2`,
      () => `/api/v1/query_range?query=${encodeURIComponent('time()')}&start=${t(T0)}&end=${t(T0 + 2_500)}&step=0.5`,
      () => `/api/v1/query_range?query=${encodeURIComponent('w[1m]')}&start=${t(T0)}&end=${t(T0 + 60_000)}&step=15`,
      () => `/api/v1/query?query=${encodeURIComponent('sum by (x) (w)')}&time=${t(T0 + 50_000)}`,
    ])('answers %s the same', async (path) => {
      const [ours, theirs] = await Promise.all([http(`${servers.mini}${path()}`), http(`${servers.real}${path()}`)]);
      expect([ours.status, ours.headers.get('content-type'), ours.body]).toEqual([
        theirs.status,
        theirs.headers.get('content-type'),
        theirs.body,
      ]);
    });
  },
);
