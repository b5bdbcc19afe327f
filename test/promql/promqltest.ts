/**
 * A runner for upstream's PromQL test scripts (promql/promqltest/test.go at v3.5.3): `load`,
 * `clear` and `eval` commands, checked as upstream checks them: values within upstream's
 * epsilon, every expected series present and no other, `eval_ordered` order, warnings and infos
 * (`expect warn|info|no_warn|no_info [msg:|regex:]`), failures (`expect fail`,
 * `expected_fail_message`, `expected_fail_regexp`). An instant eval is also run as a range
 * query around its time and, as upstream does, with `@` added to every selector at five other
 * evaluation times.
 */
import { compareLabels, type Labels } from '../../src/storage/index.js';
import type { MemoryStorage } from './memory-storage.js';
import { compileRegex } from '../../src/regex/index.js';
import {
  childrenOf,
  type Expr,
  exprToString,
  parseExpr,
  parseSeriesDesc,
  type PromQLEngine,
  type QueryResult,
  type SequenceValue,
} from '../../src/promql/index.js';

export const TEST_EPSILON = 0.000001;

export interface LoadCmd {
  kind: 'load';
  line: number;
  gapMs: number;
  series: { labels: Labels; values: SequenceValue[] }[];
  /** Series with native-histogram samples (not loaded): their labels. */
  histogramSeries: Labels[];
  withNhcb: boolean;
}

export interface ExpectLine {
  type: 'fail' | 'warn' | 'no_warn' | 'info' | 'no_info' | 'ordered';
  msg?: string;
  regex?: string;
}

export interface EvalCmd {
  kind: 'eval';
  line: number;
  expr: string;
  instant: boolean;
  start: number;
  end: number;
  step: number;
  fail: boolean;
  warn: boolean;
  info: boolean;
  ordered: boolean;
  expectedFailMessage?: string;
  expectedFailRegexp?: string;
  expects: ExpectLine[];
  scalar?: number;
  expected: Map<string, { labels: Labels; vals: SequenceValue[]; pos: number }>;
  /** The expectations name native-histogram values. */
  expectsHistograms: boolean;
}

export type Command = { kind: 'clear'; line: number } | LoadCmd | EvalCmd;

