/**
 * The evaluator (upstream's promql/engine.go `evaluator`): evaluates an expression at every step
 * from start to end, node by node, each node returning a matrix (one point per step and series),
 * as upstream does. An instant query is a range of one step.
 *
 * It yields to the event loop at its check points (QueryContext.checkpoint), where it also
 * notices a timeout or cancellation; it counts the samples it holds as upstream does and fails
 * with `query processing would load too many samples into memory in query execution`.
 */
import type { Labels, SelectedSeries } from '../storage/index.js';
import { annotationText } from './annotations.js';
import {
  type AggregateExpr,
  type Call,
  type Expr,
  type MatrixSelector,
  positionOf,
  type SubqueryExpr,
  typeOf,
  type VectorSelector,
} from './ast.js';
import { ExecutionError, QueryError, TooManySamplesError } from './errors.js';
import { FUNCTIONS, type EvalNodeHelper, labelsForAbsent, stringOf } from './functions/index.js';
import { dropMetadata, goQuote, isValidLabelName, labelsKey, METRIC_NAME, sameMetadata, setLabel } from './labels.js';
import { compileRegex, expandTemplate, RegexError } from '../regex/index.js';
import {
  CELLWISE,
  evalAggregation,
  evalAggregationOfRangeFunction,
  evalCountValues,
  type FParams,
  newFParams,
} from './aggregation.js';
import {
  type BinopContext,
  signatureFunc,
  vectorBinop,
  vectorScalarBinop,
  scalarBinop,
  vectorAnd,
  vectorOr,
  vectorUnless,
} from './binary.js';
import { evalInfo } from './info.js';
import { setOffsetForAtModifier } from './preprocess.js';
import type { QueryContext, SampleStats } from './query-context.js';
import { LookbackCursor, PointPool, seriesAsSelected, WindowCursor } from './series-iterators.js';
import type { FPoint, Matrix, Sample, Series, StringValue, Vector } from './value.js';

/** Where upstream's evaluator reports running out of samples (its `env`). */
const ENV = 'query execution';

/** What a node evaluates to: a matrix (one point per step and series), or a string literal. */
export type EvalResult = Matrix | StringValue;

/** Whether a value is a matrix (every node's value but a string literal's). */
export function isMatrix(v: EvalResult): v is Matrix {
  return Array.isArray(v);
}

/** The expression inside any parentheses. */
export function unwrapParens(e: Expr): Expr {
  let x = e;
  while (x.type === 'ParenExpr') x = x.expr;
  return x;
}

/** Upstream's unwrapParenExpr, unwrapStepInvariantExpr, unwrapParenExpr sequence. */
export function unwrapArg(e: Expr): Expr {
  let x = unwrapParens(e);
  if (x.type === 'StepInvariantExpr') x = x.expr;
  return unwrapParens(x);
}

/** Whether two samples in `vec` (or series in a matrix) have the same labels. */
export function containsSameLabelset(items: readonly { metric: Labels }[]): boolean {
  if (items.length < 2) return false;
  const seen = new Set<string>();
  for (const s of items) {
    const k = labelsKey(s.metric);
    if (seen.has(k)) return true;
    seen.add(k);
  }
  return false;
}

/** Upstream's error for two series with the same labels in one vector. */
export function sameLabelsetError(): ExecutionError {
  return new ExecutionError('vector cannot contain metrics with the same labelset');
}

function totalSamples(m: Matrix): number {
  let n = 0;
  for (const s of m) n += s.floats.length;
  return n;
}

/** A synthetic selector standing for an evaluated subquery (upstream's evalSubquery). */
interface SubquerySelector {
  sel: MatrixSelector;
  series: SelectedSeries[];
  totalSamples: number;
}

/** Evaluates expressions from start to end by interval (upstream's evaluator); see the module comment. */
export class Evaluator {
  currentSamples: number;

  constructor(
    readonly q: QueryContext,
    readonly startTimestamp: number,
    readonly endTimestamp: number,
    readonly interval: number,
    currentSamples: number,
    public stats: SampleStats,
  ) {
    this.currentSamples = currentSamples;
  }

  get maxSamples(): number {
    return this.q.maxSamples;
  }

  get delayed(): boolean {
    return this.q.enableDelayedNameRemoval;
  }

  numSteps(): number {
    return Math.floor((this.endTimestamp - this.startTimestamp) / this.interval) + 1;
  }

  /** Counts one more sample held; fails past max-samples. */
  countSample(n = 1): void {
    this.currentSamples += n;
    if (this.currentSamples > this.maxSamples) throw new TooManySamplesError(ENV);
  }

