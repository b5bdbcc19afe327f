/**
 * The Prometheus text exposition format 0.0.4, parsed in one pass over the body.
 *
 * This is the scrape hot path, so it walks the string with `charCodeAt` and one index: no regex,
 * no `split` into lines, no per-line substrings beyond the names and values it keeps. The grammar
 * is upstream's (model/textparse/promlex.l):
 *
 *     # any comment, including HELP and TYPE     (skipped)
 *     name{label="value",other="v\"q\"",} value [timestamp_ms]
 *
 * with spaces or tabs between tokens, escapes `\\`, `\"` and `\n` in label values, values in Go's
 * `strconv.ParseFloat` syntax (`NaN`, `+Inf`, `-Inf`, `1e3`, …) and integer millisecond timestamps.
 */

export interface ParsedSample {
  /** The sample's labels, `__name__` included. Labels with an empty value are left out (see below). */
  labels: Record<string, string>;
  value: number;
  /** Milliseconds since the epoch, when the line carried a timestamp. */
  timestamp?: number;
}

/**
 * Called once per sample by `scanTextFormat`. `body.slice(seriesStart, seriesEnd)` is the line's
 * text from the metric name to the end of its label set: the scrape loop keys its staleness
 * bookkeeping on it, as upstream's scrape cache does, instead of building a canonical key from the
 * labels. It is passed as offsets so that callers who do not need it allocate nothing for it.
 */
export type SampleVisitor = (
  labels: Record<string, string>,
  value: number,
  timestamp: number | undefined,
  seriesStart: number,
  seriesEnd: number,
) => void;

/**
 * Called for each `# HELP` and `# TYPE` line: the metric family name as written, and the help text
 * (unescaped) or the type (`counter`, `gauge`, `histogram`, `summary`, or `unknown` for `untyped`).
 * The text format has no `# UNIT` (upstream's parser reads that line as a plain comment).
 */
export type MetadataVisitor = (kind: 'help' | 'type', metric: string, text: string) => void;

/** The types a TYPE line may give, and what upstream records for each. */
const METRIC_TYPES: Readonly<Record<string, string>> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  summary: 'summary',
  untyped: 'unknown',
};

/**
 * A comment line `body[start, end)` (starting at its `#`), read as upstream's lexer reads it:
 * `#`, blanks, `HELP` or `TYPE`, blanks, a metric name (or a quoted one), then the rest of the
 * line less its first character (the blank after the name) is the text. Anything else is a
 * comment. Throws for a HELP or TYPE without a metric name, and for a TYPE that names no type.
 */
function scanMetadata(body: string, start: number, end: number, line: number, meta: MetadataVisitor | undefined): void {
  let i = start + 1;
  let c = body.charCodeAt(i);
  if (c !== SPACE && c !== TAB) return;
  while (c === SPACE || c === TAB) c = body.charCodeAt(++i);
  const keyword = body.slice(i, i + 4);
  if (keyword !== 'HELP' && keyword !== 'TYPE') return;
  i += 4;
  c = body.charCodeAt(i);
  if (c !== SPACE && c !== TAB) return; // `# HELPX …`: a comment
  while (c === SPACE || c === TAB) c = body.charCodeAt(++i);
  let metric: string;
  if (c === QUOTE) {
    const nameStart = i + 1;
    let k = nameStart;
    while (k < end && body.charCodeAt(k) !== QUOTE) k += body.charCodeAt(k) === BACKSLASH ? 2 : 1;
    if (k >= end) fail(line, `expected metric name after ${keyword}, got ${q(body.slice(i, end))}`);
    metric = body.slice(nameStart, k);
    i = k + 1;
  } else {
    if (!isNameStart(c, true)) fail(line, `expected metric name after ${keyword}, got ${q(tokenAt(body, i))}`);
    const nameStart = i;
    c = body.charCodeAt(++i);
    while (isNameChar(c, true)) c = body.charCodeAt(++i);
    metric = body.slice(nameStart, i);
  }
  let lineEnd = end;
  if (body.charCodeAt(lineEnd - 1) === CR) lineEnd--;
  const text = i + 1 < lineEnd ? body.slice(i + 1, lineEnd) : '';
  if (keyword === 'TYPE') {
    const type = Object.hasOwn(METRIC_TYPES, text) ? METRIC_TYPES[text] : undefined;
    if (type === undefined) fail(line, `invalid metric type ${q(text)}`);
    meta?.('type', metric, type);
  } else {
    meta?.('help', metric, text.includes('\\') ? unescapeHelp(text) : text);
  }
}