const DURATION_RE =
  /^(?:([0-9]+)y)?(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?(?:([0-9]+)ms)?$/;

/** Prometheus's model.ParseDuration, in ms. */
export function parseDuration(s: string): number {
  if (s === '0') return 0;
  const m = DURATION_RE.exec(s);
  if (!m || s === '') throw new Error(`not a valid duration string: "${s}"`);
  const units = [365 * 86400e3, 7 * 86400e3, 86400e3, 3600e3, 60e3, 1e3, 1];
  return units.reduce((sum, u, i) => sum + Number(m[i + 1] ?? 0) * u, 0);
}

/** promqltest's parseNumber: Go's ParseInt with base prefixes, then ParseFloat. */
function parseNumber(s: string): number | undefined {
  if (/^[+-]?(?:0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[1-9][0-9]*|0)$/.test(s)) {
    const neg = s.startsWith('-');
    const body = s.replace(/^[+-]/, '');
    let n: number;
    if (/^0[xX]/.test(body)) n = Number.parseInt(body.slice(2), 16);
    else if (/^0[bB]/.test(body)) n = Number.parseInt(body.slice(2), 2);
    else if (/^0[oO]/.test(body)) n = Number.parseInt(body.slice(2), 8);
    else if (/^0[0-7]+$/.test(body)) n = Number.parseInt(body.slice(1), 8);
    else n = Number(body);
    return neg ? -n : n;
  }
  const lower = s.toLowerCase().replace(/^[+-]/, '');
  if (lower === 'inf' || lower === 'infinity') return s.startsWith('-') ? -Infinity : Infinity;
  if (lower === 'nan') return Number.NaN;
  if (/^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(s)) return Number(s);
  return undefined;
}

const PAT_LOAD = /^load(?:_(with_nhcb))?\s+(.+?)$/;
const PAT_EVAL_INSTANT = /^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$/;
const PAT_EVAL_RANGE = /^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$/;
const PAT_EXPECT = /^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$/;

/** Parses a test script into commands (upstream's test.parse). */
export function parseScript(input: string): Command[] {
  const lines = input.split('\n').map((l) => {
    const t = l.trim();
    return t.startsWith('#') ? '' : t;
  });
  const cmds: Command[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    if (l === '') continue;
    const c = (l.split(/[\t ]+/, 1)[0] as string).toLowerCase();
    if (c === 'clear') cmds.push({ kind: 'clear', line: i + 1 });
    else if (c.startsWith('load')) {
      const m = PAT_LOAD.exec(l);
      if (!m) throw new Error(`line ${i + 1}: invalid load command`);
      const cmd: LoadCmd = {
        kind: 'load',
        line: i + 1,
        gapMs: parseDuration(m[2] as string),
        series: [],
        histogramSeries: [],
        withNhcb: m[1] === 'with_nhcb',
      };
      // A series defined twice keeps its last definition, as upstream's map of definitions does.
      const byLabels = new Map<string, { labels: Labels; values: SequenceValue[] }>();
      while (i + 1 < lines.length && lines[i + 1] !== '') {
        i++;
        const def = lines[i] as string;
        const hist = def.indexOf('{{');
        if (hist >= 0) {
          cmd.histogramSeries.push(parseSeriesDesc(def.slice(0, hist)).labels);
          continue;
        }
        const { labels, values } = parseSeriesDesc(def);
        byLabels.set(keyOf(labels), { labels, values });
      }
      cmd.series = [...byLabels.values()];
      if (cmd.withNhcb) {
        // The classic histograms also become native ones under their base name, without `le`.
        for (const s of cmd.series) {
          const name = s.labels.__name__ ?? '';
          const base = name.replace(/_bucket$/, '');
          if (base === name) continue;
          const { le: _le, ...rest } = s.labels;
          cmd.histogramSeries.push({ ...rest, __name__: base });
        }
      }
      cmds.push(cmd);
    } else if (c.startsWith('eval')) {
      const [cmd, next] = parseEval(lines, i);
      cmds.push(cmd);
      i = next;
    } else throw new Error(`line ${i + 1}: invalid command ${JSON.stringify(l)}`);
  }
  return cmds;
}

function parseEval(lines: string[], i: number): [EvalCmd, number] {
  const l = lines[i] as string;
  const inst = PAT_EVAL_INSTANT.exec(l);
  const range = PAT_EVAL_RANGE.exec(l);
  if (!inst && !range) throw new Error(`line ${i + 1}: invalid evaluation command`);
  const mod = (inst ? inst[1] : range?.[1]) ?? '';
  const cmd: EvalCmd = {
    kind: 'eval',
    line: i + 1,
    expr: (inst ? inst[3] : range?.[5]) as string,
    instant: !!inst,
    start: 0,
    end: 0,
    step: 0,
    fail: mod === 'fail',
    warn: mod === 'warn',
    info: mod === 'info',
    ordered: mod === 'ordered',
    expects: [],
    expected: new Map(),
    expectsHistograms: false,
  };
  if (inst) {
    cmd.start = parseDuration(inst[2] ?? '0');
    cmd.end = cmd.start;
  } else if (range) {
    cmd.start = parseDuration(range[2] as string);
    cmd.end = parseDuration(range[3] as string);
    cmd.step = parseDuration(range[4] as string);
  }
  let j = 1;
  while (i + 1 < lines.length && lines[i + 1] !== '') {
    i++;
    const def = lines[i] as string;
    if (cmd.fail && def.startsWith('expected_fail_message')) {
      cmd.expectedFailMessage = def.slice('expected_fail_message'.length).trim();
      break;
    }
    if (cmd.fail && def.startsWith('expected_fail_regexp')) {
      cmd.expectedFailRegexp = def.slice('expected_fail_regexp'.length).trim();
      break;
    }
    if (def.split(' ')[0] === 'expect') {
      const m = PAT_EXPECT.exec(def.trim());
      if (!m) throw new Error(`line ${i + 1}: invalid expect statement`);
      const e: ExpectLine = { type: m[1] as ExpectLine['type'] };
      if (m[2] === 'msg') e.msg = (m[3] as string).trim();
      if (m[2] === 'regex') e.regex = (m[3] as string).trim();
      cmd.expects.push(e);
      if (e.type === 'ordered') cmd.ordered = true;
      if (e.type === 'fail') cmd.fail = true;
      continue;
    }
    const n = parseNumber(def);
    if (n !== undefined) {
      cmd.scalar = n;
      break;
    }
    if (def.includes('{{')) {
      cmd.expectsHistograms = true;
      j++;
      continue;
    }
    const { labels, values } = parseSeriesDesc(def);
    cmd.expected.set(keyOf(labels), { labels, vals: values, pos: j });
    j++;
  }
  return [cmd, i];
}

function keyOf(l: Labels): string {
  return Object.keys(l)
    .sort()
    .map((k) => `${k}\xff${l[k]}`)
    .join('\xff');
}

function fmtLabels(l: Labels): string {
  return `{${Object.keys(l)
    .sort()
    .map((k) => `${k}=${JSON.stringify(l[k])}`)
    .join(', ')}}`;
}

/** Upstream's almost.Equal. */
function almostEqual(a: number, b: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const minNormal = 2.2250738585072014e-308;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < minNormal) return diff < TEST_EPSILON * minNormal;
  return diff / Math.min(absSum, Number.MAX_VALUE) < TEST_EPSILON;
}

