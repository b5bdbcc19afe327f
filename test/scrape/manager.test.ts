/**
 * The scrape manager against real HTTP targets (node:http on 127.0.0.1:0) and a fake Appendable
 * that records every commit. Waits are event-driven: a test awaits the commit, the request or the
 * update it expects. Most tests fake setTimeout/performance so that intervals pass on demand
 * (network I/O stays real); the stop() test runs on real timers to inspect leftover resources.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Config, DEFAULT_SCRAPE_PROTOCOLS, type ScrapeConfig, type TargetGroup } from '../../src/config/index.js';
import { applyRelabel, DEFAULT_RELABEL, type RelabelConfig } from '../../src/relabel/index.js';
import { createScrapeManager, type ScrapeManager, type ScrapeManagerOptions } from '../../src/scrape/index.js';
import type { Appendable, Labels } from '../../src/storage/index.js';
import { trackConnections } from '../helpers/connections.js';
import { listenLocal } from '../helpers/listen.js';

const logger = pino({ level: 'silent' });
const NOW = 1_700_000_000_000;
/** The scrape interval of most tests: long, since fake timers make it pass on demand. */
const INTERVAL = 10_000;
/** Lets pending promise chains and I/O callbacks run (one macrotask); setImmediate is never faked here. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

// ---------------------------------------------------------------------------------------------
// Helpers: an async channel feeding run(), a recording Appendable, HTTP targets, configs.
// ---------------------------------------------------------------------------------------------

/** An async iterable of target-set updates that never ends by itself, like discovery's channel. */
function channel<T>() {
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  return {
    push(value: T) {
      queue.push(value);
      wake?.();
      wake = undefined;
    },
    async *[Symbol.asyncIterator](): AsyncGenerator<T> {
      for (;;) {
        while (queue.length > 0) yield queue.shift() as T;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
  };
}

type Sample = { labels: Labels; t: number; v: number };

/**
 * An Appendable that records committed batches and rollbacks, counts appends after close(), and
 * can hold commits (to catch a loop in the middle of one).
 */
function recorder() {
  const commits: Sample[][] = [];
  let rollbacks = 0;
  let closed = false;
  let late = 0;
  let gate: Promise<void> | undefined;
  let openGate: (() => void) | undefined;
  const checks = new Set<() => void>();
  const appendable: Appendable = {
    appender() {
      const batch: Sample[] = [];
      return {
        append(labels, t, v) {
          if (closed) late++;
          batch.push({ labels, t, v });
        },
        rollback() {
          rollbacks++;
          batch.length = 0;
        },
        async commit() {
          if (closed) late++;
          commits.push([...batch]);
          for (const check of [...checks]) check();
          await gate;
        },
      };
    },
  };
  /** Resolves once `test` holds for the commits so far (checked now and after every commit). */
  const until = <T>(test: (all: Sample[][]) => T | undefined | false) =>
    new Promise<T>((resolve) => {
      const check = () => {
        const result = test(commits);
        if (result === undefined || result === false) return;
        checks.delete(check);
        resolve(result);
      };
      checks.add(check);
      check();
    });
  return {
    appendable,
    commits,
    get rollbacks() {
      return rollbacks;
    },
    /** Appends or commits that happened after close(): must stay 0. */
    get late() {
      return late;
    },
    close() {
      closed = true;
    },
    until,
    /** The next committed batch that satisfies `test` (every batch by default). */
    nextCommit(test: (batch: Sample[]) => boolean = () => true) {
      const seen = commits.length;
      return until((all) => all.slice(seen).find(test));
    },
    /** Makes commits wait until release(). */
    hold() {
      gate = new Promise((resolve) => {
        openGate = resolve;
      });
    },
    release() {
      openGate?.();
      gate = undefined;
    },
  };
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const servers: Server[] = [];

/** A target on 127.0.0.1:0. `handler` may be a body to serve, or a request handler. */
async function serve(handler: string | Handler) {
  const requests: IncomingMessage[] = [];
  let current = handler;
  const server = createServer((req, res) => {
    requests.push(req);
    if (typeof current === 'string') res.writeHead(200, { 'Content-Type': 'text/plain' }).end(current);
    else current(req, res);
  });
  const connections = trackConnections(server);
  servers.push(server);
  const port = await listenLocal(server);
  return {
    address: `127.0.0.1:${port}`,
    requests,
    /** Serves something else from now on. */
    set(next: string | Handler) {
      current = next;
    },
    /** Resolves once every connection to this target has closed. */
    idle: connections.closed,
  };
}

function job(name: string, extra: Partial<ScrapeConfig> = {}): ScrapeConfig {
  return {
    jobName: name,
    scrapeInterval: INTERVAL,
    scrapeTimeout: 5_000,
    metricsPath: '/metrics',
    scheme: 'http',
    params: {},
    honorLabels: false,
    honorTimestamps: true,
    scrapeProtocols: [...DEFAULT_SCRAPE_PROTOCOLS],
    enableCompression: true,
    sampleLimit: 0,
    targetLimit: 0,
    labelLimit: 0,
    labelNameLengthLimit: 0,
    labelValueLengthLimit: 0,
    bodySizeLimit: 0,
    metricNameValidationScheme: 'utf8',
    metricNameEscapingScheme: 'allow-utf-8',
    alwaysScrapeClassicHistograms: false,
    convertClassicHistogramsToNHCB: false,
    httpClient: { followRedirects: true },
    staticConfigs: [],
    fileSDConfigs: [],
    relabelConfigs: [],
    metricRelabelConfigs: [],
    ...extra,
  };
}
/** Only scrapeConfigs matters to the scrape manager (external labels are not its business). */
const config = (...jobs: ScrapeConfig[]) =>
  ({ scrapeConfigs: jobs, global: { externalLabels: { monitor: 'never-attached' } } }) as unknown as Config;
const groups = (...addresses: string[]): TargetGroup[] => [
  { source: '0', labels: {}, targets: addresses.map((a) => ({ __address__: a })) },
];

const managers: ScrapeManager[] = [];
const scratch: string[] = [];

/** A manager with `cfg` committed and run() fed `sets`; the caller pushes further updates. */
async function start(
  rec: ReturnType<typeof recorder>,
  cfg: Config,
  sets: Map<string, TargetGroup[]>,
  extra: Partial<ScrapeManagerOptions> = {},
) {
  const m = createScrapeManager({ logger, appendable: rec.appendable, now: () => NOW, ...extra });
  managers.push(m);
  m.prepare(cfg)();
  const updates = channel<Map<string, TargetGroup[]>>();
  const running = m.run(updates);
  updates.push(sets);
  await settle();
  return { m, updates, running };
}

/** Lets one interval pass (fake timers) and resolves with the commit it produced. */
async function nextScrape(rec: ReturnType<typeof recorder>, test?: (batch: Sample[]) => boolean) {
  const committed = rec.nextCommit(test);
  await vi.advanceTimersByTimeAsync(INTERVAL);
  const batch = await committed;
  await settle(); // the loop schedules its next scrape after the commit resolves
  return batch;
}

const named = (batch: Sample[], name: string) => batch.filter((s) => s.labels.__name__ === name);
const value = (batch: Sample[], name: string) => named(batch, name)[0]?.v;
const isStale = (v: number) => {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  return view.getBigUint64(0) === 0x7ff0000000000002n;
};

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.stop()));
  vi.useRealTimers();
  await Promise.all(
    servers.splice(0).map((s) => {
      s.closeAllConnections();
      return new Promise((resolve) => s.close(resolve));
    }),
  );
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------

describe('scraping', () => {
  it('appends samples with target labels, the report series, and sends upstream headers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrape-'));
    scratch.push(dir);
    writeFileSync(join(dir, 'pw'), 'secret\n');
    const t = await serve(
      [
        '# HELP requests_total Requests.',
        '# TYPE requests_total counter',
        'requests_total{code="200"} 7',
        'requests_total{code="500"} 1 1600000000000',
        'temperature NaN',
        '',
      ].join('\n'),
    );
    const rec = recorder();
    const cfg = job('app', {
      params: { module: ['x', 'y'] },
      httpClient: { followRedirects: true, basicAuth: { username: 'u', passwordFile: join(dir, 'pw') } },
    });
    await start(rec, config(cfg), new Map([['app', groups(t.address)]]), { userAgent: 'miniprom/test' });
    const batch = await nextScrape(rec);

    expect(named(batch, 'requests_total')).toEqual([
      { labels: { __name__: 'requests_total', code: '200', job: 'app', instance: t.address }, t: NOW, v: 7 },
      // honor_timestamps (the default): the exposed timestamp is kept.
      { labels: { __name__: 'requests_total', code: '500', job: 'app', instance: t.address }, t: 1.6e12, v: 1 },
    ]);
    expect(Number.isNaN(value(batch, 'temperature'))).toBe(true);
    expect(isStale(value(batch, 'temperature') as number)).toBe(false);
    expect(named(batch, 'up')).toEqual([{ labels: { __name__: 'up', job: 'app', instance: t.address }, t: NOW, v: 1 }]);
    expect(value(batch, 'scrape_samples_scraped')).toBe(3);
    expect(value(batch, 'scrape_samples_post_metric_relabeling')).toBe(3);
    expect(value(batch, 'scrape_series_added')).toBe(3);
    expect(value(batch, 'scrape_duration_seconds')).toBeGreaterThanOrEqual(0);
    // No external labels at scrape time, as upstream.
    expect(batch.every((s) => !('monitor' in s.labels))).toBe(true);

    const req = t.requests[0];
    expect(req?.url).toBe('/metrics?module=x&module=y');
    // Prometheus 3.5's default scrape_protocols: OpenMetrics first, then the text formats.
    expect(req?.headers.accept).toBe(
      'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
    );
    expect(req?.headers['accept-encoding']).toBe('gzip');
    expect(req?.headers['user-agent']).toBe('miniprom/test');
    expect(req?.headers['x-prometheus-scrape-timeout-seconds']).toBe('5');
    expect(req?.headers.authorization).toBe(`Basic ${Buffer.from('u:secret').toString('base64')}`);
  });

  it('uses the scrape time when honor_timestamps is false, and sends authorization credentials', async () => {
    const t = await serve('m 1 1600000000000\n');
    const rec = recorder();
    const cfg = job('app', {
      honorTimestamps: false,
      httpClient: { followRedirects: true, authorization: { type: 'Bearer', credentials: 'tok' } },
    });
    await start(rec, config(cfg), new Map([['app', groups(t.address)]]));
    const batch = await nextScrape(rec);
    expect(named(batch, 'm')[0]?.t).toBe(NOW);
    expect(t.requests[0]?.headers.authorization).toBe('Bearer tok');
  });

  it('renames clashing scraped labels to exported_*, unless honor_labels', async () => {
    const t = await serve('m{job="theirs",exported_job="older",instance="x"} 1\n');
    const labelsWith = async (honorLabels: boolean) => {
      const rec = recorder();
      await start(rec, config(job('app', { honorLabels })), new Map([['app', groups(t.address)]]));
      return named(await nextScrape(rec), 'm')[0]?.labels;
    };
    expect(await labelsWith(false)).toEqual({
      __name__: 'm',
      job: 'app',
      instance: t.address,
      exported_instance: 'x',
      exported_job: 'older',
      // exported_job was taken, so the clash goes one level further.
      exported_exported_job: 'theirs',
    });
    expect(await labelsWith(true)).toEqual({ __name__: 'm', job: 'theirs', exported_job: 'older', instance: 'x' });
  });

  it.each<[string, { status?: number; body?: string }, Partial<ScrapeConfig>, string, boolean]>([
    ['an error status', { status: 500 }, {}, 'server returned HTTP status 500 Internal Server Error', false],
    [
      "a parse error (upstream's words)",
      { body: 'm{ 1\n' },
      {},
      'expected label name, got "1" ("INVALID") while parsing: "m{ 1"',
      true,
    ],
    ['the sample limit', { body: 'm 1\nn 2\n' }, { sampleLimit: 1 }, 'sample limit exceeded', true],
    ['the body size limit', { body: 'm 1\nn 2\n' }, { bodySizeLimit: 4 }, 'body size limit exceeded', false],
    [
      'the label limit',
      { body: 'm{a="1",b="2"} 1\n' },
      { labelLimit: 3 },
      'label_limit exceeded (metric: m, number of labels: 5, limit: 3)',
      true,
    ],
    [
      'the label name length limit (bytes, labels in name order)',
      // __name__ and instance (8 bytes each) are checked too, and fit.
      { body: 'm{zzzzzzzzzz="1",yyyyyyyyy="2"} 1\n' },
      { labelNameLengthLimit: 8 },
      'label_name_length_limit exceeded (metric: m, label name: yyyyyyyyy, length: 9, limit: 8)',
      true,
    ],
    [
      'the label value length limit',
      { body: `ok 1\nm{a="ü${'x'.repeat(60)}"} 1\n` },
      { labelValueLengthLimit: 60 },
      `label_value_length_limit exceeded (metric: m, label name: a, value: "ü${'x'.repeat(49)}", length: 62, limit: 60)`,
      true,
    ],
  ])('fails the whole scrape on %s: up 0, lastError, no samples', async (_, serving, extra, error, rolledBack) => {
    const t = await serve((_req, res) => {
      // A text/plain body: Prometheus 3 refuses one without a Content-Type (tested apart).
      res.writeHead(serving.status ?? 200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(serving.body ?? '');
    });
    const rec = recorder();
    const { m } = await start(rec, config(job('app', extra)), new Map([['app', groups(t.address)]]));
    const batch = await nextScrape(rec);
    expect(value(batch, 'up')).toBe(0);
    expect(named(batch, 'm')).toEqual([]);
    expect(rec.rollbacks).toBe(rolledBack ? 1 : 0);
    expect(m.targets().activeTargets[0]).toMatchObject({ health: 'down', lastError: error, scrapePool: 'app' });
  });

  it('fails every scrape of a job over target_limit, without a request, until the targets fit again', async () => {
    const a = await serve('m 1\n');
    const b = await serve('m 2\n');
    const registry = new Registry();
    const rec = recorder();
    const { m, updates } = await start(
      rec,
      config(job('app', { targetLimit: 1 })),
      new Map([['app', groups(a.address, b.address)]]),
      { registry },
    );
    const failed = await nextScrape(rec);
    expect(value(failed, 'up')).toBe(0);
    expect(named(failed, 'm')).toEqual([]);
    const error = 'target_limit exceeded (number of targets: 2, limit: 1)';
    expect(m.targets().activeTargets.map((t) => [t.health, t.lastError])).toEqual([
      ['down', error],
      ['down', error],
    ]);
    expect(a.requests.length + b.requests.length).toBe(0);
    expect(await registry.metrics()).toMatch(/^prometheus_target_scrape_pool_exceeded_target_limit_total 1$/m);

    updates.push(new Map([['app', groups(a.address)]]));
    await settle();
    const ok = await nextScrape(rec, (batch) => value(batch, 'up') === 1);
    expect(value(ok, 'm')).toBe(1);
    expect(m.targets().activeTargets).toMatchObject([{ health: 'up', lastError: '' }]);
  });

  it('counts each scrape that exceeds a label limit in prometheus_target_scrape_pool_exceeded_label_limits_total', async () => {
    const t = await serve('m{a="1",b="2"} 1\n');
    const registry = new Registry();
    const rec = recorder();
    await start(rec, config(job('app', { labelLimit: 3 })), new Map([['app', groups(t.address)]]), { registry });
    await nextScrape(rec);
    expect(await registry.metrics()).toMatch(/^prometheus_target_scrape_pool_exceeded_label_limits_total 1$/m);
  });

  it.each([
    ['a metric name', '{"m.x"} 1\n', (addr: string) => `{__name__="m.x", instance="${addr}", job="app"}`],
    ['a label name', 'm{"a.b"="1"} 1\n', (addr: string) => `{__name__="m", "a.b"="1", instance="${addr}", job="app"}`],
  ])(
    'fails the scrape on %s that only UTF-8 allows, under metric_name_validation_scheme: legacy',
    async (_, body, lset) => {
      const t = await serve(body);
      const legacy = { metricNameValidationScheme: 'legacy', metricNameEscapingScheme: 'underscores' } as const;
      const rec = recorder();
      const { m } = await start(rec, config(job('app', legacy)), new Map([['app', groups(t.address)]]));
      const batch = await nextScrape(rec);
      expect(value(batch, 'up')).toBe(0);
      expect(m.targets().activeTargets[0]?.lastError).toBe(`invalid metric name or label names: ${lset(t.address)}`);
      // The same exposition is fine under the default, utf8.
      const utf8 = recorder();
      const { m: m2 } = await start(utf8, config(job('app')), new Map([['app', groups(t.address)]]));
      expect(value(await nextScrape(utf8), 'up')).toBe(1);
      expect(m2.targets().activeTargets[0]?.lastError).toBe('');
    },
  );

  it('fails a scrape that outlives scrape_timeout with context deadline exceeded', async () => {
    // The target never answers; the (real) timeout aborts the request.
    const t = await serve(() => {});
    const rec = recorder();
    const { m } = await start(rec, config(job('app', { scrapeTimeout: 100 })), new Map([['app', groups(t.address)]]));
    const batch = await nextScrape(rec);
    expect(value(batch, 'up')).toBe(0);
    expect(m.targets().activeTargets[0]?.lastError).toBe(
      `Get "http://${t.address}/metrics": context deadline exceeded`,
    );
  });

  it('marks series stale when they vanish from the exposition, and when a scrape fails', async () => {
    const t = await serve('a 1\nb 1\n');
    const rec = recorder();
    await start(rec, config(job('app')), new Map([['app', groups(t.address)]]));
    await nextScrape(rec);

    t.set('a 2\nc 1\n');
    const second = await nextScrape(rec);
    expect(isStale(value(second, 'b') as number)).toBe(true);
    expect(value(second, 'a')).toBe(2);
    // Only c is new.
    expect(value(second, 'scrape_series_added')).toBe(1);

    t.set((_req, res) => res.writeHead(503).end());
    const failed = await nextScrape(rec);
    expect(value(failed, 'up')).toBe(0);
    expect(isStale(value(failed, 'a') as number)).toBe(true);
    expect(isStale(value(failed, 'c') as number)).toBe(true);
    expect(named(failed, 'b')).toEqual([]); // already stale
  });

  it('scrapes duplicate targets once', async () => {
    const t = await serve('m 1\n');
    const rec = recorder();
    const sets = new Map([['app', [...groups(t.address, t.address), ...groups(t.address)]]]);
    const { m } = await start(rec, config(job('app')), sets);
    expect(m.targets().activeTargets).toHaveLength(1);
    await nextScrape(rec);
    expect(t.requests).toHaveLength(1);
  });

  it('applies an injected relabel step to targets (dropping some) and to samples', async () => {
    const t = await serve('keep_me 1\ntmp_drop_me 2\n');
    const step = (c: Partial<RelabelConfig>): RelabelConfig => ({
      ...DEFAULT_RELABEL,
      sourceLabels: [],
      action: 'replace',
      ...c,
    });
    const cfg = job('app', {
      relabelConfigs: [
        step({ action: 'drop', sourceLabels: ['__address__'], regex: '127\\.0\\.0\\.1:1' }),
        step({ sourceLabels: ['__address__'], regex: '([^:]+):.*', targetLabel: 'host' }),
      ],
      metricRelabelConfigs: [step({ action: 'drop', sourceLabels: ['__name__'], regex: 'tmp_.*' })],
    });
    const rec = recorder();
    const { m } = await start(rec, config(cfg), new Map([['app', groups(t.address, '127.0.0.1:1')]]), {
      relabel: applyRelabel,
    });
    const batch = await nextScrape(rec);
    expect(named(batch, 'keep_me')[0]?.labels).toEqual({
      __name__: 'keep_me',
      job: 'app',
      host: '127.0.0.1',
      instance: t.address,
    });
    expect(named(batch, 'tmp_drop_me')).toEqual([]);
    expect(value(batch, 'scrape_samples_scraped')).toBe(2);
    expect(value(batch, 'scrape_samples_post_metric_relabeling')).toBe(1);
    const { activeTargets, droppedTargets } = m.targets();
    expect(activeTargets.map((a) => a.labels.instance)).toEqual([t.address]);
    expect(droppedTargets).toEqual([
      { scrapePool: 'app', discoveredLabels: expect.objectContaining({ __address__: '127.0.0.1:1' }) },
    ]);
  });
});

