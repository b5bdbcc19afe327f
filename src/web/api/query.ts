/**
 * The query endpoints, as upstream's web/api/v1: /api/v1/query, /api/v1/query_range,
 * /api/v1/format_query, /api/v1/parse_query (with translate_ast.go's tree) and
 * /api/v1/query_exemplars (validated as upstream; miniprom keeps no exemplars, so the answer is
 * always empty, as upstream's is without --enable-feature=exemplar-storage).
 */
import {
  childrenOf,
  type Expr,
  type QueryEngine,
  QueryError,
  type QueryOptions,
  QueueWaitError,
  type QueryResult,
  type QueryStats,
} from '../../promql/index.js';
import type { Matcher, Queryable } from '../../storage/index.js';
import type { ApiHandler } from './http.js';
import { formatFloatF, GoMap } from './json.js';
import type { GoForm } from './go.js';
import { MAX_TIME_MS, MIN_TIME_MS, nanosToMs, parseDuration, parseLimit, parseTime, parseTimeParam } from './params.js';
import { ApiError, type ApiResult, encodeQueryData } from './response.js';
import { type PromQLParser, StorageNotReadyError } from './types.js';

/** Upstream's limit on points per series of a range query. */
const MAX_POINTS = 11_000n;

export interface QueryApiDeps {
  engine?: QueryEngine;
  parser?: PromQLParser;
  queryable: Queryable;
  now: () => number;
}

/** `invalid parameter "<name>": <err>` (upstream's invalidParamError), a bad_data. */
export function invalidParam(name: string, message: string): ApiResult {
  return { error: new ApiError('bad_data', `invalid parameter "${name}": ${message}`) };
}

function badData(message: string): ApiResult {
  return { error: new ApiError('bad_data', message) };
}

/**
 * A failed query as upstream reports it: what failed while making the query (parsing, the range
 * query's type check) is an invalid `query` parameter; what failed running it is returnAPIError's
 * mapping (timeout, canceled, internal for storage, execution for the rest); storage that is not
 * open yet is `unavailable`.
 */
export function queryFailure(err: unknown): ApiResult {
  if (isNotReady(err)) return { error: new ApiError('unavailable', (err as Error).message) };
  // Waiting for a slot ended by the query's own deadline or cancellation happens, upstream, while
  // the query is made (NewInstantQuery): its bare context error is an invalid query parameter.
  if (err instanceof QueueWaitError) return invalidParam('query', err.message);
  if (err instanceof QueryError) {
    if (err.errorType === 'bad_data') return invalidParam('query', err.message);
    return { error: new ApiError(err.errorType, err.message) };
  }
  return { error: new ApiError('execution', (err as Error)?.message ?? String(err)) };
}

function isNotReady(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) if (e instanceof StorageNotReadyError) return true;
  return false;
}

/** The options both query endpoints read: `timeout` and `lookback_delta`; or the error answer. */
function queryOptions(form: GoForm, signal: AbortSignal): { opts: QueryOptions } | { failed: ApiResult } {
  const opts: QueryOptions = { signal };
  const timeout = form.get('timeout');
  if (timeout !== '') {
    const d = parseDuration(timeout);
    if ('error' in d) return { failed: invalidParam('timeout', d.error) };
    opts.timeoutMs = nanosToMs(d.value);
  }
  const lookback = form.get('lookback_delta');
  if (lookback !== '') {
    const d = parseDuration(lookback);
    if ('error' in d) return { failed: badData(`error parsing lookback delta duration: ${d.error}`) };
    // Zero or less is "not set": the engine's own --query.lookback-delta applies.
    if (d.value > 0n) opts.lookbackDeltaMs = nanosToMs(d.value);
  }
  return { opts };
}

/** The answer to a query that ran: truncated to `limit` (with upstream's warning), stats if asked for. */
function queryAnswer(result: QueryResult, limit: number, statsParam: string): ApiResult {
  let value = result.value;
  const warnings = [...result.warnings];
  if (limit > 0 && (value.resultType === 'vector' || value.resultType === 'matrix') && value.result.length > limit) {
    value =
      value.resultType === 'vector'
        ? { resultType: 'vector', result: value.result.slice(0, limit) }
        : { resultType: 'matrix', result: value.result.slice(0, limit) };
    warnings.push('results truncated due to limit');
  }
  const stats = statsParam !== '' ? renderStats(result.stats) : undefined;
  return { data: encodeQueryData(value, stats), warnings, infos: result.infos };
}

