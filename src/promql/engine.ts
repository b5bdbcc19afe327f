/**
 * The PromQL engine (upstream's promql.Engine): parses a query, prepares it (step invariants,
 * `@`, the series each selector reads), waits for a slot under --query.max-concurrency, and
 * evaluates it under a timeout and the caller's AbortSignal. Results and errors are upstream's,
 * value for value; see evaluator.ts for the evaluation itself.
 */
import type { Logger } from 'pino';
import type { Queryable } from '../storage/index.js';
import { type Expr, typeOf } from './ast.js';
import type { EngineOptions, QueryEngine, QueryOptions, QueryResult, QueryStats } from './engine-types.js';
import { ExecutionError, InvalidQueryError, QueryError, QueueWaitError } from './errors.js';
import { Evaluator, isMatrix } from './evaluator.js';
import { Gate } from './gate.js';
import { compareLabels } from './labels.js';
import { type EngineMetrics, engineMetrics } from './metrics.js';
import { parseQuery } from './parse.js';
import { documentedType } from './parser/index.js';
import { preprocessExpr, selectorRanges, setOffsetForAtModifier } from './preprocess.js';
import { CANCELED, QueryContext, SampleStats, TIMEOUT } from './query-context.js';
import type { Matrix, QueryValue, Series } from './value.js';

/** Upstream's defaults (cmd/prometheus flags). */
export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  lookbackDeltaMs: 5 * 60_000,
  timeoutMs: 2 * 60_000,
  maxSamples: 50_000_000,
  maxConcurrency: 20,
  enableExperimentalFunctions: false,
};

/** The default subquery step: the global evaluation interval (upstream's NoStepSubqueryIntervalFn). */
const DEFAULT_SUBQUERY_STEP_MS = 60_000;

function seconds(ms: number): number {
  return ms / 1000;
}

/** Evaluates PromQL over a Queryable (see QueryEngine). */
export class PromQLEngine implements QueryEngine {
  readonly #opts: EngineOptions;
  readonly #gate: Gate;
  readonly #metrics: EngineMetrics;
  readonly #logger: Logger | undefined;