describe('the scrape cache (issue 17)', () => {
  const step = (c: Partial<RelabelConfig>): RelabelConfig => ({
    ...DEFAULT_RELABEL,
    sourceLabels: [],
    action: 'replace',
    ...c,
  });

  it('hands storage the same frozen Labels object for a series on every scrape', async () => {
    const t = await serve('a{x="1"} 1\nb 2\n');
    const rec = recorder();
    await start(rec, config(job('app')), new Map([['app', groups(t.address)]]));
    const first = await nextScrape(rec);
    t.set('b 3\na{x="1"} 4\n');
    const second = await nextScrape(rec);
    for (const name of ['a', 'b', 'up', 'scrape_samples_scraped']) {
      const labels = named(second, name)[0]?.labels;
      expect(labels, name).toBe(named(first, name)[0]?.labels);
      expect(Object.isFrozen(labels), name).toBe(true);
    }
    expect(value(second, 'a')).toBe(4);
    expect(value(second, 'scrape_series_added')).toBe(0);
  });

  it('relabels a series once while it stays, a dropped one included, and counts both as scraped', async () => {
    const t = await serve('keep 1\ntmp_drop 2\n');
    let calls = 0;
    const counting: typeof applyRelabel = (labels, steps) => {
      calls++;
      return applyRelabel(labels, steps);
    };
    const rec = recorder();
    await start(
      rec,
      config(
        job('app', { metricRelabelConfigs: [step({ action: 'drop', sourceLabels: ['__name__'], regex: 'tmp_.*' })] }),
      ),
      new Map([['app', groups(t.address)]]),
      { relabel: counting },
    );
    await nextScrape(rec);
    expect(calls).toBe(2);
    const second = await nextScrape(rec);
    expect(calls).toBe(2);
    expect(named(second, 'tmp_drop')).toEqual([]);
    expect(value(second, 'scrape_samples_scraped')).toBe(2);
    expect(value(second, 'scrape_samples_post_metric_relabeling')).toBe(1);
  });

  it('relabels afresh after a reload changes metric_relabel_configs', async () => {
    const t = await serve('m{a="x"} 1\n');
    const rec = recorder();
    const { m } = await start(rec, config(job('app')), new Map([['app', groups(t.address)]]), {
      relabel: applyRelabel,
    });
    expect(named(await nextScrape(rec), 'm')[0]?.labels.a).toBe('x');
    m.prepare(
      config(
        job('app', {
          metricRelabelConfigs: [step({ sourceLabels: ['a'], regex: '(.*)', targetLabel: 'a', replacement: 'y' })],
        }),
      ),
    )();
    await settle();
    const after = await nextScrape(rec, (batch) => named(batch, 'm').some((s) => s.labels.a === 'y'));
    expect(named(after, 'm').map((s) => s.labels.a)).toEqual(['y']);
  });

  it('reads each scrape right whatever its order, size or format, in the one body buffer the target reuses', async () => {
    const lines = (n: number, from = 0) =>
      Array.from({ length: n }, (_, i) => `m{i="${from + i}"} ${from + i}\n`).join('');
    const t = await serve(lines(50));
    const rec = recorder();
    await start(rec, config(job('app')), new Map([['app', groups(t.address)]]));
    await nextScrape(rec);
    // Reversed, shorter, with a series new in the middle and no final line break.
    t.set(`m{i="2"} 20\nm{i="new"} 7\nm{i="1"} 10\nm{i="0"} 0`);
    const second = await nextScrape(rec);
    expect(
      named(second, 'm')
        .filter((s) => !isStale(s.v))
        .map((s) => [s.labels.i, s.v]),
    ).toEqual([
      ['2', 20],
      ['new', 7],
      ['1', 10],
      ['0', 0],
    ]);
    expect(value(second, 'scrape_series_added')).toBe(1);
    expect(named(second, 'm').filter((s) => isStale(s.v))).toHaveLength(47);
    // Longer than any body before: a bigger buffer.
    t.set(lines(400, 2));
    const third = await nextScrape(rec);
    expect(named(third, 'm').filter((s) => !isStale(s.v))).toHaveLength(400);
    // m{i="2"} was in the last scrape; 3 … 401 were not.
    expect(value(third, 'scrape_series_added')).toBe(399);
  });

  it('keeps the series whose labels a change of format keeps, and marks stale those it changes', async () => {
    const text = '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_count 2\nh_sum 3\n';
    const om = `${text}# EOF\n`;
    const t = await serve(text);
    const rec = recorder();
    await start(rec, config(job('app')), new Map([['app', groups(t.address)]]));
    await nextScrape(rec);
    t.set((_req, res) =>
      res.writeHead(200, { 'Content-Type': 'application/openmetrics-text; version=1.0.0; charset=utf-8' }).end(om),
    );
    const switched = await nextScrape(rec);
    // OpenMetrics reads le="1" as le="1.0": another series; the others are the same series.
    const buckets = named(switched, 'h_bucket').map((s) => [s.labels.le, isStale(s.v) ? 'stale' : s.v]);
    expect(buckets).toEqual(
      expect.arrayContaining([
        ['1.0', 1],
        ['+Inf', 2],
        ['1', 'stale'],
      ]),
    );
    expect(buckets).toHaveLength(3);
    expect(named(switched, 'h_count').map((s) => s.v)).toEqual([2]);
    t.set(text);
    const back = await nextScrape(rec);
    expect(named(back, 'h_bucket').map((s) => [s.labels.le, isStale(s.v) ? 'stale' : s.v])).toEqual(
      expect.arrayContaining([
        ['1', 1],
        ['+Inf', 2],
        ['1.0', 'stale'],
      ]),
    );
  });

  it('counts a series as added again after a failed scrape forgot it, and still enforces sample_limit on known series', async () => {
    const t = await serve('a 1\n');
    const rec = recorder();
    const { m } = await start(rec, config(job('app', { sampleLimit: 2 })), new Map([['app', groups(t.address)]]));
    expect(value(await nextScrape(rec), 'scrape_series_added')).toBe(1);
    t.set('a 1\nb 1\nc 1\n');
    const over = await nextScrape(rec);
    expect(value(over, 'up')).toBe(0);
    expect(m.targets().activeTargets[0]?.lastError).toBe('sample limit exceeded');
    t.set('a 2\nb 2\n');
    const back = await nextScrape(rec);
    expect(value(back, 'up')).toBe(1);
    // a was in the last successful scrape; b was only in the failed one.
    expect(value(back, 'scrape_series_added')).toBe(1);
    t.set('a 3\nb 3\nc 3\n');
    expect(value(await nextScrape(rec), 'up')).toBe(0);
  });
});

