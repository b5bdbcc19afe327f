/**
 * miniprom's engine against the real Prometheus 3.5.3, query for query: the same samples (staleness
 * markers included) are remote-written into Prometheus and appended to a miniprom TSDB, then each
 * query below runs on both, instant and range, and the results must agree: series, values (to
 * 1e-9 relative), order where PromQL defines one, errors and their type, warnings and infos.
 *
 * This runs the engine as Prometheus runs by default (no delayed name removal), which upstream's
 * own test scripts do not (they enable it). Skips, saying why, when the peer is missing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PromQLEngine, type QueryError, type QueryResult } from '../../src/promql/index.js';
import { encodeWriteRequest, type QueuedSample, snappyCompress } from '../../src/remote/index.js';
import { type Labels, openTSDB, STALE_NAN, type TSDB } from '../../src/storage/index.js';
import { PROMETHEUS, startPrometheus } from '../helpers/prometheus.js';
import { removeScratchDirs } from '../helpers/server.js';

if (PROMETHEUS.missing) console.log(`engine-vs-prometheus.test.ts: skipped: ${PROMETHEUS.missing}`);

const STEP = 15_000;
const END = 3_600_000;

/** The data set: counters with a reset, gauges with NaN, a series going stale, classic histograms. */
function dataset(): QueuedSample[] {
  const out: QueuedSample[] = [];
  const series = (labels: Labels, value: (i: number) => number | undefined) => {
    for (let i = 0; i * STEP <= END; i++) {
      const v = value(i);
      if (v !== undefined) out.push({ labels, t: i * STEP, v });
    }
  };
  series({ __name__: 'http_requests_total', job: 'api', instance: 'a', method: 'get' }, (i) =>
    i < 120 ? i * 10 : (i - 120) * 7,
  );
  series({ __name__: 'http_requests_total', job: 'api', instance: 'b', method: 'post' }, (i) => 5 + i * 3);
  // Values never tie across these series at a compared time: Prometheus's head returns series in
  // the order they were created, miniprom's in label order, and topk breaks ties by that order.
  series({ __name__: 'http_requests_total', job: 'web', instance: 'a', method: 'get' }, (i) => i * i + 2);
  series({ __name__: 'node_temp', instance: 'a' }, (i) => 20 + 5 * Math.sin(i / 10));
  series({ __name__: 'node_temp', instance: 'b' }, (i) => (i % 50 === 7 ? Number.NaN : 18 + (i % 13)));
  series({ __name__: 'node_temp', instance: 'c' }, (i) => (i < 80 ? 30 - i / 4 : i === 80 ? STALE_NAN : undefined));
  series({ __name__: 'gappy', job: 'api' }, (i) => (i % 40 < 10 ? i : undefined));
  const bounds = ['0.1', '0.5', '1', '+Inf'];
  for (const job of ['api', 'web']) {
    bounds.forEach((le, b) => {
      series({ __name__: 'request_duration_seconds_bucket', job, le }, (i) => i * (b + 1) * (job === 'api' ? 1 : 2));
    });
    series({ __name__: 'request_duration_seconds_count', job }, (i) => i * 4 * (job === 'api' ? 1 : 2));
    series({ __name__: 'request_duration_seconds_sum', job }, (i) => i * 1.7);
  }
  // A histogram whose buckets are not monotonic.
  for (const [le, c] of [
    ['1', 10],
    ['2', 8],
    ['+Inf', 12],
  ] as const) {
    series({ __name__: 'broken_bucket', le }, (i) => c * (i + 1));
  }
  for (const v of ['1.10', '1.9', '1.2', '10.0']) series({ __name__: 'ver', v }, () => Number.parseFloat(v));
  series({ __name__: 'target_info', job: 'api', instance: 'a', version: '1.2' }, () => 1);
  return out;
}

