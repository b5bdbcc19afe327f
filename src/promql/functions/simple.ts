/**
 * Functions of one instant vector or of no argument (upstream's functions.go): math, clamping,
 * rounding, dates, timestamp(), vector(), scalar(), sorting, absent(). Every function that
 * changes a value drops the metric name (or marks it dropped, with delayed name removal).
 */
import type { Labels } from '../../storage/index.js';
import type { Expr } from '../ast.js';
import { goSort } from '../go-sort.js';
import { compareLabels, dropMetadata, EMPTY_LABELS, METRIC_NAME } from '../labels.js';
import type { Sample, Vector } from '../value.js';
import { type EvalNodeHelper, type FunctionArg, type FunctionCall, scalarArg } from './types.js';

/** Applies `fn` to every float sample, dropping the metric name (upstream's simpleFloatFunc). */
export function simpleFloatFunc(vals: FunctionArg[], enh: EvalNodeHelper, fn: (f: number) => number): Vector {
  const out: Vector = [];
  for (const el of vals[0] as Vector) {
    out.push({
      metric: enh.delayedNameRemoval ? el.metric : dropMetadata(el.metric),
      t: 0,
      f: fn(el.f),
      dropName: true,
    });
  }
  return out;
}

const math =
  (fn: (f: number) => number): FunctionCall =>
  (vals, _args, enh) =>
    simpleFloatFunc(vals, enh, fn);

function sgn(v: number): number {
  if (v < 0) return -1;
  if (v > 0) return 1;
  return v;
}

function clamp(vec: Vector, min: number, max: number, enh: EvalNodeHelper): Vector {
  if (max < min) return [];
  return vec.map((el) => ({
    metric: enh.delayedNameRemoval ? el.metric : dropMetadata(el.metric),
    t: 0,
    f: Math.max(min, Math.min(max, el.f)),
    dropName: true,
  }));
}

/** Go's math.Max/Min propagate NaN as JS's do; Go's Max(-0, 0) is 0 as JS's. */
const funcClamp: FunctionCall = (vals, _a, enh) =>
  clamp(vals[0] as Vector, scalarArg(vals, 1), scalarArg(vals, 2), enh);
const funcClampMax: FunctionCall = (vals, _a, enh) =>
  clamp(vals[0] as Vector, Number.NEGATIVE_INFINITY, scalarArg(vals, 1), enh);
const funcClampMin: FunctionCall = (vals, _a, enh) =>
  clamp(vals[0] as Vector, scalarArg(vals, 1), Number.POSITIVE_INFINITY, enh);

const funcRound: FunctionCall = (vals, args, enh) => {
  const toNearest = args.length >= 2 ? scalarArg(vals, 1) : 1;
  const inverse = 1 / toNearest;
  return simpleFloatFunc(vals, enh, (f) => Math.floor(f * inverse + 0.5) / inverse);
};

const funcScalar: FunctionCall = (vals) => {
  const v = vals[0] as Vector;
  return [{ metric: EMPTY_LABELS, t: 0, f: v.length === 1 ? (v[0] as Sample).f : Number.NaN }];
};

const funcVector: FunctionCall = (vals) => [{ metric: EMPTY_LABELS, t: 0, f: scalarArg(vals, 0) }];
const funcTime: FunctionCall = (_v, _a, enh) => [{ metric: EMPTY_LABELS, t: 0, f: enh.ts / 1000 }];
const funcPi: FunctionCall = () => [{ metric: EMPTY_LABELS, t: 0, f: Math.PI }];

const funcTimestamp: FunctionCall = (vals, _a, enh) =>
  (vals[0] as Vector).map((el) => ({
    metric: enh.delayedNameRemoval ? el.metric : dropMetadata(el.metric),
    t: 0,
    f: el.t / 1000,
    dropName: true,
  }));

/** A civil UTC date: the fields the date functions read. */
interface CivilTime {
  year: number;
  month: number;
  day: number;
  weekday: number;
  yearDay: number;
  hour: number;
  minute: number;
}

function isLeap(y: bigint): boolean {
  return (y % 4n === 0n && y % 100n !== 0n) || y % 400n === 0n;
}

const DAYS_BEFORE_MONTH = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
const MIN_INT64 = -(2n ** 63n);

