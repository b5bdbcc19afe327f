/**
 * src/promql: PromQL as Prometheus 3.5 has it. The parser (upstream's grammar from
 * @prometheus-io/lezer-promql, then upstream's checks), the engine, and the value types. It sees
 * storage only through `Queryable`/`Querier` (src/storage/types.ts).
 */
export type * from './ast.js';
export { childrenOf, positionOf, typeOf } from './ast.js';
export type * from './engine-types.js';
export { DEFAULT_ENGINE_OPTIONS, PromQLEngine } from './engine.js';
export {
  type ErrorType,
  ExecutionError,
  formatParseError,
  InvalidQueryError,
  ParseError,
  type ParseErrorDetail,
  QueryCanceledError,
  QueryError,
  QueryTimeoutError,
  QueueWaitError,
  StorageError,
  TooManySamplesError,
} from './errors.js';
export {
  documentedType,
  exprToString,
  FUNCTIONS,
  formatFloat,
  matcherString,
  type ParseOptions,
  parseExpr,
  parseMetricSelector,
  prettify,
  translateAST,
} from './parser/index.js';
export {
  parseSeriesDesc,
  type SequenceValue,
  type SeriesDescription,
  SeriesNotationError,
} from './series-notation.js';
export type * from './value.js';
/** Upstream's labels.Hash(): the rule manager places each group's evaluations by it, as upstream. */
export { labelsHash } from './xxhash.js';
