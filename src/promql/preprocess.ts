/**
 * What the engine does to a parsed expression before evaluating it (upstream's PreprocessExpr,
 * setOffsetForAtModifier, FindMinMaxTime and getTimeRangesForSelector): resolve `@ start()` and
 * `@ end()`, wrap step-invariant subtrees so they are evaluated once, turn `@` into offsets, and
 * work out the time range each selector reads.
 */
import { childrenOf, type Expr, type SubqueryExpr, type VectorSelector } from './ast.js';
import { AT_MODIFIER_UNSAFE_FUNCTIONS } from './functions/index.js';

/** Visits every node depth-first with the path of its ancestors (upstream's parser.Inspect). */
export function inspect(expr: Expr, fn: (node: Expr, path: Expr[]) => void, path: Expr[] = []): void {
  fn(expr, path);
  const next = [...path, expr];
  for (const child of childrenOf(expr)) inspect(child, fn, next);
}

/** Resolves `@ start()`/`@ end()` and wraps step-invariant parts (upstream's PreprocessExpr). */
export function preprocessExpr(expr: Expr, start: number, end: number): Expr {
  return preprocessHelper(expr, start, end) ? stepInvariant(expr) : expr;
}

function stepInvariant(expr: Expr): Expr {
  return { type: 'StepInvariantExpr', expr };
}

function resolveAt(n: VectorSelector | SubqueryExpr, start: number, end: number): void {
  if (n.startOrEnd === 'start') n.timestamp = start;
  else if (n.startOrEnd === 'end') n.timestamp = end;
}

/** Whether `expr` is step invariant; wraps its invariant children when it is not. */
function preprocessHelper(expr: Expr, start: number, end: number): boolean {
  switch (expr.type) {
    case 'VectorSelector':
      resolveAt(expr, start, end);
      return expr.timestamp !== null;
    case 'AggregateExpr':
      return preprocessHelper(expr.expr, start, end);
    case 'BinaryExpr': {
      const l = preprocessHelper(expr.lhs, start, end);
      const r = preprocessHelper(expr.rhs, start, end);
      if (l && r) return true;
      if (l) expr.lhs = stepInvariant(expr.lhs);
      if (r) expr.rhs = stepInvariant(expr.rhs);
      return false;
    }
    case 'Call': {
      let invariant = !AT_MODIFIER_UNSAFE_FUNCTIONS.has(expr.func.name);
      const argInvariant = expr.args.map((a) => preprocessHelper(a, start, end));
      for (const a of argInvariant) invariant &&= a;
      if (invariant) return true;
      expr.args = expr.args.map((a, i) => (argInvariant[i] ? stepInvariant(a) : a));
      return false;
    }
    case 'MatrixSelector':
      return preprocessHelper(expr.vectorSelector, start, end);
    case 'SubqueryExpr': {
      // The inside is wrapped whether or not the subquery has @, so that it is evaluated once
      // relative to the subquery's start.
      if (preprocessHelper(expr.expr, start, end)) expr.expr = stepInvariant(expr.expr);
      resolveAt(expr, start, end);
      return expr.timestamp !== null;
    }
    case 'ParenExpr':
    case 'UnaryExpr':
      return preprocessHelper(expr.expr, start, end);
    case 'StringLiteral':
    case 'NumberLiteral':
      return true;
    case 'StepInvariantExpr':
      return true;
  }
}

/** The sum of the offsets and ranges of the subqueries on the path, reset by @ (upstream's subqueryTimes). */
export function subqueryTimes(path: Expr[]): { offset: number; range: number; ts: number | null } {
  let offset = 0;
  let range = 0;
  let ts: number | null = null;
  for (const node of path) {
    if (node.type !== 'SubqueryExpr') continue;
    offset += node.originalOffset;
    range += node.range;
    if (node.timestamp !== null) {
      offset = node.originalOffset;
      range = node.range;
      ts = node.timestamp;
    }
  }
  return { offset, range, ts };
}

/** Sets every selector's and subquery's offset, turning `@` into an offset from `evalTime`. */
export function setOffsetForAtModifier(evalTime: number, expr: Expr): void {
  const getOffset = (ts: number | null, originalOffset: number, path: Expr[]): number => {
    if (ts === null) return originalOffset;
    const sq = subqueryTimes(path);
    let subqOffset = sq.offset;
    if (sq.ts !== null) subqOffset += evalTime - sq.ts;
    return originalOffset + (evalTime - ts - subqOffset);
  };
  inspect(expr, (n, path) => {
    if (n.type === 'VectorSelector') n.offset = getOffset(n.timestamp, n.originalOffset, path);
    else if (n.type === 'MatrixSelector') {
      const vs = n.vectorSelector;
      vs.offset = getOffset(vs.timestamp, vs.originalOffset, path);
    } else if (n.type === 'SubqueryExpr') n.offset = getOffset(n.timestamp, n.originalOffset, path);
  });
}

/** A selector with the time range [start, end] it reads (ms, inclusive). */
export interface SelectorRange {
  selector: VectorSelector;
  start: number;
  end: number;
}

/**
 * The range each selector of the statement reads, with lookback or range, offsets, @ and the
 * subqueries around it (upstream's populateSeries and getTimeRangesForSelector).
 */
export function selectorRanges(expr: Expr, start: number, end: number, lookbackDelta: number): SelectorRange[] {
  const out: SelectorRange[] = [];
  let evalRange = 0;
  inspect(expr, (n, path) => {
    if (n.type === 'MatrixSelector') {
      evalRange = n.range;
      return;
    }
    if (n.type !== 'VectorSelector') return;
    let s = start;
    let e = end;
    const sq = subqueryTimes(path);
    if (sq.ts !== null) {
      s = sq.ts;
      e = sq.ts;
    }
    if (n.timestamp !== null) {
      s = n.timestamp;
      e = n.timestamp;
    } else {
      s = s - sq.offset - sq.range;
      e -= sq.offset;
    }
    // One less than the lookback or range: the window is left-open.
    if (evalRange === 0) s -= lookbackDelta - 1;
    else s -= evalRange - 1;
    s -= n.originalOffset;
    e -= n.originalOffset;
    evalRange = 0;
    out.push({ selector: n, start: s, end: e });
  });
  return out;
}