describe('scrape protocols and Content-Type (Prometheus 3)', () => {
  /** A target answering `body` with the given headers. */
  const answering = (body: string, headers: Record<string, string>) =>
    serve((_req, res) => res.writeHead(200, headers).end(body));
  const OM = { 'Content-Type': 'application/openmetrics-text; version=1.0.0; charset=utf-8' };

  it('fails a scrape whose answer has no Content-Type, counting no sample', async () => {
    const t = await answering('m 1\n', {});
    const rec = recorder();
    const { m } = await start(rec, config(job('app')), new Map([['app', groups(t.address)]]));
    const batch = await nextScrape(rec);
    expect(value(batch, 'up')).toBe(0);
    expect(named(batch, 'm')).toEqual([]);
    expect(value(batch, 'scrape_samples_scraped')).toBe(0);
    expect(m.targets().activeTargets[0]?.lastError).toBe(
      'non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for target',
    );
  });

  it('fails a scrape answered with an unknown Content-Type, in upstream words', async () => {
    const t = await answering('m 1\n', { 'Content-Type': 'text/html; charset=utf-8' });
    const rec = recorder();
    const { m } = await start(rec, config(job('app')), new Map([['app', groups(t.address)]]));
    await nextScrape(rec);
    expect(m.targets().activeTargets[0]?.lastError).toBe(
      'received unsupported Content-Type "text/html; charset=utf-8" and no fallback_scrape_protocol specified for target',
    );
  });

  it('reads a blank or unknown Content-Type with fallback_scrape_protocol when it is set', async () => {
    const t = await answering('m 1\n# EOF\n', {});
    const rec = recorder();
    const { m } = await start(
      rec,
      config(job('app', { fallbackScrapeProtocol: 'OpenMetricsText1.0.0' })),
      new Map([['app', groups(t.address)]]),
    );
    const batch = await nextScrape(rec);
    expect(value(batch, 'up')).toBe(1);
    expect(value(batch, 'm')).toBe(1);
    expect(m.targets().activeTargets[0]?.lastError).toBe('');
  });

  it('takes an empty answer as an empty scrape whatever its Content-Type, as upstream', async () => {
    const t = await answering('', {});
    const rec = recorder();
    await start(rec, config(job('app')), new Map([['app', groups(t.address)]]));
    const batch = await nextScrape(rec);
    expect(value(batch, 'up')).toBe(1);
    expect(value(batch, 'scrape_samples_scraped')).toBe(0);
  });

  it('scrapes an OpenMetrics target: seconds to ms, exemplars dropped, _created kept, units as metadata', async () => {
    const t = await answering(
      [
        '# TYPE rpc_seconds histogram',
        '# UNIT rpc_seconds seconds',
        '# HELP rpc_seconds RPC latency.',
        'rpc_seconds_bucket{le="1"} 2 # {trace_id="a1"} 0.5 1700000000.5',
        'rpc_seconds_bucket{le="+Inf"} 3',
        'rpc_seconds_count 3',
        'rpc_seconds_sum 2.5',
        'rpc_seconds_created 1699999000.25',
        '# TYPE jobs counter',
        'jobs_total 7 1600000000.123',
        '# EOF',
        '',
      ].join('\n'),
      OM,
    );
    const rec = recorder();
    const { m } = await start(rec, config(job('app')), new Map([['app', groups(t.address)]]));
    const batch = await nextScrape(rec);
    const instance = t.address;
    expect(batch.filter((s) => !s.labels.__name__?.startsWith('scrape_') && s.labels.__name__ !== 'up')).toEqual([
      { labels: { __name__: 'rpc_seconds_bucket', le: '1.0', job: 'app', instance }, t: NOW, v: 2 },
      { labels: { __name__: 'rpc_seconds_bucket', le: '+Inf', job: 'app', instance }, t: NOW, v: 3 },
      { labels: { __name__: 'rpc_seconds_count', job: 'app', instance }, t: NOW, v: 3 },
      { labels: { __name__: 'rpc_seconds_sum', job: 'app', instance }, t: NOW, v: 2.5 },
      { labels: { __name__: 'rpc_seconds_created', job: 'app', instance }, t: NOW, v: 1699999000.25 },
      { labels: { __name__: 'jobs_total', job: 'app', instance }, t: 1600000000123, v: 7 },
    ]);
    expect(value(batch, 'scrape_samples_scraped')).toBe(6);
    expect(m.metadata()[0]?.metadata).toEqual([
      { metric: 'rpc_seconds', type: 'histogram', help: 'RPC latency.', unit: 'seconds' },
      { metric: 'jobs', type: 'counter', help: '', unit: '' },
    ]);
  });

  it('fails an OpenMetrics scrape at its first error, reporting the samples read before it as scraped', async () => {
    const t = await answering('a 1\nb 2\nc 3 # {x="y"}\n# EOF\n', OM);
    const rec = recorder();
    const { m } = await start(rec, config(job('app')), new Map([['app', groups(t.address)]]));
    const batch = await nextScrape(rec);
    expect(value(batch, 'up')).toBe(0);
    expect(named(batch, 'a')).toEqual([]);
    expect(value(batch, 'scrape_samples_scraped')).toBe(2);
    expect(m.targets().activeTargets[0]?.lastError).toBe(
      'expected value after exemplar labels, got "\\n" ("INVALID") while parsing: "c 3 # {x=\\"y\\"}\\n"',
    );
  });

  it('counts every sample of an OpenMetrics answer that lacks # EOF, and fails it', async () => {
    const t = await answering('a 1\nb 2\n', OM);
    const rec = recorder();
    const { m } = await start(rec, config(job('app')), new Map([['app', groups(t.address)]]));
    const batch = await nextScrape(rec);
    expect(value(batch, 'scrape_samples_scraped')).toBe(2);
    expect(m.targets().activeTargets[0]?.lastError).toBe('data does not end with # EOF');
  });

  it("reads a target's series afresh when it switches format, as the same text means other labels", async () => {
    const t = await answering('# TYPE h histogram\nh_bucket{le="1"} 1\n# EOF\n', OM);
    const rec = recorder();
    await start(rec, config(job('app')), new Map([['app', groups(t.address)]]));
    expect(named(await nextScrape(rec), 'h_bucket')[0]?.labels.le).toBe('1.0');
    t.set((_req, res) =>
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('# TYPE h histogram\nh_bucket{le="1"} 1\n'),
    );
    const batch = await nextScrape(rec);
    expect(named(batch, 'h_bucket').map((s) => [s.labels.le, isStale(s.v) ? 'stale' : s.v])).toEqual([
      ['1', 1],
      ['1.0', 'stale'],
    ]);
  });

  it('asks for scrape_protocols in their order, and for identity when enable_compression is false', async () => {
    const t = await serve('m 1\n');
    const rec = recorder();
    await start(
      rec,
      config(
        job('app', { scrapeProtocols: ['PrometheusText0.0.4', 'OpenMetricsText1.0.0'], enableCompression: false }),
      ),
      new Map([['app', groups(t.address)]]),
    );
    await nextScrape(rec);
    expect(t.requests[0]?.headers.accept).toBe(
      'text/plain;version=0.0.4;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,*/*;q=0.4',
    );
    expect(t.requests[0]?.headers['accept-encoding']).toBe('identity');
  });

  it("offers the job's metric_name_escaping_scheme on the 1.0.0 formats, as upstream's acceptHeader", async () => {
    const t = await serve('m 1\n');
    const rec = recorder();
    await start(
      rec,
      config(job('app', { metricNameEscapingScheme: 'underscores' })),
      new Map([['app', groups(t.address)]]),
    );
    await nextScrape(rec);
    expect(t.requests[0]?.headers.accept).toBe(
      'application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=underscores;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
    );
  });

  it('refuses PrometheusProto, whose format miniprom cannot read', () => {
    const m = createScrapeManager({ logger, appendable: recorder().appendable });
    managers.push(m);
    expect(() => m.prepare(config(job('app', { scrapeProtocols: ['PrometheusProto'] })))).toThrow(
      'scrape job "app": the PrometheusProto scrape protocol is not supported by miniprom',
    );
    expect(() => m.prepare(config(job('app', { fallbackScrapeProtocol: 'PrometheusProto' })))).toThrow(
      'PrometheusProto scrape protocol is not supported',
    );
  });
});

