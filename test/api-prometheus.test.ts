/**
 * The HTTP API side by side with the real thing: the same requests to the built miniprom and to
 * Prometheus 3.5 (the reference peer from scripts/peers.sh), and the same answers, byte for byte:
 * status, content type and body. The requests are those whose answer does not depend on what was
 * scraped when: parameter errors, the parser's endpoints, the router's 404 and 405. Skips, saying
 * why, only when the peer cannot be had.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROMETHEUS, type ReferencePrometheus, startPrometheus, stopPrometheuses } from './helpers/prometheus.js';
import { listening, removeScratchDirs, type Server } from './helpers/server.js';
import { killAll } from './helpers/spawn.js';

const havePrometheus = PROMETHEUS.path !== undefined;
if (PROMETHEUS.missing) console.log(`api-prometheus.test.ts: skipped: ${PROMETHEUS.missing}`);

const READY = 'Server is ready to receive web requests.';
const CONFIG = 'global:\n  scrape_interval: 1h\n';
const FEATURES = '--enable-feature=promql-experimental-functions';

let mini: Server;
let real: ReferencePrometheus;

beforeAll(async () => {
  if (!havePrometheus) return;
  [mini, real] = await Promise.all([
    listening({ config: CONFIG, args: [FEATURES] }),
    startPrometheus({ config: CONFIG, args: [FEATURES] }),
  ]);
  await mini.untilLog(READY);
}, 30_000);

afterAll(async () => {
  killAll();
  await stopPrometheuses();
  removeScratchDirs();
});

interface Answer {
  status: number;
  type: string | null;
  allow: string | null;
  body: string;
}

async function ask(base: string, path: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    allow: res.headers.get('allow'),
    body: await res.text(),
  };
}

async function same(path: string, init: RequestInit = {}) {
  const [ours, theirs] = await Promise.all([ask(mini.base, path, init), ask(real.base, path, init)]);
  expect(ours).toEqual(theirs);
}

const q = encodeURIComponent;

/**
 * Series selectors: upstream parses `match[]` with its selector grammar, which stops at the
 * selector (`up(` is `1:3: parse error: unexpected "("`, `up[5m]` `1:3: … unexpected "["`) and
 * leaves the empty-matcher check to the API (`match[] must contain at least one non-empty
 * matcher`).
 */
const SELECTORS = [
  `/api/v1/series?match[]=${q('{job=~".*"}')}`,
  `/api/v1/series?match[]=${q('{a=""}')}`,
  `/api/v1/series?match[]=up&match[]=${q('{a=""}')}`,
  `/api/v1/series?match[]=${q('up(')}`,
  `/api/v1/series?match[]=${q('up[5m]')}`,
  `/api/v1/labels?match[]=${q('up(')}`,
  `/api/v1/labels?match[]=${q('{a=""}')}`,
  `/api/v1/label/job/values?match[]=${q('up(')}`,
  `/api/v1/label/job/values?match[]=${q('{job=~".*"}')}`,
  `/api/v1/targets/metadata?match_target=${q('up(')}`,
  `/federate?match[]=${q('up(')}`,
];

