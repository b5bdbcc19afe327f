/**
 * The differential test's data: a fixed, generated set of series sampled every 5 s for 100
 * minutes, written through remote write 1.0 to every server under test in the same requests.
 *
 * The data is anchored at an hour boundary two hours before now, so it ends 20 to 80 minutes ago:
 * inside Prometheus's one-hour window for appends behind its newest sample (we write in time order,
 * so every request is within it) and never in the future, which the receivers refuse. Queries name
 * their times relative to that anchor (`+40m`), so the corpus and the known-differences list stay
 * the same from run to run; only the absolute timestamps move with the hour.
 */
import { encodeWriteRequest, type RemoteSeries, remoteWrite, STALE_NAN } from '../../../scripts/remote-write.mjs';

/** Seconds between two samples of a series. */
export const SAMPLE_INTERVAL_S = 5;
/** The last sample index: samples are at anchor + k·5 s for k = 0 … LAST_STEP (100 minutes). */
export const LAST_STEP = 1200;
/** Steps per remote write request: each request carries this slice of time for all series. */
const STEPS_PER_REQUEST = 60;

const HOUR_MS = 3_600_000;

/** The workload's first sample time in ms: the hour boundary two hours before `now`. */
export function workloadAnchor(now = Date.now()): number {
  return Math.floor(now / HOUR_MS) * HOUR_MS - 2 * HOUR_MS;
}

/** A series of the workload: its labels and its value at step k (undefined: no sample then). */
export interface WorkloadSeries {
  labels: Record<string, string>;
  value: (k: number) => number | undefined;
}

/** Rounded to 3 decimals, so that the data reads well in a failure message. */
const round3 = (v: number) => Math.round(v * 1000) / 1000;

/** Gauges: two jobs × two instances × three modes, smooth waves with distinct phases. */
function gauges(): WorkloadSeries[] {
  const out: WorkloadSeries[] = [];
  let s = 0;
  for (const job of ['api', 'db'])
    for (const instance of ['i1', 'i2'])
      for (const mode of ['idle', 'user', 'system']) {
        const phase = s++;
        out.push({
          labels: { __name__: 'demo_gauge', job, instance, mode },
          value: (k) => round3(50 + 40 * Math.sin((k + 13 * phase) / 29) + phase),
        });
      }
  return out;
}

/** Gauges whose values are the floating point edge cases: NaN, ±Inf, huge, tiny, subnormal, -0. */
function specials(): WorkloadSeries[] {
  const cycle = [1, -1, Number.NaN, Number.POSITIVE_INFINITY, 0, Number.NEGATIVE_INFINITY, 2.5];
  const kinds: Record<string, (k: number) => number> = {
    nan: () => Number.NaN,
    pos_inf: () => Number.POSITIVE_INFINITY,
    neg_inf: () => Number.NEGATIVE_INFINITY,
    negative: (k) => -(k * 1.5) - 3,
    large: (k) => 1e300 * (1 + (k % 10) / 10),
    tiny: (k) => 1e-300 * (1 + (k % 5)),
    subnormal: (k) => 5e-324 * ((k % 3) + 1),
    zero: () => 0,
    neg_zero: () => -0,
    mixed: (k) => cycle[k % cycle.length] as number,
    step: (k) => k % 10,
  };
  return Object.entries(kinds).map(([kind, value]) => ({ labels: { __name__: 'demo_special', kind }, value }));
}

/** Counters: steady ones, one that resets at +50m, one that stays 0, one that starts high. */
function counters(): WorkloadSeries[] {
  const c = (job: string, instance: string, code: string, value: (k: number) => number): WorkloadSeries => ({
    labels: { __name__: 'demo_requests_total', job, instance, code },
    value,
  });
  // A float counter with two resets 50 s apart, for resets(), increase() and rate() across both.
  const floatCounter = (k: number) => round3(k < 300 ? 0.1 * k : k < 310 ? 0.3 * (k - 300) : 0.7 * (k - 310));
  return [
    c('api', 'i1', '200', (k) => 10 * k + (k % 3)),
    c('api', 'i1', '500', (k) => Math.floor(k / 7)),
    c('api', 'i2', '200', (k) => (k < 600 ? 5 * k : 5 * (k - 600) + 1)),
    c('api', 'i2', '500', () => 0),
    c('db', 'i1', '200', (k) => 2 * k + 1000),
    { labels: { __name__: 'demo_float_counter_total', instance: 'i1' }, value: floatCounter },
  ];
}