describe('targets()', () => {
  it('lists targets in the /api/v1/targets shape, sorted by pool then URL, with their health', async () => {
    const a = await serve('m 1\n');
    const b = await serve((_req, res) => res.writeHead(500).end());
    const rec = recorder();
    const sets = new Map([
      ['zeta', groups(b.address)],
      [
        'alpha',
        [{ source: '0', labels: { env: 'test' }, targets: [{ __address__: b.address }, { __address__: a.address }] }],
      ],
    ]);
    const { m } = await start(
      rec,
      config(job('zeta'), job('alpha', { params: { module: ['x'] }, scrapeInterval: 60_000, scrapeTimeout: 10_000 })),
      sets,
    );
    const before = m.targets();
    expect(before.droppedTargets).toEqual([]);
    expect(before.activeTargets.map((t) => [t.scrapePool, t.scrapeUrl])).toEqual(
      [
        ['alpha', `http://${a.address}/metrics?module=x`],
        ['alpha', `http://${b.address}/metrics?module=x`],
        ['zeta', `http://${b.address}/metrics`],
      ].sort((x, y) => (x.join() < y.join() ? -1 : 1)),
    );
    const first = before.activeTargets.find((t) => t.scrapeUrl.startsWith(`http://${a.address}`));
    expect(first).toEqual({
      discoveredLabels: {
        __address__: a.address,
        __metrics_path__: '/metrics',
        __param_module: 'x',
        __scheme__: 'http',
        __scrape_interval__: '1m',
        __scrape_timeout__: '10s',
        env: 'test',
        job: 'alpha',
      },
      labels: { env: 'test', instance: a.address, job: 'alpha' },
      scrapePool: 'alpha',
      scrapeUrl: `http://${a.address}/metrics?module=x`,
      globalUrl: `http://${a.address}/metrics?module=x`,
      lastError: '',
      lastScrape: '0001-01-01T00:00:00Z',
      lastScrapeDuration: 0,
      health: 'unknown',
      scrapeInterval: '1m',
      scrapeTimeout: '10s',
    });

    // Every target scrapes within one minute (the longest interval here).
    const upOf = (all: Sample[][]) =>
      new Set(all.flatMap((batch) => named(batch, 'up').map((u) => `${u.labels.job}/${u.labels.instance}`)));
    const all = rec.until((commits) => upOf(commits).size === 3);
    await vi.advanceTimersByTimeAsync(60_000);
    await all;
    const after = m.targets().activeTargets;
    const health = Object.fromEntries(after.map((t) => [`${t.scrapePool} ${t.scrapeUrl.split('/')[2]}`, t.health]));
    expect(health).toEqual({
      [`alpha ${a.address}`]: 'up',
      [`alpha ${b.address}`]: 'down',
      [`zeta ${b.address}`]: 'down',
    });
    const up = after.find((t) => t.health === 'up');
    expect(up?.lastScrape).toBe(new Date(NOW).toISOString());
    expect(up?.lastScrapeDuration).toBeGreaterThanOrEqual(0);
  });
});

