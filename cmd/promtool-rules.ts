/**
 * `promtool check rules` and `promtool test rules`, as upstream's cmd/promtool (main.go's
 * CheckRules, unittest.go) at v3.5.3: the same lines on stdout and stderr and the same exit codes.
 *
 * `check rules` parses each file with rulefmt's checks (src/rules), then lints duplicate rules
 * (`--lint`, `--lint-fatal` exits 3); with no file it reads standard input.
 *
 * `test rules` runs rule unit tests in upstream's YAML format: each test group loads its
 * `input_series` (upstream's expanding notation) into a scratch TSDB step by step, evaluates every
 * rule group at each `evaluation_interval` from time 0 (as upstream's LazyLoader and
 * ruleUnitTest do), checks `alert_rule_test` at their `eval_time`, then `promql_expr_test`.
 * Native histograms are not supported (miniprom's engine has none): a test that writes or expects
 * one fails with a message saying so. `--diff` prints the same exp/got report as without it
 * (upstream's colored JSON diff is not reproduced).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { pino } from 'pino';
import { isAlias, isMap, isScalar, isSeq, type Node, parseDocument } from 'yaml';
import { formatDuration, parseDuration } from '../src/config/index.js';
import { goFormatFloat } from '../src/golang/index.js';
import { PromQLEngine, parseSeriesDesc } from '../src/promql/index.js';
import { compileSearch } from '../src/regex/index.js';
import {
  type AlertingRule,
  buildGroups,
  engineQueryFunc,
  type Group,
  loadRuleFile,
  parseRules,
  type RuleFileError,
  type RuleGroup,
  ruleFilesOf,
} from '../src/rules/index.js';
import { compareLabels, type Labels, openTSDB, type TSDB } from '../src/storage/index.js';

const SUCCESS = 0;
const FAILURE = 1;
const LINT_ERROR = 3;

// ---- check rules ----

interface LintSettings {
  all: boolean;
  duplicateRules: boolean;
  fatal: boolean;
  ignoreUnknownFields: boolean;
}

/** newRulesLintConfig: unknown options are warned about on stdout, as upstream. */
export function lintSettings(text: string, fatal: boolean, ignoreUnknownFields: boolean): LintSettings {
  const s: LintSettings = { all: false, duplicateRules: false, fatal, ignoreUnknownFields };
  for (const setting of text.split(',')) {
    if (setting === 'all') s.all = true;
    else if (setting === 'duplicate-rules') s.duplicateRules = true;
    else if (setting !== 'none') console.log(`WARNING: unknown lint option: ${JSON.stringify(setting)}`);
  }
  return s;
}

/** Go's labels.Labels.String(): `{a="b", c="d"}`, names quoted where they are not legacy names. */
export function labelsString(l: Labels): string {
  const names = Object.keys(l).sort();
  return `{${names
    .map((n) => `${/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(n) ? n : JSON.stringify(n)}=${goQuote(l[n] as string)}`)
    .join(', ')}}`;
}

function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u007f/g, '\\x7f');
}

/** checkDuplicates + checkRuleGroups' message: the lint error, or undefined. */
function duplicatesMessage(groups: readonly RuleGroup[]): string | undefined {
  const rules = groups.flatMap((g) =>
    g.rules.map((r) => ({ metric: r.name, labels: { ...g.labels, ...r.labels } as Labels })),
  );
  if (rules.length < 2) return undefined;
  const compare = (a: (typeof rules)[number], b: (typeof rules)[number]) =>
    a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : compareLabels(a.labels, b.labels);
  rules.sort(compare);
  const duplicates: typeof rules = [];
  for (let i = 1; i < rules.length; i++) {
    const last = rules[i - 1] as (typeof rules)[number];
    const cur = rules[i] as (typeof rules)[number];
    if (compare(last, cur) === 0) {
      const prev = duplicates[duplicates.length - 1];
      if (!prev || compare(last, prev) !== 0) duplicates.push(cur);
    }
  }
  if (duplicates.length === 0) return undefined;
  let message = `${duplicates.length} duplicate rule(s) found.\n`;
  for (const d of duplicates) {
    message += `Metric: ${d.metric}\nLabel(s):\n`;
    for (const name of Object.keys(d.labels).sort()) message += `\t${name}: ${d.labels[name]}\n`;
  }
  message += 'Might cause inconsistency while recording expressions';
  return `lint error ${message}`;
}

