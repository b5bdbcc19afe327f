/**
 * Hand-built syntax trees for engine tests that do not go through the parser (as upstream's
 * engine tests build parser nodes). Positions are 0: these trees have no query text.
 */
import type {
  AggregateExpr,
  AggregateOp,
  BinaryExpr,
  BinaryOp,
  Call,
  Expr,
  FunctionDef,
  MatrixSelector,
  NumberLiteral,
  SubqueryExpr,
  ValueType,
  VectorSelector,
} from '../../src/promql/index.js';
import type { Matcher } from '../../src/storage/index.js';

const POS = { start: 0, end: 0 };

export function sel(name: string, opts: { matchers?: Matcher[]; offset?: number; at?: number } = {}): VectorSelector {
  return {
    type: 'VectorSelector',
    name,
    labelMatchers: [...(name ? [{ type: '=' as const, name: '__name__', value: name }] : []), ...(opts.matchers ?? [])],
    originalOffset: opts.offset ?? 0,
    offset: 0,
    timestamp: opts.at ?? null,
    startOrEnd: null,
    posRange: POS,
  };
}

export function range(vs: VectorSelector, rangeMs: number): MatrixSelector {
  return { type: 'MatrixSelector', vectorSelector: vs, range: rangeMs, endPos: 0 };
}

export function subquery(expr: Expr, rangeMs: number, stepMs = 0, offset = 0): SubqueryExpr {
  return {
    type: 'SubqueryExpr',
    expr,
    range: rangeMs,
    originalOffset: offset,
    offset: 0,
    timestamp: null,
    startOrEnd: null,
    step: stepMs,
    endPos: 0,
  };
}

export function num(val: number): NumberLiteral {
  return { type: 'NumberLiteral', val, duration: false, posRange: POS };
}

const FUNCS: Record<string, [ValueType[], ValueType, number?]> = {
  rate: [['matrix'], 'vector'],
  sum_over_time: [['matrix'], 'vector'],
  count_over_time: [['matrix'], 'vector'],
  time: [[], 'scalar'],
  vector: [['scalar'], 'vector'],
  abs: [['vector'], 'vector'],
};

export function call(name: string, ...args: Expr[]): Call {
  const [argTypes, returnType, variadic] = FUNCS[name] ?? [[], 'vector'];
  const func: FunctionDef = { name, argTypes, returnType, variadic: variadic ?? 0, experimental: false };
  return { type: 'Call', func, args, posRange: POS };
}

export function agg(
  op: AggregateOp,
  expr: Expr,
  opts: { by?: string[]; without?: string[]; param?: Expr } = {},
): AggregateExpr {
  return {
    type: 'AggregateExpr',
    op,
    expr,
    param: opts.param ?? null,
    grouping: opts.by ?? opts.without ?? [],
    without: !!opts.without,
    posRange: POS,
  };
}

export function bin(op: BinaryOp, lhs: Expr, rhs: Expr, opts: { bool?: boolean; on?: string[] } = {}): BinaryExpr {
  const vectors = lhs.type !== 'NumberLiteral' && rhs.type !== 'NumberLiteral';
  const setOp = op === 'and' || op === 'or' || op === 'unless';
  return {
    type: 'BinaryExpr',
    op,
    lhs,
    rhs,
    matching: vectors
      ? { card: setOp ? 'many-to-many' : 'one-to-one', matchingLabels: opts.on ?? [], on: !!opts.on, include: [] }
      : null,
    returnBool: !!opts.bool,
  };
}