  constructor(opts: Partial<EngineOptions> = {}) {
    this.#opts = { ...DEFAULT_ENGINE_OPTIONS, ...opts };
    if (!(this.#opts.lookbackDeltaMs > 0)) this.#opts.lookbackDeltaMs = DEFAULT_ENGINE_OPTIONS.lookbackDeltaMs;
    this.#gate = new Gate(Math.max(1, this.#opts.maxConcurrency));
    this.#metrics = engineMetrics(this.#opts.registry);
    this.#metrics.maxConcurrentQueries.set(this.#gate.limit);
    this.#logger = this.#opts.logger;
  }

  /** The engine's options, defaults applied. */
  get options(): Readonly<EngineOptions> {
    return this.#opts;
  }

  async instantQuery(
    queryable: Queryable,
    query: string,
    timeMs: number,
    opts: QueryOptions = {},
  ): Promise<QueryResult> {
    const expr = parseQuery(query, this.#opts.enableExperimentalFunctions);
    return this.exec(queryable, query, expr, timeMs, timeMs, 0, opts);
  }

  async rangeQuery(
    queryable: Queryable,
    query: string,
    startMs: number,
    endMs: number,
    stepMs: number,
    opts: QueryOptions = {},
  ): Promise<QueryResult> {
    const expr = parseQuery(query, this.#opts.enableExperimentalFunctions);
    const t = typeOf(expr);
    if (t !== 'vector' && t !== 'scalar') {
      throw new InvalidQueryError(
        `invalid expression type "${documentedType(t)}" for range query, must be Scalar or instant Vector`,
      );
    }
    if (!(stepMs > 0)) {
      throw new InvalidQueryError(
        'zero or negative query resolution step widths are not accepted. Try a positive integer',
      );
    }
    return this.exec(queryable, query, expr, startMs, endMs, stepMs, opts);
  }

  /**
   * Evaluates an already parsed expression: an instant query when `stepMs` is 0 (then start must
   * equal end), else a range query. `query` is the text, for annotation positions. The
   * expression is prepared in place: pass a fresh tree per call.
   */
  async exec(
    queryable: Queryable,
    query: string,
    parsed: Expr,
    startMs: number,
    endMs: number,
    stepMs: number,
    opts: QueryOptions = {},
  ): Promise<QueryResult> {
    const m = this.#metrics;
    m.currentQueries.inc();
    const controller = new AbortController();
    const timeoutMs = Math.min(this.#opts.timeoutMs, opts.timeoutMs ?? Number.POSITIVE_INFINITY);
    const timer = setTimeout(() => controller.abort(TIMEOUT), timeoutMs);
    const onAbort = () => controller.abort(CANCELED);
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    const stats = new SampleStats();
    const execStart = performance.now();
    let release: (() => void) | undefined;
    try {
      try {
        release = await this.#gate.acquire(controller.signal);
      } catch {
        throw new QueueWaitError(controller.signal.reason === TIMEOUT);
      }
      const queued = performance.now();
      m.duration.observe({ slice: 'queue_time' }, seconds(queued - execStart));
      const lookbackDelta =
        opts.lookbackDeltaMs !== undefined && opts.lookbackDeltaMs > 0
          ? opts.lookbackDeltaMs
          : this.#opts.lookbackDeltaMs;
      const ctx = new QueryContext(
        queryable,
        controller.signal,
        this.#opts.maxSamples,
        lookbackDelta,
        this.#opts.noStepSubqueryIntervalMs === undefined
          ? () => DEFAULT_SUBQUERY_STEP_MS
          : () => this.#opts.noStepSubqueryIntervalMs as number,
        this.#opts.enableDelayedNameRemoval ?? false,
      );
      ctx.check('query execution');

      // Preparation: step invariants and @, then the series each selector reads.
      const expr = preprocessExpr(parsed, startMs, endMs);
      for (const r of selectorRanges(expr, startMs, endMs, lookbackDelta)) {
        await ctx.relax();
        try {
          // Unsorted, as upstream's engine selects: the head's creation order decides ties.
          ctx.series.set(
            r.selector,
            queryable.querier(r.start, r.end).select(r.selector.labelMatchers, { sorted: false }),
          );
        } catch (err) {
          throw new ExecutionError(`expanding series: ${(err as Error).message}`);
        }
      }
      setOffsetForAtModifier(startMs, expr);
      const prepared = performance.now();
      m.duration.observe({ slice: 'prepare_time' }, seconds(prepared - queued));

      const instant = stepMs === 0;
      const evaluator = new Evaluator(ctx, startMs, endMs, instant ? 1 : stepMs, 0, stats);
      const val = await evaluator.run(expr);
      const evaluated = performance.now();
      m.duration.observe({ slice: 'inner_eval' }, seconds(evaluated - prepared));

      let value: QueryValue;
      let sortTime = 0;
      if (!isMatrix(val)) value = { resultType: 'string', result: val };
      else if (instant) {
        const t = typeOf(parsed);
        if (t === 'vector') {
          // Every sample at the evaluation time, whatever its point's time.
          value = {
            resultType: 'vector',
            result: val.map((s) => ({ metric: s.metric, t: startMs, f: (s.floats[0] as { f: number }).f })),
          };
        } else if (t === 'scalar') {
          value = { resultType: 'scalar', result: { t: startMs, v: (val[0] as Series).floats[0]?.f ?? Number.NaN } };
        } else {
          const sortStart = performance.now();
          value = { resultType: 'matrix', result: sortMatrix(val) };
          sortTime = performance.now() - sortStart;
        }
      } else {
        ctx.check('expression evaluation');
        const sortStart = performance.now();
        value = { resultType: 'matrix', result: sortMatrix(val) };
        sortTime = performance.now() - sortStart;
      }
      m.duration.observe({ slice: 'result_sort' }, seconds(sortTime));
      const { warnings, infos } = ctx.annotations.asStrings(query);
      const queryStats: QueryStats = {
        timings: {
          evalTotalTime: seconds(performance.now() - queued),
          resultSortTime: seconds(sortTime),
          queryPreparationTime: seconds(prepared - queued),
          innerEvalTime: seconds(evaluated - prepared),
          execQueueTime: seconds(queued - execStart),
          execTotalTime: seconds(performance.now() - execStart),
        },
        samples: { totalQueryableSamples: stats.totalSamples, peakSamples: stats.peakSamples },
      };
      return { value, warnings, infos, stats: queryStats };
    } catch (err) {
      if (err instanceof QueryError) throw err;
      this.#logger?.error({ err, query }, 'runtime error during query evaluation');
      throw new ExecutionError(`unexpected error: ${(err as Error).message}`);
    } finally {
      release?.();
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      m.currentQueries.dec();
      m.querySamples.inc(stats.totalSamples);
    }
  }
}

/** The series as upstream's Matrix sorts them (by labels), with only their labels and points. */
function sortMatrix(mat: Matrix): Series[] {
  return mat.map((s) => ({ metric: s.metric, floats: s.floats })).sort((a, b) => compareLabels(a.metric, b.metric));
}