/**
 * A classic histogram per instance (`_bucket` with le up to +Inf, `_sum`, `_count`): i1 observes
 * from the start and resets at +75m; i2 observes nothing for 30 minutes (every rate 0, so
 * quantiles are NaN), then only in the middle buckets.
 */
function histograms(): WorkloadSeries[] {
  const bounds = ['0.05', '0.1', '0.5', '1', '+Inf'];
  const mids = [0.02, 0.07, 0.3, 0.8, 3];
  const perStep = (instance: string, k: number): number[] => {
    if (instance === 'i1') return [3, 2, k % 4 === 0 ? 4 : 1, 1, k % 10 === 0 ? 1 : 0];
    return k < 360 ? [0, 0, 0, 0, 0] : [0, 5, 5, 0, 1];
  };
  const out: WorkloadSeries[] = [];
  for (const instance of ['i1', 'i2']) {
    // Cumulative per-bucket counts and the sum, precomputed over all steps.
    const counts: number[][] = [];
    const sums: number[] = [];
    let acc = [0, 0, 0, 0, 0];
    let sum = 0;
    for (let k = 0; k <= LAST_STEP; k++) {
      if (instance === 'i1' && k === 900) {
        acc = [0, 0, 0, 0, 0];
        sum = 0;
      }
      const inc = perStep(instance, k);
      acc = acc.map((a, i) => a + (inc[i] as number));
      sum = round3(sum + inc.reduce((s, n, i) => s + n * (mids[i] as number), 0));
      let cumulative = 0;
      counts.push(acc.map((a) => (cumulative += a)));
      sums.push(sum);
    }
    const base = { job: 'api', instance };
    bounds.forEach((le, i) => {
      out.push({
        labels: { __name__: 'demo_latency_seconds_bucket', ...base, le },
        value: (k) => counts[k]?.[i],
      });
    });
    out.push({ labels: { __name__: 'demo_latency_seconds_sum', ...base }, value: (k) => sums[k] });
    out.push({ labels: { __name__: 'demo_latency_seconds_count', ...base }, value: (k) => counts[k]?.[4] });
  }
  // Histograms histogram_quantile must repair or refuse: buckets that are not monotonic, no +Inf
  // bucket, and an le that is no number.
  const bucket = (name: string, le: string, value: (k: number) => number): WorkloadSeries => ({
    labels: { __name__: name, job: 'api', le },
    value,
  });
  out.push(
    bucket('demo_broken_bucket', '0.1', (k) => 10 * k),
    bucket('demo_broken_bucket', '1', (k) => 5 * k),
    bucket('demo_broken_bucket', '+Inf', (k) => 12 * k),
    bucket('demo_noinf_bucket', '0.1', (k) => k),
    bucket('demo_noinf_bucket', '1', (k) => 2 * k),
    bucket('demo_badle_bucket', 'abc', (k) => k),
    bucket('demo_badle_bucket', '+Inf', (k) => 2 * k),
  );
  return out;
}

/** Info-like series (value 1) to join on: build info per target, and target_info for info(). */
function infos(): WorkloadSeries[] {
  const out: WorkloadSeries[] = [];
  for (const job of ['api', 'db'])
    for (const instance of ['i1', 'i2']) {
      const version = job === 'api' ? '1.2.3' : '2.0.0';
      out.push({
        labels: { __name__: 'demo_build_info', job, instance, version, revision: `r-${instance}` },
        value: () => 1,
      });
      // db/i2 has no target_info, so info() leaves its series as they are.
      if (job === 'db' && instance === 'i2') continue;
      out.push({
        labels: { __name__: 'target_info', job, instance, team: job === 'api' ? 'web' : 'storage', region: 'eu' },
        value: () => 1,
      });
    }
  return out;
}

/**
 * Series that come and go: one marked stale at +60m05s (the staleness NaN) that comes back at
 * +75m, one that starts at +45m, one with a 12-minute gap (+20m … +32m) and no marker.
 */