/**
 * Go's time.Unix(int64(f), 0).UTC(): f truncated to an int64, where NaN and values out of range
 * become MinInt64 (what amd64's conversion gives). Go's calendar then works on an unsigned count
 * of seconds since its absolute zero year, which wraps for MinInt64: that instant reads as
 * 2^63 seconds after the Unix epoch (year 292277026596), and so it reads here.
 */
function civil(seconds: number): CivilTime {
  let sec = Number.isFinite(seconds) && Math.abs(seconds) < 2 ** 63 ? BigInt(Math.trunc(seconds)) : MIN_INT64;
  // Go's unixToInternal + internalToAbsolute: below this the absolute count wraps around 2^64.
  if (sec + 62135596800n + 9223371966579724800n < 0n) sec += 2n ** 64n;
  const floorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));
  const days = floorDiv(sec, 86400n);
  const secOfDay = Number(sec - days * 86400n);
  // Howard Hinnant's civil_from_days.
  const z = days + 719468n;
  const era = floorDiv(z, 146097n);
  const doe = z - era * 146097n;
  const yoe = (doe - doe / 1460n + doe / 36524n - doe / 146096n) / 365n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const day = Number(doy - (153n * mp + 2n) / 5n + 1n);
  const month = Number(mp < 10n ? mp + 3n : mp - 9n);
  const y = yoe + era * 400n + (month <= 2 ? 1n : 0n);
  const weekday = Number((((days + 4n) % 7n) + 7n) % 7n);
  const yearDay = (DAYS_BEFORE_MONTH[month - 1] as number) + day + (month > 2 && isLeap(y) ? 1 : 0);
  return {
    year: Number(y),
    month,
    day,
    weekday,
    yearDay,
    hour: Math.floor(secOfDay / 3600),
    minute: Math.floor((secOfDay % 3600) / 60),
  };
}

function daysInMonth(c: CivilTime): number {
  if (c.month === 2) return isLeap(BigInt(c.year)) ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][c.month - 1] as number;
}

/** A date function: of the evaluation time without argument, else of each sample's value. */
const date =
  (fn: (c: CivilTime) => number): FunctionCall =>
  (vals, _a, enh) => {
    if (vals.length === 0) return [{ metric: EMPTY_LABELS, t: 0, f: fn(civil(Math.trunc(enh.ts / 1000))) }];
    return (vals[0] as Vector).map((el) => ({
      metric: enh.delayedNameRemoval ? el.metric : dropMetadata(el.metric),
      t: 0,
      f: fn(civil(el.f)),
      dropName: true,
    }));
  };

/** sort(): ascending, NaN last (upstream sorts by Reverse(vectorByReverseValueHeap)). */
const funcSort: FunctionCall = (vals) => {
  const v = [...(vals[0] as Vector)];
  goSort(v, (a, b) => Number.isNaN(b.f) || b.f > a.f);
  return v;
};

/** sort_desc(): descending, NaN last. */
const funcSortDesc: FunctionCall = (vals) => {
  const v = [...(vals[0] as Vector)];
  goSort(v, (a, b) => Number.isNaN(b.f) || b.f < a.f);
  return v;
};

/** facette/natsort.Compare: whether a precedes b, digit runs compared as integers. */
export function natLess(a: string, b: string): boolean {
  const ca = a.match(/\d+|\D+/g) ?? [];
  const cb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < ca.length; i++) {
    if (i >= cb.length) return false;
    const x = ca[i] as string;
    const y = cb[i] as string;
    const xi = atoi(x);
    const yi = atoi(y);
    if (xi !== undefined && yi !== undefined) {
      if (xi === yi) {
        if (i === ca.length - 1) return true;
        if (i === cb.length - 1) return false;
        continue;
      }
      return xi < yi;
    }
    if (x === y) {
      if (i === ca.length - 1) return true;
      if (i === cb.length - 1) return false;
      continue;
    }
    return x < y;
  }
  return false;
}

