/**
 * The query engine's surface, as the web API, the rule manager (later) and promtool see it
 * (upstream's promql.QueryEngine). The engine itself is engine.ts.
 */
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { Queryable } from '../storage/index.js';
import type { QueryValue } from './value.js';

export interface EngineOptions {
  logger?: Logger;
  /** --query.lookback-delta (ms): how far back an instant selector looks for a sample; 5m. */
  lookbackDeltaMs: number;
  /** --query.timeout (ms): a query running longer fails with `query timed out in …`; 2m. */
  timeoutMs: number;
  /** --query.max-samples: samples a query may hold in memory at once; 50000000. */
  maxSamples: number;
  /** --query.max-concurrency: queries evaluated at once; the rest wait for a slot; 20. */
  maxConcurrency: number;
  /** --enable-feature=promql-experimental-functions: experimental functions and aggregations. */
  enableExperimentalFunctions: boolean;
  /** Where prometheus_engine_* metrics go, if anywhere. */
  registry?: Registry;
  /**
   * The step of a subquery written without one (`[5m:]`), in ms: upstream's
   * NoStepSubqueryIntervalFn, which Prometheus sets to the global evaluation interval; 1m.
   */
  noStepSubqueryIntervalMs?: number;
  /**
   * --enable-feature=promql-delayed-name-removal: `__name__` is dropped at the end of evaluation
   * rather than by each function and operator. Off by default, as in 3.5.
   */
  enableDelayedNameRemoval?: boolean;
}

export interface QueryOptions {
  /** Overrides the engine's lookback delta for this query (the API's `lookback_delta`). */
  lookbackDeltaMs?: number;
  /** Overrides (lowers) the engine's timeout for this query (the API's `timeout`). */
  timeoutMs?: number;
  /** Aborting it cancels the query (`query was canceled in …`): the client went away. */
  signal?: AbortSignal;
}

/** Upstream's query stats (`stats=all` in the API), the parts miniprom measures; timings in seconds. */
export interface QueryStats {
  timings: {
    evalTotalTime: number;
    resultSortTime: number;
    queryPreparationTime: number;
    innerEvalTime: number;
    execQueueTime: number;
    execTotalTime: number;
  };
  samples: { totalQueryableSamples: number; peakSamples: number };
}

export interface QueryResult {
  value: QueryValue;
  /** Upstream's annotations: warnings (`PromQL warning: …`) and infos (`PromQL info: …`). */
  warnings: string[];
  infos: string[];
  stats: QueryStats;
}

/**
 * Evaluates PromQL. Every method rejects with a `QueryError` (src/promql/errors.ts): a ParseError
 * for a query that does not parse or check, a timeout, a cancellation, or an execution error.
 * A query yields to the event loop as it works: a heavy one never stalls the server.
 */
export interface QueryEngine {
  /** Evaluates `query` at `timeMs`. */
  instantQuery(queryable: Queryable, query: string, timeMs: number, opts?: QueryOptions): Promise<QueryResult>;
  /** Evaluates `query` at every step from `startMs` to `endMs` inclusive; the result is a matrix (or an error). */
  rangeQuery(
    queryable: Queryable,
    query: string,
    startMs: number,
    endMs: number,
    stepMs: number,
    opts?: QueryOptions,
  ): Promise<QueryResult>;
}