  /** Upstream's Eval: evaluates and, with delayed name removal, drops names at the end. */
  async run(expr: Expr): Promise<EvalResult> {
    let v: EvalResult;
    try {
      v = await this.eval(expr);
    } catch (err) {
      if (err instanceof QueryError) throw err;
      // Upstream turns runtime panics into `unexpected error: …`.
      throw new ExecutionError(`unexpected error: ${(err as Error).message}`);
    }
    if (this.delayed && isMatrix(v)) {
      for (const s of v) if (s.dropName) s.metric = dropMetadata(s.metric);
      if (containsSameLabelset(v)) throw sameLabelsetError();
    }
    return v;
  }

  async evalMatrix(expr: Expr): Promise<Matrix> {
    const v = await this.eval(expr);
    if (!isMatrix(v)) throw new Error(`expected a matrix from ${expr.type}`);
    return v;
  }

  async eval(expr: Expr): Promise<EvalResult> {
    await this.q.checkpoint();
    if (this.endTimestamp < this.startTimestamp) return [];
    switch (expr.type) {
      case 'AggregateExpr':
        return this.evalAggregate(expr);
      case 'Call':
        return this.evalCall(expr);
      case 'ParenExpr':
        return this.eval(expr.expr);
      case 'UnaryExpr': {
        const mat = await this.evalMatrix(expr.expr);
        if (expr.op === '-') {
          for (const s of mat) {
            if (!this.delayed) s.metric = dropMetadata(s.metric);
            s.dropName = true;
            for (const p of s.floats) p.f = -p.f;
          }
          if (!this.delayed && containsSameLabelset(mat)) throw sameLabelsetError();
        }
        return mat;
      }
      case 'BinaryExpr':
        return this.evalBinary(expr);
      case 'NumberLiteral': {
        const val = expr.val;
        return this.rangeEval(null, () => [{ metric: {}, t: 0, f: val }], []);
      }
      case 'StringLiteral':
        return { t: this.startTimestamp, v: expr.val };
      case 'VectorSelector': {
        const series = this.seriesOf(expr);
        return this.evalSeries(series, expr.offset, false);
      }
      case 'MatrixSelector':
        if (this.startTimestamp !== this.endTimestamp) {
          throw new ExecutionError('unexpected error: cannot do range evaluation of matrix selector');
        }
        return this.matrixSelector(expr);
      case 'SubqueryExpr':
        return this.evalSubqueryExpr(expr);
      case 'StepInvariantExpr':
        return this.evalStepInvariant(expr.expr);
    }
  }

  seriesOf(vs: VectorSelector): readonly SelectedSeries[] {
    return this.q.series.get(vs) ?? [];
  }

  /**
   * Evaluates `exprs` to matrices, then calls `funcCall` at every step with their vectors at
   * that step, and assembles its outputs into series (upstream's rangeEval).
   */
  async rangeEval(
    signature: ((l: Labels) => string) | null,
    funcCall: (args: Vector[], sigs: string[][], enh: EvalNodeHelper) => Vector,
    exprs: Expr[],
  ): Promise<Matrix> {
    const originalNumSamples = this.currentSamples;
    const matrixes: Matrix[] = [];
    for (const e of exprs) {
      // String arguments are read from the expressions, not evaluated.
      matrixes.push(typeOf(e) === 'string' ? [] : await this.evalMatrix(e));
    }
    const seriesSigs = signature ? matrixes.map((m) => m.map((s) => signature(s.metric))) : [];
    const cursors = matrixes.map((m) => new Int32Array(m.length));
    const vectors: Vector[] = matrixes.map(() => []);
    const sigs: string[][] = matrixes.map(() => []);
    const enh: EvalNodeHelper = { ts: 0, annos: this.q.annotations, delayedNameRemoval: this.delayed };
    const seriess = new Map<string, { series: Series; ts: number }>();
    let tempNumSamples = this.currentSamples;
    for (let ts = this.startTimestamp; ts <= this.endTimestamp; ts += this.interval) {
      await this.q.checkpoint();
      this.currentSamples = tempNumSamples;
      for (let i = 0; i < matrixes.length; i++) {
        this.gatherVector(
          ts,
          matrixes[i] as Matrix,
          cursors[i] as Int32Array,
          vectors[i] as Vector,
          sigs[i] as string[],
          seriesSigs[i],
        );
      }
      enh.ts = ts;
      const result = funcCall(vectors, sigs, enh);
      this.currentSamples += result.length;
      tempNumSamples += result.length;
      this.stats.updatePeak(this.currentSamples);
      if (this.currentSamples > this.maxSamples) throw new TooManySamplesError(ENV);
      if (this.endTimestamp === this.startTimestamp) {
        if (!this.delayed && containsSameLabelset(result)) throw sameLabelsetError();
        const mat = result.map((s) => ({ metric: s.metric, floats: [{ t: ts, f: s.f }], dropName: s.dropName }));
        this.currentSamples = originalNumSamples + mat.length;
        this.stats.updatePeak(this.currentSamples);
        return mat;
      }
      for (const sample of result) {
        const key = labelsKey(sample.metric);
        let ss = seriess.get(key);
        if (ss) {
          if (ss.ts === ts) throw sameLabelsetError();
          ss.ts = ts;
        } else {
          ss = { series: { metric: sample.metric, floats: [], dropName: sample.dropName }, ts };
          seriess.set(key, ss);
        }
        ss.series.floats.push({ t: ts, f: sample.f });
      }
    }
    const mat = [...seriess.values()].map((s) => s.series);
    this.currentSamples = originalNumSamples + totalSamples(mat);
    this.stats.updatePeak(this.currentSamples);
    return mat;
  }