describe('metadata()', () => {
  const EXPOSITION = [
    '# HELP a_total The a.',
    '# TYPE a_total counter',
    'a_total 1',
    '# HELP only_help Just help.',
    'only_help 2',
    '# TYPE g gauge',
    'g 3',
    '# TYPE u untyped',
    'u 4',
    '# HELP esc Line\\nbreak \\\\ backslash',
    'esc 5',
    '# UNIT a_total seconds',
    '# a comment',
    '',
  ].join('\n');

  it("keeps each target's HELP and TYPE per metric family, unknown without a TYPE", async () => {
    const t = await serve(EXPOSITION);
    const rec = recorder();
    const { m } = await start(rec, config(job('node')), new Map([['node', groups(t.address)]]));
    // Not scraped yet: the target is there, with nothing known about it.
    expect(m.metadata()).toEqual([{ target: { instance: t.address, job: 'node' }, metadata: [] }]);
    await nextScrape(rec);
    expect(m.metadata()).toEqual([
      {
        target: { instance: t.address, job: 'node' },
        metadata: [
          { metric: 'a_total', type: 'counter', help: 'The a.', unit: '' },
          { metric: 'only_help', type: 'unknown', help: 'Just help.', unit: '' },
          { metric: 'g', type: 'gauge', help: '', unit: '' },
          { metric: 'u', type: 'unknown', help: '', unit: '' },
          { metric: 'esc', type: 'unknown', help: 'Line\nbreak \\ backslash', unit: '' },
        ],
      },
    ]);
  });

  it('fails the scrape on a TYPE that names no type, keeping what the lines before it gave', async () => {
    const t = await serve('# HELP x X.\nx 1\n# TYPE y gaugee\ny 2\n');
    const rec = recorder();
    const { m } = await start(rec, config(job('node')), new Map([['node', groups(t.address)]]));
    const batch = await nextScrape(rec);
    expect(value(batch, 'up')).toBe(0);
    expect(m.targets().activeTargets[0]?.lastError).toBe('invalid metric type "gaugee"');
    expect(m.metadata()[0]?.metadata).toEqual([{ metric: 'x', type: 'unknown', help: 'X.', unit: '' }]);
  });

  it("forgets a family 10 scrapes after it was last exposed, as upstream's scrape cache", async () => {
    const t = await serve('# TYPE old gauge\nold 1\n# TYPE kept gauge\nkept 1\n');
    const rec = recorder();
    const { m } = await start(rec, config(job('node')), new Map([['node', groups(t.address)]]));
    const families = () => m.metadata()[0]?.metadata.map((e) => e.metric);
    await nextScrape(rec);
    t.set('# TYPE kept gauge\nkept 1\n');
    for (let k = 0; k < 10; k++) await nextScrape(rec);
    expect(families()).toEqual(['old', 'kept']);
    await nextScrape(rec);
    expect(families()).toEqual(['kept']);
  });
});

