/**
 * The OpenMetrics 1.0 text format, read exactly as Prometheus 3.5 reads it: the verdicts and the
 * error texts of upstream's lexer (model/textparse/openmetricslex.l, whose generated automaton
 * this follows state by state, including where it stops on a bad character) and parser
 * (openmetricsparse.go) at v3.5.3:
 *
 *     # HELP name text     # TYPE name counter|gauge|histogram|gaugehistogram|summary|info|stateset|unknown
 *     # UNIT name unit     (the unit must be a `_`-separated suffix of the name)
 *     name{label="value",…} value [timestamp] [# {label="value",…} value [timestamp]]
 *     # EOF                (required, and nothing may follow it)
 *
 * Where it differs from the text format, as upstream has it: one space (never a tab) between the
 * parts of a line; timestamps are seconds with an optional fraction (truncated to milliseconds);
 * no comments other than HELP, TYPE, UNIT and EOF; a trailing comma in a label set is allowed; the
 * `le` of a histogram and the `quantile` of a summary are rewritten in OpenMetrics' float form
 * (`1` becomes `1.0`); an exemplar is checked, then dropped (Prometheus 3.5 stores exemplars only
 * with its exemplar storage, which is off by default, and miniprom has none).
 *
 * `_created` series are samples like any other: upstream skips them only when created-timestamp
 * ingestion (a feature flag, off by default) asks it to.
 *
 * It reads the body's bytes, as upstream's lexer does (and as the text format's TextScanner does,
 * for the same reasons); texts taken out of it are decoded as Go sees them. A series the scrape
 * cache expects at a line's start (see KnownSeries) is compared in place and its labels are not
 * read again.
 */
import { isUtf8 } from 'node:buffer';
import { goFormatFloat, goParseFloat, goQuote } from '../golang/index.js';
import {
  asBuffer,
  encodeEscaped,
  type ExpositionScanner,
  goText,
  type KnownSeries,
  type MetadataVisitor,
  plainDecimal,
  SampleLabels,
  type SampleVisitor,
  unescapeLabel,
} from './parser.js';

// Character codes the lexer compares against. A NUL, and the end of the input, read as 0.
const LF = 10;
const SPACE = 32;
const QUOTE = 34;
const HASH = 35;
const COMMA = 44;
const ZERO = 48;
const NINE = 57;
const COLON = 58;
const EQUALS = 61;
const UPPER_A = 65;
const UPPER_Z = 90;
const BACKSLASH = 92;
const UNDERSCORE = 95;
const LOWER_A = 97;
const LOWER_Z = 122;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;

/** The lexer's start conditions (openmetricslex.l's %x states). */
enum State {
  Init,
  Comment,
  Meta1,
  Meta2,
  Labels,
  LValue,
  Value,
  Timestamp,
  Exemplar,
  EValue,
  ETimestamp,
}

/** Upstream's tokens, by the names its error messages give them. */
type Token =
  | 'INVALID'
  | 'EOF'
  | 'LINEBREAK'
  | 'HELP'
  | 'TYPE'
  | 'UNIT'
  | 'EOFWORD'
  | 'TEXT'
  | 'COMMENT'
  | 'MNAME'
  | 'QSTRING'
  | 'BOPEN'
  | 'BCLOSE'
  | 'LNAME'
  | 'LVALUE'
  | 'COMMA'
  | 'EQUAL'
  | 'TIMESTAMP'
  | 'VALUE';

/** OpenMetrics' types, as upstream's model.MetricType spells them. */
const METRIC_TYPES: ReadonlySet<string> = new Set([
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'summary',
  'info',
  'stateset',
  'unknown',
]);

/**
 * A resumable scan of one OpenMetrics exposition (see TextScanner for the contract): `scan`
 * reads `budget` entries, the next call goes on from there. Throws upstream's error at the first
 * invalid entry, after `visit` has seen the samples before it.
 */