const QUERIES = [
  'http_requests_total',
  'http_requests_total{job="api"}',
  'http_requests_total offset 5m',
  'http_requests_total @ 1800',
  'http_requests_total @ end()',
  'http_requests_total[2m]',
  'node_temp',
  'gappy',
  '-node_temp',
  'rate(http_requests_total[5m])',
  'irate(http_requests_total[5m])',
  'increase(http_requests_total[10m])',
  'delta(node_temp[10m])',
  'idelta(node_temp[3m])',
  'deriv(node_temp[10m])',
  'predict_linear(node_temp[10m], 600)',
  'rate(node_temp[5m])',
  'resets(http_requests_total[1h])',
  'changes(node_temp[10m])',
  'avg_over_time(node_temp[10m])',
  'sum_over_time(node_temp[10m])',
  'min_over_time(node_temp[10m])',
  'max_over_time(node_temp[10m])',
  'count_over_time(gappy[10m])',
  'last_over_time(node_temp[10m])',
  'present_over_time(gappy[5m])',
  'absent_over_time(gappy[5m])',
  'absent_over_time(nonexistent{job="x"}[5m])',
  'stddev_over_time(node_temp[10m])',
  'stdvar_over_time(node_temp[10m])',
  'quantile_over_time(0.9, node_temp[10m])',
  'quantile_over_time(1.5, node_temp[10m])',
  'mad_over_time(node_temp[10m])',
  'ts_of_max_over_time(node_temp[10m])',
  'ts_of_min_over_time(node_temp[10m])',
  'ts_of_last_over_time(gappy[10m])',
  'double_exponential_smoothing(node_temp[10m], 0.5, 0.5)',
  'double_exponential_smoothing(node_temp[10m], 1.5, 0.5)',
  'sum(http_requests_total)',
  'sum by (job) (http_requests_total)',
  'sum without (instance) (http_requests_total)',
  'avg by (job) (rate(http_requests_total[5m]))',
  'count(node_temp)',
  'min(node_temp)',
  'max(node_temp)',
  'group by (job) (http_requests_total)',
  'stddev(node_temp)',
  'stdvar by (instance) (node_temp)',
  'quantile(0.5, http_requests_total)',
  'quantile(2, http_requests_total)',
  'topk(2, http_requests_total)',
  'bottomk(1, http_requests_total) by (job)',
  'topk(1, node_temp)',
  'limitk(1, http_requests_total)',
  'limit_ratio(0.5, http_requests_total)',
  'limit_ratio(-0.5, http_requests_total)',
  'count_values("value", ver)',
  'count_values by (job) ("v", http_requests_total % 3)',
  'sum by (nonexistent) (http_requests_total)',
  'sum by () (http_requests_total)',
  'http_requests_total + on(job, instance) group_left node_temp',
  'http_requests_total / ignoring(method) group_left sum by (job, instance) (http_requests_total)',
  'http_requests_total * on() group_left vector(2)',
  'http_requests_total > 100',
  'http_requests_total > bool 100',
  '100 < http_requests_total',
  'http_requests_total == http_requests_total',
  'http_requests_total + http_requests_total',
  'http_requests_total and http_requests_total{job="api"}',
  'http_requests_total or node_temp',
  'http_requests_total unless on(job) http_requests_total{job="web"}',
  'http_requests_total + on(job) http_requests_total',
  'sum by (job) (http_requests_total) + on(job) group_right http_requests_total',
  'node_temp atan2 node_temp',
  '2 ^ 3 ^ 2',
  '-1 ^ 0.5',
  '1 % 0',
  'http_requests_total % 7',
  'abs(-node_temp)',
  'ceil(node_temp)',
  'floor(node_temp)',
  'round(node_temp, 0.5)',
  'sqrt(node_temp)',
  'exp(node_temp / 10)',
  'ln(node_temp)',
  'log2(node_temp)',
  'log10(node_temp)',
  'sgn(node_temp - 20)',
  'clamp(node_temp, 19, 21)',
  'clamp(node_temp, 21, 19)',
  'clamp_min(node_temp, 20)',
  'clamp_max(node_temp, 20)',
  'sin(node_temp)',
  'cos(node_temp)',
  'tan(node_temp)',
  'asin(node_temp / 100)',
  'acos(node_temp / 100)',
  'atan(node_temp)',
  'sinh(node_temp / 10)',
  'cosh(node_temp / 10)',
  'tanh(node_temp / 10)',
  'asinh(node_temp)',
  'acosh(node_temp)',
  'atanh(node_temp / 100)',
  'deg(node_temp)',
  'rad(node_temp)',
  'pi()',
  'time()',
  'vector(time())',
  'scalar(node_temp)',
  'scalar(node_temp{instance="a"})',
  'timestamp(node_temp)',
  'timestamp(node_temp @ 1000)',
  'year()',
  'month(vector(1700000000))',
  'day_of_month(vector(1700000000))',
  'day_of_week(vector(1700000000))',
  'day_of_year(vector(1709251200))',
  'days_in_month(vector(1709251200))',
  'hour(vector(1700000123))',
  'minute(vector(1700000123))',
  'year(node_temp)',
  'sort(node_temp)',
  'sort_desc(http_requests_total)',
  'sort_by_label(ver, "v")',
  'sort_by_label_desc(ver, "v")',
  'label_replace(http_requests_total, "foo", "$1-x", "job", "(.*)")',
  'label_replace(http_requests_total, "job", "", "job", ".*")',
  'label_join(http_requests_total, "foo", ",", "job", "instance")',
  'absent(nonexistent{job="a", job="b", x="y"})',
  'absent(http_requests_total)',
  'histogram_quantile(0.9, request_duration_seconds_bucket)',
  'histogram_quantile(0.9, sum by (le) (rate(request_duration_seconds_bucket[5m])))',
  'histogram_quantile(0.5, broken_bucket)',
  'histogram_quantile(1.5, request_duration_seconds_bucket)',
  'histogram_quantile(0.5, http_requests_total)',
  'histogram_fraction(0, 0.5, request_duration_seconds_bucket)',
  'histogram_count(request_duration_seconds_bucket)',
  'max_over_time(rate(http_requests_total[5m])[10m:1m])',
  'max_over_time(rate(http_requests_total[5m])[10m:])',
  'rate(http_requests_total[10m:30s])',
  'sum_over_time(node_temp[10m:1m] offset 5m)',
  'avg_over_time(http_requests_total[5m] @ 1000)',
  'info(http_requests_total)',
  'info(node_temp)',
  'http_requests_total{job=~"a.*"}',
  '{__name__=~"node_temp|gappy"}',
  'sum(node_temp) / count(node_temp)',
  'nonexistent',
  '{__name__=~"http_requests_total|node_temp"} + 1',
  'ceil({__name__=~"http_requests_total|node_temp"})',
  'rate({__name__=~"http_requests_total|node_temp"}[5m])',
  'http_requests_total offset -5m',
  'rate(http_requests_total[5m] offset -2m)',
  'http_requests_total @ start()',
  'sum_over_time(node_temp[10m:1m] @ 1000)',
  'last_over_time(node_temp[5m:1m] @ 600 offset 1m)',
  'max_over_time((node_temp @ 1200)[10m:1m])',
  'quantile_over_time(NaN, node_temp[10m])',
  'quantile(scalar(node_temp{instance="a"}) / 30, http_requests_total)',
  'topk(scalar(node_temp{instance="a"}) / 10, http_requests_total)',
  'topk(NaN, http_requests_total)',
  'limitk(1, http_requests_total) by (job)',
  'limit_ratio(1.5, http_requests_total)',
  'count_values without (instance) ("value", http_requests_total)',
  'label_replace(http_requests_total, "foo", "$1", "job", "(.*")',
  'label_replace(http_requests_total, "instance", "x", "job", ".*")',
  'http_requests_total + on(job) group_left http_requests_total',
  'http_requests_total * ignoring(method, instance) http_requests_total',
  'sum by (job) (http_requests_total) > bool 10',
  'http_requests_total{job="api"} / on(instance) group_left(job) node_temp',
  'absent(nonexistent{job=~"a.*"})',
  'absent_over_time(http_requests_total[1m])',
  'holt_winters(node_temp[10m], 0.5, 0.5)',
  'stddev_over_time(gappy[5m])',
  'sort_desc(node_temp)',
  'bottomk(2, node_temp)',
  'rate(gappy[1m])',
  'increase(request_duration_seconds_count[1m])',
  'irate(node_temp[1m])',
  'deriv(gappy[10m])',
  'predict_linear(http_requests_total[5m], -300)',
  'resets(node_temp[15m])',
  'changes(gappy[30m])',
  'scalar(http_requests_total)',
  'vector(1) + vector(2)',
  'time() - timestamp(node_temp)',
  'node_temp > 20 < 24',
  '(node_temp > 20) or vector(0)',
  'sum(rate(request_duration_seconds_sum[5m])) / sum(rate(request_duration_seconds_count[5m]))',
  'histogram_quantile(0.99, sum by (job, le) (rate(request_duration_seconds_bucket[5m])))',
  'histogram_fraction(0.2, 1, sum by (le) (request_duration_seconds_bucket))',
  'http_requests_total and on() vector(1)',
  'http_requests_total unless http_requests_total',
  'group(node_temp) by (instance)',
];

