/**
 * Binary operators (upstream's VectorBinop, VectorscalarBinop, scalarBinop and the set
 * operators): vector matching by signature, one-to-one and group_left/group_right with their
 * errors, and where the metric name is dropped (arithmetic, and `bool` comparisons).
 */
import type { Labels } from '../storage/index.js';
import type { Annotations } from './annotations.js';
import type { BinaryOp, PositionRange, VectorMatching } from './ast.js';
import { ExecutionError } from './errors.js';
import type { Evaluator } from './evaluator.js';
import {
  deleteLabels,
  dropMetadata,
  keepLabels,
  keyWithLabels,
  keyWithoutLabels,
  labelsKey,
  labelsToString,
  matchLabels,
  METRIC_NAME,
  setLabel,
} from './labels.js';
import type { Sample, Vector } from './value.js';

/** What a binary operator node shares across its steps. */
export interface BinopContext {
  ev: Evaluator;
  pos: PositionRange;
  annos: Annotations;
  /**
   * Result labels by the pair of input label sets, across the node's steps (upstream's
   * enh.resultMetric). Keyed by identity: a series keeps its label set object from step to step.
   */
  resultMetrics: WeakMap<Labels, Map<Labels, Labels>>;
}

/** The matching signature of a series: its `on` labels, or all but the `ignoring` ones and the name. */
export function signatureFunc(on: boolean, names: readonly string[]): (l: Labels) => string {
  if (on) {
    const sorted = [...names].sort();
    return (l) => keyWithLabels(l, sorted);
  }
  const set = new Set([...names, METRIC_NAME]);
  return (l) => keyWithoutLabels(l, set);
}

/** Operators after which the series is something else: its name (and type, unit) go. */
function changesMetricSchema(op: BinaryOp): boolean {
  return op === '+' || op === '-' || op === '*' || op === '/' || op === '^' || op === '%' || op === 'atan2';
}

function isComparison(op: BinaryOp): boolean {
  return op === '==' || op === '!=' || op === '>' || op === '<' || op === '>=' || op === '<=';
}

/** Go's math.Pow where it differs from JS's `**`: 1^y is 1, and (-1)^±Inf is 1. */
export function goPow(x: number, y: number): number {
  if (x === 1) return 1;
  if (x === -1 && !Number.isFinite(y) && !Number.isNaN(y)) return 1;
  return x ** y;
}

function arith(op: BinaryOp, l: number, r: number): number {
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return l / r;
    case '^':
      return goPow(l, r);
    case '%':
      return l % r;
    case 'atan2':
      return Math.atan2(l, r);
    default:
      throw new Error(`operator ${op} is not arithmetic`);
  }
}

function compare(op: BinaryOp, l: number, r: number): boolean {
  switch (op) {
    case '==':
      return l === r;
    case '!=':
      return l !== r;
    case '>':
      return l > r;
    case '<':
      return l < r;
    case '>=':
      return l >= r;
    case '<=':
      return l <= r;
    default:
      throw new Error(`operator ${op} is not a comparison`);
  }
}

/** Two scalars: comparisons give 0 or 1. */
export function scalarBinop(op: BinaryOp, l: number, r: number): number {
  if (isComparison(op)) return compare(op, l, r) ? 1 : 0;
  return arith(op, l, r);
}

/** Two floats of vectors: [value, keep]; a comparison keeps the left value when true. */
function vectorElemBinop(op: BinaryOp, l: number, r: number): [number, boolean] {
  if (isComparison(op)) return [l, compare(op, l, r)];
  return [arith(op, l, r), true];
}

/** `and`: the left samples whose signature the right side has. */
export function vectorAnd(lhs: Vector, rhs: Vector, lsigs: string[], rsigs: string[]): Vector {
  if (lhs.length === 0 || rhs.length === 0) return [];
  const right = new Set(rsigs);
  return lhs.filter((_, i) => right.has(lsigs[i] as string));
}

/** `or`: the left samples, then the right ones whose signature the left side lacks. */
export function vectorOr(lhs: Vector, rhs: Vector, lsigs: string[], rsigs: string[]): Vector {
  if (lhs.length === 0) return [...rhs];
  if (rhs.length === 0) return [...lhs];
  const left = new Set(lsigs);
  const out = [...lhs];
  for (let j = 0; j < rhs.length; j++) if (!left.has(rsigs[j] as string)) out.push(rhs[j] as Sample);
  return out;
}

/** `unless`: the left samples whose signature the right side lacks. */
export function vectorUnless(lhs: Vector, rhs: Vector, lsigs: string[], rsigs: string[]): Vector {
  if (lhs.length === 0 || rhs.length === 0) return [...lhs];
  const right = new Set(rsigs);
  return lhs.filter((_, i) => !right.has(lsigs[i] as string));
}