  /** The samples of `input` at `ts` into `out` (upstream's gatherVector), moving the cursors on. */
  gatherVector(
    ts: number,
    input: Matrix,
    cursors: Int32Array,
    out: Vector,
    outSigs: string[],
    seriesSigs: string[] | undefined,
  ): void {
    out.length = 0;
    outSigs.length = 0;
    for (let i = 0; i < input.length; i++) {
      const series = input[i] as Series;
      const c = cursors[i] as number;
      const p = series.floats[c];
      if (p === undefined || p.t !== ts) continue;
      cursors[i] = c + 1;
      out.push({ metric: series.metric, t: ts, f: p.f, dropName: series.dropName });
      if (seriesSigs) outSigs.push(seriesSigs[i] as string);
      this.countSample();
    }
    this.stats.updatePeak(this.currentSamples);
  }

  /** An instant selector at every step (upstream's evalSeries). */
  async evalSeries(series: readonly SelectedSeries[], offset: number, recordOrigT: boolean): Promise<Matrix> {
    const mat: Matrix = [];
    const lookback = this.q.lookbackDelta;
    for (const s of series) {
      await this.q.checkpoint();
      const cursor = new LookbackCursor(s.iterator());
      let floats: FPoint[] | undefined;
      let n = 0;
      for (let ts = this.startTimestamp; ts <= this.endTimestamp; ts += this.interval) {
        if ((++n & 1023) === 0 && this.q.due()) await this.q.pause();
        if (!cursor.at(ts - offset, lookback)) continue;
        this.countSample();
        this.stats.totalSamples++;
        floats ??= [];
        // For info(): the sample's own timestamp stands in for its value (which is 1 by convention).
        floats.push({ t: ts, f: recordOrigT ? cursor.t : cursor.v });
      }
      if (floats) mat.push({ metric: s.labels, floats });
    }
    this.stats.updatePeak(this.currentSamples);
    return mat;
  }

  /** A range selector in an instant query: its points as they are (upstream's matrixSelector). */
  async matrixSelector(node: MatrixSelector): Promise<Matrix> {
    const vs = node.vectorSelector;
    const maxt = this.startTimestamp - vs.offset;
    const mint = maxt - node.range;
    const matrix: Matrix = [];
    for (const s of this.seriesOf(vs)) {
      await this.q.checkpoint();
      const floats: FPoint[] = [];
      this.countSample(new WindowCursor(s.iterator()).fill(mint, maxt, floats));
      this.stats.totalSamples += floats.length;
      if (floats.length > 0) matrix.push({ metric: s.labels, floats });
    }
    this.stats.updatePeak(this.currentSamples);
    return matrix;
  }

  /**
   * The points of a window sliding from the previous step's, reusing `floats` (upstream's
   * matrixIterSlice): the points that fall out go back to `pool`, and new ones come from it.
   */
  matrixIterSlice(cursor: WindowCursor, mint: number, maxt: number, floats: FPoint[], pool: PointPool): void {
    const n = floats.length;
    const last = floats[n - 1];
    if (last && last.t > mint) {
      let drop = 0;
      while ((floats[drop] as FPoint).t <= mint) drop++;
      if (drop > 0) {
        this.currentSamples -= drop;
        // shift(), not splice (which allocates the removed part) or copyWithin and a new length
        // (slow generic paths in V8): a window drops a point or two per step.
        for (let i = 0; i < drop; i++) pool.take(floats.shift() as FPoint);
      }
    } else {
      this.currentSamples -= n;
      pool.recycle(floats, 0, n);
      floats.length = 0;
    }
    if (mint === maxt) return;
    const added = cursor.fill(mint, maxt, floats, pool);
    if (added > 0) this.countSample(added);
    this.stats.updatePeak(this.currentSamples);
  }