describe('reconciliation and reload', () => {
  it('stops a target that a new target-set update removes, marking its series stale', async () => {
    const a = await serve('from_a 1\n');
    const b = await serve('from_b 1\n');
    const rec = recorder();
    const { m, updates } = await start(rec, config(job('app')), new Map([['app', groups(a.address, b.address)]]));
    // Both targets have scraped once.
    const both = rec.until(
      (all) => all.some((b) => named(b, 'from_a').length) && all.some((b) => named(b, 'from_b').length),
    );
    await vi.advanceTimersByTimeAsync(INTERVAL);
    await both;

    const stale = rec.nextCommit((batch) => named(batch, 'from_b').length > 0);
    updates.push(new Map([['app', groups(a.address)]]));
    const batch = await stale;
    expect(isStale(value(batch, 'from_b') as number)).toBe(true);
    // The report series end too.
    for (const name of ['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_series_added']) {
      expect(isStale(value(batch, name) as number)).toBe(true);
    }
    expect(m.targets().activeTargets.map((t) => t.labels.instance)).toEqual([a.address]);
  });

  it('prepare() throws on a bad config and changes nothing', async () => {
    const t = await serve('m 1\n');
    const rec = recorder();
    const { m } = await start(rec, config(job('app')), new Map([['app', groups(t.address)]]));
    await nextScrape(rec);
    const before = m.targets();

    const bad: Array<[Config, string]> = [
      [config(job('app', { scrapeTimeout: 20_000 })), 'scrape timeout greater than scrape interval'],
      [config(job('app'), job('app')), 'found multiple scrape configs with job name "app"'],
      [
        config(
          job('app', {
            httpClient: { followRedirects: true, basicAuth: { username: 'u', passwordFile: '/nonexistent/pw' } },
          }),
        ),
        'unable to read password file /nonexistent/pw',
      ],
      [
        config(job('app', { relabelConfigs: [{ ...DEFAULT_RELABEL, sourceLabels: [], action: 'replace' }] })),
        'the scrape manager has no relabel step',
      ],
    ];
    for (const [cfg, message] of bad) expect(() => m.prepare(cfg)).toThrow(message);

    expect(m.targets()).toEqual(before);
    // The loop keeps running as before.
    expect(value(await nextScrape(rec), 'up')).toBe(1);
  });

  it('commit(): removed pools stop (stale), changed pools restart, unchanged pools keep running', async () => {
    const t = await serve('m 1\n');
    const rec = recorder();
    const sets = new Map([
      ['keep', groups(t.address)],
      ['change', groups(t.address)],
      ['remove', groups(t.address)],
    ]);
    const { m } = await start(rec, config(job('keep'), job('change'), job('remove')), sets);
    const upJobs = (all: Sample[][], stale: boolean) =>
      new Set(
        all.flatMap((batch) =>
          named(batch, 'up')
            .filter((u) => isStale(u.v) === stale)
            .map((u) => u.labels.job),
        ),
      );
    const all = rec.until((commits) => upJobs(commits, false).size === 3);
    await vi.advanceTimersByTimeAsync(INTERVAL);
    await all;

    const twoStale = rec.until((commits) => upJobs(commits, true).size === 2 && upJobs(commits, true));
    m.prepare(config(job('keep'), job('change', { honorLabels: true })))();
    expect([...(await twoStale)].sort()).toEqual(['change', 'remove']);
    const health = Object.fromEntries(m.targets().activeTargets.map((a) => [a.scrapePool, a.health]));
    // The restarted loop has not scraped yet; the untouched one still shows its last scrape.
    expect(health).toEqual({ keep: 'up', change: 'unknown' });
  });
});