/** Appends a load command's series (upstream's loadCmd.append): one sample per step, `_` skipped. */
export function load(db: MemoryStorage, cmd: LoadCmd): void {
  for (const s of cmd.series) {
    let t = 0;
    for (const v of s.values) {
      if (!v.omitted && !db.append(s.labels, t, v.value)) {
        throw new Error(`line ${cmd.line}: sample of ${fmtLabels(s.labels)} at ${t} refused (out of order)`);
      }
      t += cmd.gapMs;
    }
  }
}

/** Whether a Go regexp (unanchored, as MatchString) matches `s`. */
function goRegexMatches(pattern: string, s: string): boolean {
  return compileRegex(`.*(?:${pattern}).*`).test(s);
}

function stripPosition(a: string): string {
  return a.replace(/ \((?:\d+:\d+|unknown position|invalid position)\)$/, '');
}

function checkExpectedFailure(cmd: EvalCmd, err: Error): void {
  const msg = err.message;
  if (cmd.expectedFailMessage !== undefined && cmd.expectedFailMessage !== msg) {
    throw new Error(`expected error ${JSON.stringify(cmd.expectedFailMessage)}, but got: ${msg}`);
  }
  if (cmd.expectedFailRegexp !== undefined && !goRegexMatches(cmd.expectedFailRegexp, msg)) {
    throw new Error(`expected error matching ${JSON.stringify(cmd.expectedFailRegexp)}, but got: ${msg}`);
  }
  const fail = cmd.expects.find((e) => e.type === 'fail');
  if (fail && !matchesExpect(fail, msg))
    throw new Error(`expected error matching ${fail.msg ?? fail.regex}, but got: ${msg}`);
}

function matchesExpect(e: ExpectLine, s: string): boolean {
  if (e.msg !== undefined) return e.msg === s;
  if (e.regex !== undefined) return goRegexMatches(e.regex, s);
  return true;
}

function checkAnnotations(cmd: EvalCmd, res: QueryResult): void {
  const warnings = res.warnings.map(stripPosition);
  const infos = res.infos.map(stripPosition);
  if (cmd.warn && warnings.length === 0) throw new Error('expected warnings but got none');
  if (cmd.info && infos.length === 0) throw new Error('expected info annotations but got none');
  for (const [type, actual] of [
    ['warn', warnings],
    ['info', infos],
  ] as const) {
    const expected = cmd.expects.filter((e) => e.type === type);
    if (expected.length === 0) continue;
    if (actual.length === 0) throw new Error(`expected ${type} annotations but none were found`);
    for (const e of expected) {
      if (!actual.some((a) => matchesExpect(e, a))) {
        throw new Error(
          `expected ${type} annotation matching ${e.msg ?? e.regex} but found: ${JSON.stringify(actual)}`,
        );
      }
    }
    for (const a of actual) {
      if (!expected.some((e) => matchesExpect(e, a)))
        throw new Error(`unexpected ${type} annotation ${JSON.stringify(a)}`);
    }
  }
  if (cmd.expects.some((e) => e.type === 'no_warn') && warnings.length > 0) {
    throw new Error(`unexpected warning annotations: ${JSON.stringify(warnings)}`);
  }
  if (cmd.expects.some((e) => e.type === 'no_info') && infos.length > 0) {
    throw new Error(`unexpected info annotations: ${JSON.stringify(infos)}`);
  }
}

type Compared =
  | { kind: 'vector'; samples: { metric: Labels; f: number }[] }
  | { kind: 'scalar'; v: number }
  | { kind: 'matrix'; series: { metric: Labels; floats: { t: number; f: number }[] }[] };