  async evalAggregate(e: AggregateExpr): Promise<Matrix> {
    const sortedGrouping = [...e.grouping].sort();
    const param = e.param ? unwrapArg(e.param) : null;
    if (e.op === 'count_values') {
      const valueLabel = stringOf(param as Expr);
      if (!isValidLabelName(valueLabel)) throw new ExecutionError(`invalid label name ${goQuote(valueLabel)}`);
      let grouping = sortedGrouping;
      if (!e.without) grouping = [...sortedGrouping, valueLabel].sort();
      return this.rangeEval(null, (v) => evalCountValues(e, grouping, valueLabel, v[0] as Vector), [e.expr]);
    }
    const originalNumSamples = this.currentSamples;
    const fp: FParams = await newFParams(this, param);
    const fused = CELLWISE.has(e.op) ? this.rangeCallOf(e.expr) : undefined;
    let result: Matrix;
    if (fused) {
      // The call's own check point, as evaluating it would have.
      await this.q.checkpoint();
      const { call, args, matrixArgIndex } = fused;
      result = await evalAggregationOfRangeFunction(this, e, sortedGrouping, (emit) =>
        this.rangeFunctionOutputs(call, args, matrixArgIndex, undefined, emit),
      );
    } else result = await evalAggregation(this, e, sortedGrouping, await this.evalMatrix(e.expr), fp);
    this.currentSamples = originalNumSamples + totalSamples(result);
    this.stats.updatePeak(this.currentSamples);
    return result;
  }

  async evalBinary(e: Expr & { type: 'BinaryExpr' }): Promise<Matrix> {
    const lt = typeOf(e.lhs);
    const rt = typeOf(e.rhs);
    const pos = positionOf(e);
    const ctx: BinopContext = { ev: this, pos, annos: this.q.annotations, resultMetrics: new WeakMap() };
    if (lt === 'scalar' && rt === 'scalar') {
      return this.rangeEval(
        null,
        (v) => [
          {
            metric: {},
            t: 0,
            f: scalarBinop(e.op, ((v[0] as Vector)[0] as Sample).f, ((v[1] as Vector)[0] as Sample).f),
          },
        ],
        [e.lhs, e.rhs],
      );
    }
    if (lt === 'vector' && rt === 'vector') {
      const matching = e.matching;
      if (!matching) throw new Error('vector matching missing');
      const sig = signatureFunc(matching.on, matching.matchingLabels);
      switch (e.op) {
        case 'and':
          return this.rangeEval(
            sig,
            (v, s) => vectorAnd(v[0] as Vector, v[1] as Vector, s[0] as string[], s[1] as string[]),
            [e.lhs, e.rhs],
          );
        case 'or':
          return this.rangeEval(
            sig,
            (v, s) => vectorOr(v[0] as Vector, v[1] as Vector, s[0] as string[], s[1] as string[]),
            [e.lhs, e.rhs],
          );
        case 'unless':
          return this.rangeEval(
            sig,
            (v, s) => vectorUnless(v[0] as Vector, v[1] as Vector, s[0] as string[], s[1] as string[]),
            [e.lhs, e.rhs],
          );
        default:
          return this.rangeEval(
            sig,
            (v, s) =>
              vectorBinop(
                ctx,
                e.op,
                v[0] as Vector,
                v[1] as Vector,
                matching,
                e.returnBool,
                s[0] as string[],
                s[1] as string[],
              ),
            [e.lhs, e.rhs],
          );
      }
    }
    if (lt === 'vector' && rt === 'scalar') {
      return this.rangeEval(
        null,
        (v) => vectorScalarBinop(ctx, e.op, v[0] as Vector, ((v[1] as Vector)[0] as Sample).f, false, e.returnBool),
        [e.lhs, e.rhs],
      );
    }
    return this.rangeEval(
      null,
      (v) => vectorScalarBinop(ctx, e.op, v[1] as Vector, ((v[0] as Vector)[0] as Sample).f, true, e.returnBool),
      [e.lhs, e.rhs],
    );
  }

