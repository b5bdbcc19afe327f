/**
 * OpenMetrics scraping side by side with Prometheus 3.5: the same targets, scraped by both, give
 * the same series and values (read back through both servers' HTTP APIs), the same request
 * headers, and the same verdicts on a broken exposition and a blank Content-Type.
 */
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROMETHEUS, type ReferencePrometheus, startPrometheus, stopPrometheuses } from './helpers/prometheus.js';
import { listening, removeScratchDirs, type Server } from './helpers/server.js';
import { killAll } from './helpers/spawn.js';

if (PROMETHEUS.missing) console.log(`scrape-openmetrics-prometheus.test.ts: missing: ${PROMETHEUS.missing}`);

/** A minute ago, in seconds with a fraction: inside the 5m lookback, and a timestamp both must keep. */
const EXPLICIT = `${Math.floor(Date.now() / 1000) - 60}.123`;

const OPENMETRICS = `# HELP rpc_seconds RPC latency.
# TYPE rpc_seconds histogram
# UNIT rpc_seconds seconds
rpc_seconds_bucket{le="0.1"} 1 # {trace_id="abc"} 0.05 ${EXPLICIT}
rpc_seconds_bucket{le="1"} 3 # {trace_id="def"} 0.5
rpc_seconds_bucket{le="+Inf"} 4
rpc_seconds_count 4
rpc_seconds_sum 2.25
rpc_seconds_created 1700000000.25
# HELP jobs Jobs processed.
# TYPE jobs counter
jobs_total{kind="a"} 7 ${EXPLICIT}
jobs_created{kind="a"} 1700000000.5
jobs_total{kind="b"} 1e3
# TYPE temperature_celsius gauge
# UNIT temperature_celsius celsius
temperature_celsius{room="x y"} 21.5
# TYPE q summary
q{quantile="0.5"} 1
q{quantile="1"} 2
q_sum 3
q_count 2
q_created 1700000001
# TYPE st stateset
st{st="a"} 1
st{st="b"} 0
# TYPE build info
build_info{version="1.2"} 1
# TYPE gh gaugehistogram
gh_bucket{le="1"} 1
gh_bucket{le="+Inf"} 2
gh_gcount 2
gh_gsum 1.5
# EOF
`;

/** What each path of the target serves: a body and its Content-Type ('' for none). */
const PATHS: Record<string, { body: string; type: string }> = {
  '/good': { body: OPENMETRICS, type: 'application/openmetrics-text; version=1.0.0; charset=utf-8' },
  // Two samples, then an exemplar without a value.
  '/broken': {
    body: 'a 1\nb 2\nc 3 # {x="y"}\n# EOF\n',
    type: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
  },
  '/blank': { body: 'm 1\n', type: '' },
};

/** Requests seen, by User-Agent product and path. */
const seen = new Map<string, IncomingMessage[]>();
const waiters = new Set<() => void>();
let target: HttpServer;
let address = '';

const config = () => `global:
  scrape_interval: 1s
scrape_configs:
${Object.keys(PATHS)
  .map(
    (path) => `  - job_name: om${path.replace('/', '-')}
    metrics_path: ${path}
    static_configs:
      - targets: ['${address}']
`,
  )
  .join('')}`;

/** Resolves once `agent` has asked for `path` `n` times. */
const requested = (agent: string, path: string, n: number) =>
  new Promise<IncomingMessage>((resolve) => {
    const check = () => {
      const req = seen.get(`${agent} ${path}`)?.[n - 1];
      if (!req) return;
      waiters.delete(check);
      resolve(req);
    };
    waiters.add(check);
    check();
  });

let ours: Server;
let theirs: ReferencePrometheus;

