/**
 * What PromQL evaluates to (upstream's promql/value.go, float samples only): instant vectors,
 * range vectors (matrices), scalars and strings. Times are ms since the epoch.
 */
import type { Labels } from '../storage/index.js';

export interface FPoint {
  t: number;
  f: number;
}

/** One element of an instant vector. */
export interface Sample {
  metric: Labels;
  t: number;
  f: number;
  /**
   * Upstream's DropName: the metric name is to be dropped once evaluation is done (set by
   * functions and operators that change a series' meaning, so that `__name__` is still seen by
   * label matching within the expression, as in Prometheus 3).
   */
  dropName?: boolean;
}

export type Vector = Sample[];

/** One series of a range vector, points ascending by time. */
export interface Series {
  metric: Labels;
  floats: FPoint[];
  dropName?: boolean;
}

export type Matrix = Series[];

export interface Scalar {
  t: number;
  v: number;
}

export interface StringValue {
  t: number;
  v: string;
}

/** A query's result, tagged with upstream's resultType. */
export type QueryValue =
  | { resultType: 'vector'; result: Vector }
  | { resultType: 'matrix'; result: Matrix }
  | { resultType: 'scalar'; result: Scalar }
  | { resultType: 'string'; result: StringValue };