/** stats.NewQueryStats: timings in seconds, then the sample counts. */
function renderStats(stats: QueryStats) {
  const t = stats.timings;
  // Upstream's timings are whole nanoseconds in seconds; ours are differences of fractional ms.
  const s = (seconds: number) => Math.round(seconds * 1e9) / 1e9;
  return {
    timings: {
      evalTotalTime: s(t.evalTotalTime),
      resultSortTime: s(t.resultSortTime),
      queryPreparationTime: s(t.queryPreparationTime),
      innerEvalTime: s(t.innerEvalTime),
      execQueueTime: s(t.execQueueTime),
      execTotalTime: s(t.execTotalTime),
    },
    samples: { totalQueryableSamples: stats.samples.totalQueryableSamples, peakSamples: stats.samples.peakSamples },
  };
}

function engineOf(deps: QueryApiDeps): QueryEngine {
  // Only agent mode has no engine, and there every query route answers before reaching here.
  if (!deps.engine) throw new Error('no query engine');
  return deps.engine;
}

function parserOf(deps: QueryApiDeps): PromQLParser {
  if (!deps.parser) throw new Error('no PromQL parser');
  return deps.parser;
}

/** GET/POST /api/v1/query. */
export function instantQuery(deps: QueryApiDeps): ApiHandler {
  return async ({ form, signal }) => {
    const limit = parseLimit(form.get('limit'));
    if ('error' in limit) return invalidParam('limit', limit.error);
    const time = parseTimeParam(form, 'time', deps.now());
    if ('error' in time) return invalidParam('time', time.error);
    const options = queryOptions(form, signal);
    if ('failed' in options) return options.failed;
    try {
      const result = await engineOf(deps).instantQuery(deps.queryable, form.get('query'), time.value, options.opts);
      return queryAnswer(result, limit.value, form.get('stats'));
    } catch (err) {
      return queryFailure(err);
    }
  };
}

/** GET/POST /api/v1/query_range. */
export function rangeQuery(deps: QueryApiDeps): ApiHandler {
  return async ({ form, signal }) => {
    const limit = parseLimit(form.get('limit'));
    if ('error' in limit) return invalidParam('limit', limit.error);
    const start = parseTime(form.get('start'));
    if ('error' in start) return invalidParam('start', start.error);
    const end = parseTime(form.get('end'));
    if ('error' in end) return invalidParam('end', end.error);
    if (end.value < start.value) return invalidParam('end', 'end timestamp must not be before start time');
    const step = parseDuration(form.get('step'));
    if ('error' in step) return invalidParam('step', step.error);
    if (step.value <= 0n) {
      return invalidParam(
        'step',
        'zero or negative query resolution step widths are not accepted. Try a positive integer',
      );
    }
    // For safety, upstream limits the points per series: 60s resolution for a week, 1h for a year.
    if (rangeNanos(start.value, end.value) / step.value > MAX_POINTS) {
      return badData(
        'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
      );
    }
    const options = queryOptions(form, signal);
    if ('failed' in options) return options.failed;
    const stepMs = nanosToMs(step.value);
    if (stepMs === 0) {
      // A step under a millisecond passes the checks above, and upstream's evaluator, whose step
      // is whole milliseconds, then divides by zero; its recovered panic is the answer.
      return { error: new ApiError('execution', 'unexpected error: runtime error: integer divide by zero') };
    }
    try {
      const result = await engineOf(deps).rangeQuery(
        deps.queryable,
        form.get('query'),
        start.value,
        end.value,
        stepMs,
        options.opts,
      );
      return queryAnswer(result, limit.value, form.get('stats'));
    } catch (err) {
      return queryFailure(err);
    }
  };
}

/** end.Sub(start) in nanoseconds, saturating at int64's bounds as Go's Time.Sub does. */
function rangeNanos(startMs: number, endMs: number): bigint {
  const nanos = BigInt(Math.round(endMs - startMs)) * 1_000_000n;
  const max = 2n ** 63n - 1n;
  return nanos > max ? max : nanos;
}

/** GET/POST /api/v1/format_query: the query, pretty-printed. */
export function formatQuery(deps: QueryApiDeps): ApiHandler {
  return ({ form }) => {
    try {
      const parser = parserOf(deps);
      return { data: parser.prettify(parser.parseExpr(form.get('query'))) };
    } catch (err) {
      return invalidParam('query', (err as Error).message);
    }
  };
}