  async evalCall(e: Call): Promise<Matrix> {
    const name = e.func.name;
    const call = FUNCTIONS[name];
    const args = e.args.map(unwrapParens);
    if (name === 'timestamp') {
      const arg = unwrapArg(args[0] as Expr);
      if (arg.type === 'VectorSelector') return this.timestampOverSelector(arg, e);
    }
    // Find the range argument; a subquery is evaluated now and read as a range selector.
    let matrixArgIndex = -1;
    let subquery: SubquerySelector | undefined;
    for (let i = 0; i < args.length; i++) {
      const a = unwrapArg(args[i] as Expr);
      if (a.type === 'MatrixSelector') {
        matrixArgIndex = i;
        break;
      }
      if (a.type === 'SubqueryExpr') {
        matrixArgIndex = i;
        subquery = await this.evalSubquery(a);
        args[i] = subquery.sel;
        break;
      }
    }
    try {
      switch (name) {
        case 'label_replace':
          return await this.evalLabelReplace(args);
        case 'label_join':
          return await this.evalLabelJoin(args);
        case 'info':
          return await this.evalInfo(args);
      }
      if (!call) throw new ExecutionError(`unknown function ${name}`);
      if (matrixArgIndex < 0) return await this.rangeEval(null, (v, _s, enh) => call(v, args, enh), args);
      return await this.evalRangeFunction(e, args, matrixArgIndex, subquery);
    } finally {
      // The subquery's result took space in memory until now.
      if (subquery) this.currentSamples -= subquery.totalSamples;
    }
  }

  /** A function over a range argument: its outputs as a matrix (see `rangeFunctionOutputs`). */
  async evalRangeFunction(
    e: Call,
    args: Expr[],
    matrixArgIndex: number,
    subquery: SubquerySelector | undefined,
  ): Promise<Matrix> {
    const mat: Matrix = [];
    await this.rangeFunctionOutputs(e, args, matrixArgIndex, subquery, (metric, dropName, n, ts, fs) => {
      const floats: FPoint[] = [];
      for (let i = 0; i < n; i++) floats.push({ t: ts[i] as number, f: fs[i] as number });
      mat.push({ metric, floats, dropName });
    });
    const name = e.func.name;
    const dropName = name !== 'last_over_time';
    if (name === 'absent_over_time') {
      // One series: 1 at every step where no input series had a value.
      const steps = this.numSteps();
      for (const s of mat) if (s.floats.length === steps) return [];
      const found = new Set<number>();
      for (let i = 0; i < mat.length; i++) {
        for (const p of (mat[i] as Series).floats) found.add(p.t);
        if (i > 0 && found.size === steps) return [];
      }
      const points: FPoint[] = [];
      for (let ts = this.startTimestamp; ts <= this.endTimestamp; ts += this.interval) {
        if (!found.has(ts)) points.push({ t: ts, f: 1 });
      }
      return [{ metric: labelsForAbsent(args[0] as Expr), floats: points, dropName }];
    }
    return mat;
  }

  /**
   * The call `expr` is, if an aggregation may take its outputs as they come
   * (`rangeFunctionOutputs`): a function over a range selector (not a subquery), other than
   * those the evaluator treats apart.
   */
  rangeCallOf(expr: Expr): { call: Call; args: Expr[]; matrixArgIndex: number } | undefined {
    const e = unwrapParens(expr);
    if (e.type !== 'Call') return undefined;
    const name = e.func.name;
    if (!FUNCTIONS[name] || ['label_replace', 'label_join', 'info', 'timestamp', 'absent_over_time'].includes(name)) {
      return undefined;
    }
    const args = e.args.map(unwrapParens);
    // As evalCall finds the range argument: the first range selector or subquery.
    for (let i = 0; i < args.length; i++) {
      const a = unwrapArg(args[i] as Expr);
      if (a.type === 'MatrixSelector') return { call: e, args, matrixArgIndex: i };
      if (a.type === 'SubqueryExpr') return undefined;
    }
    return undefined;
  }