/** Upstream's compareResult. */
function compareResult(cmd: EvalCmd, start: number, step: number, end: number, val: Compared): void {
  if (val.kind === 'matrix') {
    if (cmd.ordered) throw new Error('expected ordered result, but query returned a matrix');
    if (cmd.scalar !== undefined) throw new Error('expected scalar result, but got matrix');
    for (let i = 1; i < val.series.length; i++) {
      if (
        compareLabels((val.series[i - 1] as { metric: Labels }).metric, (val.series[i] as { metric: Labels }).metric) >
        0
      ) {
        throw new Error('matrix results should always be sorted by labels');
      }
    }
    const seen = new Set<string>();
    for (const s of val.series) {
      const key = keyOf(s.metric);
      const exp = cmd.expected.get(key);
      if (!exp) throw new Error(`unexpected metric ${fmtLabels(s.metric)} in result, has ${JSON.stringify(s.floats)}`);
      seen.add(key);
      const expected: { t: number; f: number }[] = [];
      exp.vals.forEach((v, i) => {
        const t = start + i * step;
        if (t > end)
          throw new Error(
            `expected ${exp.vals.length} points for ${fmtLabels(exp.labels)}, but query time range cannot return this many points`,
          );
        if (!v.omitted) expected.push({ t, f: v.value });
      });
      if (expected.length !== s.floats.length) {
        throw new Error(
          `expected ${expected.length} float points for ${fmtLabels(exp.labels)}, but got ${JSON.stringify(s.floats)}`,
        );
      }
      expected.forEach((e, i) => {
        const a = s.floats[i] as { t: number; f: number };
        if (e.t !== a.t)
          throw new Error(`expected timestamp ${e.t} at index ${i} for ${fmtLabels(exp.labels)}, got ${a.t}`);
        if (!almostEqual(a.f, e.f))
          throw new Error(`expected ${e.f} at t=${a.t} for ${fmtLabels(exp.labels)}, got ${a.f}`);
      });
    }
    for (const [key, exp] of cmd.expected)
      if (!seen.has(key)) throw new Error(`expected metric ${fmtLabels(exp.labels)} not found`);
    return;
  }
  if (val.kind === 'vector') {
    if (cmd.scalar !== undefined)
      throw new Error(`expected scalar result, but got vector ${JSON.stringify(val.samples)}`);
    const seen = new Set<string>();
    val.samples.forEach((s, pos) => {
      const key = keyOf(s.metric);
      const exp = cmd.expected.get(key);
      if (!exp) throw new Error(`unexpected metric ${fmtLabels(s.metric)} in result, has value ${s.f}`);
      if (cmd.ordered && exp.pos !== pos + 1)
        throw new Error(`expected metric ${fmtLabels(s.metric)} at position ${exp.pos} but was at ${pos + 1}`);
      const e = exp.vals[0];
      const ev = e && !e.omitted ? e.value : Number.NaN;
      if (!almostEqual(ev, s.f)) throw new Error(`expected ${ev} for ${fmtLabels(s.metric)} but got ${s.f}`);
      seen.add(key);
    });
    for (const [key, exp] of cmd.expected)
      if (!seen.has(key)) throw new Error(`expected metric ${fmtLabels(exp.labels)} not found`);
    return;
  }
  if (cmd.scalar === undefined) throw new Error(`expected vector or matrix result, but got scalar ${val.v}`);
  if (!almostEqual(cmd.scalar, val.v)) throw new Error(`expected scalar ${cmd.scalar} but got ${val.v}`);
}

function toCompared(res: QueryResult): Compared {
  const v = res.value;
  switch (v.resultType) {
    case 'vector':
      return { kind: 'vector', samples: v.result };
    case 'scalar':
      return { kind: 'scalar', v: v.result.v };
    case 'matrix':
      return { kind: 'matrix', series: v.result };
    case 'string':
      throw new Error('unexpected string result');
  }
}

