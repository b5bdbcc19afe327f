/**
 * The engine's behaviour that upstream's test scripts do not show: yielding to the event loop,
 * timeout, cancellation, max-samples, the concurrency gate, the per-query lookback delta, and the
 * engine metrics. Trees are built by hand (test/promql/ast-builders.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Expr,
  parseSeriesDesc,
  PromQLEngine,
  QueryCanceledError,
  QueryTimeoutError,
  QueueWaitError,
  TooManySamplesError,
} from '../../src/promql/index.js';
import { openTSDB, type TSDB } from '../../src/storage/index.js';
import { agg, call, range, sel, subquery } from './ast-builders.js';

let dir: string;
let db: TSDB;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'engine-'));
  db = await openTSDB({ dir, retentionMs: 0, logger: pino({ level: 'silent' }) });
});

afterEach(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

/** Loads series in upstream's notation, one sample per `stepMs` from 0. */
async function load(stepMs: number, ...lines: string[]): Promise<void> {
  const app = db.appender();
  for (const line of lines) {
    const { labels, values } = parseSeriesDesc(line);
    values.forEach((v, i) => {
      if (!v.omitted) app.append(labels, i * stepMs, v.value);
    });
  }
  await app.commit();
}

/** Many series with many samples: enough work that evaluation takes many time slices. */
async function loadHeavy(series: number, samples: number): Promise<void> {
  const app = db.appender();
  for (let s = 0; s < series; s++) {
    const labels = { __name__: 'heavy_total', i: String(s) };
    for (let i = 0; i < samples; i++) app.append(labels, i * 15_000, i);
  }
  await app.commit();
}

const heavyQuery = (): Expr => agg('sum', call('rate', range(sel('heavy_total'), 10 * 60_000)));

async function instant(engine: PromQLEngine, expr: Expr, t: number) {
  const res = await engine.exec(db, '', expr, t, t, 0);
  if (res.value.resultType !== 'vector') throw new Error(`not a vector: ${res.value.resultType}`);
  return res.value.result;
}

describe('lookback', () => {
  it('finds the last sample up to, but not at, the lookback delta before the evaluation time', async () => {
    await load(60_000, 'm 1');
    const engine = new PromQLEngine();
    expect(await instant(engine, sel('m'), 5 * 60_000 - 1)).toEqual([{ metric: { __name__: 'm' }, t: 299_999, f: 1 }]);
    expect(await instant(engine, sel('m'), 5 * 60_000)).toEqual([]);
  });

  it('takes the lookback delta of the query over the engine’s', async () => {
    await load(60_000, 'm 1');
    const engine = new PromQLEngine();
    const res = await engine.exec(db, '', sel('m'), 120_000, 120_000, 0, { lookbackDeltaMs: 60_000 });
    expect(res.value).toEqual({ resultType: 'vector', result: [] });
    const longer = await engine.exec(db, '', sel('m'), 120_000, 120_000, 0, { lookbackDeltaMs: 180_000 });
    expect(longer.value).toEqual({ resultType: 'vector', result: [{ metric: { __name__: 'm' }, t: 120_000, f: 1 }] });
  });

  it('ends a series at its staleness marker at once', async () => {
    await load(60_000, 'm 1 stale');
    const engine = new PromQLEngine();
    expect(await instant(engine, sel('m'), 30_000)).toHaveLength(1);
    expect(await instant(engine, sel('m'), 60_000)).toEqual([]);
  });
});

describe('subqueries', () => {
  it('aligns subquery steps to multiples of the step from the epoch', async () => {
    await load(10_000, 'm 0+1x100');
    const engine = new PromQLEngine();
    // At 95s, [30s:20s] covers (65s, 95s]: its only aligned step is 80s (not 95s and 75s).
    const res = await instant(engine, call('count_over_time', subquery(sel('m'), 30_000, 20_000)), 95_000);
    expect(res).toEqual([{ metric: {}, t: 95_000, f: 1 }]);
  });

  it('uses the configured default step for a subquery without one', async () => {
    await load(10_000, 'm 0+1x100');
    const engine = new PromQLEngine({ noStepSubqueryIntervalMs: 10_000 });
    const res = await instant(engine, call('count_over_time', subquery(sel('m'), 60_000)), 100_000);
    expect(res).toEqual([{ metric: {}, t: 100_000, f: 6 }]);
  });
});