/** Upstream's helpReplacer: `\\` and `\n` only. */
function unescapeHelp(text: string): string {
  return text.replace(/\\[\\n]/g, (e) => (e === '\\n' ? '\n' : '\\'));
}

// Character codes the scanner compares against (plain constants: declaring them does no work).
const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const HASH = 35;
const PLUS = 43;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const COLON = 58;
const EQUALS = 61;
const UPPER_A = 65;
const UPPER_E = 69;
const UPPER_Z = 90;
const BACKSLASH = 92;
const UNDERSCORE = 95;
const LOWER_A = 97;
const LOWER_E = 101;
const LOWER_N = 110;
const LOWER_Z = 122;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;

/** Parses a whole exposition into samples; throws `line N: <problem>` on the first invalid line. */
export function parseTextFormat(body: string): ParsedSample[] {
  const out: ParsedSample[] = [];
  scanTextFormat(body, (labels, value, timestamp) => {
    // Only add `timestamp` when present, so a sample without one has no such key at all.
    out.push(timestamp === undefined ? { labels, value } : { labels, value, timestamp });
  });
  return out;
}

/**
 * The parser proper: calls `visit` for every sample, in order. Throws on the first invalid line,
 * after `visit` has seen the samples before it (the scrape loop rolls those back).
 *
 * A label with an empty value is not put in the label set: in Prometheus's data model an empty
 * label value is the same as the label being absent, and dropping it here keeps `a{b=""}` and `a`
 * the same series everywhere downstream.
 */
export function scanTextFormat(body: string, visit: SampleVisitor, meta?: MetadataVisitor): void {
  const n = body.length;
  let i = 0;
  let line = 0;
  // Expositions repeat the same names line after line. Reusing the previous line's strings when
  // the text matches saves most name allocations (and the garbage collection they cost).
  let lastMetric = '';
  const recent: Recent = { names: [], values: [] };

  // `charCodeAt` past the end returns NaN, which equals no code below: that is the end-of-input
  // sentinel every loop relies on instead of a separate bounds check.
  while (i < n) {
    line++;
    let c = body.charCodeAt(i);
    while (c === SPACE || c === TAB) c = body.charCodeAt(++i);

    // Blank line (LF, CRLF, or trailing blanks at the very end).
    if (atLineEnd(body, i)) {
      i = skipLineEnd(body, i);
      continue;
    }
    // Comments are skipped to the end of the line with the engine's native search; HELP and
    // TYPE lines are read for the metadata (and a TYPE must name a type, as upstream requires).
    if (c === HASH) {
      const lf = body.indexOf('\n', i);
      const end = lf < 0 ? n : lf;
      scanMetadata(body, i, end, line, meta);
      i = lf < 0 ? n : lf + 1;
      continue;
    }

    // The metric name.
    const seriesStart = i;
    if (!isNameStart(c, true)) fail(line, `expected metric name, got ${q(tokenAt(body, i))}`);
    c = body.charCodeAt(++i);
    while (isNameChar(c, true)) c = body.charCodeAt(++i);
    const metric = reuse(body, seriesStart, i, lastMetric);
    lastMetric = metric;
    const labels: Record<string, string> = { __name__: metric };
    let seriesEnd = i;

    while (c === SPACE || c === TAB) c = body.charCodeAt(++i);

    // The optional label set.
    if (c === OPEN_BRACE) {
      i = scanLabels(body, i + 1, line, labels, recent);
      seriesEnd = i;
      c = body.charCodeAt(i);
      while (c === SPACE || c === TAB) c = body.charCodeAt(++i);
    } else if (i === seriesEnd && !atLineEnd(body, i)) {
      // Something glued to the name that is neither a label set nor whitespace, e.g. `a-b 1`.
      fail(line, `expected label set or value after metric name, got ${q(tokenAt(body, i))}`);
    }

    // The value: everything up to the next blank or line end.
    const valueStart = i;
    c = body.charCodeAt(i);
    while (c !== SPACE && c !== TAB && c !== LF && c !== CR && !Number.isNaN(c)) c = body.charCodeAt(++i);
    const value = numberAt(body, valueStart, i);
    if (value === undefined) fail(line, `expected value after metric, got ${q(body.slice(valueStart, i))}`);

    c = body.charCodeAt(i);
    while (c === SPACE || c === TAB) c = body.charCodeAt(++i);

    // The optional timestamp, then nothing but blanks.
    let timestamp: number | undefined;
    if (!atLineEnd(body, i)) {
      const tsStart = i;
      c = body.charCodeAt(i);
      while (c !== SPACE && c !== TAB && c !== LF && c !== CR && !Number.isNaN(c)) c = body.charCodeAt(++i);
      const tsText = body.slice(tsStart, i);
      timestamp = parseTimestamp(tsText);
      if (timestamp === undefined) fail(line, `invalid timestamp ${q(tsText)}`);
      c = body.charCodeAt(i);
      while (c === SPACE || c === TAB) c = body.charCodeAt(++i);
      if (!atLineEnd(body, i)) fail(line, `expected end of line after timestamp, got ${q(tokenAt(body, i))}`);
    }
    i = skipLineEnd(body, i);

    visit(labels, value, timestamp, seriesStart, seriesEnd);
  }
}