const AT_UNSAFE = new Set([
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

/** Whether a selector of `expr` selects any of `series` (a native-histogram series miniprom cannot load). */
export function selectsAny(exprText: string, series: Labels[]): boolean {
  if (series.length === 0) return false;
  const expr = parseExpr(exprText, { experimentalFunctions: true });
  let found = false;
  walk(expr, (n) => {
    if (n.type !== 'VectorSelector') return;
    for (const l of series) {
      const ok = n.labelMatchers.every((m) => {
        const v = l[m.name] ?? '';
        switch (m.type) {
          case '=':
            return v === m.value;
          case '!=':
            return v !== m.value;
          case '=~':
            return compileRegex(m.value).test(v);
          default:
            return !compileRegex(m.value).test(v);
        }
      });
      if (ok) found = true;
    }
  });
  return found;
}

function walk(e: Expr, fn: (n: Expr, path: Expr[]) => void, path: Expr[] = []): void {
  fn(e, path);
  for (const c of childrenOf(e)) walk(c, fn, [...path, e]);
}

/** Upstream's atModifierTestCases: the query with `@ t` on every selector, at other evaluation times. */
function atModifierTestCases(exprStr: string, evalTime: number): { expr: string; evalTime: number }[] {
  const expr = parseExpr(exprStr, { experimentalFunctions: true });
  let unsafe = false;
  walk(expr, (n, path) => {
    if (path.some((p) => p.type === 'SubqueryExpr' && p.timestamp !== null)) return;
    if (n.type === 'VectorSelector' && n.timestamp === null) n.timestamp = evalTime;
    if (n.type === 'MatrixSelector' && n.vectorSelector.timestamp === null) n.vectorSelector.timestamp = evalTime;
    if (n.type === 'SubqueryExpr' && n.timestamp === null) n.timestamp = evalTime;
    if (n.type === 'Call' && AT_UNSAFE.has(n.func.name)) unsafe = true;
  });
  if (unsafe) return [];
  const text = exprToString(expr);
  const times =
    evalTime === 0 ? [-1000, 0, 1000] : [-10 * evalTime, 0, Math.trunc(evalTime / 5), evalTime, 10 * evalTime];
  return times.map((t) => ({ expr: text, evalTime: t }));
}

/** Runs one eval command as upstream's execEval does; throws describing the first mismatch. */
export async function runEval(engine: PromQLEngine, db: MemoryStorage, cmd: EvalCmd): Promise<void> {
  if (!cmd.instant) {
    let res: QueryResult;
    try {
      res = await engine.rangeQuery(db, cmd.expr, cmd.start, cmd.end, cmd.step);
    } catch (err) {
      if (cmd.fail) return checkExpectedFailure(cmd, err as Error);
      throw new Error(`error evaluating query: ${(err as Error).message}`);
    }
    if (cmd.fail) throw new Error('expected error evaluating query but got none');
    checkAnnotations(cmd, res);
    compareResult(cmd, cmd.start, cmd.step, cmd.end, toCompared(res));
    return;
  }
  const queries = [{ expr: cmd.expr, evalTime: cmd.start }, ...atModifierTestCases(cmd.expr, cmd.start)];
  for (const iq of queries) {
    let res: QueryResult;
    try {
      res = await engine.instantQuery(db, iq.expr, iq.evalTime);
    } catch (err) {
      if (cmd.fail) {
        checkExpectedFailure(cmd, err as Error);
        continue;
      }
      throw new Error(`error evaluating query ${JSON.stringify(iq.expr)} at ${iq.evalTime}: ${(err as Error).message}`);
    }
    if (cmd.fail) throw new Error(`expected error evaluating query ${JSON.stringify(iq.expr)} but got none`);
    const where = `${iq.expr} at ${iq.evalTime}`;
    try {
      checkAnnotations(cmd, res);
      compareResult(cmd, iq.evalTime, 0, iq.evalTime, toCompared(res));
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`);
    }
    // The same query in range mode, checked at the middle step.
    let rangeRes: QueryResult;
    try {
      rangeRes = await engine.rangeQuery(db, iq.expr, iq.evalTime - 60_000, iq.evalTime + 60_000, 60_000);
    } catch (err) {
      throw new Error(`${where} in range mode: ${(err as Error).message}`);
    }
    if (cmd.ordered) continue;
    if (rangeRes.value.resultType !== 'matrix') throw new Error(`${where} in range mode: not a matrix`);
    const vec = [];
    for (const s of rangeRes.value.result) {
      const p = s.floats.find((x) => x.t === iq.evalTime);
      if (p) vec.push({ metric: s.metric, f: p.f });
    }
    try {
      if (res.value.resultType === 'scalar')
        compareResult(cmd, 0, 0, 0, { kind: 'scalar', v: vec[0]?.f ?? Number.NaN });
      else compareResult(cmd, iq.evalTime, 0, iq.evalTime, { kind: 'vector', samples: vec });
    } catch (err) {
      throw new Error(`${where} range mode: ${(err as Error).message}`);
    }
  }
}