describe('limits', () => {
  it('fails a query that would hold more samples than max-samples', async () => {
    await load(15_000, 'm{a="1"} 0+1x100', 'm{a="2"} 0+1x100');
    const engine = new PromQLEngine({ maxSamples: 10 });
    const err = await engine.exec(db, '', range(sel('m'), 60 * 60_000), 1_500_000, 1_500_000, 0).catch((e) => e);
    expect(err).toBeInstanceOf(TooManySamplesError);
    expect(err.message).toBe('query processing would load too many samples into memory in query execution');
    expect(err.status).toBe(422);
  });

  it('times out in expression evaluation', async () => {
    await loadHeavy(2000, 200);
    const engine = new PromQLEngine({ timeoutMs: 1 });
    const err = await engine.exec(db, '', heavyQuery(), 0, 3_000_000, 15_000).catch((e) => e);
    expect(err).toBeInstanceOf(QueryTimeoutError);
    expect(err.message).toBe('query timed out in expression evaluation');
    expect(err.status).toBe(503);
  });

  it('is canceled by its signal while it evaluates', async () => {
    await loadHeavy(2000, 200);
    const engine = new PromQLEngine();
    const ac = new AbortController();
    const p = engine.exec(db, '', heavyQuery(), 0, 3_000_000, 15_000, { signal: ac.signal });
    setImmediate(() => ac.abort());
    const err = await p.catch((e) => e);
    expect(err).toBeInstanceOf(QueryCanceledError);
    expect(err.message).toBe('query was canceled in expression evaluation');
  });

  it('is canceled before it starts when its signal is already aborted', async () => {
    const engine = new PromQLEngine();
    const err = await engine.exec(db, '', sel('m'), 0, 0, 0, { signal: AbortSignal.abort() }).catch((e) => e);
    expect(err).toBeInstanceOf(QueryCanceledError);
    expect(err.message).toBe('query was canceled in query execution');
  });
});

describe('the event loop', () => {
  it('runs a timer while a query over 10k series evaluates', async () => {
    await loadHeavy(10_000, 40);
    const engine = new PromQLEngine();
    const query = engine.exec(db, '', heavyQuery(), 0, 3_000_000, 15_000).then(() => 'query');
    const timer = new Promise((resolve) => setTimeout(() => resolve('timer'), 1));
    expect(await Promise.race([query, timer])).toBe('timer');
    await query;
  });
});