function comingAndGoing(): WorkloadSeries[] {
  return [
    {
      labels: { __name__: 'demo_flappy', instance: 'i1' },
      value: (k) => (k <= 720 ? k % 17 : k === 721 ? STALE_NAN : k >= 900 ? k % 17 : undefined),
    },
    { labels: { __name__: 'demo_flappy', instance: 'i2' }, value: (k) => k % 5 },
    { labels: { __name__: 'demo_late', instance: 'i1' }, value: (k) => (k >= 540 ? k - 540 + 0.5 : undefined) },
    { labels: { __name__: 'demo_gappy', instance: 'i1' }, value: (k) => (k >= 240 && k < 384 ? undefined : k % 11) },
  ];
}

/** Label values and names that matchers and label functions must handle exactly. */
function labelled(): WorkloadSeries[] {
  const constant = (labels: Record<string, string>, v: number): WorkloadSeries => ({ labels, value: () => v });
  return [
    constant(
      {
        __name__: 'demo_labels',
        path: '/api/v1/query',
        host: 'web-01.example.com:9090',
        multiline: 'line1\nline2',
        unicode: 'ünï 😀',
        quote: 'say "hi"',
      },
      1,
    ),
    constant(
      {
        __name__: 'demo_labels',
        path: '/healthz',
        host: 'web-02.example.com:9090',
        multiline: 'single',
        unicode: 'plain',
        quote: 'none',
      },
      2,
    ),
    { labels: { __name__: 'demo:recorded:rate5m', job: 'api' }, value: (k) => round3(1 + Math.cos(k / 50)) },
    constant({ __name__: 'demo_case', env: 'Prod' }, 1),
    constant({ __name__: 'demo_case', env: 'prod' }, 2),
    constant({ __name__: 'demo_case', env: 'PROD' }, 3),
    constant({ __name__: 'demo_case', env: 'staging' }, 4),
    // Two series that collide once `a` is dropped, and a same-labelled one under another name.
    constant({ __name__: 'demo_dup', a: '1', b: 'x' }, 1),
    constant({ __name__: 'demo_dup', a: '2', b: 'x' }, 2),
    constant({ __name__: 'demo_dup2', a: '1', b: 'x' }, 3),
    ...['a', 'b', 'c'].map((state, i) => ({
      labels: { __name__: 'demo_enum', state },
      value: (k: number) => (Math.floor(k / 40) % 3 === i ? 1 : 0),
    })),
    constant({ __name__: 'demo_scalar' }, 42),
    { labels: { __name__: 'demo_bool', job: 'api' }, value: (k) => k % 2 },
    // A UTF-8 metric and label name, as Prometheus 3 accepts them.
    { labels: { __name__: 'demo.utf8.metric', 'service.name': 'checkout' }, value: (k) => k % 13 },
  ];
}

/** Every series of the workload, in a fixed order. */
export function workloadSeries(): WorkloadSeries[] {
  return [...gauges(), ...specials(), ...counters(), ...histograms(), ...infos(), ...comingAndGoing(), ...labelled()];
}

/**
 * The remote write requests, in time order: each holds STEPS_PER_REQUEST steps of every series,
 * so that every series' samples arrive ascending and no request reaches back behind another.
 */
export function workloadRequests(anchorMs: number): Uint8Array[] {
  const series = workloadSeries();
  const bodies: Uint8Array[] = [];
  for (let from = 0; from <= LAST_STEP; from += STEPS_PER_REQUEST) {
    const to = Math.min(from + STEPS_PER_REQUEST - 1, LAST_STEP);
    const slice: RemoteSeries[] = [];
    for (const s of series) {
      const samples = [];
      for (let k = from; k <= to; k++) {
        const value = s.value(k);
        if (value !== undefined) samples.push({ value, timestamp: anchorMs + k * SAMPLE_INTERVAL_S * 1000 });
      }
      if (samples.length > 0) slice.push({ labels: s.labels, samples });
    }
    bodies.push(encodeWriteRequest(slice));
  }
  return bodies;
}

/** Writes the workload to each receiver URL: requests in order per receiver, receivers in parallel. */
export async function writeWorkload(urls: string[], anchorMs: number, signal?: AbortSignal): Promise<number> {
  const bodies = workloadRequests(anchorMs);
  await Promise.all(
    urls.map(async (url) => {
      for (const body of bodies) await remoteWrite(url, body, signal);
    }),
  );
  return bodies.length;
}