const INSTANT_TIMES = [0, 10_000, 1_234_567, 1_800_000, END];

/** Queries whose instant result has an order (compared in order). */
const ORDERED = /^(sort|sort_desc|sort_by_label|sort_by_label_desc|topk|bottomk)\(/;

type Outcome =
  | { error: string; errorType: string }
  | {
      resultType: string;
      result: { metric: Labels; values: [number, number][] }[];
      warnings: string[];
      infos: string[];
    };

function close(a: number, b: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

function parseValue(s: string): number {
  if (s === '+Inf') return Number.POSITIVE_INFINITY;
  if (s === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(s);
}

/** Prometheus's API answer as an Outcome. */
function fromApi(body: {
  status: string;
  error?: string;
  errorType?: string;
  data?: { resultType: string; result: unknown };
  warnings?: string[];
  infos?: string[];
}): Outcome {
  if (body.status !== 'success') return { error: body.error ?? '', errorType: body.errorType ?? '' };
  const data = body.data as { resultType: string; result: unknown };
  const pt = (p: [number, string]): [number, number] => [Math.round(p[0] * 1000), parseValue(p[1])];
  let result: { metric: Labels; values: [number, number][] }[];
  switch (data.resultType) {
    case 'vector':
      result = (data.result as { metric: Labels; value: [number, string] }[]).map((s) => ({
        metric: s.metric,
        values: [pt(s.value)],
      }));
      break;
    case 'matrix':
      result = (data.result as { metric: Labels; values: [number, string][] }[]).map((s) => ({
        metric: s.metric,
        values: s.values.map(pt),
      }));
      break;
    case 'scalar':
      result = [{ metric: {}, values: [pt(data.result as [number, string])] }];
      break;
    default:
      throw new Error(`unexpected result type ${data.resultType}`);
  }
  return { resultType: data.resultType, result, warnings: body.warnings ?? [], infos: body.infos ?? [] };
}

/** miniprom's engine's answer as an Outcome (errors as the API words and types them). */
function fromEngine(res: QueryResult | QueryError): Outcome {
  if (res instanceof Error) {
    const prefix = res.errorType === 'bad_data' ? 'invalid parameter "query": ' : '';
    return { error: prefix + res.message, errorType: res.errorType };
  }
  const v = res.value;
  let result: { metric: Labels; values: [number, number][] }[];
  switch (v.resultType) {
    case 'vector':
      result = v.result.map((s) => ({ metric: s.metric, values: [[s.t, s.f]] }));
      break;
    case 'matrix':
      result = v.result.map((s) => ({ metric: s.metric, values: s.floats.map((p): [number, number] => [p.t, p.f]) }));
      break;
    case 'scalar':
      result = [{ metric: {}, values: [[v.result.t, v.result.v]] }];
      break;
    default:
      throw new Error('string results are not compared');
  }
  return { resultType: v.resultType, result, warnings: res.warnings, infos: res.infos };
}

const key = (l: Labels) => JSON.stringify(Object.entries(l).sort());

/** Describes the first difference, or returns undefined. */
function difference(ours: Outcome, theirs: Outcome, ordered: boolean): string | undefined {
  if ('error' in theirs || 'error' in ours) {
    if (JSON.stringify(ours) !== JSON.stringify(theirs))
      return `ours ${JSON.stringify(ours)}, theirs ${JSON.stringify(theirs)}`;
    return undefined;
  }
  if (ours.resultType !== theirs.resultType) return `result type ${ours.resultType} vs ${theirs.resultType}`;
  const sortAll = (o: typeof ours) =>
    ordered ? o.result : [...o.result].sort((a, b) => (key(a.metric) < key(b.metric) ? -1 : 1));
  const a = sortAll(ours);
  const b = sortAll(theirs);
  if (a.length !== b.length)
    return `${a.length} series vs ${b.length}: ${JSON.stringify(a.map((s) => s.metric))} vs ${JSON.stringify(b.map((s) => s.metric))}`;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as (typeof a)[number];
    const y = b[i] as (typeof b)[number];
    if (key(x.metric) !== key(y.metric)) return `series ${i}: ${key(x.metric)} vs ${key(y.metric)}`;
    if (x.values.length !== y.values.length) return `${key(x.metric)}: ${x.values.length} points vs ${y.values.length}`;
    for (let j = 0; j < x.values.length; j++) {
      const [t1, v1] = x.values[j] as [number, number];
      const [t2, v2] = y.values[j] as [number, number];
      if (t1 !== t2 || !close(v1, v2)) return `${key(x.metric)} point ${j}: [${t1}, ${v1}] vs [${t2}, ${v2}]`;
    }
  }
  const w = (l: string[]) => JSON.stringify([...l].sort());
  if (w(ours.warnings) !== w(theirs.warnings)) return `warnings ${w(ours.warnings)} vs ${w(theirs.warnings)}`;
  if (w(ours.infos) !== w(theirs.infos)) return `infos ${w(ours.infos)} vs ${w(theirs.infos)}`;
  return undefined;
}

describe.skipIf(!PROMETHEUS.path)('the engine against Prometheus 3.5.3', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promql-diff-'));
  let base = '';
  let db: TSDB;
  let stop = async () => {};
  const engine = new PromQLEngine({ enableExperimentalFunctions: true });

  beforeAll(async () => {
    const prometheus = await startPrometheus({
      args: ['--web.enable-remote-write-receiver', '--enable-feature=promql-experimental-functions'],
    });
    stop = prometheus.stop;
    base = prometheus.base;

    const samples = dataset();
    const res = await fetch(`${base}/api/v1/write`, {
      method: 'POST',
      headers: {
        'Content-Encoding': 'snappy',
        'Content-Type': 'application/x-protobuf',
        'X-Prometheus-Remote-Write-Version': '0.1.0',
      },
      body: snappyCompress(encodeWriteRequest(samples)),
    });
    if (res.status !== 204) throw new Error(`remote write: ${res.status} ${await res.text()}`);

    db = await openTSDB({ dir: join(dir, 'miniprom'), retentionMs: 0, logger: pino({ level: 'silent' }) });
    const app = db.appender();
    for (const s of samples) app.append(s.labels, s.t, s.v);
    await app.commit();
  }, 60_000);

  afterAll(async () => {
    await stop();
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
    removeScratchDirs(); // the peer's data dir
  });

  const api = async (path: string, params: Record<string, string>): Promise<Outcome> => {
    const res = await fetch(`${base}${path}`, { method: 'POST', body: new URLSearchParams(params) });
    return fromApi(await res.json());
  };

  for (const query of QUERIES) {
    it(`answers ${query} as Prometheus does`, async () => {
      const diffs: string[] = [];
      for (const t of INSTANT_TIMES) {
        const theirs = await api('/api/v1/query', { query, time: String(t / 1000) });
        const ours = fromEngine(await engine.instantQuery(db, query, t).catch((e: QueryError) => e));
        const d = difference(ours, theirs, ORDERED.test(query));
        if (d) diffs.push(`instant at ${t}: ${d}`);
      }
      for (const [start, end, step] of [
        [0, END, 60_000],
        [7_000, 1_900_000, 37_000],
      ] as const) {
        const theirs = await api('/api/v1/query_range', {
          query,
          start: String(start / 1000),
          end: String(end / 1000),
          step: String(step / 1000),
        });
        const ours = fromEngine(await engine.rangeQuery(db, query, start, end, step).catch((e: QueryError) => e));
        const d = difference(ours, theirs, false);
        if (d) diffs.push(`range ${start}..${end} step ${step}: ${d}`);
      }
      expect(diffs).toEqual([]);
    });
  }
});