/** The previous line's label names and values, by position, for `reuse`. */
interface Recent {
  names: string[];
  values: string[];
}

/**
 * Reads `label="value", …}` starting just after `{`; fills `labels` and returns the index just
 * after the closing brace. A trailing comma before `}` is allowed, as upstream allows it.
 */
function scanLabels(body: string, start: number, line: number, labels: Record<string, string>, recent: Recent): number {
  let i = start;
  for (let position = 0; ; position++) {
    let c = body.charCodeAt(i);
    while (c === SPACE || c === TAB) c = body.charCodeAt(++i);
    if (c === CLOSE_BRACE) return i + 1;

    // Label name (no colons: those are for metric names only).
    const nameStart = i;
    if (!isNameStart(c, false)) fail(line, `expected label name, got ${q(tokenAt(body, i))}`);
    c = body.charCodeAt(++i);
    while (isNameChar(c, false)) c = body.charCodeAt(++i);
    const name = reuse(body, nameStart, i, recent.names[position]);
    recent.names[position] = name;

    while (c === SPACE || c === TAB) c = body.charCodeAt(++i);
    if (c !== EQUALS) fail(line, `expected equal sign after label name ${q(name)}, got ${q(tokenAt(body, i))}`);
    c = body.charCodeAt(++i);
    while (c === SPACE || c === TAB) c = body.charCodeAt(++i);
    if (c !== QUOTE) fail(line, `expected quoted label value for ${q(name)}, got ${q(tokenAt(body, i))}`);
    i++;

    // The quoted value. Most have no escapes: find the closing quote first, then take the text
    // in one piece (or the previous line's string, when equal). Escapes take the slow path.
    const valueStart = i;
    c = body.charCodeAt(i);
    while (c !== QUOTE && c !== BACKSLASH && c !== LF && !Number.isNaN(c)) c = body.charCodeAt(++i);
    let value: string;
    if (c === QUOTE) {
      value = reuse(body, valueStart, i, recent.values[position]);
      recent.values[position] = value;
    } else {
      value = '';
      let runStart = valueStart;
      for (;;) {
        c = body.charCodeAt(i);
        if (c === QUOTE) break;
        // A raw line break (or the end of input) inside quotes: the value was never closed.
        if (c === LF || Number.isNaN(c)) fail(line, `unterminated label value for ${q(name)}`);
        if (c === BACKSLASH) {
          const e = body.charCodeAt(i + 1);
          if (e === LF || Number.isNaN(e)) fail(line, `unterminated label value for ${q(name)}`);
          value += body.slice(runStart, i);
          // Upstream unescapes exactly these three; any other `\x` stays as written.
          if (e === LOWER_N) value += '\n';
          else if (e === BACKSLASH) value += '\\';
          else if (e === QUOTE) value += '"';
          else value += body.slice(i, i + 2);
          i += 2;
          runStart = i;
          continue;
        }
        i++;
      }
      value += body.slice(runStart, i);
    }
    i++; // the closing quote

    if (Object.hasOwn(labels, name)) fail(line, `duplicate label name ${q(name)}`);
    if (value !== '') setLabel(labels, name, value);

    c = body.charCodeAt(i);
    while (c === SPACE || c === TAB) c = body.charCodeAt(++i);
    if (c === COMMA) i++;
    else if (c === CLOSE_BRACE) return i + 1;
    else fail(line, `expected comma or closing brace after label value, got ${q(tokenAt(body, i))}`);
  }
}

/** `body.slice(start, end)`, or `previous` itself when it holds exactly that text. */
function reuse(body: string, start: number, end: number, previous: string | undefined): string {
  if (previous !== undefined && previous.length === end - start && body.startsWith(previous, start)) return previous;
  return body.slice(start, end);
}

/**
 * Stores a label. `__proto__` is a valid Prometheus label name but, assigned with `=`, would hit
 * the prototype setter and vanish; defining it keeps it an ordinary own property.
 */
