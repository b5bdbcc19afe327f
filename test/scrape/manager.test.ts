import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { pino } from 'pino';
import type { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config, ScrapeConfig, TargetGroup } from '../../src/config/index.js';
import { Mailbox } from '../../src/discovery/index.js';
import { createScrapeManager, type ScrapeManager } from '../../src/scrape/index.js';
import type { Appendable, Appender, Labels } from '../../src/storage/index.js';

const logger = pino({ level: 'silent' });
/** Lets every pending promise chain settle (one macrotask), without waiting on time. */
const settle = () => new Promise((resolve) => setImmediate(resolve));
const servers: Server[] = [];
const managers: ScrapeManager[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.stop()));
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

type Sample = { labels: Labels; t: number; v: number };

/** An Appendable that records commits and lets a test await the next one (no sleeping). */
function recorder() {
  const commits: Sample[][] = [];
  const waiters: Array<() => void> = [];
  const appendable: Appendable = {
    appender(): Appender {
      const batch: Sample[] = [];
      return {
        append: (labels, t, v) => {
          batch.push({ labels, t, v });
        },
        rollback: () => {
          batch.length = 0;
        },
        commit: async () => {
          commits.push([...batch]);
          for (const w of waiters.splice(0)) w();
        },
      };
    },
  };
  const nextCommit = () => new Promise<void>((resolve) => waiters.push(resolve));
  return { appendable, commits, nextCommit };
}

