/**
 * The engine's one dependency on the parser (src/promql/parser), kept in one place.
 */
import type { Expr } from './ast.js';
import { parseExpr } from './parser/index.js';

/** Parses `query`, experimental functions allowed when enabled; throws ParseError. */
export function parseQuery(query: string, experimentalFunctions: boolean): Expr {
  return parseExpr(query, { experimentalFunctions });
}
