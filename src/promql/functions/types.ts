/**
 * The shape of a PromQL function as the evaluator calls it (upstream's FunctionCall): the values
 * of its arguments at one step (vectors; for its range argument, a matrix of one series), the
 * argument expressions (for strings, ranges and positions), and the node's helper.
 */
import type { Labels } from '../../storage/index.js';
import type { Annotations } from '../annotations.js';
import type { Expr } from '../ast.js';
import type { Matrix, Vector } from '../value.js';

/** Per-node, per-step state a function sees (upstream's EvalNodeHelper). */
export interface EvalNodeHelper {
  /** The evaluation timestamp of this step (ms). */
  ts: number;
  /** The query's annotations: functions add warnings and infos here. */
  annos: Annotations;
  /** promql-delayed-name-removal: keep `__name__` until the end, marking samples instead. */
  delayedNameRemoval: boolean;
  /**
   * histogram_quantile/histogram_fraction's histograms by labels, kept across the node's steps as
   * upstream's signatureToMetricWithBuckets is (which shows: the labels a histogram got at its
   * first step, name dropped, are the ones its later steps start from).
   */
  histograms?: Map<string, { metric: Labels; buckets: { upperBound: number; count: number }[] }>;
}

export type FunctionArg = Vector | Matrix;

/** A function's implementation: returns the output vector of this step. */
export type FunctionCall = (vals: FunctionArg[], args: Expr[], enh: EvalNodeHelper) => Vector;

/** The scalar argument `i` at this step. */
export function scalarArg(vals: FunctionArg[], i: number): number {
  return ((vals[i] as Vector)[0] as { f: number }).f;
}
