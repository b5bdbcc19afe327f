/**
 * src/promql: PromQL as Prometheus 3.5 has it. The parser (upstream's grammar from
 * @prometheus-io/lezer-promql, then upstream's checks), the engine, and the value types. It sees
 * storage only through `Queryable`/`Querier` (src/storage/types.ts).
 */
export type * from './ast.js';
export { childrenOf, positionOf, typeOf } from './ast.js';
export type * from './engine-types.js';
export {
  type ErrorType,
  ExecutionError,
  formatParseError,
  ParseError,
  type ParseErrorDetail,
  QueryCanceledError,
  QueryError,
  QueryTimeoutError,
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
export type * from './value.js';