export class OpenMetricsScanner implements ExpositionScanner {
  readonly #b: Buffer;
  readonly #n: number;
  /** Only a body with invalid bytes needs its label values and HELP texts checked. */
  readonly #checkUTF8: boolean;
  #done = false;

  // The lexer, as upstream's openMetricsLexer: where it is, where the current token started, its state.
  #i = 0;
  #tokStart = 0;
  #state = State.Init;
  /** Where the current entry started (the parser's p.start). */
  #start = 0;
  /** The type of the last TYPE line, which decides whether `le` and `quantile` values are rewritten. */
  #type = 'unknown';

  /** The sample just read (#sampleRest). */
  #value = 0;
  #timestampMs: number | undefined;

  /** The current sample's labels, as TextScanner keeps them. */
  readonly #sampleLabels = new SampleLabels();

  /**
   * `body`: the exposition's bytes, or a text (tests) whose invalid bytes are escaped as
   * src/golang's decodeUTF8 leaves them. `validUTF8`: whether the bytes are valid UTF-8, when the
   * caller knows; otherwise they are checked.
   */
  constructor(body: string | Uint8Array, opts: { validUTF8?: boolean } = {}) {
    this.#b = asBuffer(typeof body === 'string' ? encodeEscaped(body) : body);
    this.#n = this.#b.length;
    this.#checkUTF8 = opts.validUTF8 === undefined ? !isUtf8(this.#b) : !opts.validUTF8;
  }

  get done(): boolean {
    return this.#done;
  }