describe('concurrency', () => {
  it('makes a query past --query.max-concurrency wait for a slot', async () => {
    await loadHeavy(1000, 200);
    await load(60_000, 'm 1');
    const engine = new PromQLEngine({ maxConcurrency: 1 });
    const order: string[] = [];
    const heavy = engine.exec(db, '', heavyQuery(), 0, 3_000_000, 15_000).then(() => order.push('heavy'));
    const light = engine.exec(db, '', sel('m'), 0, 0, 0).then(() => order.push('light'));
    await Promise.all([heavy, light]);
    expect(order).toEqual(['heavy', 'light']);
  });

  it('fails a query whose deadline passes while it waits for a slot', async () => {
    await loadHeavy(1000, 200);
    const engine = new PromQLEngine({ maxConcurrency: 1 });
    const heavy = engine.exec(db, '', heavyQuery(), 0, 3_000_000, 15_000);
    const err = await engine.exec(db, '', sel('m'), 0, 0, 0, { timeoutMs: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(QueueWaitError);
    expect(err.message).toBe('context deadline exceeded');
    expect(err.status).toBe(422);
    await heavy;
  });
});

describe('metrics', () => {
  it('exposes upstream’s engine metrics on the registry', async () => {
    await load(60_000, 'm 1 2 3');
    const registry = new Registry();
    const engine = new PromQLEngine({ registry, maxConcurrency: 7 });
    await engine.exec(db, '', sel('m'), 120_000, 120_000, 0);
    const text = await registry.metrics();
    expect(text).toContain('prometheus_engine_queries 0');
    expect(text).toContain('prometheus_engine_queries_concurrent_max 7');
    expect(text).toContain('prometheus_engine_query_samples_total 1');
    expect(text).toContain('prometheus_engine_query_duration_seconds_count{slice="inner_eval"} 1');
  });
});

describe('aggregation over a range', () => {
  // 300 groups × 300 steps is more (group, step) cells than the aggregation keeps at once, so
  // the range is aggregated in blocks of steps; every step must still be the instant query's.
  it('aggregates a range function’s outputs as it aggregates them once they are held in a matrix', async () => {
    const app = db.appender();
    for (let i = 0; i < 60; i++) {
      const labels = { __name__: 'fused_total', job: `j${i % 4}`, instance: `h${i}` };
      for (let k = 0; k < 120; k++) {
        if ((i + k) % 17 === 0) continue;
        // Counter resets, and values far apart in size (Kahan's compensation matters).
        app.append(labels, k * 15_000 + (i % 5), (k % 50) * (i + 1) * 1.1 + (i % 3 === 0 ? 1e16 : 0));
      }
    }
    await app.commit();
    const engine = new PromQLEngine();
    for (const op of ['sum', 'avg', 'count', 'min', 'max', 'group', 'stddev', 'stdvar']) {
      for (const fn of ['rate', 'increase', 'delta', 'max_over_time', 'deriv', 'last_over_time']) {
        // `* 1` makes the function's result a matrix the aggregation reads like any other. (From
        // a step where every series has a value, so that both keep the series in one order.)
        const [direct, held] = await Promise.all(
          [`${op} by (job) (${fn}(fused_total[5m]))`, `${op} by (job) (${fn}(fused_total[5m]) * 1)`].map((q) =>
            engine.rangeQuery(db, q, 20 * 15_000, 119 * 15_000, 15_000),
          ),
        );
        expect(direct?.value, `${op}(${fn})`).toEqual(held?.value);
      }
    }
  });

  it('gives at every step what the instant query at that step gives, across blocks of steps', async () => {
    const app = db.appender();
    for (let g = 0; g < 300; g++) {
      for (let k = 0; k < 2; k++) {
        const labels = { __name__: 'cells', g: String(g), k: String(k) };
        for (let i = 0; i < 300; i++) {
          // Gaps and uneven values: groups come and go between steps, and sums need Kahan's care.
          if ((g + i) % 11 === k) continue;
          app.append(labels, i * 15_000, g * 0.1 + i * 1.7 + k * 1e15);
        }
      }
    }
    await app.commit();
    const engine = new PromQLEngine({ lookbackDeltaMs: 10_000 });
    for (const op of ['sum', 'avg', 'count', 'min', 'max', 'group', 'stddev', 'stdvar'] as const) {
      const expr = () => agg(op, sel('cells'), { by: ['g'] });
      const res = await engine.exec(db, '', expr(), 0, 299 * 15_000, 15_000);
      if (res.value.resultType !== 'matrix') throw new Error(`not a matrix: ${res.value.resultType}`);
      const byGroup = new Map(res.value.result.map((s) => [s.metric.g, s.floats]));
      for (const i of [0, 1, 100, 217, 218, 219, 250, 299]) {
        const t = i * 15_000;
        const want = await instant(engine, expr(), t);
        const byG = (a: { g?: string }, b: { g?: string }) => Number(a.g) - Number(b.g);
        const got = [...byGroup].flatMap(([g, floats]) => floats.filter((p) => p.t === t).map((p) => ({ g, f: p.f })));
        expect(got.sort(byG), `${op} at step ${i}`).toEqual(want.map((s) => ({ g: s.metric.g, f: s.f })).sort(byG));
      }
    }
  });
});
