/**
 * Aggregation operators (upstream's rangeEvalAgg, aggregation, aggregationK and
 * aggregationCountValues): grouping with `by`/`without`, the running sums with Kahan
 * compensation, avg's switch to an incremental mean on overflow, topk/bottomk on Go's heap (so
 * ties come out in upstream's order), limitk and limit_ratio.
 */
import type { Labels } from '../storage/index.js';
import { annotationText, formatG } from './annotations.js';
import { type AggregateExpr, type Expr, positionOf } from './ast.js';
import { ExecutionError, TooManySamplesError } from './errors.js';
import { type Evaluator, isMatrix } from './evaluator.js';
import { kahanSumInc } from './functions/index.js';
import { goSort, heapFix, heapPush } from './go-sort.js';
import {
  deleteLabels,
  keepLabels,
  keyWithLabels,
  keyWithoutLabels,
  labelsKey,
  METRIC_NAME,
  setLabel,
} from './labels.js';
import { quantile } from './quantile.js';
import type { FPoint, Matrix, Sample, Series, Vector } from './value.js';
import { labelsHash } from './xxhash.js';

/** The largest float that converts to an int64 without overflow (upstream's maxInt64). */
const MAX_INT64 = 2 ** 63 - 1024;
const MIN_INT64 = -(2 ** 63);

/** The parameter of topk, quantile, …: a constant or one value per step (upstream's fParams). */
export interface FParams {
  next(): number;
  max: number;
  min: number;
  hasAnyNaN: boolean;
}

/** Evaluates an aggregation's parameter (upstream's newFParams): constant for a literal, else per step. */
export async function newFParams(ev: Evaluator, expr: Expr | null): Promise<FParams> {
  const empty: FParams = { next: () => 0, max: 0, min: 0, hasAnyNaN: false };
  if (!expr) return empty;
  const constParam = expr.type === 'NumberLiteral';
  const val = await ev.eval(expr);
  if (!isMatrix(val) || val.length === 0) return empty;
  const floats = (val[0] as Series).floats;
  if (constParam) {
    const c = floats[0]?.f ?? 0;
    return { next: () => c, max: c, min: c, hasAnyNaN: Number.isNaN(c) };
  }
  let max = -Number.MAX_VALUE;
  let min = Number.MAX_VALUE;
  let hasAnyNaN = false;
  for (const p of floats) {
    // Go's math.Max/Min return NaN if either is NaN.
    max = Number.isNaN(max) || Number.isNaN(p.f) ? Number.NaN : Math.max(max, p.f);
    min = Number.isNaN(min) || Number.isNaN(p.f) ? Number.NaN : Math.min(min, p.f);
    if (Number.isNaN(p.f)) hasAnyNaN = true;
  }
  let i = 0;
  return { next: () => (i < floats.length ? (floats[i++] as { f: number }).f : 0), max, min, hasAnyNaN };
}

/** A group's state at one step, for quantile and the k-operators (see `aggregateByCells` for the rest). */
interface Group {
  seen: boolean;
  heap: Sample[];
  values: number[];
  groupAggrComplete: boolean;
}

function newGroup(): Group {
  return { seen: false, heap: [], values: [], groupAggrComplete: false };
}

/** The group of a series: a key of its `by` labels, or of all but the `without` ones and the name. */
function groupingKeyFunc(grouping: readonly string[], without: boolean): (l: Labels) => string {
  if (without) {
    const set = new Set(grouping);
    return (l) => keyWithoutLabels(l, set);
  }
  if (grouping.length === 0) return () => '';
  return (l) => keyWithLabels(l, grouping);
}

function groupingLabels(metric: Labels, without: boolean, grouping: readonly string[]): Labels {
  if (without) return deleteLabels(metric, [...grouping, METRIC_NAME]);
  if (grouping.length > 0) return keepLabels(metric, grouping);
  return {};
}

/** Reads series `si`'s value at `ts`, moving its cursor on (upstream's nextValues). */
function nextValue(input: Matrix, cursors: Int32Array, si: number, ts: number): number | undefined {
  const floats = (input[si] as Series).floats;
  let c = cursors[si] as number;
  // Skip points a previous step did not consume (upstream calls advanceRemainingSeries for that).
  while (c < floats.length && (floats[c] as { t: number }).t < ts) c++;
  const p = floats[c];
  if (p === undefined || p.t !== ts) {
    cursors[si] = c;
    return undefined;
  }
  cursors[si] = c + 1;
  return p.f;
}

