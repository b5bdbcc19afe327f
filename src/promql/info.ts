/**
 * The experimental info() function (upstream's promql/info.go): adds to each series the data
 * labels of the info series (target_info by default) that share its identifying labels
 * (instance, job). With no info series present it returns its input unchanged.
 */
import type { Labels, Matcher } from '../storage/index.js';
import { compileRegex } from '../regex/index.js';
import type { Expr, VectorSelector } from './ast.js';
import { ExecutionError, TooManySamplesError } from './errors.js';
import { type Evaluator, sameLabelsetError } from './evaluator.js';
import { labelsKey, METRIC_NAME, setLabel } from './labels.js';
import { inspect } from './preprocess.js';
import type { Matrix, Sample, Series, Vector } from './value.js';

const TARGET_INFO = 'target_info';
const IDENTIFYING_LABELS = ['instance', 'job'];

function matches(m: Matcher, value: string): boolean {
  switch (m.type) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    case '=~':
      return compileRegex(m.value).test(value);
    case '!~':
      return !compileRegex(m.value).test(value);
  }
}

/** Go's regexp.QuoteMeta. */
function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** info(v, selector?): `v` with the data labels of its info series added (upstream's evalInfo). */
export async function evalInfo(ev: Evaluator, args: Expr[]): Promise<Matrix> {
  const mat = await ev.evalMatrix(args[0] as Expr);
  const dataLabelMatchers = new Map<string, Matcher[]>();
  let infoNameMatchers: Matcher[] = [];
  if (args.length > 1) {
    const selector = args[1] as VectorSelector;
    for (const m of selector.labelMatchers) {
      dataLabelMatchers.set(m.name, [...(dataLabelMatchers.get(m.name) ?? []), m]);
      if (m.name === METRIC_NAME) infoNameMatchers.push(m);
    }
  } else {
    infoNameMatchers = [{ type: '=', name: METRIC_NAME, value: TARGET_INFO }];
  }
  // Info series among the input are passed through as they are.
  const ignoreSeries = new Set<number>();
  mat.forEach((s, i) => {
    const name = s.metric[METRIC_NAME] ?? '';
    if (infoNameMatchers.some((m) => matches(m, name))) ignoreSeries.add(i);
  });
  const infoMat = await fetchInfoSeries(ev, args[0] as Expr, mat, ignoreSeries, dataLabelMatchers);
  return combineWithInfoSeries(ev, mat, infoMat, ignoreSeries, dataLabelMatchers);
}

async function fetchInfoSeries(
  ev: Evaluator,
  expr: Expr,
  mat: Matrix,
  ignoreSeries: Set<number>,
  dataLabelMatchers: Map<string, Matcher[]>,
): Promise<Matrix> {
  const idValues = new Map<string, Set<string>>();
  mat.forEach((s, i) => {
    if (ignoreSeries.has(i)) return;
    for (const l of IDENTIFYING_LABELS) {
      const v = s.metric[l];
      if (!v) continue;
      let set = idValues.get(l);
      if (!set) {
        set = new Set();
        idValues.set(l, set);
      }
      set.add(v);
    }
  });
  if (idValues.size === 0) return [];
  const infoLabelMatchers: Matcher[] = [];
  for (const [name, vals] of idValues) {
    infoLabelMatchers.push({ type: '=~', name, value: [...vals].map(quoteMeta).join('|') });
  }
  let nameMatcher: Matcher | undefined;
  for (const [name, ms] of [...dataLabelMatchers]) {
    const rest: Matcher[] = [];
    for (const m of ms) {
      if (m.name === METRIC_NAME) nameMatcher = m;
      else rest.push(m);
      infoLabelMatchers.push(m);
    }
    if (rest.length > 0) dataLabelMatchers.set(name, rest);
    else dataLabelMatchers.delete(name);
  }
  if (!nameMatcher) infoLabelMatchers.unshift({ type: '=', name: METRIC_NAME, value: TARGET_INFO });

  // The time range: that of the first selector of the argument, with lookback.
  let nodeTimestamp: number | null = null;
  let offset = 0;
  let found = false;
  inspect(expr, (n) => {
    if (found || n.type !== 'VectorSelector') return;
    found = true;
    if (n.timestamp !== null) nodeTimestamp = n.timestamp;
    offset = n.originalOffset;
  });
  let start = nodeTimestamp ?? ev.startTimestamp;
  let end = nodeTimestamp ?? ev.endTimestamp;
  start -= ev.q.lookbackDelta - 1;
  start -= offset;
  end -= offset;
  const series = ev.q.queryable.querier(start, end).select(infoLabelMatchers, { sorted: false });
  return ev.evalSeries(series, 0, true);
}

async function combineWithInfoSeries(
  ev: Evaluator,
  mat: Matrix,
  infoMat: Matrix,
  ignoreSeries: Set<number>,
  dataLabelMatchers: Map<string, Matcher[]>,
): Promise<Matrix> {
  const sigOf = (name: string, l: Labels): string => {
    let key = `${METRIC_NAME}\xff${name}\xff`;
    for (const id of IDENTIFYING_LABELS) if (l[id]) key += `${id}\xff${l[id]}\xff`;
    return key;
  };
  const infoMetrics = [...new Set(infoMat.map((s) => s.metric[METRIC_NAME] ?? ''))];
  const baseSigs = mat.map((s) => new Map(infoMetrics.map((n) => [n, sigOf(n, s.metric)])));
  const infoSigs = infoMat.map((s) => sigOf(s.metric[METRIC_NAME] ?? '', s.metric));
  const originalNumSamples = ev.currentSamples;
  let tempNumSamples = ev.currentSamples;
  const seriess = new Map<string, { series: Series; ts: number }>();
  const cursors = [new Int32Array(mat.length), new Int32Array(infoMat.length)];
  const baseVector: Vector = [];
  const infoVector: Vector = [];
  const baseIdx: number[] = [];
  const infoIdx: number[] = [];
  for (let ts = ev.startTimestamp; ts <= ev.endTimestamp; ts += ev.interval) {
    await ev.q.checkpoint();
    ev.currentSamples = tempNumSamples;
    gatherWithIndex(ev, ts, mat, cursors[0] as Int32Array, baseVector, baseIdx);
    gatherWithIndex(ev, ts, infoMat, cursors[1] as Int32Array, infoVector, infoIdx);
    const result = combineWithInfoVector(
      baseVector,
      baseIdx,
      infoVector,
      infoIdx,
      ignoreSeries,
      baseSigs,
      infoSigs,
      dataLabelMatchers,
    );
    ev.currentSamples += result.length;
    tempNumSamples += result.length;
    ev.stats.updatePeak(ev.currentSamples);
    if (ev.currentSamples > ev.maxSamples) throw new TooManySamplesError('query execution');
    for (const sample of result) {
      const key = labelsKey(sample.metric);
      let ss = seriess.get(key);
      if (ss) {
        if (ss.ts === ts) throw sameLabelsetError();
        ss.ts = ts;
      } else {
        ss = { series: { metric: sample.metric, floats: [] }, ts };
        seriess.set(key, ss);
      }
      ss.series.floats.push({ t: ts, f: sample.f });
    }
  }
  const output = [...seriess.values()].map((s) => s.series);
  let n = 0;
  for (const s of output) n += s.floats.length;
  ev.currentSamples = originalNumSamples + n;
  ev.stats.updatePeak(ev.currentSamples);
  return output;
}

/** gatherVector, remembering each sample's series index (upstream indexes by position in the vector). */
function gatherWithIndex(
  ev: Evaluator,
  ts: number,
  input: Matrix,
  cursors: Int32Array,
  out: Vector,
  idx: number[],
): void {
  out.length = 0;
  idx.length = 0;
  for (let i = 0; i < input.length; i++) {
    const s = input[i] as Series;
    const p = s.floats[cursors[i] as number];
    if (!p || p.t !== ts) continue;
    cursors[i] = (cursors[i] as number) + 1;
    out.push({ metric: s.metric, t: ts, f: p.f });
    idx.push(i);
    ev.countSample();
  }
}

function combineWithInfoVector(
  base: Vector,
  _baseIdx: number[],
  info: Vector,
  infoIdx: number[],
  ignoreSeries: Set<number>,
  baseSigs: Map<string, string>[],
  infoSigs: string[],
  dataLabelMatchers: Map<string, Matcher[]>,
): Vector {
  if (base.length === 0) return [];
  const rightSigs = new Map<string, Sample>();
  info.forEach((s, i) => {
    // The info series' value is its sample's own timestamp (evalSeries with recordOrigT).
    const origT = Math.trunc(s.f);
    const sig = infoSigs[infoIdx[i] as number] as string;
    const existing = rightSigs.get(sig);
    if (!existing) rightSigs.set(sig, s);
    else {
      const existingOrigT = Math.trunc(existing.f);
      if (existingOrigT < origT) rightSigs.set(sig, s);
      else if (existingOrigT === origT) {
        throw new ExecutionError(`found duplicate series for info metric ${s.metric[METRIC_NAME] ?? ''}`);
      }
    }
  });
  const out: Vector = [];
  // Upstream indexes ignoreSeries and baseSigs by the sample's position in this step's vector.
  base.forEach((bs, i) => {
    if (ignoreSeries.has(i)) {
      out.push({ metric: bs.metric, t: 0, f: bs.f });
      return;
    }
    let infoLbls: Record<string, string> = {};
    const seen = new Set<string>();
    for (const [infoName, sig] of baseSigs[i] ?? new Map<string, string>()) {
      const is = rightSigs.get(sig);
      if (!is || seen.has(infoName)) continue;
      for (const name of Object.keys(is.metric).sort()) {
        const value = is.metric[name] as string;
        if (name === METRIC_NAME) continue;
        if (dataLabelMatchers.size > 0 && !dataLabelMatchers.has(name)) continue;
        const have = infoLbls[name];
        if (have && have !== value) throw new ExecutionError(`conflicting label: ${name}`);
        if (bs.metric[name] !== undefined) continue;
        infoLbls = { ...infoLbls, [name]: value };
      }
      seen.add(infoName);
    }
    if (Object.keys(infoLbls).length === 0) {
      const allMatchEmpty = [...dataLabelMatchers.values()].every((ms) => ms.every((m) => matches(m, '')));
      if (!allMatchEmpty) return;
    }
    let metric = bs.metric;
    for (const [n, v] of Object.entries(infoLbls)) metric = setLabel(metric, n, v);
    out.push({ metric, t: 0, f: bs.f });
  });
  return out;
}
