/**
 * The implementations of upstream's function table (promql/functions.go FunctionCalls), by name.
 * label_replace, label_join and info work on whole series and live in the evaluator.
 */
import { HISTOGRAM_FUNCTIONS } from './histogram.js';
import { RANGE_FUNCTIONS } from './range.js';
import { SIMPLE_FUNCTIONS } from './simple.js';
import type { FunctionCall } from './types.js';

export { kahanSumInc } from './range.js';
export { labelsForAbsent, stringOf } from './simple.js';
export type { EvalNodeHelper, FunctionArg, FunctionCall } from './types.js';

export const FUNCTIONS: Readonly<Record<string, FunctionCall>> = {
  ...SIMPLE_FUNCTIONS,
  ...RANGE_FUNCTIONS,
  ...HISTOGRAM_FUNCTIONS,
};

/** Functions whose value depends on the evaluation time even over step-invariant arguments. */
export const AT_MODIFIER_UNSAFE_FUNCTIONS: ReadonlySet<string> = new Set([
  'days_in_month',
  'day_of_month',
  'day_of_week',
  'day_of_year',
  'hour',
  'minute',
  'month',
  'year',
  'predict_linear',
  'time',
  'timestamp',
]);