/** A target serving `body` (or a status) on 127.0.0.1:0; records request headers. */
async function target(handler: { body?: string; status?: number; delayMs?: number }) {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    const respond = () =>
      res.writeHead(handler.status ?? 200, { 'Content-Type': 'text/plain' }).end(handler.body ?? '');
    if (handler.delayMs) setTimeout(respond, handler.delayMs);
    else respond();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { address: `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, seen };
}

function job(name: string, extra: Partial<ScrapeConfig> = {}): ScrapeConfig {
  return {
    jobName: name,
    // Generous: a cold first fetch on a loaded CI machine can take tens of milliseconds.
    scrapeInterval: 200,
    scrapeTimeout: 200,
    metricsPath: '/metrics',
    scheme: 'http',
    params: {},
    honorLabels: false,
    honorTimestamps: true,
    sampleLimit: 0,
    labelLimit: 0,
    bodySizeLimit: 0,
    httpClient: { followRedirects: true },
    staticConfigs: [],
    fileSDConfigs: [],
    relabelConfigs: [],
    metricRelabelConfigs: [],
    ...extra,
  };
}
const config = (...jobs: ScrapeConfig[]) => ({ scrapeConfigs: jobs }) as Config;
const group = (...addresses: string[]): TargetGroup[] => [
  { source: '0', labels: {}, targets: addresses.map((a) => ({ __address__: a })) },
];

function start(appendable: Appendable, cfg: Config, sets: Map<string, TargetGroup[]>, registry?: Registry) {
  const m = createScrapeManager({ logger, appendable, ...(registry ? { registry } : {}) });
  managers.push(m);
  m.prepare(cfg)();
  const updates = new Mailbox<Map<string, TargetGroup[]>>();
  const running = m.run(updates);
  updates.publish(sets);
  return { m, updates, running };
}

const byName = (batch: Sample[], name: string) => batch.filter((s) => s.labels.__name__ === name);

describe('scrape manager', () => {
  it('scrapes a target, attaches target labels, and reports up 1', async () => {
    const t = await target({ body: 'requests_total{code="200"} 7\n' });
    const rec = recorder();
    const committed = rec.nextCommit();
    start(rec.appendable, config(job('app')), new Map([['app', group(t.address)]]));
    await committed;
    const batch = rec.commits[0] as Sample[];
    expect(byName(batch, 'up')[0], JSON.stringify(batch)).toBeDefined();
    expect(byName(batch, 'requests_total')[0]?.labels).toEqual({
      __name__: 'requests_total',
      code: '200',
      job: 'app',
      instance: t.address,
    });
    expect(byName(batch, 'up')[0]?.v).toBe(1);
    expect(byName(batch, 'scrape_samples_scraped')[0]?.v).toBe(1);
    expect(t.seen[0]?.accept).toContain('text/plain;version=0.0.4');
    expect(t.seen[0]?.['x-prometheus-scrape-timeout-seconds']).toBe('0.2');
  });

  it('renames clashing scraped labels to exported_*, unless honor_labels', async () => {
    const t = await target({ body: 'm{job="theirs",instance="x"} 1\n' });
    for (const [honor, expected] of [
      [false, { __name__: 'm', job: 'app', exported_job: 'theirs', instance: '', exported_instance: 'x' }],
      [true, { __name__: 'm', job: 'theirs', instance: 'x' }],
    ] as const) {
      const rec = recorder();
      const committed = rec.nextCommit();
      start(rec.appendable, config(job('app', { honorLabels: honor })), new Map([['app', group(t.address)]]));
      await committed;
      const labels = byName(rec.commits[0] as Sample[], 'm')[0]?.labels;
      expect(labels).toEqual(honor ? expected : { ...expected, instance: t.address });
    }
  });

  it.each([
    [{ status: 500 }, {}, 'server returned HTTP status 500 Internal Server Error'],
    [{ body: 'm 1\n', delayMs: 400 }, {}, 'context deadline exceeded'],
    [{ body: 'm 1\nn 2\n' }, { sampleLimit: 1 }, 'sample limit exceeded'],
    [{ body: 'm 1\nn 2\n' }, { bodySizeLimit: 4 }, 'body size limit exceeded'],
    [{ body: 'm{ 1\n' }, {}, 'line 1: expected label name'],
    [
      { body: 'm{a="1",b="2"} 1\n' },
      { labelLimit: 3 },
      'label_limit exceeded (metric: m, number of labels: 5, limit: 3)',
    ],
  ])('reports up 0 and the error for %j', async (serve, extra, error) => {
    const t = await target(serve);
    const rec = recorder();
    const committed = rec.nextCommit();
    const { m } = start(rec.appendable, config(job('app', extra)), new Map([['app', group(t.address)]]));
    await committed;
    const batch = rec.commits[0] as Sample[];
    expect(byName(batch, 'up')[0]?.v).toBe(0);
    expect(byName(batch, 'm')).toEqual([]);
    const [active] = m.targets().activeTargets;
    expect(active).toMatchObject({ health: 'down', lastError: expect.stringContaining(error), scrapePool: 'app' });
  });

  it('shows targets in the /api/v1/targets shape', async () => {
    const t = await target({ body: 'm 1\n' });
    const rec = recorder();
    const { m } = start(
      rec.appendable,
      config(job('app', { params: { module: ['x'] } })),
      new Map([['app', group(t.address)]]),
    );
    await settle();
    const before = m.targets().activeTargets[0];
    expect(before).toMatchObject({
      health: 'unknown',
      lastScrape: '0001-01-01T00:00:00Z',
      scrapeInterval: '200ms',
      scrapeTimeout: '200ms',
    });
    expect(before?.scrapeUrl).toBe(`http://${t.address}/metrics?module=x`);
    expect(before?.discoveredLabels).toMatchObject({
      __address__: t.address,
      __param_module: 'x',
      __metrics_path__: '/metrics',
    });
    await rec.nextCommit();
    expect(m.targets().activeTargets[0]?.health).toBe('up');
  });

  it('stops a vanished target and marks its series stale', async () => {
    const t = await target({ body: 'm 1\n' });
    const rec = recorder();
    const { m, updates } = start(rec.appendable, config(job('app')), new Map([['app', group(t.address)]]));
    await rec.nextCommit();
    const stale = rec.nextCommit();
    updates.publish(new Map([['app', []]]));
    await stale;
    const last = rec.commits.at(-1) as Sample[];
    const m1 = byName(last, 'm')[0];
    expect(m1 && Number.isNaN(m1.v)).toBe(true);
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, m1?.v as number);
    expect(view.getBigUint64(0)).toBe(0x7ff0000000000002n);
    expect(m.targets().activeTargets).toEqual([]);
  });

  it('applies relabel_configs to targets (dropping some) and metric_relabel_configs to samples', async () => {
    const t = await target({ body: 'keep_me 1\ntmp_drop_me 2\n' });
    const step = (c: object) =>
      ({
        separator: ';',
        regex: '(.*)',
        modulus: 0,
        targetLabel: '',
        replacement: '$1',
        sourceLabels: [],
        action: 'replace',
        ...c,
      }) as never;
    const cfg = job('app', {
      relabelConfigs: [
        step({ action: 'drop', sourceLabels: ['__address__'], regex: '127\\.0\\.0\\.1:1' }),
        step({ sourceLabels: ['__address__'], regex: '([^:]+):.*', targetLabel: 'host' }),
      ],
      metricRelabelConfigs: [step({ action: 'drop', sourceLabels: ['__name__'], regex: 'tmp_.*' })],
    });
    const rec = recorder();
    const committed = rec.nextCommit();
    const { m } = start(rec.appendable, config(cfg), new Map([['app', group(t.address, '127.0.0.1:1')]]));
    await committed;
    const batch = rec.commits[0] as Sample[];
    expect(byName(batch, 'keep_me')[0]?.labels).toEqual({
      __name__: 'keep_me',
      job: 'app',
      host: '127.0.0.1',
      instance: t.address,
    });
    expect(byName(batch, 'tmp_drop_me')).toEqual([]);
    expect(byName(batch, 'scrape_samples_scraped')[0]?.v).toBe(2);
    expect(byName(batch, 'scrape_samples_post_metric_relabeling')[0]?.v).toBe(1);
    const { activeTargets, droppedTargets } = m.targets();
    expect(activeTargets.map((a) => a.labels.instance)).toEqual([t.address]);
    expect(droppedTargets).toEqual([
      { scrapePool: 'app', discoveredLabels: expect.objectContaining({ __address__: '127.0.0.1:1' }) },
    ]);
  });

  it('changes nothing when prepare() fails', async () => {
    const rec = recorder();
    const { m } = start(rec.appendable, config(job('app')), new Map([['app', group('127.0.0.1:1')]]));
    await settle();
    const bad = job('other', {
      httpClient: { followRedirects: true, basicAuth: { username: 'u', passwordFile: '/nonexistent/pw' } },
    });
    expect(() => m.prepare(config(bad))).toThrow('/nonexistent/pw');
    expect(m.targets().activeTargets.map((a) => a.scrapePool)).toEqual(['app']);
  });

  it('appends nothing after stop() resolves, and leaves no timers behind', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const t = await target({ body: 'm 1\n', delayMs: 20 });
    const rec = recorder();
    const { m, running } = start(rec.appendable, config(job('app')), new Map([['app', group(t.address)]]));
    await rec.nextCommit();
    await m.stop();
    await running;
    const count = rec.commits.length;
    await new Promise((resolve) => setTimeout(resolve, 450)); // longer than two intervals: no loop may fire
    expect(rec.commits.length).toBe(count);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(before);
  });
});