  /**
   * A function over a range argument: per series, per step, over the sliding window, each series'
   * outputs handed to `emit` (in arrays reused for the next series) instead of kept, so an
   * aggregation over the function need not hold them (see evalAggregationOfRangeFunction). The
   * samples are counted as if they were kept; the same-labelset check is made here.
   */
  async rangeFunctionOutputs(
    e: Call,
    args: Expr[],
    matrixArgIndex: number,
    subquery: SubquerySelector | undefined,
    emit: (metric: Labels, dropName: boolean, n: number, ts: Float64Array, fs: Float64Array) => void,
  ): Promise<void> {
    const name = e.func.name;
    const call = FUNCTIONS[name] as NonNullable<(typeof FUNCTIONS)[string]>;
    const otherArgs: (Matrix | null)[] = [];
    const inArgs: (Vector | Matrix)[] = [];
    for (let i = 0; i < args.length; i++) {
      if (i === matrixArgIndex) {
        otherArgs.push(null);
        inArgs.push([]);
        continue;
      }
      otherArgs.push(await this.evalMatrix(args[i] as Expr));
      inArgs.push([{ metric: {}, t: 0, f: 0 }]);
    }
    const sel = unwrapArg(args[matrixArgIndex] as Expr) as MatrixSelector;
    const vs = sel.vectorSelector;
    const series = subquery ? subquery.series : this.seriesOf(vs);
    const offset = vs.offset;
    const selRange = sel.range;
    const inMatrix: Matrix = [{ metric: {}, floats: [] }];
    inArgs[matrixArgIndex] = inMatrix;
    const enh: EvalNodeHelper = { ts: 0, annos: this.q.annotations, delayedNameRemoval: this.delayed };
    // last_over_time acts like an offset: it keeps the metric name. Every other one drops it.
    const dropName = name !== 'last_over_time';
    const floats: FPoint[] = [];
    const pool = new PointPool();
    const checkedNames = new Set<string>();
    // Whether every series has the first's metadata labels: see the same-labelset check below.
    let sameMeta = true;
    const outT = new Float64Array(this.numSteps());
    const outF = new Float64Array(outT.length);
    // The outputs' labels, for the same-labelset check.
    const outputs: { metric: Labels }[] = [];
    const steps = new RangeSteps(this, {
      call,
      args,
      matrixArgIndex,
      otherArgs,
      inArgs,
      window: inMatrix[0] as Series,
      enh,
      floats,
      pool,
      offset,
      range: selRange,
      fixed: vs.timestamp !== null,
      outT,
      outF,
    });
    for (const s of series) {
      // checkpoint() without its promise when there is no turn to give: once per series adds up.
      this.q.check('expression evaluation');
      if (this.q.due()) await this.q.pause();
      this.currentSamples -= floats.length;
      pool.recycle(floats, 0, floats.length);
      floats.length = 0;
      const cursor = new WindowCursor(s.iterator());
      const metric = !this.delayed && dropName ? dropMetadata(s.labels) : s.labels;
      (inMatrix[0] as Series).metric = s.labels;
      steps.n = 0;
      for (let step = steps.run(cursor, 0); step >= 0; step = steps.run(cursor, step)) {
        if (this.q.due()) await this.q.pause();
      }
      const n = steps.n;
      if (n > 0) {
        if (this.currentSamples + n > this.maxSamples) throw new TooManySamplesError(ENV);
        emit(metric, dropName, n, outT, outF);
        outputs.push({ metric });
        this.currentSamples += n;
      }
      this.stats.updatePeak(this.currentSamples);
      if (name === 'rate' || name === 'increase') {
        const metricName = s.labels[METRIC_NAME] ?? '';
        // Each name is tested, and annotated, once: the same message again at the same position
        // would change nothing, and building it per series was a tenth of such a query.
        if (metricName !== '' && n > 0 && !checkedNames.has(metricName)) {
          checkedNames.add(metricName);
          if (!/_(total|sum|count|bucket)$/.test(metricName)) {
            this.q.annotations.add('info', annotationText.possibleNonCounter(metricName), positionOf(args[0] as Expr));
          }
        }
      }
      if (!sameMeta || !sameMetadata(s.labels, (series[0] as SelectedSeries).labels)) sameMeta = false;
    }
    this.stats.updatePeak(this.currentSamples);
    this.currentSamples -= floats.length;

    // Selected series are distinct label sets; if they all carry the same metadata labels,
    // dropping those keeps them distinct, and the check (a key per series) has nothing to find.
    const distinct = !subquery && (!dropName || sameMeta);
    if (name !== 'absent_over_time' && !this.delayed && !distinct && containsSameLabelset(outputs)) {
      throw sameLabelsetError();
    }
  }