  scan(visit: SampleVisitor, meta: MetadataVisitor | undefined, budget: number, known?: KnownSeries): boolean {
    for (let entries = 0; !this.#done && entries < budget; entries++) this.#entry(visit, meta, known);
    return this.#done;
  }

  /** One entry (upstream's Next). */
  #entry(visit: SampleVisitor, meta: MetadataVisitor | undefined, known: KnownSeries | undefined): void {
    const b = this.#b;
    this.#start = this.#i;
    // The series expected here (see KnownSeries): when the line starts with exactly its text,
    // its labels are not read again; the value, timestamp and exemplar are, by the same code as
    // below, so that they fail alike. Only this comparison: a line that differs is read in full
    // (and the scrape loop still finds its series in the cache by hash, skipping relabeling).
    const expected = known?.expected;
    if (expected !== undefined && this.#state === State.Init && !expected.dead) {
      const end = this.#start + expected.length;
      // The series ends there: at its label set's `}`, or a bare name's value blank (a longer
      // name or a label set would go on).
      if (known?.cache.bytesAt(b, this.#start, expected) && (b[end - 1] === CLOSE_BRACE || b[end] === SPACE)) {
        this.#i = end;
        this.#state = State.Value;
        this.#sampleRest(this.#lex());
        known.hit(expected, this.#value, this.#timestampMs);
        return;
      }
    }
    const t = this.#lex();
    switch (t) {
      case 'EOFWORD':
        if (this.#lex() !== 'EOF') throw new Error('unexpected data after # EOF');
        this.#done = true;
        return;
      case 'EOF':
        throw new Error('data does not end with # EOF');
      case 'HELP':
      case 'TYPE':
      case 'UNIT': {
        const t2 = this.#lex();
        if (t2 !== 'MNAME') throw this.#parseError(`expected metric name after ${t}`, t2);
        let mStart = this.#tokStart;
        let mEnd = this.#i;
        if (b[mStart] === QUOTE && b[mEnd - 1] === QUOTE) {
          mStart++;
          mEnd--;
        }
        const metric = goText(b, mStart, mEnd);
        if (this.#lex() !== 'TEXT') throw new Error(`expected text in ${t}`);
        // The token is the blank, the text and the line break.
        const text = this.#i - this.#tokStart > 1 ? goText(b, this.#tokStart + 1, this.#i - 1) : '';
        if (t === 'TYPE') {
          if (!METRIC_TYPES.has(text)) throw new Error(`invalid metric type ${goQuote(text)}`);
          this.#type = text;
          meta?.('type', metric, text);
        } else if (t === 'HELP') {
          if (this.#checkUTF8 && !isUtf8(b.subarray(this.#tokStart + 1, Math.max(this.#tokStart + 1, this.#i - 1)))) {
            throw new Error(`help text ${goQuote(text)} is not a valid utf8 string`);
          }
          // OpenMetrics escapes HELP as label values are escaped.
          meta?.('help', metric, unescapeLabel(text));
        } else {
          if (text !== '' && !(metric.length > text.length && metric.endsWith(`_${text}`))) {
            throw new Error(`unit ${goQuote(text)} not a suffix of metric ${goQuote(metric)}`);
          }
          meta?.('unit', metric, text);
        }
        return;
      }
      case 'BOPEN': {
        this.#sampleLabels.reset();
        const metric = this.#labels(false, false);
        const seriesEnd = this.#i;
        if (metric === undefined) {
          // Upstream checks this only once it has read the next token.
          this.#lex();
          throw new Error(`metric name not set while parsing: ${goQuote(goText(b, this.#start, this.#i))}`);
        }
        this.#sample(visit, metric, seriesEnd, this.#lex());
        return;
      }
      case 'MNAME': {
        this.#sampleLabels.reset();
        const metric = unescapeLabel(goText(b, this.#tokStart, this.#i));
        let seriesEnd = this.#i;
        let t2 = this.#lex();
        if (t2 === 'BOPEN') {
          this.#labels(false, true);
          seriesEnd = this.#i;
          t2 = this.#lex();
        }
        this.#sample(visit, metric, seriesEnd, t2);
        return;
      }
      default:
        throw this.#parseError('expected a valid start token', t);
    }
  }

  /**
   * The rest of a sample's line from token `t` on (upstream's parseSeriesEndOfLine), then the
   * sample itself to `visit`.
   */
  #sample(visit: SampleVisitor, metric: string, seriesEnd: number, t: Token): void {
    this.#sampleRest(t);
    visit(this.#sampleLabels.build(metric), this.#value, this.#timestampMs, this.#start, seriesEnd);
  }

  /** A sample's line from its value token `t` on: its value and timestamp into #value and #timestampMs. */
  #sampleRest(t: Token): void {
    const value = this.#float(t, 'metric');
    let timestamp: number | undefined;
    const t2 = this.#lex();
    switch (t2) {
      case 'EOF':
        throw new Error('data does not end with # EOF');
      case 'LINEBREAK':
        break;
      case 'COMMENT':
        this.#exemplar();
        break;
      case 'TIMESTAMP': {
        timestamp = this.#timestamp('timestamp');
        const t3 = this.#lex();
        if (t3 === 'COMMENT') this.#exemplar();
        else if (t3 !== 'LINEBREAK') throw this.#parseError('expected next entry after timestamp', t3);
        break;
      }
      // Any other token ends the sample without complaint, as upstream: the lexer stays where it
      // stopped, and the next entry starts there (and fails).
    }
    this.#value = value;
    this.#timestampMs = timestamp;
  }

  /** An exemplar, after its ` # {` (upstream's parseComment): checked, then dropped. */
  #exemplar(): void {
    this.#labels(true, true);
    this.#float(this.#lex(), 'exemplar labels');
    const t = this.#lex();
    switch (t) {
      case 'EOF':
        throw new Error('data does not end with # EOF');
      case 'LINEBREAK':
        return;
      case 'TIMESTAMP': {
        this.#timestamp('exemplar timestamp');
        const t2 = this.#lex();
        if (t2 !== 'LINEBREAK') throw this.#parseError('expected next entry after exemplar timestamp', t2);
        return;
      }
      default:
        throw this.#parseError('expected timestamp or comment', t);
    }
  }

  /**
   * A label set after its `{` (upstream's parseLVals); returns the metric name given in it.
   * An exemplar's labels are checked, not kept. `named`: the metric name was already given.
   */
  #labels(exemplar: boolean, named: boolean): string | undefined {
    const b = this.#b;
    let metric: string | undefined;
    let t = this.#lex();
    for (;;) {
      const nameStart = this.#tokStart;
      const nameEnd = this.#i;
      if (t === 'BCLOSE') return metric;
      if (t !== 'LNAME' && t !== 'QSTRING') throw this.#parseError('expected label name', t);
      t = this.#lex();
      if (t === 'COMMA' || t === 'BCLOSE') {
        // A name followed by a comma or brace is the metric name (its first and last characters
        // stripped, quotes or not, as upstream does).
        if (exemplar) throw this.#parseError('expected label name', t);
        if (named || metric !== undefined) {
          throw new Error(`metric name already set while parsing: ${goQuote(goText(b, this.#start, this.#i))}`);
        }
        metric = unescapeLabel(goText(b, nameStart + 1, Math.max(nameStart + 1, nameEnd - 1)));
        if (t === 'BCLOSE') return metric;
        t = this.#lex();
        continue;
      }
      const quoted = b[nameStart] === QUOTE;
      const name = quoted ? goText(b, nameStart + 1, nameEnd - 1) : goText(b, nameStart, nameEnd);
      if (t !== 'EQUAL') throw this.#parseError('expected equal', t);
      t = this.#lex();
      if (t !== 'LVALUE') throw this.#parseError('expected label value', t);
      if (this.#checkUTF8 && !isUtf8(b.subarray(this.#tokStart, this.#i))) {
        throw new Error(`invalid UTF-8 label value: ${goQuote(goText(b, this.#tokStart, this.#i))}`);
      }
      if (!exemplar) {
        const label = unescapeLabel(name);
        const value = unescapeLabel(goText(b, this.#tokStart + 1, this.#i - 1));
        this.#sampleLabels.add(label, normalizeFloat(this.#type, label, value));
      }
      t = this.#lex();
      if (t === 'COMMA') t = this.#lex();
      else if (t !== 'BCLOSE') throw this.#parseError('expected comma or brace close', t);
    }
  }

  /** A value token (upstream's getFloatValue): the text after its blank, as upstream's parseFloat reads it. */
  #float(t: Token, after: string): number {
    if (t !== 'VALUE') throw this.#parseError(`expected value after ${after}`, t);
    return this.#parseFloat();
  }

  /** A timestamp token in seconds, as milliseconds (Go's int64(ts * 1000) truncates). */
  #timestamp(what: 'timestamp' | 'exemplar timestamp'): number {
    const ts = this.#parseFloat();
    if (!Number.isFinite(ts)) throw new Error(`invalid ${what} ${goFormatFloat(ts, 'f', 6)}`);
    return Math.trunc(ts * 1000);
  }

  /** The current token less its leading blank: Go's ParseFloat, without `p`, `P` or `_`. */
  #parseFloat(): number {
    const b = this.#b;
    const fast = plainDecimal(b, this.#tokStart + 1, this.#i);
    if (fast !== undefined) return fast;
    const text = goText(b, this.#tokStart + 1, this.#i);
    const where = () => ` while parsing: ${goQuote(goText(b, this.#start, this.#i))}`;
    if (/[pP_]/.test(text)) throw new Error(`unsupported character in float${where()}`);
    const v = goParseFloat(text);
    if (typeof v !== 'number') {
      throw new Error(`strconv.ParseFloat: parsing ${goQuote(text)}: ${v.error}${where()}`);
    }
    return v;
  }

  /** Upstream's parseError: `<expected>, got "<token>" ("<kind>") while parsing: "<entry so far>"`. */
  #parseError(expected: string, tok: Token): Error {
    const e = Math.min(this.#i + 1, this.#n);
    return new Error(
      `${expected}, got ${goQuote(goText(this.#b, this.#tokStart, e))} (${goQuote(tok)}) while parsing: ${goQuote(goText(this.#b, this.#start, e))}`,
    );
  }

  // ---- the lexer ----

  /**
   * Advances to the next character and returns it (0 past the end). In a label value, HELP text
   * or comment state, NULs are skipped, as upstream's lexer skips them.
   */
  #next(): number {
    const b = this.#b;
    const n = this.#n;
    if (++this.#i >= n) return 0;
    let c = b[this.#i] as number;
    const state = this.#state;
    if (c === 0 && (state === State.LValue || state === State.Meta2 || state === State.Comment)) {
      while (c === 0) {
        if (++this.#i >= n) return 0;
        c = b[this.#i] as number;
      }
    }
    return c;
  }

  /**
   * Reads a quoted string from the `"` at #i; true once past its closing quote. `lineBreaks`:
   * whether a raw line break may be in it. False where upstream's automaton stops (#i on that
   * character).
   */
  #quoted(lineBreaks: boolean): boolean {
    for (;;) {
      let c = this.#next();
      if (c === QUOTE) {
        this.#next();
        return true;
      }
      if (c === BACKSLASH) {
        c = this.#next();
        if (c === 0 || c === LF) return false;
        continue;
      }
      if (c === 0 || (c === LF && !lineBreaks)) return false;
    }
  }

  /**
   * Reads one token (upstream's Lex): sets #tokStart and leaves #i after it, or, for INVALID,
   * on the character where the automaton stopped.
   */
  #lex(): Token {
    if (this.#i >= this.#n) return 'EOF';
    let c = this.#b[this.#i] as number;
    this.#tokStart = this.#i;
    for (;;) {
      switch (this.#state) {
        case State.Init:
          if (c === HASH) {
            if (this.#next() !== SPACE) return 'INVALID';
            // `# ` switches to the comment state and goes on reading in it, in the same token.
            c = this.#next();
            this.#state = State.Comment;
            continue;
          }
          if (isMetricNameStart(c)) {
            do c = this.#next();
            while (isMetricNameChar(c));
            this.#state = State.Value;
            return 'MNAME';
          }
          if (c === OPEN_BRACE) {
            this.#next();
            this.#state = State.Labels;
            return 'BOPEN';
          }
          return 'INVALID';
        case State.Comment: {
          if (c === 0x45 /* E */) {
            if (this.#next() !== 0x4f /* O */ || this.#next() !== 0x46 /* F */) return 'INVALID';
            if (this.#next() === LF) this.#next();
            this.#state = State.Init;
            return 'EOFWORD';
          }
          const keyword = c === 0x48 ? 'HELP' : c === 0x54 ? 'TYPE' : c === 0x55 ? 'UNIT' : undefined;
          if (keyword === undefined) return 'INVALID';
          for (let k = 1; k < 4; k++) if (this.#next() !== keyword.charCodeAt(k)) return 'INVALID';
          if (this.#next() !== SPACE) return 'INVALID';
          this.#next();
          this.#state = State.Meta1;
          return keyword;
        }
        case State.Meta1:
          if (c === QUOTE) {
            if (!this.#quoted(true)) return 'INVALID';
            this.#state = State.Meta2;
            return 'MNAME';
          }
          if (isMetricNameStart(c)) {
            do c = this.#next();
            while (isMetricNameChar(c));
            this.#state = State.Meta2;
            return 'MNAME';
          }
          return 'INVALID';
        case State.Meta2:
          if (c !== SPACE) return 'INVALID';
          for (c = this.#next(); c !== LF; c = this.#next()) if (c === 0) return 'INVALID';
          this.#next();
          this.#state = State.Init;
          return 'TEXT';
        case State.Labels:
        case State.Exemplar: {
          const exemplar = this.#state === State.Exemplar;
          if (c === QUOTE) return this.#quoted(!exemplar) ? 'QSTRING' : 'INVALID';
          if (c === COMMA) {
            this.#next();
            return 'COMMA';
          }
          if (c === EQUALS || c === CLOSE_BRACE) {
            this.#next();
            this.#state = exemplar ? State.EValue : c === EQUALS ? State.LValue : State.Value;
            return c === EQUALS ? 'EQUAL' : 'BCLOSE';
          }
          if (isLabelNameStart(c)) {
            do c = this.#next();
            while (isLabelNameChar(c));
            return 'LNAME';
          }
          return 'INVALID';
        }
        case State.LValue:
          if (c !== QUOTE || !this.#quoted(false)) return 'INVALID';
          this.#state = State.Labels;
          return 'LVALUE';
        case State.Value:
          if (c === OPEN_BRACE) {
            this.#next();
            this.#state = State.Labels;
            return 'BOPEN';
          }
          if (c !== SPACE || !this.#word()) return 'INVALID';
          this.#state = State.Timestamp;
          return 'VALUE';
        case State.Timestamp:
          if (c === LF) {
            this.#next();
            this.#state = State.Init;
            return 'LINEBREAK';
          }
          if (c !== SPACE) return 'INVALID';
          if (this.#next() === HASH) {
            // ` # {` starts an exemplar; ` #` followed by anything but a blank is a timestamp.
            c = this.#next();
            if (c === SPACE) {
              if (this.#next() !== OPEN_BRACE) return 'INVALID';
              this.#next();
              this.#state = State.Exemplar;
              return 'COMMENT';
            }
            if (isWordChar(c)) this.#restOfWord();
            return 'TIMESTAMP';
          }
          this.#i--;
          return this.#word() ? 'TIMESTAMP' : 'INVALID';
        case State.EValue:
          if (c === QUOTE) {
            if (!this.#quoted(false)) return 'INVALID';
            this.#state = State.Exemplar;
            return 'LVALUE';
          }
          if (c !== SPACE || !this.#word()) return 'INVALID';
          this.#state = State.ETimestamp;
          return 'VALUE';
        case State.ETimestamp:
          if (c === LF) {
            this.#next();
            this.#state = State.Init;
            return 'LINEBREAK';
          }
          return c === SPACE && this.#word() ? 'TIMESTAMP' : 'INVALID';
      }
    }
  }

  /** From the blank at #i: one or more characters other than a blank, line break or NUL (`{S}[^ \n]+`). */
  #word(): boolean {
    if (!isWordChar(this.#next())) return false;
    this.#restOfWord();
    return true;
  }

  /** Past the word character at #i and those after it. */
  #restOfWord(): void {
    while (isWordChar(this.#next()));
  }
}

/** `[a-zA-Z_:]` */
function isMetricNameStart(c: number): boolean {
  return isLabelNameStart(c) || c === COLON;
}

/** `[a-zA-Z0-9_:]` */
function isMetricNameChar(c: number): boolean {
  return isLabelNameStart(c) || c === COLON || (c >= ZERO && c <= NINE);
}

/** `[a-zA-Z_]` */
function isLabelNameStart(c: number): boolean {
  return (c >= LOWER_A && c <= LOWER_Z) || (c >= UPPER_A && c <= UPPER_Z) || c === UNDERSCORE;
}

/** `[a-zA-Z0-9_]` */
function isLabelNameChar(c: number): boolean {
  return isLabelNameStart(c) || (c >= ZERO && c <= NINE);
}

/** `[^ \n]`, less the NUL (which the lexer reads as the end). */
function isWordChar(c: number): boolean {
  return c !== 0 && c !== SPACE && c !== LF;
}

/**
 * Upstream's normalizeFloatsInLabelValues: a histogram's `le` and a summary's `quantile` in
 * OpenMetrics' float form (Go's shortest `g` format, with `.0` when it has neither `.` nor `e`),
 * so that `le="1"` and `le="1.0"` are one series. Values that are not numbers stay as they are.
 */
function normalizeFloat(type: string, label: string, value: string): string {
  if (!((type === 'histogram' && label === 'le') || (type === 'summary' && label === 'quantile'))) return value;
  const f = goParseFloat(value);
  if (typeof f !== 'number') return value;
  const text = goFormatFloat(f, 'g', -1);
  return /[e.]/.test(text) || !Number.isFinite(f) ? text : `${text}.0`;
}