/** Go's strconv.Atoi on a digit run: undefined when not all digits or out of int64 range. */
function atoi(s: string): bigint | undefined {
  if (!/^[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n > 9223372036854775807n ? undefined : n;
}

function labelStrings(args: Expr[]): string[] {
  return args.slice(1).map((a) => stringOf(a));
}

const sortByLabel =
  (desc: boolean): FunctionCall =>
  (vals, args) => {
    const names = labelStrings(args);
    const v = [...(vals[0] as Vector)];
    v.sort((a, b) => {
      for (const name of names) {
        const x = a.metric[name] ?? '';
        const y = b.metric[name] ?? '';
        if (x === y) continue;
        const less = natLess(x, y);
        return desc ? (less ? 1 : -1) : less ? -1 : 1;
      }
      return desc ? -compareLabels(a.metric, b.metric) : compareLabels(a.metric, b.metric);
    });
    return v;
  };

/** The value of a string argument (upstream's stringFromArg: through parens and step invariance). */
export function stringOf(e: Expr): string {
  let x = e;
  for (;;) {
    if (x.type === 'StepInvariantExpr' || x.type === 'ParenExpr') x = x.expr;
    else break;
  }
  if (x.type !== 'StringLiteral') throw new Error(`expected a string argument, got ${x.type}`);
  return x.val;
}

/**
 * The labels absent() and absent_over_time() give their one sample: those of the selector's
 * equality matchers, a label matched twice being left out (upstream's createLabelsForAbsentFunction).
 */
export function labelsForAbsent(expr: Expr): Labels {
  const matchers =
    expr.type === 'VectorSelector'
      ? expr.labelMatchers
      : expr.type === 'MatrixSelector'
        ? expr.vectorSelector.labelMatchers
        : [];
  const out: Record<string, string> = {};
  const has = new Set<string>();
  for (const m of matchers) {
    if (m.name === METRIC_NAME) continue;
    if (m.type === '=' && !has.has(m.name)) {
      if (m.value !== '') out[m.name] = m.value;
      else delete out[m.name];
      has.add(m.name);
    } else {
      delete out[m.name];
    }
  }
  return out;
}

const funcAbsent: FunctionCall = (vals, args) =>
  (vals[0] as Vector).length > 0 ? [] : [{ metric: labelsForAbsent(args[0] as Expr), t: 0, f: 1 }];

/** Native-histogram functions: they read histogram samples only, so floats give nothing. */
const histogramOnly: FunctionCall = () => [];

export const SIMPLE_FUNCTIONS: Record<string, FunctionCall> = {
  abs: math(Math.abs),
  ceil: math(Math.ceil),
  floor: math(Math.floor),
  exp: math(Math.exp),
  sqrt: math(Math.sqrt),
  ln: math(Math.log),
  log2: math(Math.log2),
  log10: math(Math.log10),
  sin: math(Math.sin),
  cos: math(Math.cos),
  tan: math(Math.tan),
  asin: math(Math.asin),
  acos: math(Math.acos),
  atan: math(Math.atan),
  sinh: math(Math.sinh),
  cosh: math(Math.cosh),
  tanh: math(Math.tanh),
  asinh: math(Math.asinh),
  acosh: math(Math.acosh),
  atanh: math(Math.atanh),
  rad: math((v) => (v * Math.PI) / 180),
  deg: math((v) => (v * 180) / Math.PI),
  sgn: math(sgn),
  pi: funcPi,
  clamp: funcClamp,
  clamp_max: funcClampMax,
  clamp_min: funcClampMin,
  round: funcRound,
  scalar: funcScalar,
  vector: funcVector,
  time: funcTime,
  timestamp: funcTimestamp,
  days_in_month: date(daysInMonth),
  day_of_month: date((c) => c.day),
  day_of_week: date((c) => c.weekday),
  day_of_year: date((c) => c.yearDay),
  hour: date((c) => c.hour),
  minute: date((c) => c.minute),
  month: date((c) => c.month),
  year: date((c) => c.year),
  sort: funcSort,
  sort_desc: funcSortDesc,
  sort_by_label: sortByLabel(false),
  sort_by_label_desc: sortByLabel(true),
  absent: funcAbsent,
  histogram_avg: histogramOnly,
  histogram_count: histogramOnly,
  histogram_sum: histogramOnly,
  histogram_stddev: histogramOnly,
  histogram_stdvar: histogramOnly,
};