describe('metrics', () => {
  it('registers pool, target, sample-limit and interval metrics on the given registry', async () => {
    const t = await serve('m 1\nn 1\n');
    const registry = new Registry();
    const rec = recorder();
    await start(rec, config(job('app', { sampleLimit: 1 })), new Map([['app', groups(t.address)]]), { registry });
    await nextScrape(rec);
    await nextScrape(rec);
    const text = await registry.metrics();
    expect(text).toMatch(/^prometheus_target_scrape_pools_total 1$/m);
    expect(text).toMatch(/^prometheus_target_scrape_pool_targets\{scrape_job="app"\} 1$/m);
    expect(text).toMatch(/^prometheus_target_scrapes_exceeded_sample_limit_total 2$/m);
    expect(text).toMatch(/^prometheus_target_interval_length_seconds_count\{interval="10s"\} 1$/m);
  });
});

/** A client factory whose requests `respond` answers: no network, so fake timers rule alone. */
const stubClient = (respond: (url: string) => Promise<Response>) => () => ({
  fetch: (url: string) => respond(url),
  close: async () => {},
});

describe('scheduling (HTTP client stubbed)', () => {
  it('starts at an offset within the interval and never overlaps scrapes', async () => {
    const calls: number[] = [];
    let release: (() => void) | undefined;
    const client = stubClient(async () => {
      calls.push(performance.now());
      // The first scrape hangs for 2.5 intervals; the others answer at once.
      if (calls.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return new Response('m 1\n');
    });
    const rec = recorder();
    const t0 = performance.now();
    await start(rec, config(job('app', { scrapeTimeout: INTERVAL })), new Map([['app', groups('10.0.0.1:9100')]]), {
      httpClient: client,
    });
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(calls).toHaveLength(1);
    const offset = (calls[0] as number) - t0;
    expect(offset).toBeGreaterThanOrEqual(0);
    expect(offset).toBeLessThan(INTERVAL);

    // While the first scrape hangs, no other one starts.
    await vi.advanceTimersByTimeAsync(2 * INTERVAL);
    expect(calls).toHaveLength(1);
    const committed = rec.nextCommit();
    release?.();
    await committed;
    await settle();

    // The next scrape is on the grid (offset + k·interval), the missed points skipped.
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(calls).toHaveLength(2);
    const gap = (calls[1] as number) - (calls[0] as number);
    expect(gap % INTERVAL).toBe(0);
    expect(gap).toBeGreaterThan(2 * INTERVAL);
  });

  it('spreads targets over the interval by their hash', async () => {
    const calls = new Map<string, number>();
    const client = stubClient(async (url: string) => {
      calls.set(url, performance.now());
      return new Response('m 1\n');
    });
    const rec = recorder();
    const addresses = Array.from({ length: 20 }, (_, i) => `10.0.0.${i}:9100`);
    await start(rec, config(job('app')), new Map([['app', groups(...addresses)]]), { httpClient: client });
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(calls.size).toBe(20);
    expect(new Set(calls.values()).size).toBeGreaterThan(10);
  });
});

describe('stop()', () => {
  const count = (kind: string) => process.getActiveResourcesInfo().filter((r) => r === kind).length;

  it('aborts the scrape in flight, appends nothing afterwards, and leaves no timer or socket', async () => {
    vi.useRealTimers();
    let requested!: () => void;
    const requestSeen = new Promise<void>((resolve) => {
      requested = resolve;
    });
    let abandoned!: Promise<void>;
    // Never answers: the request stays in flight until the scraper gives up on it.
    const t = await serve((req, res) => {
      abandoned = new Promise((resolve) =>
        res.once('close', () => {
          // The client went away. Close the server's end too: only the scraper's sockets count.
          req.socket.destroy();
          resolve();
        }),
      );
      requested();
    });
    const timersBefore = count('Timeout');
    const rec = recorder();
    // Real timers: the first scrape comes within 500 ms; its timeout is far enough not to interfere.
    const cfg = job('app', { scrapeInterval: 500, scrapeTimeout: 500 });
    const { m, running } = await start(rec, config(cfg), new Map([['app', groups(t.address)]]));
    await requestSeen;

    await m.stop();
    rec.close();
    await abandoned; // the target saw the connection closed: the fetch was aborted
    await running; // run() resolves once the manager has stopped
    await m.stop(); // idempotent
    await settle();
    expect(rec.late).toBe(0);
    // The aborted scrape appended nothing, and shutdown writes no stale markers (as upstream).
    expect(rec.commits).toEqual([]);
    expect(count('Timeout')).toBeLessThanOrEqual(timersBefore);
    // Sockets are not checked here: after an abort, Node 20's bundled undici opens one idle
    // connection of its own (unref'd, closed by its idle timeout); the next test checks sockets.
  });

  it('leaves no socket behind when stopped between scrapes', async () => {
    vi.useRealTimers();
    const t = await serve('m 1\n');
    const socketsBefore = count('TCPSocketWrap');
    const rec = recorder();
    const committed = rec.nextCommit();
    const cfg = job('app', { scrapeInterval: 500, scrapeTimeout: 500 });
    const { m } = await start(rec, config(cfg), new Map([['app', groups(t.address)]]));
    await committed;
    await m.stop();
    await t.idle(); // the target's ends of every connection have closed
    expect(count('TCPSocketWrap')).toBeLessThanOrEqual(socketsBefore);
  });

  it('waits for a commit in progress before resolving', async () => {
    const t = await serve('m 1\n');
    const rec = recorder();
    const { m } = await start(rec, config(job('app')), new Map([['app', groups(t.address)]]));
    rec.hold();
    const committing = rec.nextCommit();
    await vi.advanceTimersByTimeAsync(INTERVAL);
    await committing; // the loop is now inside commit(), which is held

    let resolved = false;
    const stopping = m.stop().then(() => {
      resolved = true;
    });
    await settle();
    expect(resolved).toBe(false);
    rec.release();
    await stopping;
    rec.close();
    // Nothing is scheduled any more: even a long wait on the (fake) clock brings no scrape.
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10 * INTERVAL);
    expect(rec.late).toBe(0);
  });
});