const isK = (op: string) => op === 'topk' || op === 'bottomk' || op === 'limitk' || op === 'limit_ratio';

/** vectorByValueHeap.Less and vectorByReverseValueHeap.Less. */
const lessTop = (a: Sample, b: Sample) => Number.isNaN(a.f) || a.f < b.f;
const lessBottom = (a: Sample, b: Sample) => Number.isNaN(a.f) || a.f > b.f;

/** Upstream's HashRatioSampler: whether limit_ratio(r) keeps the sample. */
function addRatioSample(ratio: number, s: Sample): boolean {
  // float64(hash) / float64(MaxUint64), and float64(MaxUint64) is 2^64.
  const offset = Number(labelsHash(s.metric)) / 2 ** 64;
  return (ratio >= 0 && offset < ratio) || (ratio < 0 && offset >= 1 + ratio);
}

/** An aggregation over every step (upstream's rangeEvalAgg). */
export async function evalAggregation(
  ev: Evaluator,
  e: AggregateExpr,
  sortedGrouping: string[],
  inputMatrix: Matrix,
  params: FParams,
): Promise<Matrix> {
  const annos = ev.q.annotations;
  const tempNumSamples = ev.currentSamples;
  const keyOf = groupingKeyFunc(sortedGrouping, e.without);
  const groupIndex = new Map<string, number>();
  const seriesToResult = new Int32Array(inputMatrix.length);
  let result: Matrix = [];
  for (let si = 0; si < inputMatrix.length; si++) {
    const series = inputMatrix[si] as Series;
    const key = keyOf(series.metric);
    let index = groupIndex.get(key);
    if (index === undefined) {
      if (!isK(e.op)) result.push({ metric: groupingLabels(series.metric, e.without, sortedGrouping), floats: [] });
      index = groupIndex.size;
      groupIndex.set(key, index);
    }
    seriesToResult[si] = index;
  }
  const groups: Group[] = Array.from({ length: groupIndex.size }, newGroup);
  let seriess: Map<string, Series> | undefined;
  const paramPos = e.param ? positionOf(e.param) : { start: 0, end: 0 };
  switch (e.op) {
    case 'topk':
    case 'bottomk':
    case 'limitk':
      if (params.max < 1) return [];
      seriess = new Map();
      break;
    case 'limit_ratio':
      if (params.max === 0 && params.min === 0) return [];
      if (params.max > 1) annos.add('warning', annotationText.invalidRatio(params.max, 1), paramPos);
      if (params.min < -1) annos.add('warning', annotationText.invalidRatio(params.min, -1), paramPos);
      seriess = new Map();
      break;
    case 'quantile':
      if (params.hasAnyNaN) annos.add('warning', annotationText.invalidQuantile(Number.NaN), paramPos);
      if (params.max > 1) annos.add('warning', annotationText.invalidQuantile(params.max), paramPos);
      if (params.min < 0) annos.add('warning', annotationText.invalidQuantile(params.min), paramPos);
      break;
  }
  if (CELLWISE.has(e.op)) {
    await aggregateByCells(ev, e.op, inputMatrix, result, seriesToResult);
    return result.filter((s) => s.floats.length > 0);
  }
  const cursors = new Int32Array(inputMatrix.length);
  for (let ts = ev.startTimestamp; ts <= ev.endTimestamp; ts += ev.interval) {
    const fParam = params.next();
    await ev.q.checkpoint();
    ev.currentSamples = tempNumSamples;
    if (isK(e.op)) {
      const mat = aggregationK(
        ev,
        e,
        fParam,
        ts,
        inputMatrix,
        cursors,
        seriesToResult,
        groups,
        seriess as Map<string, Series>,
      );
      if (ev.startTimestamp === ev.endTimestamp) return mat;
    } else {
      aggregation(fParam, ts, inputMatrix, cursors, result, seriesToResult, groups);
    }
    if (ev.currentSamples > ev.maxSamples) throw new TooManySamplesError('query execution');
  }
  if (seriess) return [...seriess.values()];
  result = result.filter((s) => s.floats.length > 0);
  return result;
}

/** The operators aggregated cell by cell (see `AggregationCells`): one running value per group and step. */
export const CELLWISE: ReadonlySet<string> = new Set([
  'sum',
  'avg',
  'count',
  'min',
  'max',
  'group',
  'stddev',
  'stdvar',
]);