beforeAll(async () => {
  target = createServer((req, res) => {
    const agent = String(req.headers['user-agent']).split('/')[0] ?? '';
    const key = `${agent} ${req.url}`;
    seen.set(key, [...(seen.get(key) ?? []), req]);
    for (const w of [...waiters]) w();
    const answer = PATHS[req.url ?? ''] ?? { body: '', type: 'text/plain' };
    res.writeHead(200, answer.type ? { 'Content-Type': answer.type } : {}).end(answer.body);
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  address = `127.0.0.1:${(target.address() as AddressInfo).port}`;
  if (!PROMETHEUS.path) return;
  [ours, theirs] = await Promise.all([listening({ config: config() }), startPrometheus({ config: config() })]);
  // A loop asks again only once its last scrape is stored: the second request of each path
  // means the first scrape's samples are in both servers.
  await Promise.all(
    ['miniprom', 'Prometheus'].flatMap((agent) => Object.keys(PATHS).map((path) => requested(agent, path, 2))),
  );
}, 60_000);

afterAll(async () => {
  killAll();
  await stopPrometheuses();
  removeScratchDirs();
  target.closeAllConnections();
  await new Promise((resolve) => target.close(resolve));
});

/** GETs an API path from a server and returns its `data`. */
async function api<T>(base: string, path: string): Promise<T> {
  const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { status: string; data: T };
  expect(body.status, `${base}${path}`).toBe('success');
  return body.data;
}

/** The same API path from both servers: miniprom's answer, then Prometheus's. */
async function both<T>(path: string): Promise<[T, T]> {
  return Promise.all([api<T>(ours.base, path), api<T>(theirs.base, path)]);
}

type VectorSample = { metric: Record<string, string>; value: [number, string] };
type MatrixSeries = { metric: Record<string, string>; values: Array<[number, string]> };

/** An instant query's result as `series => value`, sorted: comparable across servers. */
async function vector(base: string, query: string): Promise<string[]> {
  const data = await api<{ result: VectorSample[] }>(base, `/api/v1/query?query=${encodeURIComponent(query)}`);
  return data.result.map((s) => `${show(s.metric)} => ${s.value[1]}`).sort();
}

function show(labels: Record<string, string>): string {
  const { __name__: name = '', ...rest } = labels;
  return `${name}{${Object.keys(rest)
    .sort()
    .map((k) => `${k}=${JSON.stringify(rest[k])}`)
    .join(',')}}`;
}

describe.skipIf(!PROMETHEUS.path)('an OpenMetrics target scraped by miniprom and Prometheus 3.5', () => {
  it('asks with the same Accept and Accept-Encoding headers', async () => {
    const [a, b] = await Promise.all([requested('miniprom', '/good', 1), requested('Prometheus', '/good', 1)]);
    expect(a.headers.accept).toBe(b.headers.accept);
    expect(a.headers['accept-encoding']).toBe(b.headers['accept-encoding']);
  });

  it('stores the same series with the same values: histogram, _created series, gaugehistogram, info, stateset', async () => {
    // Every series of the job but the scrape's duration, which is each server's own.
    const query = '{job="om-good",__name__!="scrape_duration_seconds"}';
    const [mine, upstream] = await Promise.all([vector(ours.base, query), vector(theirs.base, query)]);
    expect(upstream.length).toBeGreaterThan(20);
    expect(mine).toEqual(upstream);
  });

  it('keeps a fractional timestamp in seconds as the same millisecond', async () => {
    const query = encodeURIComponent('jobs_total{kind="a"}[10m]');
    const [mine, upstream] = await both<{ result: MatrixSeries[] }>(`/api/v1/query?query=${query}`);
    expect(upstream.result[0]?.values[0]).toEqual([Number(EXPLICIT), '7']);
    expect(mine.result.map((s) => s.values)).toEqual(upstream.result.map((s) => s.values));
  });

  it("records the same report series (scrape_samples_scraped and up) for each target, the broken one's included", async () => {
    for (const job of ['om-good', 'om-broken', 'om-blank']) {
      const query = `{__name__=~"up|scrape_samples_scraped|scrape_samples_post_metric_relabeling",job="${job}"}`;
      const [mine, upstream] = await Promise.all([vector(ours.base, query), vector(theirs.base, query)]);
      expect(mine, job).toEqual(upstream);
    }
  });

  it('fails the broken and the blank-Content-Type target with the same lastError', async () => {
    type Targets = { activeTargets: Array<{ scrapePool: string; health: string; lastError: string }> };
    const [mine, upstream] = await both<Targets>('/api/v1/targets');
    const errors = (t: Targets) =>
      t.activeTargets
        .map((a) => [a.scrapePool, a.health, a.lastError])
        .sort((x, y) => (x[0] as string).localeCompare(y[0] as string));
    expect(errors(mine)).toEqual(errors(upstream));
    expect(errors(upstream)).toContainEqual([
      'om-blank',
      'down',
      'non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for target',
    ]);
  });

  it('gives the same metadata, units included', async () => {
    type Meta = Record<string, Array<{ type: string; help: string; unit: string }>>;
    const [mine, upstream] = await both<Meta>('/api/v1/metadata');
    const mineSorted = Object.fromEntries(Object.entries(mine).sort(([a], [b]) => a.localeCompare(b)));
    const upstreamSorted = Object.fromEntries(Object.entries(upstream).sort(([a], [b]) => a.localeCompare(b)));
    expect(mineSorted).toEqual(upstreamSorted);
    expect(upstream.rpc_seconds).toEqual([{ type: 'histogram', help: 'RPC latency.', unit: 'seconds' }]);
  });
});
