/**
 * Upstream's util/annotations: the warnings and infos a query collects, worded as upstream's API
 * prints them (`PromQL info: … (1:6)`). Keyed by message without position, as upstream's map is,
 * so the same message twice is reported once (with the last position).
 */
import type { PositionRange } from './ast.js';
import { goQuote } from './labels.js';

/** Upstream's two annotation levels. */
export type AnnotationKind = 'warning' | 'info';

interface Annotation {
  kind: AnnotationKind;
  message: string;
  pos: PositionRange;
}

/** The annotations of one query. */
export class Annotations {
  readonly #items = new Map<string, Annotation>();

  add(kind: AnnotationKind, message: string, pos: PositionRange): void {
    const full = `PromQL ${kind}: ${message}`;
    this.#items.set(full, { kind, message: full, pos });
  }

  get size(): number {
    return this.#items.size;
  }

  /** Warnings and infos as upstream's AsStrings prints them for `query`. */
  asStrings(query: string): { warnings: string[]; infos: string[] } {
    const warnings: string[] = [];
    const infos: string[] = [];
    for (const a of this.#items.values()) {
      const text = `${a.message} (${startPosInput(query, a.pos.start)})`;
      (a.kind === 'info' ? infos : warnings).push(text);
    }
    return { warnings, infos };
  }
}

/** Upstream's PositionRange.StartPosInput: `line:col` of the position (col counted from 1). */
function startPosInput(query: string, pos: number): string {
  if (query === '') return 'unknown position';
  if (pos < 0 || pos > query.length) return 'invalid position';
  let lastLineBreak = -1;
  let line = 1;
  for (let i = 0; i < pos; i++) {
    if (query[i] === '\n') {
      lastLineBreak = i;
      line++;
    }
  }
  return `${line}:${pos - lastLineBreak}`;
}

/** Go's %g for the annotation texts that print a number. */
export function formatG(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mant, e] = v.toExponential().split('e') as [string, string];
  const exp = Number(e);
  // %g with the shortest precision: exponent form when exp < -4 || exp >= 6 (upstream's strconv rule).
  if (exp < -4 || exp >= 6) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(v);
}

/** The wordings of upstream's annotations the float engine raises. */
export const annotationText = {
  invalidQuantile: (q: number) => `quantile value should be between 0 and 1, got ${formatG(q)}`,
  invalidRatio: (q: number, to: number) =>
    `ratio value should be between -1 and 1, got ${formatG(q)}, capping to ${formatG(to)}`,
  badBucketLabel: (metricName: string, label: string) =>
    `bucket label "le" is missing or has a malformed value of ${goQuote(label)} for metric name ${goQuote(metricName)}`,
  possibleNonCounter: (metricName: string) =>
    `metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${goQuote(metricName)}`,
  forcedMonotonicity: (metricName: string) =>
    `input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name ${goQuote(metricName)}`,
};
