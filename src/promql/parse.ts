/**
 * The engine's one dependency on the parser (src/promql/parser), kept in one place.
 */
import type { Expr } from './ast.js';

/** Parses `query`, experimental functions allowed when enabled; throws ParseError. */
export function parseQuery(_query: string, _experimentalFunctions: boolean): Expr {
  throw new Error('the PromQL parser has not landed yet');
}