/** GET/POST /api/v1/parse_query: the syntax tree, as upstream's translateAST builds it for the UI. */
export function parseQuery(deps: QueryApiDeps): ApiHandler {
  return ({ form }) => {
    let expr: Expr;
    try {
      expr = parserOf(deps).parseExpr(form.get('query'));
    } catch (err) {
      return invalidParam('query', (err as Error).message);
    }
    return { data: translateAST(expr) };
  };
}

/**
 * GET/POST /api/v1/query_exemplars: the range and the query are checked as upstream checks them;
 * a query without selectors answers 204; otherwise the (always empty) exemplars.
 */
export function queryExemplars(deps: QueryApiDeps): ApiHandler {
  return ({ form }) => {
    const start = parseTimeParam(form, 'start', MIN_TIME_MS);
    if ('error' in start) return invalidParam('start', start.error);
    const end = parseTimeParam(form, 'end', MAX_TIME_MS);
    if ('error' in end) return invalidParam('end', end.error);
    if (end.value < start.value) return badData('end timestamp must not be before start timestamp');
    let expr: Expr;
    try {
      expr = parserOf(deps).parseExpr(form.get('query'));
    } catch (err) {
      return badData((err as Error).message);
    }
    if (extractSelectors(expr).length === 0) return {};
    // Exemplar storage is upstream's experimental feature, off by default; miniprom has none.
    return { data: [] };
  };
}

/** parser.ExtractSelectors: the matchers of every vector selector, in tree order. */
export function extractSelectors(expr: Expr): Matcher[][] {
  const out: Matcher[][] = [];
  const walk = (node: Expr) => {
    if (node.type === 'VectorSelector') out.push(node.labelMatchers);
    for (const child of childrenOf(node)) walk(child);
  };
  walk(expr);
  return out;
}

/** A Go map literal: its keys are written sorted. */
const map = (fields: Record<string, unknown>) => new GoMap(Object.entries(fields));

/** upstream's translateAST (web/api/v1/translate_ast.go). */
export function translateAST(node: Expr): unknown {
  switch (node.type) {
    case 'AggregateExpr':
      return map({
        type: 'aggregation',
        op: node.op,
        expr: translateAST(node.expr),
        param: node.param ? translateAST(node.param) : null,
        grouping: node.grouping,
        without: node.without,
      });
    case 'BinaryExpr':
      return map({
        type: 'binaryExpr',
        op: node.op,
        lhs: translateAST(node.lhs),
        rhs: translateAST(node.rhs),
        matching: node.matching
          ? map({
              card: node.matching.card,
              labels: node.matching.matchingLabels,
              on: node.matching.on,
              include: node.matching.include,
            })
          : null,
        bool: node.returnBool,
      });
    case 'Call':
      return map({
        type: 'call',
        func: map({
          name: node.func.name,
          argTypes: node.func.argTypes,
          variadic: node.func.variadic,
          returnType: node.func.returnType,
        }),
        args: node.args.map(translateAST),
      });
    case 'MatrixSelector': {
      const vs = node.vectorSelector;
      return map({
        type: 'matrixSelector',
        name: vs.name,
        range: node.range,
        offset: vs.originalOffset,
        matchers: translateMatchers(vs.labelMatchers),
        timestamp: vs.timestamp,
        startOrEnd: vs.startOrEnd,
      });
    }
    case 'SubqueryExpr':
      return map({
        type: 'subquery',
        expr: translateAST(node.expr),
        range: node.range,
        offset: node.originalOffset,
        step: node.step,
        timestamp: node.timestamp,
        startOrEnd: node.startOrEnd,
      });
    case 'NumberLiteral':
      return map({ type: 'numberLiteral', val: formatFloatF(node.val) });
    case 'ParenExpr':
      return map({ type: 'parenExpr', expr: translateAST(node.expr) });
    case 'StringLiteral':
      return map({ type: 'stringLiteral', val: node.val });
    case 'UnaryExpr':
      return map({ type: 'unaryExpr', op: node.op, expr: translateAST(node.expr) });
    case 'VectorSelector':
      return map({
        type: 'vectorSelector',
        name: node.name,
        offset: node.originalOffset,
        matchers: translateMatchers(node.labelMatchers),
        timestamp: node.timestamp,
        startOrEnd: node.startOrEnd,
      });
    case 'StepInvariantExpr':
      // Upstream panics here: the parser never makes this node, only the engine's preprocessing.
      throw new Error('unsupported node type');
  }
}

function translateMatchers(matchers: readonly Matcher[]) {
  return matchers.map((m) => map({ name: m.name, value: m.value, type: m.type }));
}