/** checkRules over `files`: whether anything failed, and whether any failure was more than lint. */
export function checkRuleFiles(files: readonly string[], ls: LintSettings): { failed: boolean; hasErrors: boolean } {
  let failed = false;
  let hasErrors = false;
  for (const f of files) {
    console.log(`Checking ${f}`);
    let groups: RuleGroup[];
    try {
      groups = loadRuleFile(f, { ignoreUnknownFields: ls.ignoreUnknownFields });
    } catch (err) {
      failed = true;
      hasErrors = true;
      console.error('  FAILED:');
      for (const e of (err as RuleFileError).errors ?? [(err as Error).message]) console.error(e);
      continue;
    }
    const lint = ls.all || ls.duplicateRules ? duplicatesMessage(groups) : undefined;
    if (lint) {
      console.error('  FAILED:');
      console.error(lint);
      failed = true;
    } else {
      console.log(`  SUCCESS: ${groups.reduce((n, g) => n + g.rules.length, 0)} rules found`);
    }
    console.log();
  }
  return { failed, hasErrors };
}

function exitCode(r: { failed: boolean; hasErrors: boolean }, fatal: boolean): number {
  if (r.failed && r.hasErrors) return FAILURE;
  if (r.failed && fatal) return LINT_ERROR;
  return SUCCESS;
}

/** `promtool check rules [files…]`. */
export function checkRules(files: readonly string[], ls: LintSettings): number {
  if (files.length > 0) return exitCode(checkRuleFiles(files, ls), ls.fatal);
  console.log('Checking standard input');
  let text: string;
  try {
    text = readFileSync(0, 'utf8');
  } catch (err) {
    console.error('  FAILED:', (err as Error).message);
    return FAILURE;
  }
  const { groups, errors } = parseRules(text, '', { ignoreUnknownFields: ls.ignoreUnknownFields });
  if (errors.length > 0) {
    console.error('  FAILED:');
    for (const e of errors) console.error(e);
    return FAILURE;
  }
  const lint = ls.all || ls.duplicateRules ? duplicatesMessage(groups) : undefined;
  if (lint) {
    console.error('  FAILED:');
    console.error(lint);
  } else console.log(`  SUCCESS: ${groups.reduce((n, g) => n + g.rules.length, 0)} rules found`);
  console.log();
  return exitCode({ failed: lint !== undefined, hasErrors: false }, ls.fatal);
}

// ---- test rules ----

export interface TestRulesOptions {
  run: string[];
  diff: boolean;
  debug: boolean;
  ignoreUnknownFields: boolean;
  /** --junit: where to write the JUnit XML report. */
  junit?: string;
}

interface UnitTestFile {
  ruleFiles: string[];
  evaluationIntervalMs: number;
  groupEvalOrder: string[];
  tests: TestGroup[];
  fuzzyCompare: boolean;
}

interface TestGroup {
  intervalMs: number;
  inputSeries: Array<{ series: string; values: string }>;
  alertRuleTests: Array<{
    evalTimeMs: number;
    alertname: string;
    expAlerts: Array<{ expLabels: Record<string, string>; expAnnotations: Record<string, string> }>;
  }>;
  promqlExprTests: Array<{
    expr: string;
    evalTimeMs: number;
    expSamples: Array<{ labels: string; value: number; histogram: string }>;
  }>;
  externalLabels: Record<string, string>;
  externalURL: string;
  name: string;
}

/** A JUnit XML report as upstream's util/junitxml writes it. */
class JUnit {
  suites: Array<{
    name: string;
    tests: number;
    failures: number;
    errors: number;
    timestamp: string;
    cases: Array<{ name: string; failures: string[]; error?: string }>;
  }> = [];

  suite(name: string) {
    const suite = {
      name,
      tests: 0,
      failures: 0,
      errors: 0,
      timestamp: '',
      cases: [] as JUnit['suites'][number]['cases'],
    };
    this.suites.push(suite);
    const last = () => {
      if (suite.cases.length === 0) {
        suite.cases.push({ name: 'unknown', failures: [] });
        suite.tests++;
      }
      return suite.cases[suite.cases.length - 1] as (typeof suite.cases)[number];
    };
    return {
      settime: (t: string) => {
        suite.timestamp = t;
      },
      case: (name: string) => {
        suite.cases.push({ name, failures: [] });
        suite.tests++;
      },
      fail: (f: string) => {
        suite.failures++;
        last().failures.push(f);
      },
      abort: (e: string) => {
        suite.errors++;
        last().error = e;
      },
    };
  }

