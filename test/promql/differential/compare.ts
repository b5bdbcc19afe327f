/**
 * Comparing two answers of the HTTP query API (`/api/v1/query`, `/api/v1/query_range`) the way a
 * user of that API could tell them apart: the same outcome (HTTP status, success or error and its
 * errorType), the same result type, the same series, identical timestamps and values equal within
 * a relative 1e-5. Order counts only where upstream defines it. Annotations (warnings, infos) and
 * error wording are compared too, but reported as their own kinds of difference.
 */
import { parser } from '@prometheus-io/lezer-promql';

/** What the query API answered: the HTTP status and the JSON body (or its text if not JSON). */
export interface Answer {
  status: number;
  body: ApiBody;
}

/** The query API's JSON envelope. */
export interface ApiBody {
  status?: string;
  data?: { resultType?: string; result?: unknown };
  errorType?: string;
  error?: string;
  warnings?: string[];
  infos?: string[];
  /** Set when the body was not JSON. */
  text?: string;
}

/**
 * What a difference is about: `result` (outcome, result type, series, timestamps, values or order),
 * `format` (the very same number written otherwise, as `-0` and `0`, or `1e+21` and
 * `1000000000000000000000`), `annotations` (warnings and infos) or `error-message` (the same
 * errorType, other wording).
 */
export type DifferenceKind = 'result' | 'format' | 'annotations' | 'error-message';

/** One way two answers differ, in words. */
export interface Difference {
  kind: DifferenceKind;
  detail: string;
}

/**
 * Which order of the result upstream defines: none (`set`), by label set (`labels`: a range query's
 * matrix, or sort_by_label), or by value within each group (`values`: sort, sort_desc, topk and
 * bottomk at the top of an instant query; ties may come in any order).
 */
export type Order = { kind: 'set' } | { kind: 'labels' } | { kind: 'values'; group: (labels: Labels) => string };

type Labels = Record<string, string>;

interface Series {
  metric: Labels;
  /** [t, value] for floats, [t, histogram] for histograms, in time order. */
  floats: Array<[number, string]>;
  histograms: Array<[number, unknown]>;
}

/** Go's float formatting as the API writes it: "NaN", "+Inf", "-Inf" or a decimal. */
export function parseApiFloat(s: string): number {
  if (s === '+Inf') return Number.POSITIVE_INFINITY;
  if (s === '-Inf') return Number.NEGATIVE_INFINITY;
  if (s === 'NaN') return Number.NaN;
  return Number(s);
}

const MIN_NORMAL = 2.2250738585072014e-308;

/**
 * Upstream's util/almost.Equal (what its promqltest compares with): NaN equals NaN, infinities and
 * other equal values are equal, values at or near zero must differ by less than epsilon·minNormal,
 * others by less than epsilon relative to the sum of their magnitudes.
 */
export function almostEqual(a: number, b: number, epsilon = 1e-5): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < MIN_NORMAL) return diff < epsilon * MIN_NORMAL;
  return diff / Math.min(absSum, Number.MAX_VALUE) < epsilon;
}

/** The order upstream gives a query's result: see Order. */
export function orderOf(expr: string, range: boolean): Order {
  // The engine sorts a range query's matrix by labels (sort.Sort(mat) in execEvalStmt).
  if (range) return { kind: 'labels' };
  let node = parser.parse(expr).topNode.firstChild;
  while (node?.name === 'ParenExpr') node = node.firstChild;
  if (!node) return { kind: 'set' };
  const text = (n: { from: number; to: number }) => expr.slice(n.from, n.to);
  if (node.name === 'FunctionCall') {
    const name = text(node.getChild('FunctionIdentifier') ?? node);
    if (name === 'sort_by_label' || name === 'sort_by_label_desc') return { kind: 'labels' };
    if (name === 'sort' || name === 'sort_desc') return { kind: 'values', group: () => '' };
  }
  if (node.name === 'AggregateExpr') {
    const op = text(node.getChild('AggregateOp') ?? node);
    if (op !== 'topk' && op !== 'bottomk') return { kind: 'set' };
    // Each group's series come out best first; the groups themselves in no defined order.
    const modifier = node.getChild('AggregateModifier');
    if (!modifier) return { kind: 'values', group: () => '' };
    const names: string[] = [];
    const grouping = modifier.getChild('GroupingLabels');
    for (let c = grouping?.firstChild; c; c = c.nextSibling) {
      if (c.name === 'LabelName') names.push(text(c));
      if (c.name === 'QuotedLabelName') names.push(JSON.parse(text(c)) as string);
    }
    const without = modifier.getChild('Without') !== null;
    const group = (labels: Labels) =>
      JSON.stringify(
        without
          ? Object.entries(labels).filter(([n]) => n !== '__name__' && !names.includes(n))
          : names.map((n) => labels[n] ?? ''),
      );
    return { kind: 'values', group };
  }
  return { kind: 'set' };
}

