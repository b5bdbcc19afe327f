/**
 * `promtool check metrics`: reads the Prometheus text format on standard input, parses it as
 * upstream's expfmt TextParser does (prometheus/common v0.65.0, the version Prometheus 3.5.3
 * builds with: same states, same error texts and line numbers), and lints every metric family
 * with client_golang v1.22.0's promlint rules. Problems go to stderr as `<metric> <text>`, sorted
 * by metric then text, exit 3; a parse error is `error while linting: …`, exit 1; with
 * `--extended`, the cardinality table on stdout.
 */

type MetricType = 'counter' | 'gauge' | 'summary' | 'untyped' | 'histogram' | 'gauge_histogram';
/** The types whose samples expfmt folds into one metric per label set (`le` buckets). */
const isHistogramType = (t: MetricType | undefined) => t === 'histogram' || t === 'gauge_histogram';
/** Legacy name validation, which expfmt's text decoder applies to the text format. */
const LEGACY_METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LEGACY_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES: readonly MetricType[] = ['counter', 'gauge', 'summary', 'untyped', 'histogram', 'gauge_histogram'];

interface Metric {
  labels: Array<[string, string]>;
  /** Quantiles (summary) or buckets (histogram) seen for this metric. */
  parts: number;
}

interface Family {
  name: string;
  help: string | undefined;
  type: MetricType | undefined;
  metrics: Metric[];
}

/** expfmt's ParseError. */
class ParseError extends Error {
  constructor(line: number, msg: string) {
    super(`text format parsing error in line ${line}: ${msg}`);
  }
}

/** Go's %q of a string (the texts quote names and values with it); bytes that are not UTF-8 as \xNN. */
function goQuote(text: string | Buffer): string {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  let out = '"';
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i] as number;
    const size = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    const chunk = bytes.subarray(i, i + size);
    const ch = chunk.toString('utf8');
    if (Buffer.compare(Buffer.from(ch), chunk) !== 0 || (lead >= 0x80 && size === 1)) {
      out += `\\x${lead.toString(16).padStart(2, '0')}`;
      i++;
      continue;
    }
    i += size;
    const c = ch.codePointAt(0) as number;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Go's %q of a byte (a rune literal). */
function goQuoteByte(b: number): string {
  if (b === 0x27) return "'\\''";
  if (b === 0x5c) return "'\\\\'";
  if (b === 0x0a) return "'\\n'";
  if (b === 0x09) return "'\\t'";
  if (b === 0x0d) return "'\\r'";
  if (b < 0x20 || b === 0x7f) return `'\\x${b.toString(16).padStart(2, '0')}'`;
  return `'${String.fromCodePoint(b)}'`;
}

/** expfmt's parseFloat: Go's strconv.ParseFloat without hex floats or underscores. */
function parseFloat64(s: string): number | undefined {
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return Number.NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined;
  const v = Number(s);
  // Go reports a value beyond float64's range as an error.
  return Number.isFinite(v) ? v : undefined;
}