function setLabel(labels: Record<string, string>, name: string, value: string): void {
  if (name === '__proto__') {
    Object.defineProperty(labels, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    labels[name] = value;
  }
}

/** `[a-zA-Z_]`, plus `:` for metric names. */
function isNameStart(c: number, colon: boolean): boolean {
  return (c >= LOWER_A && c <= LOWER_Z) || (c >= UPPER_A && c <= UPPER_Z) || c === UNDERSCORE || (colon && c === COLON);
}

/** `[a-zA-Z0-9_]`, plus `:` for metric names. */
function isNameChar(c: number, colon: boolean): boolean {
  return isNameStart(c, colon) || (c >= ZERO && c <= NINE);
}

/** At a line break (LF or CRLF), a CR ending the input, or the end of input. */
function atLineEnd(body: string, i: number): boolean {
  const c = body.charCodeAt(i);
  if (c === LF || Number.isNaN(c)) return true;
  if (c !== CR) return false;
  const next = body.charCodeAt(i + 1);
  return next === LF || Number.isNaN(next);
}

/** Moves past the line break at `i` (which `atLineEnd` accepted). */
function skipLineEnd(body: string, i: number): number {
  return body.charCodeAt(i) === CR ? i + 2 : i + 1;
}

/**
 * The number in `body[start, end)`. Plain integers (the usual counter or gauge value) are read
 * straight from the characters, sparing a temporary string; anything else goes to parseValue.
 */
function numberAt(body: string, start: number, end: number): number | undefined {
  const negative = body.charCodeAt(start) === MINUS;
  const first = negative ? start + 1 : start;
  // Up to 15 digits: any such integer is exact in a double.
  if (end > first && end - first <= 15) {
    let v = 0;
    let k = first;
    for (; k < end; k++) {
      const c = body.charCodeAt(k);
      if (c < ZERO || c > NINE) break;
      v = v * 10 + (c - ZERO);
    }
    if (k === end) return negative ? -v : v;
  }
  return parseValue(body.slice(start, end));
}

/**
 * Go's `strconv.ParseFloat` syntax, minus what upstream refuses (hex floats, `_`): decimal numbers
 * with an optional sign and exponent, `Inf`/`Infinity` with an optional sign, and `NaN`, the words
 * in any case. Returns undefined when the text is not a number.
 */
function parseValue(text: string): number | undefined {
  const first = text.charCodeAt(0);
  if (isDigitOrDot(first) || ((first === PLUS || first === MINUS) && isDigitOrDot(text.charCodeAt(1)))) {
    // Only digits, dots, signs and exponents may reach Number(), which would otherwise accept
    // `0x10` or `Infinity`; Number() then rejects malformed ones such as `1e`, `1.2.3` or `.`.
    for (let k = 0; k < text.length; k++) {
      const c = text.charCodeAt(k);
      if (!isDigitOrDot(c) && c !== PLUS && c !== MINUS && c !== LOWER_E && c !== UPPER_E) return undefined;
    }
    const v = Number(text);
    return Number.isNaN(v) ? undefined : v;
  }
  const lower = text.toLowerCase();
  switch (lower) {
    case 'nan':
      return Number.NaN;
    case 'inf':
    case '+inf':
    case 'infinity':
    case '+infinity':
      return Number.POSITIVE_INFINITY;
    case '-inf':
    case '-infinity':
      return Number.NEGATIVE_INFINITY;
  }
  return undefined;
}

function isDigitOrDot(c: number): boolean {
  return (c >= ZERO && c <= NINE) || c === DOT;
}

/** Go's `strconv.ParseInt(text, 10, 64)` syntax: an optional sign and decimal digits. */
function parseTimestamp(text: string): number | undefined {
  let k = text.charCodeAt(0) === PLUS || text.charCodeAt(0) === MINUS ? 1 : 0;
  if (k >= text.length) return undefined;
  for (; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c < ZERO || c > NINE) return undefined;
  }
  return Number(text);
}

/** The offending token for an error message: up to the next blank, delimiter or line end. */
function tokenAt(body: string, i: number): string {
  let j = i;
  for (;;) {
    const c = body.charCodeAt(j);
    if (
      c === SPACE ||
      c === TAB ||
      c === COMMA ||
      c === EQUALS ||
      c === QUOTE ||
      c === OPEN_BRACE ||
      c === CLOSE_BRACE ||
      atLineEnd(body, j)
    ) {
      break;
    }
    j++;
  }
  // A lone delimiter is itself the token (e.g. the `"` where `=` was expected).
  if (j === i && !atLineEnd(body, i)) j = i + 1;
  return body.slice(i, j);
}

/** Quotes text for a message, as Go's %q would. */
function q(text: string): string {
  return JSON.stringify(text);
}

function fail(line: number, problem: string): never {
  throw new Error(`line ${line}: ${problem}`);
}