/** How many (group, step) cells `aggregateByCells` keeps at a time: a block of steps at once. */
const CELL_BUDGET = 1 << 16;

/**
 * The running values of sum, avg, count, min, max, group, stddev or stdvar, one per (group, step)
 * "cell", in flat typed arrays (`steps` cells per group). Upstream goes step by step over all
 * series, reading every series' point at that step; feeding cells series by series reads each
 * series' points together instead, and a range query over many series no longer waits on memory
 * at every step. Each cell still sees the series in upstream's order, so every running value
 * (Kahan sums, avg's switch to the incremental mean) comes out exactly as upstream's.
 */
export class AggregationCells {
  #seen: Uint8Array;
  #value: Float64Array;
  #mean: Float64Array;
  #kahanC: Float64Array;
  #count: Float64Array;
  #incrementalMean: Uint8Array;

  constructor(
    readonly op: string,
    readonly steps: number,
    groups: number,
  ) {
    const cells = Math.max(1, groups) * steps;
    this.#seen = new Uint8Array(cells);
    this.#value = new Float64Array(cells);
    this.#mean = new Float64Array(cells);
    this.#kahanC = new Float64Array(cells);
    this.#count = new Float64Array(cells);
    this.#incrementalMean = new Uint8Array(cells);
  }

  /** Makes room for `groups` groups (their cells start unseen). */
  grow(groups: number): void {
    const cells = groups * this.steps;
    if (cells <= this.#seen.length) return;
    const size = Math.max(cells, this.#seen.length * 2);
    const bigger = <T extends Uint8Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.#seen = bigger(this.#seen, (n) => new Uint8Array(n));
    this.#value = bigger(this.#value, (n) => new Float64Array(n));
    this.#mean = bigger(this.#mean, (n) => new Float64Array(n));
    this.#kahanC = bigger(this.#kahanC, (n) => new Float64Array(n));
    this.#count = bigger(this.#count, (n) => new Float64Array(n));
    this.#incrementalMean = bigger(this.#incrementalMean, (n) => new Uint8Array(n));
  }

  /** Forgets every value (for the next block of steps). */
  clear(): void {
    this.#seen.fill(0);
  }

  seen(cell: number): boolean {
    return this.#seen[cell] === 1;
  }

  /** Adds the sample `f` into `cell` (upstream's aggregation, for one group at one step). */
  add(cell: number, f: number): void {
    const op = this.op;
    const value = this.#value;
    const kahanC = this.#kahanC;
    const count = this.#count;
    const mean = this.#mean;
    if (this.#seen[cell] === 0) {
      this.#seen[cell] = 1;
      value[cell] = op === 'group' ? 1 : op === 'stdvar' || op === 'stddev' ? (Number.isFinite(f) ? 0 : Number.NaN) : f;
      mean[cell] = f;
      kahanC[cell] = 0;
      this.#incrementalMean[cell] = 0;
      count[cell] = 1;
      return;
    }
    switch (op) {
      case 'sum': {
        // kahanSumInc, inline: its [sum, c] pair per sample cost more than the sum.
        const sum = value[cell] as number;
        const t = sum + f;
        const c0 = kahanC[cell] as number;
        if (!Number.isFinite(t) && !Number.isNaN(t)) kahanC[cell] = 0;
        else if (Math.abs(sum) >= Math.abs(f)) kahanC[cell] = c0 + (sum - t + f);
        else kahanC[cell] = c0 + (f - t + sum);
        value[cell] = t;
        break;
      }
      case 'avg': {
        const n = (count[cell] as number) + 1;
        count[cell] = n;
        if (this.#incrementalMean[cell] === 0) {
          const [newV, newC] = kahanSumInc(f, value[cell] as number, kahanC[cell] as number);
          if (Number.isFinite(newV) || Number.isNaN(newV)) {
            value[cell] = newV;
            kahanC[cell] = newC;
            break;
          }
          // The sum would overflow: continue with the incremental mean.
          this.#incrementalMean[cell] = 1;
          mean[cell] = (value[cell] as number) / (n - 1);
          kahanC[cell] = (kahanC[cell] as number) / (n - 1);
        }
        const r = (n - 1) / n;
        const [newMean, newC] = kahanSumInc(f / n, r * (mean[cell] as number), r * (kahanC[cell] as number));
        mean[cell] = newMean;
        kahanC[cell] = newC;
        break;
      }
      case 'group':
        break;
      case 'max': {
        const v = value[cell] as number;
        if (v < f || Number.isNaN(v)) value[cell] = f;
        break;
      }
      case 'min': {
        const v = value[cell] as number;
        if (v > f || Number.isNaN(v)) value[cell] = f;
        break;
      }
      case 'count':
        count[cell] = (count[cell] as number) + 1;
        break;
      case 'stdvar':
      case 'stddev': {
        const n = (count[cell] as number) + 1;
        count[cell] = n;
        const delta = f - (mean[cell] as number);
        const m = (mean[cell] as number) + delta / n;
        mean[cell] = m;
        value[cell] = (value[cell] as number) + delta * (f - m);
        break;
      }
    }
  }

  /** The aggregate of a seen cell. */
  result(cell: number): number {
    const n = this.#count[cell] as number;
    const f = this.#value[cell] as number;
    const c = this.#kahanC[cell] as number;
    switch (this.op) {
      case 'avg':
        return this.#incrementalMean[cell] === 1 ? (this.#mean[cell] as number) + c : f / n + c / n;
      case 'count':
        return n;
      case 'stdvar':
        return f / n;
      case 'stddev':
        return Math.sqrt(f / n);
      case 'sum':
        return f + c;
    }
    return f;
  }

  /**
   * Appends group `g`'s seen cells for steps [k0, k1) to `out` as points (cells from `firstCell`
   * on); true if it had any.
   */
  emit(out: Series, firstCell: number, k0: number, k1: number, start: number, interval: number): boolean {
    let any = false;
    for (let k = k0; k < k1; k++) {
      const cell = firstCell + k - k0;
      if (this.#seen[cell] === 0) continue;
      any = true;
      out.floats.push({ t: start + k * interval, f: this.result(cell) });
    }
    return any;
  }
}

/** sum, avg, count, … (see `AggregationCells`) over every step, a block of steps at a time. */
async function aggregateByCells(
  ev: Evaluator,
  op: string,
  inputMatrix: Matrix,
  outputMatrix: Matrix,
  seriesToResult: Int32Array,
): Promise<void> {
  const start = ev.startTimestamp;
  const interval = ev.interval;
  const steps = ev.numSteps();
  const groupCount = outputMatrix.length;
  const block = Math.max(1, Math.min(steps, Math.floor(CELL_BUDGET / Math.max(groupCount, 1))));
  const cells = new AggregationCells(op, block, groupCount);
  const groupSeen = new Uint8Array(groupCount);
  const cursors = new Int32Array(inputMatrix.length);
  for (let b0 = 0; b0 < steps; b0 += block) {
    const b1 = Math.min(steps, b0 + block);
    const blockEnd = start + (b1 - 1) * interval;
    cells.clear();
    await ev.q.checkpoint();
    for (let si = 0; si < inputMatrix.length; si++) {
      if ((si & 1023) === 1023 && ev.q.due()) await ev.q.checkpoint();
      const floats = (inputMatrix[si] as Series).floats;
      const base = (seriesToResult[si] as number) * block - b0;
      let lastStep = -1;
      let c = cursors[si] as number;
      for (; c < floats.length; c++) {
        const p = floats[c] as FPoint;
        if (p.t > blockEnd) break;
        const k = (p.t - start) / interval;
        // A point off the steps, or a second one at a step, is passed over as upstream's cursor does.
        if (k < b0 || k === lastStep || !Number.isInteger(k)) continue;
        lastStep = k;
        cells.add(base + k, p.f);
      }
      cursors[si] = c;
    }
    for (let ri = 0; ri < groupCount; ri++) {
      if (cells.emit(outputMatrix[ri] as Series, ri * block, b0, b1, start, interval)) groupSeen[ri] = 1;
    }
  }
  // Upstream takes the flag of the input series at the group's index.
  for (let ri = 0; ri < groupCount; ri++) {
    if (groupSeen[ri] === 1) (outputMatrix[ri] as Series).dropName = (inputMatrix[ri] as Series).dropName;
  }
  if (ev.currentSamples > ev.maxSamples) throw new TooManySamplesError('query execution');
}

/**
 * A range function's outputs, series by series (see Evaluator.rangeFunctionOutputs): its labels,
 * whether its name is to be dropped, and `n` points as times and values (arrays reused between
 * series).
 */
export type RangeOutputs = (
  emit: (metric: Labels, dropName: boolean, n: number, ts: Float64Array, fs: Float64Array) => void,
) => Promise<void>;

/**
 * sum, avg, count, … over a range function (`sum by (job) (rate(x[5m]))`) straight from the
 * function's outputs, without the matrix between them: the same cells, fed in the same series
 * order, give the same floats; what goes is a point object per series and step, most of a range
 * query's garbage. Groups are made as the series with outputs come, in the order upstream's
 * grouping of the function's matrix makes them.
 */
export async function evalAggregationOfRangeFunction(
  ev: Evaluator,
  e: AggregateExpr,
  sortedGrouping: string[],
  outputs: RangeOutputs,
): Promise<Matrix> {
  const keyOf = groupingKeyFunc(sortedGrouping, e.without);
  const groupIndex = new Map<string, number>();
  const result: Matrix = [];
  const start = ev.startTimestamp;
  const interval = ev.interval;
  const steps = ev.numSteps();
  const cells = new AggregationCells(e.op, steps, 1);
  // The flags of the function's output series, for upstream's quirk below.
  const dropNames: boolean[] = [];
  await outputs((metric, dropName, n, ts, fs) => {
    dropNames.push(dropName);
    const key = keyOf(metric);
    let g = groupIndex.get(key);
    if (g === undefined) {
      g = groupIndex.size;
      groupIndex.set(key, g);
      result.push({ metric: groupingLabels(metric, e.without, sortedGrouping), floats: [] });
      cells.grow(g + 1);
    }
    const base = g * steps;
    for (let i = 0; i < n; i++) cells.add(base + ((ts[i] as number) - start) / interval, fs[i] as number);
  });
  // Each step's tempNumSamples check: what the function's outputs hold is already counted.
  if (ev.currentSamples > ev.maxSamples) throw new TooManySamplesError('query execution');
  for (let g = 0; g < result.length; g++) {
    const ss = result[g] as Series;
    // Upstream takes the flag of the input series at the group's index.
    if (cells.emit(ss, g * steps, 0, steps, start, interval)) ss.dropName = dropNames[g];
  }
  return result.filter((s) => s.floats.length > 0);
}

/** quantile at one step (the other operators go through `aggregateByCells`). */
function aggregation(
  q: number,
  ts: number,
  inputMatrix: Matrix,
  cursors: Int32Array,
  outputMatrix: Matrix,
  seriesToResult: Int32Array,
  groups: Group[],
): void {
  for (const g of groups) g.seen = false;
  for (let si = 0; si < inputMatrix.length; si++) {
    const f = nextValue(inputMatrix, cursors, si, ts);
    if (f === undefined) continue;
    const group = groups[seriesToResult[si] as number] as Group;
    if (!group.seen) {
      group.seen = true;
      group.values = [f];
    } else group.values.push(f);
  }
  for (let ri = 0; ri < groups.length; ri++) {
    const aggr = groups[ri] as Group;
    if (!aggr.seen) continue;
    const ss = outputMatrix[ri] as Series;
    ss.floats.push({ t: ts, f: quantile(q, aggr.values) });
    // Upstream takes the flag of the input series at the group's index.
    ss.dropName = (inputMatrix[ri] as Series).dropName;
  }
}

/** topk, bottomk, limitk, limit_ratio at one step; for an instant query, returns the result. */
function aggregationK(
  ev: Evaluator,
  e: AggregateExpr,
  fParam: number,
  ts: number,
  inputMatrix: Matrix,
  cursors: Int32Array,
  seriesToResult: Int32Array,
  groups: Group[],
  seriess: Map<string, Series>,
): Matrix {
  const op = e.op;
  let groupsRemaining = groups.length;
  for (const g of groups) g.seen = false;
  let k = 0;
  let r = 0;
  seriesLoop: for (let si = 0; si < inputMatrix.length; si++) {
    const f = nextValue(inputMatrix, cursors, si, ts);
    if (f === undefined) continue;
    const input = inputMatrix[si] as Series;
    const s: Sample = { metric: input.metric, t: 0, f, dropName: input.dropName };
    switch (op) {
      case 'topk':
      case 'bottomk':
      case 'limitk':
        if (!(fParam <= MAX_INT64 && fParam >= MIN_INT64)) {
          throw new ExecutionError(`Scalar value ${formatG(fParam)} overflows int64`);
        }
        k = Math.min(Math.trunc(fParam), inputMatrix.length);
        if (k < 1) return [];
        break;
      case 'limit_ratio':
        if (Number.isNaN(fParam)) throw new ExecutionError(`Ratio value ${formatG(fParam)} is NaN`);
        if (fParam === 0) return [];
        r = Math.max(-1, Math.min(1, fParam));
        break;
    }
    const group = groups[seriesToResult[si] as number] as Group;
    if (!group.seen) {
      group.seen = true;
      group.groupAggrComplete = false;
      group.heap = [];
      switch (op) {
        case 'limit_ratio':
          if (addRatioSample(r, s)) heapPush(group.heap, s, lessTop);
          break;
        case 'limitk':
          group.heap.push(s);
          break;
        case 'topk':
          heapPush(group.heap, s, lessTop);
          break;
        case 'bottomk':
          heapPush(group.heap, s, lessBottom);
          break;
      }
      continue;
    }
    const heap = group.heap;
    switch (op) {
      case 'topk': {
        const top = heap[0] as Sample;
        if (heap.length < k) heapPush(heap, s, lessTop);
        else if (top.f < s.f || (Number.isNaN(top.f) && !Number.isNaN(s.f))) {
          // Bigger than the smallest kept: replace it.
          heap[0] = s;
          if (k > 1) heapFix(heap, 0, lessTop);
        }
        break;
      }
      case 'bottomk': {
        const top = heap[0] as Sample;
        if (heap.length < k) heapPush(heap, s, lessBottom);
        else if (top.f > s.f || (Number.isNaN(top.f) && !Number.isNaN(s.f))) {
          heap[0] = s;
          if (k > 1) heapFix(heap, 0, lessBottom);
        }
        break;
      }
      case 'limitk':
        if (heap.length < k) heapPush(heap, s, lessTop);
        if (!group.groupAggrComplete && heap.length === k) {
          group.groupAggrComplete = true;
          groupsRemaining--;
          if (groupsRemaining === 0) break seriesLoop;
        }
        break;
      case 'limit_ratio':
        if (addRatioSample(r, s)) heapPush(heap, s, lessTop);
        break;
    }
  }

  const instant = ev.startTimestamp === ev.endTimestamp;
  const mat: Matrix = [];
  const add = (s: Sample) => {
    if (instant) {
      mat.push({ metric: s.metric, floats: [{ t: ts, f: s.f }], dropName: s.dropName });
      return;
    }
    const key = labelsKey(s.metric);
    let ss = seriess.get(key);
    if (!ss) {
      ss = { metric: s.metric, floats: [], dropName: s.dropName };
      seriess.set(key, ss);
    }
    ss.floats.push({ t: ts, f: s.f });
  };
  for (const aggr of groups) {
    if (!aggr.seen) continue;
    const heap = aggr.heap;
    // The heaps keep the weakest kept element on top: sort.Sort(sort.Reverse(heap)).
    if (op === 'topk' && heap.length > 1) goSort(heap, (a, b) => lessTop(b, a));
    if (op === 'bottomk' && heap.length > 1) goSort(heap, (a, b) => lessBottom(b, a));
    for (const s of heap) add(s);
  }
  return mat;
}

/** count_values at one step: a series per distinct value per group. */
export function evalCountValues(e: AggregateExpr, grouping: string[], valueLabel: string, vec: Vector): Vector {
  const keyOf = groupingKeyFunc(grouping, e.without);
  const result = new Map<string, { labels: Labels; count: number }>();
  for (const s of vec) {
    const metric = setLabel(s.metric, valueLabel, formatFloatF(s.f));
    const key = keyOf(metric);
    const group = result.get(key);
    if (group) group.count++;
    else result.set(key, { labels: groupingLabels(metric, e.without, grouping), count: 1 });
  }
  return [...result.values()].map((g) => ({ metric: g.labels, t: 0, f: g.count }));
}

/** Go's strconv.FormatFloat(f, 'f', -1, 64): the shortest digits, never in exponent form. */
export function formatFloatF(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Number.POSITIVE_INFINITY) return '+Inf';
  if (f === Number.NEGATIVE_INFINITY) return '-Inf';
  const s = String(f);
  if (!s.includes('e')) return Object.is(f, -0) ? '-0' : s;
  const [mant, expStr] = s.split('e') as [string, string];
  const exp = Number(expStr);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const intLen = (mant.replace('-', '').split('.')[0] as string).length;
  const point = intLen + exp;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return neg ? `-${out}` : out;
}