  /** timestamp() of a selector: the samples' own timestamps, not the steps' (upstream's special case). */
  async timestampOverSelector(vs: VectorSelector, e: Call): Promise<Matrix> {
    const series = this.seriesOf(vs);
    const cursors = series.map((s) => new LookbackCursor(s.iterator()));
    const call = FUNCTIONS.timestamp as NonNullable<(typeof FUNCTIONS)[string]>;
    const lookback = this.q.lookbackDelta;
    return this.rangeEval(
      null,
      (_v, _s, enh) => {
        // With @, every step reads the sample at the @ time (upstream issue 8433).
        const offset = vs.timestamp !== null ? enh.ts - vs.timestamp : vs.offset;
        const vec: Vector = [];
        for (let i = 0; i < series.length; i++) {
          const c = cursors[i] as LookbackCursor;
          if (!c.at(enh.ts - offset, lookback)) continue;
          vec.push({ metric: (series[i] as SelectedSeries).labels, t: c.t, f: 0 });
          this.countSample();
          this.stats.totalSamples++;
        }
        this.stats.updatePeak(this.currentSamples);
        return call([vec], e.args, enh);
      },
      [],
    );
  }

  /** Evaluates a subquery and makes it a range selector over its result (upstream's evalSubquery). */
  async evalSubquery(subq: SubqueryExpr): Promise<SubquerySelector> {
    const stats = this.stats;
    this.stats = stats.child();
    const mat = await this.evalMatrix(subq);
    stats.updatePeakFromSubquery(this.stats);
    this.stats = stats;
    let offset = subq.offset;
    // The subquery's offset is not adjusted for @: do it here.
    if (subq.timestamp !== null) offset = subq.originalOffset + (this.startTimestamp - subq.timestamp);
    const sel: MatrixSelector = {
      type: 'MatrixSelector',
      vectorSelector: {
        type: 'VectorSelector',
        name: '',
        labelMatchers: [],
        originalOffset: subq.originalOffset,
        offset,
        timestamp: subq.timestamp,
        startOrEnd: null,
        posRange: { start: 0, end: 0 },
      },
      range: subq.range,
      endPos: 0,
    };
    return { sel, series: mat.map(seriesAsSelected), totalSamples: totalSamples(mat) };
  }

  /** A subquery: its expression evaluated at its own steps, aligned to multiples of its step. */
  async evalSubqueryExpr(e: SubqueryExpr): Promise<Matrix> {
    const offset = e.offset;
    const range = e.range;
    const interval = e.step !== 0 ? e.step : this.q.noStepSubqueryInterval(range);
    // The first step after start - offset - range that is a multiple of the interval (Go's / truncates).
    const from = this.startTimestamp - offset - range;
    let start = interval * Math.trunc(from / interval);
    if (start <= from) start += interval;
    const child = new Evaluator(
      this.q,
      start,
      this.endTimestamp - offset,
      interval,
      this.currentSamples,
      this.stats.child(),
    );
    // Selectors with @ have offsets relative to the start: adjust them to the subquery's start.
    if (start !== this.startTimestamp) setOffsetForAtModifier(start, e.expr);
    const res = await child.evalMatrix(e.expr);
    this.currentSamples = child.currentSamples;
    this.stats.updatePeakFromSubquery(child.stats);
    this.stats.totalSamples += child.stats.totalSamples;
    return res;
  }

  /** A step-invariant subtree: evaluated once at the start, its value repeated at every step. */
  async evalStepInvariant(inner: Expr): Promise<EvalResult> {
    if (inner.type === 'StringLiteral' || inner.type === 'NumberLiteral') return this.eval(inner);
    const child = new Evaluator(
      this.q,
      this.startTimestamp,
      this.startTimestamp,
      this.interval,
      this.currentSamples,
      this.stats.child(),
    );
    const res = await child.eval(inner);
    this.currentSamples = child.currentSamples;
    this.stats.updatePeakFromSubquery(child.stats);
    this.stats.totalSamples += child.stats.totalSamples * this.numSteps();
    if (inner.type === 'MatrixSelector' || inner.type === 'SubqueryExpr') return res;
    if (!isMatrix(res)) return res;
    for (const s of res) {
      const first = s.floats[0] as FPoint;
      let n = 0;
      for (let ts = this.startTimestamp + this.interval; ts <= this.endTimestamp; ts += this.interval) {
        s.floats.push({ t: ts, f: first.f });
        this.countSample();
        // Millions of steps (`vector(1)[1h:1ms]`) must not hold the event loop, nor outlive the
        // query's timeout.
        if ((++n & 0xfff) === 0) await this.q.checkpoint();
      }
    }
    this.stats.updatePeak(this.currentSamples);
    return res;
  }

