/**
 * Functions of a range vector (upstream's functions.go): rate, increase and delta with upstream's
 * extrapolation, irate and idelta, the *_over_time family, changes, resets, deriv,
 * predict_linear and double_exponential_smoothing. Each sees one series' points in its window
 * (float samples only: miniprom stores no histograms) and returns at most one sample.
 */
import { annotationText } from '../annotations.js';
import { type Expr, type MatrixSelector, positionOf } from '../ast.js';
import { ExecutionError } from '../errors.js';
import { EMPTY_LABELS } from '../labels.js';
import { quantile } from '../quantile.js';
import type { FPoint, Matrix, Series, Vector } from '../value.js';
import { type EvalNodeHelper, type FunctionArg, type FunctionCall, scalarArg } from './types.js';

/** Kahan-Babuška summation step (upstream's kahanSumInc): [sum, compensation]. */
export function kahanSumInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (!Number.isFinite(t) && !Number.isNaN(t)) c = 0;
  else if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  return [t, c];
}

function seriesArg(vals: FunctionArg[], i = 0): Series {
  return (vals[i] as Matrix)[0] as Series;
}

function one(f: number): Vector {
  return [{ metric: EMPTY_LABELS, t: 0, f }];
}

/** rate, increase and delta: the change over the window, extrapolated to its edges. */
function extrapolatedRate(
  vals: FunctionArg[],
  args: Expr[],
  enh: EvalNodeHelper,
  isCounter: boolean,
  isRate: boolean,
): Vector {
  const ms = args[0] as MatrixSelector;
  const vs = ms.vectorSelector;
  const floats = seriesArg(vals).floats;
  const rangeStart = enh.ts - (ms.range + vs.offset);
  const rangeEnd = enh.ts - vs.offset;
  if (floats.length < 2) return [];
  const numSamplesMinusOne = floats.length - 1;
  const first = floats[0] as FPoint;
  const last = floats[numSamplesMinusOne] as FPoint;
  let result = last.f - first.f;
  if (isCounter) {
    let prev = first.f;
    for (let i = 1; i < floats.length; i++) {
      const cur = (floats[i] as FPoint).f;
      if (cur < prev) result += prev;
      prev = cur;
    }
  }
  let durationToStart = (first.t - rangeStart) / 1000;
  let durationToEnd = (rangeEnd - last.t) / 1000;
  const sampledInterval = (last.t - first.t) / 1000;
  const averageDurationBetweenSamples = sampledInterval / numSamplesMinusOne;
  // Extrapolate to the window's edges only when the samples reach close enough to them.
  const extrapolationThreshold = averageDurationBetweenSamples * 1.1;
  let extrapolateToInterval = sampledInterval;
  if (durationToStart >= extrapolationThreshold) durationToStart = averageDurationBetweenSamples / 2;
  if (isCounter && result > 0 && first.f >= 0) {
    // A counter does not go below zero: extrapolate at most to where it would have been zero.
    const durationToZero = sampledInterval * (first.f / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  extrapolateToInterval += durationToStart;
  if (durationToEnd >= extrapolationThreshold) durationToEnd = averageDurationBetweenSamples / 2;
  extrapolateToInterval += durationToEnd;
  let factor = extrapolateToInterval / sampledInterval;
  if (isRate) factor /= ms.range / 1000;
  return one(result * factor);
}

/** irate and idelta: from the last two samples. */
function instantValue(vals: FunctionArg[], isRate: boolean): Vector {
  const floats = seriesArg(vals).floats;
  if (floats.length < 2) return [];
  const a = floats[floats.length - 2] as FPoint;
  const b = floats[floats.length - 1] as FPoint;
  const sampledInterval = b.t - a.t;
  if (sampledInterval === 0) return [];
  let f = b.f;
  // A counter reset: the last value is the increase since the reset.
  if (!isRate || !(b.f < a.f)) f = b.f - a.f;
  if (isRate) f /= sampledInterval / 1000;
  return one(f);
}

const aggrOverTime =
  (fn: (floats: FPoint[]) => number): FunctionCall =>
  (vals) => {
    const floats = seriesArg(vals).floats;
    if (floats.length === 0) return [];
    return one(fn(floats));
  };

function avg(floats: FPoint[]): number {
  let sum = (floats[0] as FPoint).f;
  let count = 1;
  let mean = 0;
  let kahanC = 0;
  let incrementalMean = false;
  for (let i = 1; i < floats.length; i++) {
    const f = (floats[i] as FPoint).f;
    count = i + 1;
    if (!incrementalMean) {
      const [newSum, newC] = kahanSumInc(f, sum, kahanC);
      // Sum directly while it does not overflow; then switch to the incremental mean.
      if (Number.isFinite(newSum) || Number.isNaN(newSum)) {
        sum = newSum;
        kahanC = newC;
        continue;
      }
      incrementalMean = true;
      mean = sum / (count - 1);
      kahanC /= count - 1;
    }
    const q = (count - 1) / count;
    [mean, kahanC] = kahanSumInc(f / count, q * mean, q * kahanC);
  }
  if (incrementalMean) return mean + kahanC;
  return sum / count + kahanC / count;
}

function sum(floats: FPoint[]): number {
  let s = 0;
  let c = 0;
  for (const p of floats) [s, c] = kahanSumInc(p.f, s, c);
  if (!Number.isFinite(s) && !Number.isNaN(s)) return s;
  return s + c;
}

/** max/min/ts_of_*: the first sample wins ties for max/min, the last for ts_of_max/ts_of_min. */
function compareOverTime(better: (cur: number, best: number) => boolean, returnTimestamp: boolean) {
  return (floats: FPoint[]): number => {
    let best = (floats[0] as FPoint).f;
    let bestT = (floats[0] as FPoint).t;
    for (const p of floats) {
      if (better(p.f, best)) {
        best = p.f;
        bestT = p.t;
      }
    }
    return returnTimestamp ? bestT / 1000 : best;
  };
}

function variance(floats: FPoint[]): number {
  let count = 0;
  let mean = 0;
  let cMean = 0;
  let aux = 0;
  let cAux = 0;
  for (const p of floats) {
    count++;
    const delta = p.f - (mean + cMean);
    [mean, cMean] = kahanSumInc(delta / count, mean, cMean);
    [aux, cAux] = kahanSumInc(delta * (p.f - (mean + cMean)), aux, cAux);
  }
  return (aux + cAux) / count;
}

function madOverTime(floats: FPoint[]): number {
  const values = floats.map((p) => p.f);
  const median = quantile(0.5, values);
  return quantile(
    0.5,
    floats.map((p) => Math.abs(p.f - median)),
  );
}

const funcQuantileOverTime: FunctionCall = (vals, args, enh) => {
  const q = scalarArg(vals, 0);
  const floats = seriesArg(vals, 1).floats;
  if (floats.length === 0) return [];
  if (Number.isNaN(q) || q < 0 || q > 1) {
    enh.annos.add('warning', annotationText.invalidQuantile(q), positionOf(args[0] as Expr));
  }
  return one(
    quantile(
      q,
      floats.map((p) => p.f),
    ),
  );
};

const funcLastOverTime: FunctionCall = (vals) => {
  const s = seriesArg(vals);
  const last = s.floats[s.floats.length - 1];
  return last ? [{ metric: s.metric, t: 0, f: last.f }] : [];
};

const funcTsOfLastOverTime: FunctionCall = (vals) => {
  const s = seriesArg(vals);
  const last = s.floats[s.floats.length - 1];
  return last ? [{ metric: s.metric, t: 0, f: last.t / 1000 }] : [];
};

/** Least-squares fit of the points, x in seconds relative to interceptTime: [slope, intercept]. */
function linearRegression(samples: FPoint[], interceptTime: number): [number, number] {
  let n = 0;
  let sumX = 0;
  let cX = 0;
  let sumY = 0;
  let cY = 0;
  let sumXY = 0;
  let cXY = 0;
  let sumX2 = 0;
  let cX2 = 0;
  const initY = (samples[0] as FPoint).f;
  let constY = true;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] as FPoint;
    // upstream compares with !=, so a NaN series is never constant.
    if (constY && i > 0 && s.f !== initY) constY = false;
    n += 1;
    const x = (s.t - interceptTime) / 1e3;
    [sumX, cX] = kahanSumInc(x, sumX, cX);
    [sumY, cY] = kahanSumInc(s.f, sumY, cY);
    [sumXY, cXY] = kahanSumInc(x * s.f, sumXY, cXY);
    [sumX2, cX2] = kahanSumInc(x * x, sumX2, cX2);
  }
  if (constY) {
    if (!Number.isFinite(initY) && !Number.isNaN(initY)) return [Number.NaN, Number.NaN];
    return [0, initY];
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  const intercept = sumY / n - (slope * sumX) / n;
  return [slope, intercept];
}

const funcDeriv: FunctionCall = (vals) => {
  const floats = seriesArg(vals).floats;
  if (floats.length < 2) return [];
  return one(linearRegression(floats, (floats[0] as FPoint).t)[0]);
};

const funcPredictLinear: FunctionCall = (vals, _args, enh) => {
  const floats = seriesArg(vals).floats;
  const duration = scalarArg(vals, 1);
  if (floats.length < 2) return [];
  const [slope, intercept] = linearRegression(floats, enh.ts);
  return one(slope * duration + intercept);
};

/** Go's %f: six decimals. */
function formatF(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return v.toFixed(6);
}

const funcDoubleExponentialSmoothing: FunctionCall = (vals) => {
  const floats = seriesArg(vals).floats;
  const sf = scalarArg(vals, 1);
  const tf = scalarArg(vals, 2);
  if (!(sf > 0 && sf < 1)) {
    throw new ExecutionError(`invalid smoothing factor. Expected: 0 < sf < 1, got: ${formatF(sf)}`);
  }
  if (!(tf > 0 && tf < 1)) {
    throw new ExecutionError(`invalid trend factor. Expected: 0 < tf < 1, got: ${formatF(tf)}`);
  }
  const l = floats.length;
  if (l < 2) return [];
  let s0 = 0;
  let s1 = (floats[0] as FPoint).f;
  let b = (floats[1] as FPoint).f - (floats[0] as FPoint).f;
  for (let i = 1; i < l; i++) {
    const x = sf * (floats[i] as FPoint).f;
    // The trend: the first step keeps the initial slope.
    if (i - 1 !== 0) b = tf * (s1 - s0) + (1 - tf) * b;
    const y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return one(s1);
};

const funcChanges: FunctionCall = (vals) => {
  const floats = seriesArg(vals).floats;
  if (floats.length === 0) return [];
  let changes = 0;
  for (let i = 1; i < floats.length; i++) {
    const cur = (floats[i] as FPoint).f;
    const prev = (floats[i - 1] as FPoint).f;
    if (cur !== prev && !(Number.isNaN(cur) && Number.isNaN(prev))) changes++;
  }
  return one(changes);
};

const funcResets: FunctionCall = (vals) => {
  const floats = seriesArg(vals).floats;
  if (floats.length === 0) return [];
  let resets = 0;
  for (let i = 1; i < floats.length; i++) {
    if ((floats[i] as FPoint).f < (floats[i - 1] as FPoint).f) resets++;
  }
  return one(resets);
};

export const RANGE_FUNCTIONS: Record<string, FunctionCall> = {
  rate: (v, a, e) => extrapolatedRate(v, a, e, true, true),
  increase: (v, a, e) => extrapolatedRate(v, a, e, true, false),
  delta: (v, a, e) => extrapolatedRate(v, a, e, false, false),
  irate: (v) => instantValue(v, true),
  idelta: (v) => instantValue(v, false),
  avg_over_time: aggrOverTime(avg),
  sum_over_time: aggrOverTime(sum),
  count_over_time: aggrOverTime((f) => f.length),
  min_over_time: aggrOverTime(compareOverTime((cur, best) => cur < best || Number.isNaN(best), false)),
  max_over_time: aggrOverTime(compareOverTime((cur, best) => cur > best || Number.isNaN(best), false)),
  ts_of_min_over_time: aggrOverTime(compareOverTime((cur, best) => cur <= best || Number.isNaN(best), true)),
  ts_of_max_over_time: aggrOverTime(compareOverTime((cur, best) => cur >= best || Number.isNaN(best), true)),
  ts_of_last_over_time: funcTsOfLastOverTime,
  last_over_time: funcLastOverTime,
  stddev_over_time: aggrOverTime((f) => Math.sqrt(variance(f))),
  stdvar_over_time: aggrOverTime(variance),
  mad_over_time: aggrOverTime(madOverTime),
  quantile_over_time: funcQuantileOverTime,
  present_over_time: aggrOverTime(() => 1),
  absent_over_time: () => one(1),
  changes: funcChanges,
  resets: funcResets,
  deriv: funcDeriv,
  predict_linear: funcPredictLinear,
  double_exponential_smoothing: funcDoubleExponentialSmoothing,
};