  xml(): string {
    // Go's xml.EscapeText, for attributes and text alike.
    const esc = (s: string) =>
      s.replace(
        /[&<>"'\t\n\r]/g,
        (c) =>
          ({
            '&': '&amp;',
            '<': '&lt;',
            '>': '&gt;',
            '"': '&#34;',
            "'": '&#39;',
            '\t': '&#x9;',
            '\n': '&#xA;',
            '\r': '&#xD;',
          })[c] as string,
      );
    return `<testsuites>${this.suites
      .map(
        (s) =>
          `<testsuite name="${esc(s.name)}" tests="${s.tests}" failures="${s.failures}" errors="${s.errors}" skipped="0" timestamp="${esc(s.timestamp)}">${s.cases
            .map(
              (c) =>
                `<testcase name="${esc(c.name)}">${c.failures.map((f) => `<failure>${esc(f)}</failure>`).join('')}${
                  c.error ? `<error>${esc(c.error)}</error>` : ''
                }</testcase>`,
            )
            .join('')}</testsuite>`,
      )
      .join('')}</testsuites>`;
  }
}

/** `promtool test rules <files…>`. */
export async function testRules(files: readonly string[], opts: TestRulesOptions): Promise<number> {
  let failed = false;
  const junit = new JUnit();
  let run: ReturnType<typeof compileSearch> | undefined;
  if (opts.run.length > 0) run = compileSearch(opts.run.join('|'));
  for (const f of files) {
    const errs = await ruleUnitTest(f, opts, run, junit.suite(f));
    if (errs.length > 0) {
      console.error('  FAILED:');
      for (const e of errs) {
        console.error(e);
        console.log();
      }
      failed = true;
    } else {
      console.log('  SUCCESS');
    }
    console.log();
  }
  if (opts.junit) writeFileSync(opts.junit, junit.xml());
  return failed ? FAILURE : SUCCESS;
}

type Suite = ReturnType<JUnit['suite']>;

async function ruleUnitTest(
  filename: string,
  opts: TestRulesOptions,
  run: ReturnType<typeof compileSearch> | undefined,
  suite: Suite,
): Promise<string[]> {
  let file: UnitTestFile;
  try {
    file = readUnitTestFile(readFileSync(filename, 'utf8'));
  } catch (err) {
    const message = (err as NodeJS.ErrnoException).code
      ? `open ${filename}: no such file or directory`
      : (err as Error).message;
    suite.abort(message);
    return [message];
  }
  // Rule files are relative to the test file's directory; globs expand.
  const base = dirname(filename);
  const patterns = file.ruleFiles.map((rf) => (rf !== '' && !isAbsolute(rf) ? join(base, rf) : rf));
  const ruleFiles: string[] = [];
  for (const pattern of patterns) {
    let matched: string[];
    try {
      matched = ruleFilesOf([pattern]).filter((f) => {
        try {
          readFileSync(f);
          return true;
        } catch {
          return false;
        }
      });
    } catch (err) {
      suite.abort((err as Error).message);
      return [(err as Error).message];
    }
    if (matched.length === 0) console.error('  WARNING: no file match pattern', pattern);
    ruleFiles.push(...matched);
  }
  suite.settime(new Date().toISOString().slice(0, 19));
  const order = new Map<string, number>();
  for (const [i, name] of file.groupEvalOrder.entries()) {
    if (order.has(name)) {
      const message = `group name repeated in evaluation order: ${name}`;
      suite.abort(message);
      return [message];
    }
    order.set(name, i);
  }
  const errs: string[] = [];
  for (const [i, tg] of file.tests.entries()) {
    if (run && !run.test(tg.name)) continue;
    const testname = tg.name || `unnamed#${i}`;
    suite.case(testname);
    if (tg.intervalMs === 0) tg.intervalMs = file.evaluationIntervalMs;
    const ers = await runTestGroup(tg, testname, file.evaluationIntervalMs, order, opts, file.fuzzyCompare, ruleFiles);
    for (const e of ers) suite.fail(e);
    errs.push(...ers);
  }
  return errs;
}

// ---- the unit test file (yaml.v2 UnmarshalStrict) ----

class UnitTestFileError extends Error {}

function readUnitTestFile(text: string): UnitTestFile {
  const doc = parseDocument(text, { merge: true });
  if (doc.errors[0]) throw new UnitTestFileError(`yaml: ${doc.errors[0].message.split('\n')[0]}`);
  const unknown: string[] = [];
  const deref = (n: unknown): Node | undefined => (isAlias(n) ? (n.resolve(doc) as Node) : (n as Node | undefined));
  const line = (n: Node) => (n.range ? text.slice(0, n.range[0]).split('\n').length : 0);
  const fields = (n: Node | undefined, type: string, allowed: string[]): Map<string, Node | undefined> => {
    const out = new Map<string, Node | undefined>();
    if (!n || !isMap(n)) return out;
    for (const pair of n.items) {
      const key = deref(pair.key);
      const name = key && isScalar(key) ? String(key.value) : '';
      if (!allowed.includes(name)) unknown.push(`line ${key ? line(key) : 0}: field ${name} not found in type ${type}`);
      else out.set(name, deref(pair.value));
    }
    return out;
  };
  // A scalar's text as written (yaml.v2 puts the text of `0x10` into a string, not 16).
  const str = (n: Node | undefined) =>
    n && isScalar(n) && n.value !== null
      ? n.type === 'PLAIN' && n.source !== undefined
        ? n.source
        : String(n.value)
      : '';
  const dur = (n: Node | undefined) => (n && isScalar(n) && n.value !== null ? parseDuration(String(n.value)) : 0);
  const list = (n: Node | undefined): Array<Node | undefined> => (n && isSeq(n) ? n.items.map((i) => deref(i)) : []);
  const map = (n: Node | undefined): Record<string, string> => {
    const out: Record<string, string> = {};
    if (n && isMap(n))
      for (const pair of n.items)
        out[String((deref(pair.key) as { value?: unknown })?.value ?? '')] = str(deref(pair.value));
    return out;
  };
  const top = fields(deref(doc.contents), 'main.unitTestFile', [
    'rule_files',
    'evaluation_interval',
    'group_eval_order',
    'tests',
    'fuzzy_compare',
  ]);
  const file: UnitTestFile = {
    ruleFiles: list(top.get('rule_files')).map(str),
    evaluationIntervalMs: dur(top.get('evaluation_interval')) || 60_000,
    groupEvalOrder: list(top.get('group_eval_order')).map(str),
    fuzzyCompare: str(top.get('fuzzy_compare')) === 'true',
    tests: list(top.get('tests')).map((t) => {
      const g = fields(t, 'main.testGroup', [
        'interval',
        'input_series',
        'alert_rule_test',
        'promql_expr_test',
        'external_labels',
        'external_url',
        'name',
      ]);
      return {
        intervalMs: dur(g.get('interval')),
        inputSeries: list(g.get('input_series')).map((s) => {
          const f = fields(s, 'main.series', ['series', 'values']);
          return { series: str(f.get('series')), values: str(f.get('values')) };
        }),
        alertRuleTests: list(g.get('alert_rule_test')).map((a) => {
          const f = fields(a, 'main.alertTestCase', ['eval_time', 'alertname', 'exp_alerts']);
          return {
            evalTimeMs: dur(f.get('eval_time')),
            alertname: str(f.get('alertname')),
            expAlerts: list(f.get('exp_alerts')).map((e) => {
              const ea = fields(e, 'main.alert', ['exp_labels', 'exp_annotations']);
              return { expLabels: map(ea.get('exp_labels')), expAnnotations: map(ea.get('exp_annotations')) };
            }),
          };
        }),
        promqlExprTests: list(g.get('promql_expr_test')).map((p) => {
          const f = fields(p, 'main.promqlTestCase', ['expr', 'eval_time', 'exp_samples']);
          return {
            expr: str(f.get('expr')),
            evalTimeMs: dur(f.get('eval_time')),
            expSamples: list(f.get('exp_samples')).map((e) => {
              const es = fields(e, 'main.sample', ['labels', 'value', 'histogram']);
              return {
                labels: str(es.get('labels')),
                value: Number(str(es.get('value')) || 0),
                histogram: str(es.get('histogram')),
              };
            }),
          };
        }),
        externalLabels: map(g.get('external_labels')),
        externalURL: str(g.get('external_url')),
        name: str(g.get('name')),
      };
    }),
  };
  if (unknown.length > 0) throw new UnitTestFileError(`yaml: unmarshal errors:\n  ${unknown.join('\n  ')}`);
  return file;
}

// ---- one test group ----

/** Go's time.Duration.String() of `ms` milliseconds: `0s`, `1m0s`, `2h3m4.5s`, `1.5ms`. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let rest = Math.abs(ms);
  if (rest < 1000) return `${neg ? '-' : ''}${rest}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = (rest / 1000).toFixed(3).replace(/\.?0+$/, '');
  return `${neg ? '-' : ''}${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${s}s`;
}

/** indentLines: every line after the first gets `indent`. */
const indentLines = (lines: string, indent: string) => lines.split('\n').join(`\n${indent}`);

interface LabelsAndAnnotations {
  labels: Labels;
  annotations: Labels;
}

function alertsString(la: readonly LabelsAndAnnotations[]): string {
  if (la.length === 0) return '[]';
  const one = (x: LabelsAndAnnotations) =>
    `Labels:${labelsString(x.labels)}\nAnnotations:${labelsString(x.annotations)}`;
  return `[\n${la.map((x, i) => `${i}:${indentLines(`\n${one(x)}`, '  ')}`).join(',\n')}\n]`;
}

const compareAlerts = (a: LabelsAndAnnotations, b: LabelsAndAnnotations) =>
  compareLabels(a.labels, b.labels) || compareLabels(a.annotations, b.annotations);

interface ParsedSample {
  labels: Labels;
  value: number;
}

const sampleString = (s: ParsedSample) => `${labelsString(s.labels)} ${goFormatFloat(s.value, 'E', -1)}`;

/** Labels of an expected sample (parser.ParseMetric); `''` is the empty label set. */
function parseMetric(text: string): Labels {
  if (text.trim() === '') return {};
  return parseSeriesDesc(text).labels;
}

/** float64 equality, or one ULP apart with fuzzy_compare. */
function floatsEqual(x: number, y: number, fuzzy: boolean): boolean {
  if (x === y) return true;
  if (!fuzzy || !Number.isFinite(x) || !Number.isFinite(y)) return false;
  const view = new DataView(new ArrayBuffer(16));
  view.setFloat64(0, x);
  view.setFloat64(8, y);
  const a = view.getBigInt64(0);
  const b = view.getBigInt64(8);
  return (a > b ? a - b : b - a) === 1n && Math.sign(x) === Math.sign(y);
}

/**
 * One input sample. An object, not a `[t, v]` pair: V8 may canonicalize a NaN stored in an array
 * of numbers, and the staleness marker is a NaN whose bits matter.
 */
interface Sample {
  t: number;
  v: number;
}

/** The input series as upstream's LazyLoader holds them: each series' samples, in time order. */
function loadSeries(tg: TestGroup): Array<{ labels: Labels; samples: Sample[] }> {
  const bySeries = new Map<string, { labels: Labels; samples: Sample[] }>();
  tg.inputSeries.forEach((is, i) => {
    const line = `${is.series} ${is.values}`.trim();
    let parsed: ReturnType<typeof parseSeriesDesc>;
    try {
      parsed = parseSeriesDesc(line);
    } catch (err) {
      // Line 1 of upstream's load command is `load <interval>`: the series are lines 2 on.
      throw new Error((err as Error).message.replace(/^1:/, `${i + 2}:`));
    }
    if (/\{\{/.test(is.values)) throw new Error(`${i + 2}:1: native histogram samples are not supported by miniprom`);
    const samples: Sample[] = [];
    parsed.values.forEach((v, step) => {
      if (!v.omitted) samples.push({ t: step * tg.intervalMs, v: v.value });
    });
    bySeries.set(JSON.stringify(Object.entries(parsed.labels).sort()), { labels: parsed.labels, samples });
  });
  return [...bySeries.values()];
}

async function runTestGroup(
  tg: TestGroup,
  testname: string,
  evalIntervalMs: number,
  order: ReadonlyMap<string, number>,
  opts: TestRulesOptions,
  fuzzy: boolean,
  ruleFiles: readonly string[],
): Promise<string[]> {
  const started = performance.now();
  if (opts.debug) console.log(`DEBUG: Starting test ${testname}`);
  let series: ReturnType<typeof loadSeries>;
  try {
    series = loadSeries(tg);
  } catch (err) {
    return [(err as Error).message];
  }
  const dir = mkdtempSync(join(tmpdir(), 'promtool-test-'));
  const logger = pino({ level: 'silent' });
  let db: TSDB | undefined;
  try {
    db = await openTSDB({ dir, logger, retentionMs: 0 });
    const storage = db;
    // As upstream's LazyLoader's engine.
    const engine = new PromQLEngine({
      lookbackDeltaMs: 5 * 60_000,
      timeoutMs: 100_000,
      maxSamples: 10_000,
      noStepSubqueryIntervalMs: evalIntervalMs,
    });
    let loaded: RuleGroup[];
    try {
      loaded = ruleFiles.flatMap((f) => loadRuleFile(f, { ignoreUnknownFields: opts.ignoreUnknownFields }));
    } catch (err) {
      return (err as RuleFileError).errors ?? [(err as Error).message];
    }
    const groups: Group[] = buildGroups(
      loaded,
      {
        defaultIntervalMs: tg.intervalMs,
        externalLabels: tg.externalLabels,
        externalURL: tg.externalURL,
        shouldRestore: false,
        logger,
      },
      {
        logger,
        query: engineQueryFunc(engine, storage),
        appendable: storage,
        queryable: storage,
        notify: () => {},
        resendDelay: 60_000_000_000n,
        outageTolerance: 3_600_000_000_000n,
        forGracePeriod: 600_000_000_000n,
        defaultQueryOffset: () => 0n,
        now: () => BigInt(Date.now()) * 1_000_000n,
      },
    ).sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));

    const maxt = Math.max(
      0,
      ...tg.alertRuleTests.map((a) => a.evalTimeMs),
      ...tg.promqlExprTests.map((p) => p.evalTimeMs),
    );
    for (const a of tg.alertRuleTests) {
      if (a.alertname === '') {
        const where = tg.name ? ` (in TestGroup ${tg.name})` : '';
        return [
          `an item under alert_rule_test misses required attribute alertname at eval_time ${formatDuration(a.evalTimeMs)}${where}`,
        ];
      }
    }
    const alertEvalTimes = [...new Set(tg.alertRuleTests.map((a) => a.evalTimeMs))].sort((a, b) => a - b);
    let curr = 0;

    const errs: string[] = [];
    const loadedUpTo = series.map(() => 0);
    for (let ts = 0; ts <= maxt; ts += evalIntervalMs) {
      // LazyLoader.WithSamplesTill(ts): every input sample up to ts, then the evaluation.
      const app = storage.appender();
      let appendError: string | undefined;
      series.forEach((s, i) => {
        let k = loadedUpTo[i] as number;
        for (; k < s.samples.length && (s.samples[k] as Sample).t <= ts; k++) {
          const { t, v } = s.samples[k] as Sample;
          const refused = app.append(s.labels, t, v);
          appendError ??= refused?.message;
        }
        loadedUpTo[i] = k;
      });
      await app.commit();
      const evalErrs: string[] = [];
      if (appendError) errs.push(appendError);
      else {
        for (const g of groups) {
          await g.eval(BigInt(ts) * 1_000_000n);
          for (const r of g.rules) {
            if (r.lastError !== undefined)
              evalErrs.push(`    rule: ${r.name}, time: ${goDuration(ts)}, err: ${r.lastError}`);
          }
        }
      }
      errs.push(...evalErrs);
      if (evalErrs.length > 0) return errs;

      while (
        curr < alertEvalTimes.length &&
        ts <= (alertEvalTimes[curr] as number) &&
        (alertEvalTimes[curr] as number) < ts + evalIntervalMs
      ) {
        const t = alertEvalTimes[curr] as number;
        const tests = tg.alertRuleTests.filter((a) => a.evalTimeMs === t);
        const names = new Set(tests.map((a) => a.alertname));
        const got = new Map<string, LabelsAndAnnotations[]>();
        for (const g of groups) {
          for (const r of g.rules) {
            if (!('activeAlerts' in r) || !names.has(r.name)) continue;
            const firing = (r as AlertingRule)
              .activeAlerts()
              .filter((a) => a.state === 'firing')
              .map((a) => ({ labels: a.labels, annotations: a.annotations }));
            got.set(r.name, [...(got.get(r.name) ?? []), ...firing]);
          }
        }
        for (const tc of tests) {
          const gotAlerts = [...(got.get(tc.alertname) ?? [])].sort(compareAlerts);
          const expAlerts = tc.expAlerts
            .map((a) => ({ labels: { ...a.expLabels, alertname: tc.alertname }, annotations: a.expAnnotations }))
            .sort(compareAlerts);
          const same =
            gotAlerts.length === expAlerts.length &&
            gotAlerts.every((a, i) => compareAlerts(a, expAlerts[i] as LabelsAndAnnotations) === 0);
          if (!same) {
            const testName = tg.name ? `    name: ${tg.name},\n` : '';
            errs.push(
              `${testName}    alertname: ${tc.alertname}, time: ${formatDuration(tc.evalTimeMs)}, \n        exp:${indentLines(alertsString(expAlerts), '            ')}, \n        got:${indentLines(alertsString(gotAlerts), '            ')}`,
            );
          }
        }
        curr++;
      }
    }

    // promql_expr_test, once every evaluation is done.
    for (const tc of tg.promqlExprTests) {
      let got: ParsedSample[];
      try {
        const { value } = await engine.instantQuery(storage, tc.expr, tc.evalTimeMs);
        if (value.resultType === 'vector') got = value.result.map((s) => ({ labels: s.metric, value: s.f }));
        else if (value.resultType === 'scalar') got = [{ labels: {}, value: value.result.v }];
        else throw new Error('rule result is not a vector or scalar');
      } catch (err) {
        errs.push(
          `    expr: ${JSON.stringify(tc.expr)}, time: ${formatDuration(tc.evalTimeMs)}, err: ${(err as Error).message}`,
        );
        continue;
      }
      let exp: ParsedSample[] = [];
      let bad: string | undefined;
      for (const s of tc.expSamples) {
        try {
          if (s.histogram !== '') throw new Error('native histograms are not supported by miniprom');
          exp.push({ labels: parseMetric(s.labels), value: s.value });
        } catch (err) {
          bad = `    expr: ${JSON.stringify(tc.expr)}, time: ${formatDuration(tc.evalTimeMs)}, err: labels ${JSON.stringify(s.labels)}: ${(err as Error).message}`;
          break;
        }
      }
      if (bad) {
        errs.push(bad);
        continue;
      }
      exp = exp.sort((a, b) => compareLabels(a.labels, b.labels));
      got = got.sort((a, b) => compareLabels(a.labels, b.labels));
      const same =
        exp.length === got.length &&
        exp.every(
          (e, i) =>
            compareLabels(e.labels, (got[i] as ParsedSample).labels) === 0 &&
            floatsEqual(e.value, (got[i] as ParsedSample).value, fuzzy),
        );
      if (!same) {
        const list = (xs: ParsedSample[]) => (xs.length === 0 ? 'nil' : xs.map(sampleString).join(', '));
        errs.push(
          `    expr: ${JSON.stringify(tc.expr)}, time: ${formatDuration(tc.evalTimeMs)},\n        exp: ${list(exp)}\n        got: ${list(got)}`,
        );
      }
    }

    if (opts.debug) {
      // A dump of everything stored, rounded up to a whole second as upstream does.
      const ts = Math.floor((maxt + 1000) / 1000) * 1000;
      const expr = `{__name__=~".+"}[${formatDuration(ts)}]`;
      try {
        const { value } = await engine.instantQuery(storage, expr, ts);
        if (value.resultType === 'matrix') {
          console.log(`DEBUG: Dump of all data (input_series and rules) at ${goDuration(ts)}:`);
          console.log(
            value.result
              .map(
                (s) =>
                  `${labelsString(s.metric)} =>\n${s.floats.map((p) => `${goFormatFloat(p.f, 'f', -1)} @[${p.t}]`).join('\n')}`,
              )
              .join('\n'),
          );
        }
      } catch (err) {
        console.log(`DEBUG: Failed query exec, expr: ${JSON.stringify(expr)}, err: ${(err as Error).message}`);
      }
    }
    return errs;
  } finally {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
    if (opts.debug) console.log(`DEBUG: Test ${testname} finished, took ${goDuration(performance.now() - started)}`);
  }
}