/** A label set as one string, independent of key order: `{a="1", b="2"}`. */
export function labelKey(labels: Labels): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(', ')}}`;
}

/** The series of a vector or matrix result, normalised. */
function seriesOf(resultType: string, result: unknown): Series[] {
  const items = Array.isArray(result) ? (result as Array<Record<string, unknown>>) : [];
  return items.map((item) => {
    const metric = (item.metric ?? {}) as Labels;
    if (resultType === 'vector') {
      const value = item.value as [number, string] | undefined;
      const histogram = item.histogram as [number, unknown] | undefined;
      return { metric, floats: value ? [value] : [], histograms: histogram ? [histogram] : [] };
    }
    return {
      metric,
      floats: (item.values ?? []) as Array<[number, string]>,
      histograms: (item.histograms ?? []) as Array<[number, unknown]>,
    };
  });
}

/** The differences between the samples of two series with the same labels. */
function compareSamples(key: string, ref: Series, got: Series): string[] {
  const out: string[] = [];
  const refTs = ref.floats.map(([t]) => t);
  const gotTs = got.floats.map(([t]) => t);
  if (JSON.stringify(refTs) !== JSON.stringify(gotTs)) {
    out.push(`${key}: float timestamps differ: ${describeTimes(refTs)} vs ${describeTimes(gotTs)}`);
  } else {
    for (let i = 0; i < ref.floats.length; i++) {
      const [t, a] = ref.floats[i] as [number, string];
      const b = (got.floats[i] as [number, string])[1];
      if (!almostEqual(parseApiFloat(a), parseApiFloat(b))) {
        out.push(`${key}: value at ${t}: ${a} vs ${b}`);
        break;
      }
    }
  }
  if (JSON.stringify(ref.histograms) !== JSON.stringify(got.histograms)) {
    out.push(`${key}: histograms differ: ${JSON.stringify(ref.histograms)} vs ${JSON.stringify(got.histograms)}`);
  }
  return out;
}

function describeTimes(ts: number[]): string {
  if (ts.length === 0) return 'none';
  return `${ts.length} from ${ts[0]} to ${ts[ts.length - 1]}`;
}

/** Whether two API float strings are the same number (NaN counts as one number) written differently. */
function sameNumberOtherText(a: string, b: string): boolean {
  if (a === b) return false;
  const x = parseApiFloat(a);
  const y = parseApiFloat(b);
  return x === y || (Number.isNaN(x) && Number.isNaN(y));
}

/** The first float written differently in two results that agree otherwise (vector, matrix or scalar). */
function formatDifference(resultType: string, refResult: unknown, gotResult: unknown): string | undefined {
  if (resultType === 'scalar') {
    const [, a] = refResult as [number, string];
    const [, b] = gotResult as [number, string];
    return sameNumberOtherText(a, b) ? `scalar written ${a} vs ${b}` : undefined;
  }
  const got = new Map(seriesOf(resultType, gotResult).map((s) => [labelKey(s.metric), s]));
  for (const s of seriesOf(resultType, refResult)) {
    const other = got.get(labelKey(s.metric));
    const at = s.floats.findIndex(([, a], i) => sameNumberOtherText(a, other?.floats[i]?.[1] ?? a));
    if (at >= 0) {
      const [t, a] = s.floats[at] as [number, string];
      return `${labelKey(s.metric)}: value at ${t} written ${a} vs ${other?.floats[at]?.[1]}`;
    }
  }
  return undefined;
}

/** The differences between two results of the same type (vector or matrix). */
function compareSeries(resultType: string, refResult: unknown, gotResult: unknown, order: Order): string[] {
  const ref = seriesOf(resultType, refResult);
  const got = seriesOf(resultType, gotResult);
  const out: string[] = [];
  const gotByKey = new Map(got.map((s) => [labelKey(s.metric), s]));
  const refKeys = new Set(ref.map((s) => labelKey(s.metric)));
  const missing = ref.filter((s) => !gotByKey.has(labelKey(s.metric))).map((s) => labelKey(s.metric));
  const extra = got.filter((s) => !refKeys.has(labelKey(s.metric))).map((s) => labelKey(s.metric));
  if (missing.length > 0) out.push(`missing series (${missing.length}): ${missing.slice(0, 3).join(' ')}`);
  if (extra.length > 0) out.push(`extra series (${extra.length}): ${extra.slice(0, 3).join(' ')}`);
  if (ref.length !== got.length && missing.length === 0 && extra.length === 0) {
    out.push(`series count ${ref.length} vs ${got.length} (duplicates)`);
  }
  for (const s of ref) {
    const key = labelKey(s.metric);
    const other = gotByKey.get(key);
    if (other) out.push(...compareSamples(key, s, other));
  }
  if (out.length > 0) return out.slice(0, 5);
  // Same series, same samples: now the order, where upstream defines one.
  if (order.kind === 'labels') {
    const a = ref.map((s) => labelKey(s.metric));
    const b = got.map((s) => labelKey(s.metric));
    const at = a.findIndex((k, i) => k !== b[i]);
    if (at >= 0) out.push(`order differs at position ${at}: ${a[at]} vs ${b[at]}`);
  } else if (order.kind === 'values') {
    const sequences = (series: Series[]) => {
      const groups = new Map<string, string[]>();
      for (const s of series) {
        const g = order.group(s.metric);
        groups.set(g, [...(groups.get(g) ?? []), s.floats[0]?.[1] ?? '']);
      }
      return groups;
    };
    const gotGroups = sequences(got);
    for (const [g, values] of sequences(ref)) {
      const other = gotGroups.get(g) ?? [];
      const at = values.findIndex((v, i) => !almostEqual(parseApiFloat(v), parseApiFloat(other[i] ?? '')));
      if (at >= 0)
        out.push(`order differs${g ? ` in group ${g}` : ''}: values ${values.join(',')} vs ${other.join(',')}`);
    }
  }
  return out;
}

/** Two sets of annotation strings, as `+added -removed` lines (upstream keeps them in a map: no order). */
function compareAnnotations(what: string, ref: string[] = [], got: string[] = []): string[] {
  const missing = ref.filter((a) => !got.includes(a));
  const extra = got.filter((a) => !ref.includes(a));
  const out: string[] = [];
  if (missing.length > 0) out.push(`${what} missing: ${missing.join(' | ')}`);
  if (extra.length > 0) out.push(`${what} extra: ${extra.join(' | ')}`);
  return out;
}

/** Every difference between the reference answer and the other one (empty: they agree). */
export function compareAnswers(ref: Answer, got: Answer, order: Order): Difference[] {
  const out: Difference[] = [];
  const result = (detail: string) => out.push({ kind: 'result', detail });
  const a = ref.body;
  const b = got.body;
  if (ref.status !== got.status) result(`HTTP status ${ref.status} vs ${got.status}`);
  if (a.status !== b.status) {
    result(`status ${a.status ?? a.text} vs ${b.status ?? b.text}`);
  } else if (a.status === 'error') {
    if (a.errorType !== b.errorType) result(`errorType ${a.errorType} vs ${b.errorType}`);
    else if (a.error !== b.error) out.push({ kind: 'error-message', detail: `${a.error} vs ${b.error}` });
  } else if (a.status === 'success') {
    const ta = a.data?.resultType;
    const tb = b.data?.resultType;
    if (ta !== tb) result(`resultType ${ta} vs ${tb}`);
    else if (ta === 'vector' || ta === 'matrix') {
      for (const d of compareSeries(ta, a.data?.result, b.data?.result, order)) result(d);
    } else {
      const [t1, v1] = (a.data?.result ?? []) as [number, string];
      const [t2, v2] = (b.data?.result ?? []) as [number, string];
      const same = t1 === t2 && (ta === 'string' ? v1 === v2 : almostEqual(parseApiFloat(v1), parseApiFloat(v2)));
      if (!same) result(`${ta} ${JSON.stringify(a.data?.result)} vs ${JSON.stringify(b.data?.result)}`);
    }
    // Only where the results agree: then a float written otherwise is what a user would see.
    const format =
      out.length === 0 && ta !== undefined ? formatDifference(ta, a.data?.result, b.data?.result) : undefined;
    if (format) out.push({ kind: 'format', detail: format });
  }
  for (const d of [
    ...compareAnnotations('warnings', a.warnings, b.warnings),
    ...compareAnnotations('infos', a.infos, b.infos),
  ]) {
    out.push({ kind: 'annotations', detail: d });
  }
  return out;
}