describe.skipIf(!havePrometheus)('the API beside Prometheus 3.5', () => {
  it.each([
    '/api/v1/query?query=up&time=x',
    '/api/v1/query?query=up&time=2015-07-01t20:10:51Z',
    '/api/v1/query?query=up&timeout=x',
    '/api/v1/query?query=up&limit=-1',
    '/api/v1/query?query=up&limit=x',
    '/api/v1/query?query=up&lookback_delta=x',
    '/api/v1/query_range?query=up&start=x&end=1&step=1',
    '/api/v1/query_range?query=up&start=1&end=x&step=1',
    '/api/v1/query_range?query=up&start=2&end=1&step=1',
    '/api/v1/query_range?query=up&start=1&end=2&step=0',
    '/api/v1/query_range?query=up&start=1&end=2&step=-1s',
    '/api/v1/query_range?query=up&start=1&end=2&step=x',
    '/api/v1/query_range?query=up&start=1&end=2',
    '/api/v1/query_range?query=up&end=1&step=1',
    '/api/v1/query_range?query=up&start=0&end=11001&step=1',
    '/api/v1/query_range?query=up&start=1&end=2&step=1e10',
    '/api/v1/query_range?query=1&start=0&end=1&step=0.0001',
  ])('answers the parameter error of %s', async (path) => {
    await same(path);
  });

  it.each([
    `/api/v1/query?query=${q('1+1')}&time=1700000000`,
    '/api/v1/query?query=time()&time=-1.0001',
    '/api/v1/query?query=time()&time=0.0015',
    '/api/v1/query?query=time()&time=2015-07-01T20:10:51.781Z',
    '/api/v1/query?query=time()&time=1_0',
    '/api/v1/query?query=time()&time=0x1p4',
    `/api/v1/query?query=${q('vector(1e-7)')}&time=1`,
    `/api/v1/query?query=${q('vector(-1e21)')}&time=1`,
    `/api/v1/query?query=${q('0/0')}&time=5`,
    `/api/v1/query?query=${q('-1/0')}&time=5`,
    `/api/v1/query?query=${q('"a<b>&\\"')}&time=1`,
    `/api/v1/query?query=${q('label_replace(vector(1), "a", "<&>\\"\\n", "", "")')}&time=1`,
    `/api/v1/query?query=${q('foo(')}`,
    '/api/v1/query?query=',
    '/api/v1/query',
    `/api/v1/query?query=${q('sum(rate(x[5m])')}`,
    `/api/v1/query?query=${q('vector(1) or vector(2)')}&time=1&limit=1`,
    `/api/v1/query?query=nope&time=1&limit=1`,
    `/api/v1/query?query=${q('sort_by_label(vector(1), "a")')}&time=1`,
    `/api/v1/query_range?query=${q('"s"')}&start=0&end=2&step=1`,
    `/api/v1/query_range?query=${q('up[5m]')}&start=0&end=2&step=1`,
    `/api/v1/query_range?query=${q('time()')}&start=0&end=2&step=1`,
    `/api/v1/query_range?query=${q('time()')}&start=0&end=1.5&step=0.25`,
    `/api/v1/query_range?query=${q('vector(time() > 1)')}&start=0&end=3&step=1`,
    `/api/v1/query_range?query=${q('label_replace(vector(1), "a", "x", "", "") or vector(2)')}&start=0&end=2&step=1&limit=1`,
    `/api/v1/query_range?query=up&start=0&end=11000&step=1`,
  ])('answers the query %s', async (path) => {
    await same(path);
  });

  it.each([
    '/api/v1/series',
    '/api/v1/series?match[]=1',
    '/api/v1/series?match[]=up&limit=x',
    '/api/v1/series?match[]=up&start=x',
    '/api/v1/series?match[]=up&x=%zz',
    '/api/v1/labels?limit=x',
    '/api/v1/labels?start=5&end=1',
    '/api/v1/label/job/values?end=x',
  ])('answers the series request %s', async (path) => {
    await same(path);
  });

  it.each([
    'sum(rate(up[5m]))by(job)',
    'foo(',
    '',
    `sum(rate(http_requests_total{job="api",code=~"5.."}[5m])) by (job, instance) / ignoring(code) group_left sum(rate(http_requests_total[5m])) by (job, instance) > 0.1`,
  ])('formats %j as upstream', async (query) => {
    await same(`/api/v1/format_query?query=${q(query)}`);
  });

  it.each([
    'sum(rate(up{a="b"}[5m]@start()offset 1m))by(job) + on(x)group_left(y) foo > bool 2',
    '-1.5e-7 * ("x")',
    'topk(3,up)',
    'foo offset -1m @ end()',
    'abs(up[5m:1m] @ 100)',
    'rate(up[5m:] @ 100 offset 1m)[10m:1m]',
    '"a<b>&"',
    '-(1)',
    'count_values("x", up) unless on() vector(1)',
    'sort_by_label(up, "job")',
    '1e-7 + Inf - NaN',
  ])('translates %j as upstream', async (query) => {
    await same(`/api/v1/parse_query?query=${q(query)}`);
  });

  it.each([
    '/api/v1/query_exemplars?query=up',
    '/api/v1/query_exemplars?query=1',
    '/api/v1/query_exemplars',
    '/api/v1/query_exemplars?query=up&start=x',
    '/api/v1/query_exemplars?query=up&start=5&end=1',
    `/api/v1/query_exemplars?query=${q('up(')}`,
    '/api/v1/metadata?limit=x',
    '/api/v1/metadata?limit_per_metric=x',
    '/api/v1/metadata?metric=nope',
    '/api/v1/targets/metadata?limit=x',
    '/api/v1/targets/metadata?metric=nope',
    '/api/v1/status/tsdb?limit=0',
    '/api/v1/status/tsdb?limit=x',
    '/federate',
    '/federate?match[]=nope',
    '/api/v1/nope',
  ])('answers %s', async (path) => {
    await same(path);
  });

  it.each([
    ['PUT', '/api/v1/query'],
    ['DELETE', '/api/v1/query'],
    ['POST', '/api/v1/label/job/values'],
    ['GET', '/api/v1/write'],
    ['POST', '/api/v1/write'],
    ['POST', '/federate'],
    ['DELETE', '/api/v1/series'],
    ['OPTIONS', '/api/v1/query'],
    ['HEAD', '/api/v1/status/buildinfo'],
    ['HEAD', '/federate'],
  ])('answers %s %s as upstream’s router', async (method, path) => {
    await same(path, { method });
  });

  it.each([
    ['/api/v1/query', `query=${q('1+1')}&time=1700000000`],
    ['/api/v1/query?time=5', `query=${q('time()')}`],
    ['/api/v1/query_range', `query=${q('time()')}&start=0&end=2&step=1`],
    ['/api/v1/query?query=foo', 'query=up&time=x'],
    ['/api/v1/query_range', 'query=up&start=1&end=2&step=0'],
    ['/api/v1/series', 'match[]=up&start=x'],
    ['/api/v1/format_query', `query=${q('sum(up)by(job)')}`],
    ['/api/v1/parse_query', `query=${q('up offset 5m')}`],
    ['/api/v1/query_exemplars', `query=${q('up(')}`],
  ])('reads a POSTed form for %s (%s)', async (path, form) => {
    await same(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form,
    });
  });

  it.each(SELECTORS)('answers %s (series selectors parse as upstream’s ParseMetricSelector)', async (path) => {
    await same(path);
  });
});