/** The labels of a result element (upstream's resultMetric). */
function resultMetric(lhs: Labels, rhs: Labels, op: BinaryOp, matching: VectorMatching): Labels {
  let l = lhs;
  if (changesMetricSchema(op)) l = deleteLabels(l, ['__name__', '__type__', '__unit__']);
  if (matching.card === 'one-to-one') {
    l = matching.on ? keepLabels(l, matching.matchingLabels) : deleteLabels(l, matching.matchingLabels);
  }
  for (const name of matching.include) {
    // group_x labels come from the "one" side.
    l = setLabel(l, name, rhs[name] ?? '');
  }
  return l;
}

/** Vector op vector, for arithmetic and comparisons (upstream's VectorBinop). */
export function vectorBinop(
  ctx: BinopContext,
  op: BinaryOp,
  lhsIn: Vector,
  rhsIn: Vector,
  matching: VectorMatching,
  returnBool: boolean,
  lsigsIn: string[],
  rsigsIn: string[],
): Vector {
  if (matching.card === 'many-to-many') throw new Error('many-to-many only allowed for set operators');
  if (lhsIn.length === 0 || rhsIn.length === 0) return [];
  // For one-to-many, swap the sides: the right side is always the "one" side below.
  const swap = matching.card === 'one-to-many';
  const lhs = swap ? rhsIn : lhsIn;
  const rhs = swap ? lhsIn : rhsIn;
  const lsigs = swap ? rsigsIn : lsigsIn;
  const rsigs = swap ? lsigsIn : rsigsIn;

  const rightSigs = new Map<string, Sample>();
  for (let i = 0; i < rhs.length; i++) {
    const rs = rhs[i] as Sample;
    const sig = rsigs[i] as string;
    const dupl = rightSigs.get(sig);
    if (dupl) {
      const oneSide = swap ? 'left' : 'right';
      const matched = matchLabels(rs.metric, matching.on, matching.matchingLabels);
      throw new ExecutionError(
        `found duplicate series for the match group ${labelsToString(matched)} on the ${oneSide} hand-side of the operation: [${labelsToString(rs.metric)}, ${labelsToString(dupl.metric)}];many-to-many matching not allowed: matching labels must be unique on one side`,
      );
    }
    rightSigs.set(sig, rs);
  }

  const matchedSigs = new Map<string, Set<string> | null>();
  const out: Vector = [];
  const delayed = ctx.ev.delayed;
  for (let i = 0; i < lhs.length; i++) {
    const ls = lhs[i] as Sample;
    const sig = lsigs[i] as string;
    const rs = rightSigs.get(sig);
    if (!rs) continue;
    const [fl, fr] = swap ? [rs.f, ls.f] : [ls.f, rs.f];
    let [value, keep] = vectorElemBinop(op, fl, fr);
    if (returnBool) value = keep ? 1 : 0;
    else if (!keep) continue;
    let byRight = ctx.resultMetrics.get(ls.metric);
    if (!byRight) {
      byRight = new Map();
      ctx.resultMetrics.set(ls.metric, byRight);
    }
    let metric = byRight.get(rs.metric);
    if (!metric) {
      metric = resultMetric(ls.metric, rs.metric, op, matching);
      byRight.set(rs.metric, metric);
    }
    if (!delayed && returnBool) metric = dropMetadata(metric);
    if (matching.card === 'one-to-one') {
      if (matchedSigs.has(sig)) {
        throw new ExecutionError(
          'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)',
        );
      }
      matchedSigs.set(sig, null);
    } else {
      // The grouping labels must make every result element unique within its match group.
      const insertSig = labelsKey(metric);
      let inserted = matchedSigs.get(sig);
      if (!inserted) {
        inserted = new Set();
        matchedSigs.set(sig, inserted);
      } else if (inserted.has(insertSig)) {
        throw new ExecutionError('multiple matches for labels: grouping labels must ensure unique matches');
      }
      inserted.add(insertSig);
    }
    out.push({ metric, t: 0, f: value, dropName: returnBool });
  }
  return out;
}

/** Vector op scalar, or scalar op vector with `swap` (upstream's VectorscalarBinop). */
export function vectorScalarBinop(
  ctx: BinopContext,
  op: BinaryOp,
  lhs: Vector,
  scalar: number,
  swap: boolean,
  returnBool: boolean,
): Vector {
  const out: Vector = [];
  const delayed = ctx.ev.delayed;
  for (const s of lhs) {
    const [lf, rf] = swap ? [scalar, s.f] : [s.f, scalar];
    let [value, keep] = vectorElemBinop(op, lf, rf);
    // A comparison with the scalar on the left still returns the vector's value.
    if (isComparison(op) && swap) value = rf;
    if (returnBool) {
      value = keep ? 1 : 0;
      keep = true;
    }
    if (!keep) continue;
    let metric = s.metric;
    let dropName = s.dropName;
    if (changesMetricSchema(op) || returnBool) {
      if (!delayed) metric = dropMetadata(metric);
      dropName = true;
    }
    out.push({ metric, t: 0, f: value, dropName });
  }
  return out;
}
