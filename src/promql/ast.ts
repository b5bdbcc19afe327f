/**
 * The PromQL syntax tree: upstream's parser/ast.go, one interface per node, discriminated by
 * `type`. The parser (parser.ts) builds it from @prometheus-io/lezer-promql's tree and checks it as
 * upstream's checkAST does; the engine evaluates it; the printer turns it back into text.
 *
 * Times and durations are milliseconds (upstream: time.Duration and int64 ms). Positions are
 * offsets into the query string, as upstream's posrange (0-based, end exclusive); error messages
 * print them as `line:column`.
 */
import type { Matcher } from '../storage/index.js';

/** The type an expression evaluates to (upstream's ValueType names). */
export type ValueType = 'none' | 'vector' | 'scalar' | 'matrix' | 'string';

export interface PositionRange {
  start: number;
  end: number;
}

export type AggregateOp =
  | 'sum'
  | 'avg'
  | 'count'
  | 'min'
  | 'max'
  | 'group'
  | 'stddev'
  | 'stdvar'
  | 'topk'
  | 'bottomk'
  | 'count_values'
  | 'quantile'
  | 'limitk'
  | 'limit_ratio';

/** Binary operators, in upstream's spelling. */
export type BinaryOp =
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '^'
  | 'atan2'
  | '=='
  | '!='
  | '>'
  | '<'
  | '>='
  | '<='
  | 'and'
  | 'or'
  | 'unless';

export type Expr =
  | AggregateExpr
  | BinaryExpr
  | Call
  | MatrixSelector
  | SubqueryExpr
  | NumberLiteral
  | StringLiteral
  | ParenExpr
  | UnaryExpr
  | VectorSelector
  | StepInvariantExpr;

export interface AggregateExpr {
  type: 'AggregateExpr';
  op: AggregateOp;
  /** The vector aggregated over. */
  expr: Expr;
  /** The parameter of topk, bottomk, quantile, count_values, limitk, limit_ratio; else null. */
  param: Expr | null;
  /** Labels to group by (or drop, with `without`), as written. */
  grouping: string[];
  without: boolean;
  posRange: PositionRange;
}

export type Cardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';

/** How two vectors' elements are paired (upstream's VectorMatching). */
export interface VectorMatching {
  card: Cardinality;
  /** The labels of `on(…)`, or of `ignoring(…)` when `on` is false. */
  matchingLabels: string[];
  /** Whether `on(…)` was used (as opposed to `ignoring(…)` or nothing). */
  on: boolean;
  /** The extra labels of `group_left(…)`/`group_right(…)`, copied from the "one" side. */
  include: string[];
}

export interface BinaryExpr {
  type: 'BinaryExpr';
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  /** Set when both sides are vectors (and for set operators, always many-to-many); else null. */
  matching: VectorMatching | null;
  /** `bool` on a comparison: return 0/1 instead of filtering. */
  returnBool: boolean;
}

/** A function of upstream's table (parser/functions.go). */
export interface FunctionDef {
  name: string;
  argTypes: ValueType[];
  /** 0: exactly argTypes; n > 0: up to n optional trailing arguments; -1: any number of the last type. */
  variadic: number;
  returnType: ValueType;
  /** Behind --enable-feature=promql-experimental-functions. */
  experimental: boolean;
}

export interface Call {
  type: 'Call';
  func: FunctionDef;
  args: Expr[];
  posRange: PositionRange;
}

/** `@ start()` / `@ end()`: resolved by the engine to the query's start or end. */
export type AtPreprocessor = 'start' | 'end' | null;

export interface VectorSelector {
  type: 'VectorSelector';
  /** The metric name, when written before the braces; '' otherwise. */
  name: string;
  /** Every matcher, the name's `__name__="…"` included. */
  labelMatchers: Matcher[];
  /** The offset as written (may be negative). */
  originalOffset: number;
  /** The offset the engine uses: set by the engine's preprocessing from `originalOffset` and `@`. */
  offset: number;
  /** `@ <timestamp>` in ms, or null. */
  timestamp: number | null;
  startOrEnd: AtPreprocessor;
  posRange: PositionRange;
}

export interface MatrixSelector {
  type: 'MatrixSelector';
  vectorSelector: VectorSelector;
  /** The range in ms. */
  range: number;
  /** Where the closing `]` (or the modifiers after it) ends. */
  endPos: number;
}

export interface SubqueryExpr {
  type: 'SubqueryExpr';
  expr: Expr;
  range: number;
  originalOffset: number;
  offset: number;
  timestamp: number | null;
  startOrEnd: AtPreprocessor;
  /** The resolution in ms; 0 when omitted (the engine then uses the global evaluation interval). */
  step: number;
  endPos: number;
}

export interface NumberLiteral {
  type: 'NumberLiteral';
  val: number;
  /** Written as a duration (`5m`): printed back as one. */
  duration: boolean;
  posRange: PositionRange;
}

export interface StringLiteral {
  type: 'StringLiteral';
  val: string;
  posRange: PositionRange;
}

export interface ParenExpr {
  type: 'ParenExpr';
  expr: Expr;
  posRange: PositionRange;
}

export interface UnaryExpr {
  type: 'UnaryExpr';
  op: '+' | '-';
  expr: Expr;
  startPos: number;
}

/**
 * Marks a subtree whose value is the same at every step (upstream's StepInvariantExpr). The parser
 * never produces it; the engine's preprocessing wraps such subtrees so they are evaluated once.
 */
export interface StepInvariantExpr {
  type: 'StepInvariantExpr';
  expr: Expr;
}

/** The type `expr` evaluates to (upstream's Expr.Type()). */
export function typeOf(expr: Expr): ValueType {
  switch (expr.type) {
    case 'AggregateExpr':
    case 'VectorSelector':
      return 'vector';
    case 'Call':
      return expr.func.returnType;
    case 'MatrixSelector':
    case 'SubqueryExpr':
      return 'matrix';
    case 'NumberLiteral':
      return 'scalar';
    case 'StringLiteral':
      return 'string';
    case 'ParenExpr':
    case 'UnaryExpr':
    case 'StepInvariantExpr':
      return typeOf(expr.expr);
    case 'BinaryExpr':
      return typeOf(expr.lhs) === 'scalar' && typeOf(expr.rhs) === 'scalar' ? 'scalar' : 'vector';
  }
}

/** The expression's position range (upstream's Node.PositionRange()). */
export function positionOf(expr: Expr): PositionRange {
  switch (expr.type) {
    case 'MatrixSelector':
      return { start: expr.vectorSelector.posRange.start, end: expr.endPos };
    case 'SubqueryExpr':
      return { start: positionOf(expr.expr).start, end: expr.endPos };
    case 'UnaryExpr':
      return { start: expr.startPos, end: positionOf(expr.expr).end };
    case 'StepInvariantExpr':
      return positionOf(expr.expr);
    case 'BinaryExpr':
      return { start: positionOf(expr.lhs).start, end: positionOf(expr.rhs).end };
    default:
      return expr.posRange;
  }
}

/** The children of a node, in order (upstream's Children()). */
export function childrenOf(expr: Expr): Expr[] {
  switch (expr.type) {
    case 'AggregateExpr':
      return expr.param ? [expr.param, expr.expr] : [expr.expr];
    case 'BinaryExpr':
      return [expr.lhs, expr.rhs];
    case 'Call':
      return expr.args;
    case 'MatrixSelector':
      return [expr.vectorSelector];
    case 'SubqueryExpr':
    case 'ParenExpr':
    case 'UnaryExpr':
    case 'StepInvariantExpr':
      return [expr.expr];
    default:
      return [];
  }
}