  async evalLabelReplace(args: Expr[]): Promise<Matrix> {
    const dst = stringOf(args[1] as Expr);
    const repl = stringOf(args[2] as Expr);
    const src = stringOf(args[3] as Expr);
    const regexStr = stringOf(args[4] as Expr);
    let regex: ReturnType<typeof compileRegex>;
    try {
      regex = compileRegex(regexStr);
    } catch (err) {
      if (err instanceof RegexError)
        throw new ExecutionError(`invalid regular expression in label_replace(): ${regexStr}`);
      throw err;
    }
    if (!isValidLabelName(dst)) throw new ExecutionError(`invalid destination label name in label_replace(): ${dst}`);
    const matrix = await this.evalMatrix(args[0] as Expr);
    for (const el of matrix) {
      const m = regex.match(el.metric[src] ?? '');
      if (!m) continue;
      el.metric = setLabel(el.metric, dst, expandTemplate(repl, m));
      if (dst === METRIC_NAME) el.dropName = false;
    }
    if (containsSameLabelset(matrix)) throw sameLabelsetError();
    return matrix;
  }

  async evalLabelJoin(args: Expr[]): Promise<Matrix> {
    const dst = stringOf(args[1] as Expr);
    const sep = stringOf(args[2] as Expr);
    const srcLabels: string[] = [];
    for (let i = 3; i < args.length; i++) {
      const src = stringOf(args[i] as Expr);
      if (!isValidLabelName(src)) throw new ExecutionError(`invalid source label name in label_join(): ${src}`);
      srcLabels.push(src);
    }
    if (!isValidLabelName(dst)) throw new ExecutionError(`invalid destination label name in label_join(): ${dst}`);
    const matrix = await this.evalMatrix(args[0] as Expr);
    for (const el of matrix) {
      el.metric = setLabel(el.metric, dst, srcLabels.map((l) => el.metric[l] ?? '').join(sep));
      if (dst === METRIC_NAME) el.dropName = false;
    }
    if (containsSameLabelset(matrix)) throw sameLabelsetError();
    return matrix;
  }

  async evalInfo(args: Expr[]): Promise<Matrix> {
    return evalInfo(this, args);
  }
}

/** What `RangeSteps` works with: one range function call's arguments, window and outputs. */
interface RangeStepsState {
  call: NonNullable<(typeof FUNCTIONS)[string]>;
  args: Expr[];
  matrixArgIndex: number;
  /** The other arguments' values (one series each, a point per step), null at the range argument. */
  otherArgs: (Matrix | null)[];
  /** The call's arguments at a step: the other arguments' sample, and `window` at the range argument. */
  inArgs: (Vector | Matrix)[];
  window: Series;
  enh: EvalNodeHelper;
  floats: FPoint[];
  pool: PointPool;
  offset: number;
  range: number;
  /** With @, the window is the same at every step: it is read once. */
  fixed: boolean;
  outT: Float64Array;
  outF: Float64Array;
}

/**
 * The steps of a range function over one series: a synchronous loop (an await inside the step
 * loop made the whole of it a slower, resumable function), run in slices so that the async
 * caller can yield between them.
 */
class RangeSteps {
  /** Outputs of the current series so far, in `outT`/`outF`. */
  n = 0;

  constructor(
    private readonly ev: Evaluator,
    private readonly st: RangeStepsState,
  ) {}

  /** Runs up to 256 steps from `step` on; returns the step to go on from, or −1 when all are done. */
  run(cursor: WindowCursor, step: number): number {
    const { ev, st } = this;
    const { args, matrixArgIndex, otherArgs, inArgs, floats, enh, outT, outF } = st;
    const start = ev.startTimestamp;
    const end = ev.endTimestamp;
    const interval = ev.interval;
    const stop = step + 256;
    let n = this.n;
    let k = step;
    for (let ts = start + k * interval; ts <= end; ts += interval, k++) {
      if (k === stop) {
        this.n = n;
        return k;
      }
      for (let j = 0; j < args.length; j++) {
        if (j === matrixArgIndex) continue;
        const other = otherArgs[j] as Matrix;
        ((inArgs[j] as Vector)[0] as Sample).f = ((other[0] as Series).floats[k] as FPoint).f;
      }
      if (ts === start || !st.fixed) {
        const maxt = ts - st.offset;
        ev.matrixIterSlice(cursor, maxt - st.range, maxt, floats, st.pool);
      }
      if (floats.length === 0) continue;
      st.window.floats = floats;
      enh.ts = ts;
      const out = st.call(inArgs, args, enh)[0];
      ev.stats.totalSamples += floats.length;
      if (out) {
        outT[n] = ts;
        outF[n++] = out.f;
      }
    }
    this.n = n;
    return -1;
  }
}
