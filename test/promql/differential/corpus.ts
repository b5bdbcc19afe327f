/**
 * The query corpus: test/fixtures/promql/differential/queries.txt, one PromQL expression a line,
 * expanded into the instant and range queries the differential test runs.
 *
 * By default a line runs as an instant query at each of the probe times and as one range query,
 * the range picked from RANGES by a hash of the expression (so that adding a line moves no other
 * line's range, and the known-differences list keeps its ids). A line may start with a bracketed spec
 * instead: `[instant]` (probe times only), `[instant +3m -1m]` (those times), `[range]` (every
 * range of RANGES), `[range +0s +10m 30s]` (that range), `[once]` (one instant, at +40m: for
 * errors and literals, the same at any time); several specs are separated by `;`.
 */
import { readFileSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';

/** Where the corpus lives. */
export const CORPUS_FILE = new URL('../../fixtures/promql/differential/queries.txt', import.meta.url);

/** One query to run on every server: `id` names it stably (times are relative to the anchor). */
export interface CorpusQuery {
  id: string;
  expr: string;
  line: number;
  /** Milliseconds after the workload's anchor. */
  time?: number;
  range?: { start: number; end: number; step: number };
}

/**
 * The instant probe times: inside the data, at its last sample, in demo_gappy's gap (more than 5
 * minutes after its last sample there), and just after demo_flappy's staleness marker (+60m05s).
 */
export const PROBES = ['+40m', '+100m', '+26m', '+60m10s'];

/** The range queries: unaligned start, over the start edge, over the end edge, around staleness. */
export const RANGES: Array<[string, string, string]> = [
  ['+7m3s', '+67m3s', '1m'],
  ['-10m', '+20m', '15s'],
  ['+85m', '+110m', '37s'],
  ['+55m', '+65m', '5s'],
];

const UNITS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** `+60m10s`, `-10m`, `37s` → milliseconds. */
export function parseOffset(text: string): number {
  const m = /^([+-]?)((?:\d+(?:ms|h|m|s))+)$/.exec(text);
  if (!m) throw new Error(`bad offset ${JSON.stringify(text)}`);
  let ms = 0;
  for (const [, n, unit] of (m[2] as string).matchAll(/(\d+)(ms|h|m|s)/g))
    ms += Number(n) * (UNITS[unit as string] as number);
  return m[1] === '-' ? -ms : ms;
}

function instant(expr: string, line: number, at: string): CorpusQuery {
  return { id: `instant@${at} ${expr}`, expr, line, time: parseOffset(at) };
}

function range(expr: string, line: number, [start, end, step]: [string, string, string]): CorpusQuery {
  return {
    id: `range(${start}..${end}/${step}) ${expr}`,
    expr,
    line,
    range: { start: parseOffset(start), end: parseOffset(end), step: parseOffset(step) },
  };
}

/** FNV-1a over the UTF-16 code units of `text`: a stable, well-spread small hash. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/** The expressions of the corpus file, with their line numbers and specs (comments and blanks dropped). */
export function corpusLines(
  text = readFileSync(CORPUS_FILE, 'utf8'),
): Array<{ line: number; spec: string; expr: string }> {
  const out: Array<{ line: number; spec: string; expr: string }> = [];
  text.split('\n').forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const spec = /^\[([^\]]*)\]\s*(.*)$/.exec(trimmed);
    out.push({ line: i + 1, spec: spec ? (spec[1] as string).trim() : '', expr: spec ? (spec[2] as string) : trimmed });
  });
  return out;
}

/** The expression with each `${T+30m}` replaced by that time in Unix seconds (anchor in ms). */
export function withTimes(expr: string, anchor: number): string {
  return expr.replace(/\$\{T([+-][0-9a-z]+)\}/g, (_, offset: string) => String((anchor + parseOffset(offset)) / 1000));
}

/** Every query the corpus asks for. */
export function corpusQueries(text?: string): CorpusQuery[] {
  const out: CorpusQuery[] = [];
  corpusLines(text).forEach(({ line, spec, expr }) => {
    if (spec === '') {
      for (const at of PROBES) out.push(instant(expr, line, at));
      out.push(range(expr, line, RANGES[fnv1a(expr) % RANGES.length] as [string, string, string]));
      return;
    }
    for (const part of spec.split(';')) {
      const [kind, ...args] = part.trim().split(/\s+/);
      if (kind === 'once') out.push(instant(expr, line, '+40m'));
      else if (kind === 'instant') for (const at of args.length > 0 ? args : PROBES) out.push(instant(expr, line, at));
      else if (kind === 'range' && args.length === 0) for (const r of RANGES) out.push(range(expr, line, r));
      else if (kind === 'range' && args.length === 3) out.push(range(expr, line, args as [string, string, string]));
      else throw new Error(`queries.txt:${line}: bad spec [${spec}]`);
    }
  });
  return out;
}

/** The names an expression uses: functions called, aggregators, binary operators. */
export interface Vocabulary {
  functions: Set<string>;
  aggregators: Set<string>;
  operators: Set<string>;
}

/**
 * The names an expression uses, as upstream's grammar (lezer) reads it: a name counts where it is
 * called, aggregates or combines two operands. Undefined when the expression does not parse (an
 * error case does not cover what it misspells).
 */
export function vocabularyOf(template: string): Vocabulary | undefined {
  const expr = withTimes(template, 0);
  const tree = parser.parse(expr);
  let broken = false;
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) broken = true;
    },
  });
  if (broken) return undefined;
  const used: Vocabulary = { functions: new Set(), aggregators: new Set(), operators: new Set() };
  const text = (n: { from: number; to: number }) => expr.slice(n.from, n.to);
  tree.iterate({
    enter: (node) => {
      if (node.name === 'FunctionIdentifier') used.functions.add(text(node));
      if (node.name === 'AggregateOp') used.aggregators.add(text(node));
      // A binary expression's second child is its operator (the first is its left operand).
      if (node.name === 'BinaryExpr') {
        const op = node.node.firstChild?.nextSibling;
        if (op) used.operators.add(text(op).toLowerCase());
      }
    },
  });
  return used;
}

/** The names the whole corpus uses (see vocabularyOf). */
export function corpusVocabulary(text?: string): Vocabulary {
  const all: Vocabulary = { functions: new Set(), aggregators: new Set(), operators: new Set() };
  for (const { expr } of corpusLines(text)) {
    const used = vocabularyOf(expr);
    for (const key of ['functions', 'aggregators', 'operators'] as const)
      for (const n of used?.[key] ?? []) all[key].add(n);
  }
  return all;
}