const isBlankOrTab = (b: number) => b === 0x20 || b === 0x09;
const isLabelNameStart = (b: number) =>
  (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || b === 0x5f || b === 0x22;
// In a quoted name any byte continues it (Go's utf8.ValidString(string(b)) holds for every byte).
const isLabelNameContinuation = (b: number, quoted: boolean) =>
  isLabelNameStart(b) || (b >= 0x30 && b <= 0x39) || quoted;
const isMetricNameStart = (b: number) => isLabelNameStart(b) || b === 0x3a;
const isMetricNameContinuation = (b: number, quoted: boolean) => isLabelNameContinuation(b, quoted) || b === 0x3a;

const EOF = -1;

/**
 * expfmt's TextParser.TextToMetricFamilies as a byte-level state machine: the families that
 * have at least one metric, in order of first appearance, or the first parse error.
 */
export function parseTextFormat(input: Buffer): Family[] {
  let pos = 0;
  let line = 0;
  let byte = 0;
  let eof = false;
  const families = new Map<string, Family>();
  let mf: Family | undefined;
  let metric: Metric = { labels: [], parts: 0 };
  let pairs: Array<[string, string]> = [];
  let token: number[] = [];
  let insideBraces = false;
  let insideBracesNamePresent = false;
  let currentLabels = new Map<string, string>();
  const summaries = new Map<string, Metric>();
  const histograms = new Map<string, Metric>();
  let quantileOrBucket = false;
  /** Whether the current line is a summary's or histogram's `_count` or `_sum`. */
  let countOrSum: '' | 'count' | 'sum' = '';

  const fail = (msg: string): never => {
    throw new ParseError(line, msg);
  };
  /** Reads the next byte; at the end, marks eof (io.EOF: the caller stops). */
  const read = (): boolean => {
    if (pos >= input.length) {
      eof = true;
      byte = EOF;
      return false;
    }
    byte = input[pos++] as number;
    return true;
  };
  const tokenText = () => Buffer.from(token).toString('utf8');
  const skipBlankTab = (): boolean => {
    for (;;) {
      if (!read()) return false;
      if (!isBlankOrTab(byte)) return true;
    }
  };
  const skipBlankTabIfCurrent = (): boolean => (isBlankOrTab(byte) ? skipBlankTab() : true);
  const readUntilWhitespace = (): boolean => {
    token = [];
    while (!eof && !isBlankOrTab(byte) && byte !== 0x0a) {
      token.push(byte);
      read();
    }
    return !eof;
  };
  const readUntilNewline = (escapes: boolean): boolean => {
    token = [];
    let escaped = false;
    while (!eof) {
      if (escapes && escaped) {
        if (byte === 0x5c) token.push(0x5c);
        else if (byte === 0x6e) token.push(0x0a);
        else if (byte === 0x22) token.push(0x22);
        else fail(`invalid escape sequence '\\${String.fromCharCode(byte)}'`);
        escaped = false;
      } else if (byte === 0x0a) return true;
      else if (byte === 0x5c) escaped = true;
      else token.push(byte);
      read();
    }
    return false;
  };
  /** readTokenAsMetricName and readTokenAsLabelName: `=` ends a label name, a blank a metric name. */
  const readName = (metricName: boolean): boolean => {
    token = [];
    let quoted = false;
    let escaped = false;
    if (!(metricName ? isMetricNameStart(byte) : isLabelNameStart(byte))) return true;
    while (!eof) {
      if (escaped) {
        if (byte === 0x5c) token.push(0x5c);
        else if (byte === 0x6e) token.push(0x0a);
        else if (byte === 0x22) token.push(0x22);
        else fail(`invalid escape sequence '\\${String.fromCharCode(byte)}'`);
        escaped = false;
      } else if (byte === 0x22) {
        quoted = !quoted;
        if (!quoted) return read();
      } else if (byte === 0x0a) {
        fail(`${metricName ? 'metric' : 'label'} name ${goQuote(tokenText())} contains unescaped new-line`);
      } else if (byte === 0x5c) escaped = true;
      else token.push(byte);
      if (!read()) return false;
      const goesOn = metricName ? isMetricNameContinuation(byte, quoted) : isLabelNameContinuation(byte, quoted);
      if (!goesOn || (!quoted && byte === (metricName ? 0x20 : 0x3d))) return true;
    }
    return false;
  };
  const readLabelValue = (): boolean => {
    token = [];
    let escaped = false;
    for (;;) {
      if (!read()) return false;
      if (escaped) {
        if (byte === 0x22 || byte === 0x5c) token.push(byte);
        else if (byte === 0x6e) token.push(0x0a);
        else fail(`invalid escape sequence '\\${String.fromCharCode(byte)}'`);
        escaped = false;
        continue;
      }
      if (byte === 0x22) return true;
      if (byte === 0x0a) fail(`label value ${goQuote(tokenText())} contains unescaped new-line`);
      if (byte === 0x5c) escaped = true;
      else token.push(byte);
    }
  };
  const setOrCreateFamily = () => {
    countOrSum = '';
    const name = tokenText();
    if (!LEGACY_METRIC_NAME.test(name)) fail(`invalid metric name ${goQuote(name)}`);
    mf = families.get(name);
    if (mf) return;
    const suffixed = (suffixes: string[], type: MetricType) => {
      for (const suffix of suffixes) {
        if (name.length > suffix.length && name.endsWith(suffix)) {
          const base = families.get(name.slice(0, -suffix.length));
          if (base?.type === type || (type === 'histogram' && base?.type === 'gauge_histogram')) {
            mf = base;
            countOrSum = suffix === '_count' ? 'count' : suffix === '_sum' ? 'sum' : '';
            return true;
          }
          return false;
        }
      }
      return false;
    };
    if (suffixed(['_count', '_sum'], 'summary') || suffixed(['_count', '_sum', '_bucket'], 'histogram')) return;
    mf = { name, help: undefined, type: undefined, metrics: [] };
    families.set(name, mf);
  };
  const family = () => mf as Family;
  const isSummaryOrHistogram = () => family().type === 'summary' || isHistogramType(family().type);

  type State = (() => State) | undefined;
  const startOfLine = (): State => {
    line++;
    insideBraces = false;
    insideBracesNamePresent = false;
    if (!skipBlankTab()) {
      eof = false; // the one place where the end is expected
      return undefined;
    }
    if (byte === 0x23) return startComment;
    if (byte === 0x0a) return startOfLine;
    if (byte === 0x7b) {
      insideBraces = true;
      return readingLabels;
    }
    return readingMetricName;
  };
  const startComment = (): State => {
    if (!skipBlankTab()) return undefined;
    if (byte === 0x0a) return startOfLine;
    if (!readUntilWhitespace()) return undefined;
    if (byte === 0x0a) return startOfLine;
    const keyword = tokenText();
    if (keyword !== 'HELP' && keyword !== 'TYPE') {
      while (byte !== 0x0a) if (!read()) return undefined;
      return startOfLine;
    }
    if (!skipBlankTab()) return undefined;
    if (!readName(true)) return undefined;
    if (byte === 0x0a) return startOfLine;
    if (!isBlankOrTab(byte)) fail('invalid metric name in comment');
    setOrCreateFamily();
    if (!skipBlankTab()) return undefined;
    if (byte === 0x0a) return startOfLine;
    return keyword === 'HELP' ? readingHelp : readingType;
  };
  const readingMetricName = (): State => {
    if (!readName(true)) return undefined;
    if (token.length === 0) fail('invalid metric name');
    setOrCreateFamily();
    family().type ??= 'untyped';
    metric = { labels: [], parts: 0 };
    if (!skipBlankTabIfCurrent()) return undefined;
    return readingLabels;
  };
  const readingLabels = (): State => {
    if (mf && isSummaryOrHistogram()) {
      currentLabels = new Map([['__name__', family().name]]);
      quantileOrBucket = false;
    }
    return byte !== 0x7b ? readingValue : startLabelName;
  };
  const startLabelName = (): State => {
    if (!skipBlankTab()) return undefined;
    if (byte === 0x7d) {
      // `{}` before any metric name: nothing to attach the labels to.
      if (mf === undefined) fail('invalid metric name');
      metric.labels.push(...pairs);
      pairs = [];
      if (!skipBlankTab()) return undefined;
      return readingValue;
    }
    if (!readName(false)) return undefined;
    if (token.length === 0) fail(`invalid label name for metric ${goQuote(mf?.name ?? '')}`);
    if (!skipBlankTabIfCurrent()) return undefined;
    if (byte !== 0x3d) {
      if (insideBraces) {
        if (insideBracesNamePresent) fail(`multiple metric names for metric ${goQuote(mf?.name ?? '')}`);
        if (byte === 0x2c || byte === 0x7d) {
          setOrCreateFamily();
          family().type ??= 'untyped';
          metric = { labels: [], parts: 0 };
          if (byte === 0x2c) {
            insideBracesNamePresent = true;
            return startLabelName;
          }
          metric.labels.push(...pairs);
          pairs = [];
          if (!skipBlankTab()) return undefined;
          return readingValue;
        }
        fail(`unexpected end of metric name ${goQuoteByte(byte)}`);
      }
      fail(`expected '=' after label name, found ${goQuoteByte(byte)}`);
    }
    const name = tokenText();
    if (name === '__name__') fail('label name "__name__" is reserved');
    if (!LEGACY_LABEL_NAME.test(name)) fail(`invalid label name ${goQuote(name)}`);
    const pair: [string, string] = [name, ''];
    // mf may be unset for a line starting with `{`: Go's nil-safe getters read it as an empty counter.
    const special = (mf?.type === 'summary' && name === 'quantile') || (isHistogramType(mf?.type) && name === 'le');
    if (!special) pairs.push(pair);
    if (new Set(pairs.map(([n]) => n)).size !== pairs.length)
      fail(`duplicate label names for metric ${goQuote(mf?.name ?? '')}`);
    return () => startLabelValue(pair, special);
  };
  const startLabelValue = (pair: [string, string], special: boolean): State => {
    if (!skipBlankTab()) return undefined;
    if (byte !== 0x22) fail(`expected '"' at start of label value, found ${goQuoteByte(byte)}`);
    if (!readLabelValue()) return undefined;
    const raw = Buffer.from(token);
    const value = raw.toString('utf8');
    // model.LabelValue.IsValid: valid UTF-8 (a replacement character means the bytes were not).
    if (Buffer.compare(Buffer.from(value, 'utf8'), raw) !== 0) fail(`invalid label value ${goQuote(raw)}`);
    pair[1] = value;
    const type = mf?.type;
    if (type === 'summary' || isHistogramType(type)) {
      if (special) {
        if (parseFloat64(value) === undefined)
          fail(`expected float as value for '${type === 'summary' ? 'quantile' : 'le'}' label, got ${goQuote(value)}`);
        quantileOrBucket = true;
      } else currentLabels.set(pair[0], value);
    }
    if (!skipBlankTab()) return undefined;
    if (byte === 0x2c) return startLabelName;
    if (byte === 0x7d) {
      if (mf === undefined) fail('invalid metric name');
      metric.labels.push(...pairs);
      pairs = [];
      if (!skipBlankTab()) return undefined;
      return readingValue;
    }
    return fail(`unexpected end of label value ${goQuote(value)}`);
  };
  const readingValue = (): State => {
    // Go dereferences a nil family here (a line of only `{}`); refuse it as a bad name instead.
    if (mf === undefined) fail('invalid metric name');
    const f = family();
    if (f.type === 'summary' || isHistogramType(f.type)) {
      const seen = f.type === 'summary' ? summaries : histograms;
      const signature = JSON.stringify([...currentLabels].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      const existing = seen.get(signature);
      if (existing) metric = existing;
      else {
        seen.set(signature, metric);
        f.metrics.push(metric);
      }
    } else f.metrics.push(metric);
    if (!readUntilWhitespace()) return undefined;
    const value = parseFloat64(tokenText());
    if (value === undefined) fail(`expected float as value, got ${goQuote(tokenText())}`);
    // A histogram's count or bucket that is not a whole number may not be negative.
    if (isHistogramType(f.type) && (value as number) < 0) {
      if (countOrSum === 'count') fail(`negative count for histogram ${goQuote(f.name)}`);
      if (countOrSum === '' && quantileOrBucket) fail(`negative bucket population for histogram ${goQuote(f.name)}`);
    }
    if (quantileOrBucket && countOrSum === '') metric.parts++;
    if (byte === 0x0a) return startOfLine;
    return startTimestamp;
  };
  const startTimestamp = (): State => {
    if (!skipBlankTab()) return undefined;
    if (!readUntilWhitespace()) return undefined;
    const text = tokenText();
    if (!/^[+-]?\d+$/.test(text) || BigInt(text) > 2n ** 63n - 1n || BigInt(text) < -(2n ** 63n))
      fail(`expected integer as timestamp, got ${goQuote(text)}`);
    if (!readUntilNewline(false)) return undefined;
    if (token.length > 0) fail(`spurious string after timestamp: ${goQuote(tokenText())}`);
    return startOfLine;
  };
  const readingHelp = (): State => {
    if (family().help !== undefined) fail(`second HELP line for metric name ${goQuote(family().name)}`);
    if (!readUntilNewline(true)) return undefined;
    family().help = tokenText();
    return startOfLine;
  };
  const readingType = (): State => {
    if (family().type !== undefined)
      fail(`second TYPE line for metric name ${goQuote(family().name)}, or TYPE reported after samples`);
    if (!readUntilNewline(false)) return undefined;
    const text = tokenText().toLowerCase();
    // OpenMetrics's `gaugehistogram` is tolerated as gauge_histogram.
    const type = (text === 'gaugehistogram' ? 'gauge_histogram' : text) as MetricType;
    if (!TYPES.includes(type)) fail(`unknown metric type ${goQuote(tokenText())}`);
    family().type = type;
    return startOfLine;
  };

  let state: State = startOfLine;
  while (state) state = state();
  // The end of the input anywhere but at the start of a line.
  if (eof) fail('unexpected end of input stream');
  return [...families.values()].filter((f) => f.metrics.length > 0);
}

// promlint's units (validations/units.go).
const UNITS: Record<string, string> = {
  amperes: 'amperes',
  bytes: 'bytes',
  celsius: 'celsius',
  grams: 'grams',
  joules: 'joules',
  kelvin: 'kelvin',
  meters: 'meters',
  metres: 'metres',
  seconds: 'seconds',
  volts: 'volts',
  minutes: 'seconds',
  hours: 'seconds',
  days: 'seconds',
  weeks: 'seconds',
  kelvins: 'kelvin',
  fahrenheit: 'celsius',
  rankine: 'celsius',
  inches: 'meters',
  yards: 'meters',
  miles: 'meters',
  bits: 'bytes',
  calories: 'joules',
  pounds: 'grams',
  ounces: 'grams',
};
const UNIT_PREFIXES = [
  'pico',
  'nano',
  'micro',
  'milli',
  'centi',
  'deci',
  'deca',
  'hecto',
  'kilo',
  'kibi',
  'mega',
  'mibi',
  'giga',
  'gibi',
  'tera',
  'tebi',
  'peta',
  'pebi',
];
const UNIT_ABBREVIATIONS = ['s', 'ms', 'us', 'ns', 'sec', 'b', 'kb', 'mb', 'gb', 'tb', 'pb', 'm', 'h', 'd'];

function metricUnits(name: string): [string, string] | undefined {
  for (const s of name.split('_')) {
    const base = Object.hasOwn(UNITS, s) ? UNITS[s] : undefined;
    if (base !== undefined) return [s, base];
    for (const p of UNIT_PREFIXES) {
      const rest = s.slice(p.length);
      if (s.startsWith(p) && Object.hasOwn(UNITS, rest)) return [s, UNITS[rest] as string];
    }
  }
  return undefined;
}

/** promlint's default validations, in its order, for one family. */
function lintFamily(f: Family): string[] {
  const problems: string[] = [];
  const type = f.type ?? 'untyped';
  const name = f.name;
  const lower = name.toLowerCase();
  const labelNames = f.metrics.flatMap((m) => m.labels.map(([n]) => n));
  // LintHelp
  if (f.help === undefined) problems.push('no help text');
  // LintMetricUnits
  const units = metricUnits(name);
  if (units && units[0] !== units[1])
    problems.push(`use base unit ${goQuote(units[1])} instead of ${goQuote(units[0])}`);
  // LintCounter
  const total = name.endsWith('_total');
  if (type === 'counter' && !total) problems.push('counter metrics should have "_total" suffix');
  else if (type !== 'untyped' && type !== 'counter' && total)
    problems.push('non-counter metrics should not have "_total" suffix');
  // LintHistogramSummaryReserved
  if (type !== 'untyped') {
    const histogram = type === 'histogram';
    const summary = type === 'summary';
    if (!histogram && name.endsWith('_bucket')) problems.push('non-histogram metrics should not have "_bucket" suffix');
    if (!histogram && !summary && name.endsWith('_count'))
      problems.push('non-histogram and non-summary metrics should not have "_count" suffix');
    if (!histogram && !summary && name.endsWith('_sum'))
      problems.push('non-histogram and non-summary metrics should not have "_sum" suffix');
    for (const l of labelNames) {
      if (!histogram && l === 'le') problems.push('non-histogram metrics should not have "le" label');
      if (!summary && l === 'quantile') problems.push('non-summary metrics should not have "quantile" label');
    }
  }
  // LintMetricTypeInName
  if (type !== 'untyped' && (lower.includes(`_${type}_`) || lower.endsWith(`_${type}`)))
    problems.push(`metric name should not include type '${type}'`);
  // LintReservedChars
  if (name.includes(':')) problems.push("metric names should not contain ':'");
  // LintCamelCase
  const camel = /[a-z][A-Z]/;
  if (camel.test(name)) problems.push("metric names should be written in 'snake_case' not 'camelCase'");
  for (const l of labelNames)
    if (camel.test(l)) problems.push("label names should be written in 'snake_case' not 'camelCase'");
  // LintUnitAbbreviations
  for (const s of UNIT_ABBREVIATIONS)
    if (lower.includes(`_${s}_`) || lower.endsWith(`_${s}`))
      problems.push('metric names should not contain abbreviated units');
  // LintDuplicateMetric: label lists equal in order (reflect.DeepEqual).
  const keys = f.metrics.map((m) => JSON.stringify(m.labels));
  for (let i = 0; i < keys.length; i++)
    if (keys.indexOf(keys[i] as string, i + 1) > i) problems.push('metric not unique');
  return problems;
}

/** Go's sort order of strings (bytewise). */
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The cardinality of a family as checkMetricsExtended counts it. */
function cardinality(f: Family): number {
  if (f.type === 'histogram' || f.type === 'summary') return f.metrics.length * (2 + (f.metrics[0]?.parts ?? 0));
  return f.metrics.length;
}

/** Go's text/tabwriter with minwidth 4, padding 4: every cell padded to its column's width. */
function tabulate(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(4, ...rows.map((r) => (r[i] as string).length + 4))) ?? [];
  return rows.map((r) => `${r.map((cell, i) => cell.padEnd(widths[i] as number)).join('')}\n`).join('');
}

/** Runs `promtool check metrics` on `input`; writes as upstream and returns the exit code. */
export function checkMetrics(
  input: Buffer,
  extended: boolean,
  out: (text: string) => void,
  err: (text: string) => void,
): number {
  let families: Family[];
  try {
    families = parseTextFormat(input);
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    err(`error while linting: ${e.message}\n`);
    return 1;
  }
  const problems = families.flatMap((f) => lintFamily(f).map((text) => ({ metric: f.name, text })));
  problems.sort((a, b) => (a.metric === b.metric ? byBytes(a.text, b.text) : byBytes(a.metric, b.metric)));
  for (const p of problems) err(`${p.metric} ${p.text}\n`);
  if (problems.length > 0) return 3;
  if (extended) {
    const stats = families.map((f) => ({ name: f.name, n: cardinality(f) }));
    const total = stats.reduce((sum, s) => sum + s.n, 0);
    // Upstream's ties come in Go's map order; here they are by name, so the table is stable.
    stats.sort((a, b) => b.n - a.n || byBytes(a.name, b.name));
    const rows = [['Metric', 'Cardinality', 'Percentage']];
    for (const s of stats) rows.push([s.name, String(s.n), `${((s.n / total) * 100).toFixed(2)}%`]);
    rows.push(['Total', String(total), '100%']);
    out(tabulate(rows));
  }
  return 0;
}
