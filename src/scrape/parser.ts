/**
 * The Prometheus text exposition format 0.0.4, read exactly as Prometheus 3.5 reads it: the
 * verdicts (what is accepted, what fails the scrape) and the error texts of upstream's lexer
 * (model/textparse/promlex.l) and parser (promparse.go), state by state:
 *
 *     # HELP name text        # TYPE name counter|gauge|histogram|summary|untyped
 *     # any other comment
 *     name{label="value",…} value [timestamp]
 *     {"utf-8.name", "utf-8.label"="value"} value [timestamp]
 *
 * The rules that matter to a hostile or sloppy target, all upstream's:
 *  - blanks are spaces and tabs only, and a line ends at `\n` only: a `\r` is part of the value
 *    or timestamp token, which then fails (CRLF expositions are refused);
 *  - a value is Go's strconv.ParseFloat of the token, minus `p`, `P` and `_`; a number out of
 *    float64's range (`1e999999`) is an error, not ±Inf;
 *  - a timestamp is digits only (no sign) that fit an int64;
 *  - label values and HELP text must be valid UTF-8 (other comments need not be);
 *  - a label value may hold a raw line break; a backslash escapes any character but `\n`, and only
 *    `\"`, `\\` and `\n` are unescaped;
 *  - a NUL at the start of a line ends the exposition; NULs inside label values, HELP text and
 *    comments are kept;
 *  - blanks before a metric name at the start of a line become part of the name (upstream keeps
 *    the line's start as the name's start), and labels need no comma between them.
 *
 * This is the scrape hot path: it walks the body's bytes (a Buffer, never decoded as a whole) with
 * one index, with no regex and no per-line strings beyond the names and values it keeps, and it
 * can stop after a number of lines and resume (`TextScanner.scan`), so a large scrape yields to
 * the event loop. Bytes, not a decoded string: reading a byte of a Buffer costs V8 about half
 * what `charCodeAt` does, comparing a known series' bytes in a loop is ~3× faster than
 * `startsWith` on strings, and the ~10–30 ms a 10 MB body took to decode is gone. "Is valid
 * UTF-8" is then Go's own question about bytes (node:buffer's isUtf8); texts taken out of the body
 * (names, values, error quotes) are decoded as Go sees them, invalid bytes escaped as src/golang's
 * decodeUTF8 escapes them.
 */
import { isUtf8 } from 'node:buffer';
import {
  decodeUTF8,
  ESCAPED_BYTE_FIRST,
  ESCAPED_BYTE_LAST,
  goParseFloat,
  goQuote,
  hasInvalidUTF8,
} from '../golang/index.js';
import { type CacheEntry, hashBytes, hashEnd, hashStart, hashStep, type SeriesCache } from './cache.js';

export interface ParsedSample {
  /** The sample's labels, `__name__` included. Labels with an empty value are left out (see below). */
  labels: Record<string, string>;
  value: number;
  /** Milliseconds since the epoch, when the line carried a timestamp. */
  timestamp?: number;
}

/**
 * Called once per sample by `scanTextFormat`. Bytes `seriesStart` to `seriesEnd` of the body are
 * the line's text from its start to the end of its label set: the scrape loop keys its series
 * cache on them, as upstream's scrape cache does, instead of building a canonical key from the
 * labels. They are passed as offsets so that callers who do not need them allocate nothing.
 */
export type SampleVisitor = (
  labels: Record<string, string>,
  value: number,
  timestamp: number | undefined,
  seriesStart: number,
  seriesEnd: number,
  /** hashBytes of the series text, when the scanner computed it (see KnownSeries). */
  seriesHash?: number,
) => void;

/**
 * The series a scan may skip reading: a line whose series text is in `cache` goes to `hit` with
 * its entry, its labels unread (the text is the same, so they would be the same). Other lines go
 * to the SampleVisitor as usual, with their series hash. `expected` is the entry the next line
 * most likely holds (the caller keeps it: the one that followed the last sample's series in the
 * last scrape); it is compared before anything is hashed.
 */
export interface KnownSeries {
  cache: SeriesCache;
  hit: (entry: CacheEntry, value: number, timestamp: number | undefined) => void;
  expected?: CacheEntry | undefined;
}

/**
 * Called for each `# HELP`, `# TYPE` and (OpenMetrics only) `# UNIT` line: the metric family name
 * as written, and the help text (unescaped), the type (`counter`, `gauge`, `histogram`, `summary`,
 * OpenMetrics' `gaugehistogram`, `info` and `stateset`, or `unknown`, which the text format calls
 * `untyped`) or the unit. The text format has no `# UNIT` (upstream's parser reads that line as a
 * plain comment).
 */
export type MetadataVisitor = (kind: 'help' | 'type' | 'unit', metric: string, text: string) => void;

/**
 * What the scrape loop reads a body with: the text format's scanner or the OpenMetrics one. `scan`
 * reads up to `budget` entries and returns true once the exposition has been read to its end.
 */
export interface ExpositionScanner {
  scan(visit: SampleVisitor, meta: MetadataVisitor | undefined, budget: number, known?: KnownSeries): boolean;
}

/** The types a TYPE line may give, and what upstream records for each. */
const METRIC_TYPES: Readonly<Record<string, string>> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  summary: 'summary',
  untyped: 'unknown',
};

// Character codes the scanner compares against.
const NUL = 0;
const TAB = 9;
const LF = 10;
const SPACE = 32;
const QUOTE = 34;
const HASH = 35;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const PLUS = 43;
const UPPER_E = 69;
const LOWER_E = 101;
/** 10⁰ … 10²², each exact in a double. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => 10 ** i);
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

/** Upstream's tokens, as far as its error messages name them. */
const T_INVALID = 'INVALID';
const T_EOF = 'EOF';
const T_LINEBREAK = 'LINEBREAK';
const T_QSTRING = 'QSTRING';
const T_BCLOSE = 'BCLOSE';
const T_BOPEN = 'BOPEN';
const T_LNAME = 'LNAME';
const T_LVALUE = 'LVALUE';
const T_EQUAL = 'EQUAL';
const T_COMMA = 'COMMA';
const T_TIMESTAMP = 'TIMESTAMP';
const T_VALUE = 'VALUE';
type Token =
  | typeof T_INVALID
  | typeof T_EOF
  | typeof T_LINEBREAK
  | typeof T_QSTRING
  | typeof T_BCLOSE
  | typeof T_BOPEN
  | typeof T_LNAME
  | typeof T_LVALUE
  | typeof T_EQUAL
  | typeof T_COMMA
  | typeof T_TIMESTAMP
  | typeof T_VALUE;

/**
 * Parses a whole exposition (its bytes, or a text as TextScanner takes one) into samples; throws
 * upstream's error for the first invalid entry.
 */
export function parseTextFormat(body: string | Uint8Array): ParsedSample[] {
  const out: ParsedSample[] = [];
  scanTextFormat(body, (labels, value, timestamp) => {
    // Only add `timestamp` when present, so a sample without one has no such key at all.
    out.push(timestamp === undefined ? { labels, value } : { labels, value, timestamp });
  });
  return out;
}

/**
 * Calls `visit` for every sample, in order, and `meta` for every HELP and TYPE line. Throws on
 * the first invalid entry, after `visit` has seen the samples before it (the scrape loop rolls
 * those back).
 *
 * A label with an empty value is not put in the label set: in Prometheus's data model an empty
 * label value is the same as the label being absent (upstream's head drops them too), and
 * dropping it here keeps `a{b=""}` and `a` the same series everywhere downstream.
 */
export function scanTextFormat(body: string | Uint8Array, visit: SampleVisitor, meta?: MetadataVisitor): void {
  new TextScanner(body).scan(visit, meta, Number.POSITIVE_INFINITY);
}

/**
 * A resumable scan of one exposition: `scan` reads `budget` entries (or to the end), and the next
 * call goes on from there. Entries are never split, so the
 * only state between calls is where the next one starts.
 */
export class TextScanner implements ExpositionScanner {
  /** The body's bytes with the line break upstream appends (`append(b, '\n')`), so every line ends. */
  readonly #b: Buffer;
  readonly #n: number;
  /** Only a body with invalid bytes needs its label values and HELP texts checked. */
  readonly #checkUTF8: boolean;
  /** Where the next entry starts. */
  #at = 0;
  #done = false;

  // The entry being read, as upstream's parser keeps it: its start, and the current token's span.
  #start = 0;
  #i = 0;
  #tokStart = 0;
  /** The last quoted string read had a backslash in it. */
  #escaped = false;
  /** The series hash #seriesEnd computed. */
  #hash = 0;

  // Expositions repeat the same names line after line. Reusing the previous line's strings when
  // the bytes match saves most name allocations (and the garbage collection they cost).
  #lastMetric = '';
  readonly #recentNames: string[] = [];
  readonly #recentValues: string[] = [];
  /** The current sample's labels, filled as they are read. */
  readonly #sampleLabels = new SampleLabels();

  /**
   * `body`: the exposition's bytes, or a text (tests, promtool) whose invalid bytes are escaped as
   * src/golang's decodeUTF8 leaves them. `validUTF8`: whether the bytes are valid UTF-8, when the
   * caller knows; otherwise they are checked.
   */
  constructor(body: string | Uint8Array, opts: { validUTF8?: boolean } = {}) {
    this.#b = withLineBreak(typeof body === 'string' ? encodeEscaped(body) : body);
    this.#n = this.#b.length;
    this.#checkUTF8 = opts.validUTF8 === undefined ? !isUtf8(this.#b) : !opts.validUTF8;
  }

  /** True once the whole exposition has been read. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Reads entries (samples, comments, blank lines), calling `visit` and `meta`, until `budget`
   * entries have been read or the exposition ends; returns `done`.
   */
  scan(visit: SampleVisitor, meta: MetadataVisitor | undefined, budget: number, known?: KnownSeries): boolean {
    for (let entries = 0; !this.#done && entries < budget; entries++) this.#entry(visit, meta, known);
    return this.#done;
  }

  /** Reads one line's entry (upstream's Next; a blank line counts as one): true for a sample. */
  #entry(visit: SampleVisitor, meta: MetadataVisitor | undefined, known: KnownSeries | undefined): boolean {
    const b = this.#b;
    const start = this.#at;
    this.#start = start;
    let i = start;
    let c = b[i];
    while (c === SPACE || c === TAB) c = b[++i];
    if (i >= this.#n || c === NUL) {
      // The end, or a NUL where an entry would start: upstream's lexer returns EOF for both.
      this.#done = true;
      return false;
    }
    if (c === LF) {
      this.#at = i + 1;
      return false;
    }
    if (c === HASH) {
      this.#comment(i, meta);
      return false;
    }
    // A known series: its labels are not read again. Only the value and timestamp are, by the
    // same code as below, so that they fail alike.
    let knownEnd = -1;
    if (known !== undefined) {
      // The series expected here first (the same order as last time is the usual case): one
      // comparison, no hashing. Then the cache, by the hash of the series text.
      let entry = known.expected;
      knownEnd = entry === undefined ? -1 : knownAt(b, start, entry, known.cache);
      if (knownEnd < 0) {
        knownEnd = this.#seriesEnd(start, i);
        entry = knownEnd < 0 ? undefined : known.cache.find(b, start, knownEnd, this.#hash);
      }
      if (entry !== undefined) {
        this.#i = knownEnd;
        const tok = this.#lexValue();
        if (tok !== T_VALUE) throw this.#parseError('expected value after metric', tok);
        const value = this.#value();
        known.hit(entry, value, this.#sampleEnd());
        return true;
      }
    }
    this.#sampleLabels.reset();
    let metric: string | undefined;
    let seriesEnd: number;
    let tok: Token;
    if (isNameStart(c, true)) {
      // The name starts where the line does (blanks included), as upstream's offsets say.
      let k = i + 1;
      while (isNameChar(b[k], true)) k++;
      metric = reuse(b, start, k, this.#lastMetric);
      this.#lastMetric = metric;
      this.#i = k;
      seriesEnd = k;
      tok = this.#lexValue();
      if (tok === T_BOPEN) {
        metric = this.#labels(metric);
        seriesEnd = this.#i;
        tok = this.#lexValue();
      }
    } else if (c === OPEN_BRACE) {
      this.#i = i + 1;
      metric = this.#labels(undefined);
      seriesEnd = this.#i;
      tok = this.#lexValue();
    } else {
      this.#tokStart = i;
      this.#i = i;
      throw this.#parseError('expected a valid start token', T_INVALID);
    }
    if (metric === undefined) {
      throw new Error(`metric name not set while parsing: ${goQuote(goText(b, start, this.#i))}`);
    }
    if (tok !== T_VALUE) throw this.#parseError('expected value after metric', tok);
    const value = this.#value();
    const timestamp = this.#sampleEnd();
    const hash = known === undefined ? undefined : knownEnd === seriesEnd ? this.#hash : hashBytes(b, start, seriesEnd);
    visit(this.#sampleLabels.build(metric), value, timestamp, start, seriesEnd, hash);
    return true;
  }

  /** After a sample's value: its optional timestamp and the line's end; the next entry starts after it. */
  #sampleEnd(): number | undefined {
    let timestamp: number | undefined;
    const tok = this.#lexTimestamp();
    if (tok === T_TIMESTAMP) {
      timestamp = this.#timestamp();
      const after = this.#lexTimestamp();
      if (after !== T_LINEBREAK) throw this.#parseError('expected next entry after timestamp', after);
    } else if (tok !== T_LINEBREAK) {
      throw this.#parseError('expected timestamp or new record', tok);
    }
    this.#at = this.#i;
    return timestamp;
  }

  /**
   * Where the series text of the line at `start` (its first non-blank at `i`) ends, as the full
   * reading would find it, with its hash in #hash; -1 when this quick look cannot tell. It only
   * has to be right for texts the full reading accepted before: a cache entry exists for no other
   * text, and the full reading of a line that shares such a text decides exactly as it did then.
   */
  #seriesEnd(start: number, i: number): number {
    const b = this.#b;
    let h = hashStart();
    for (let k = start; k < i; k++) h = hashStep(h, b[k] as number);
    let k = i;
    let c = b[k] as number;
    if (isNameStart(c, true)) {
      do {
        h = hashStep(h, c);
        c = b[++k] as number;
      } while (isNameChar(c, true));
      // Blanks and a `{` after the name belong to the series; blanks alone do not.
      let j = k;
      while (c === SPACE || c === TAB) c = b[++j] as number;
      if (c !== OPEN_BRACE) {
        this.#hash = hashEnd(h);
        return k;
      }
      for (; k <= j; k++) h = hashStep(h, b[k] as number);
    } else if (c === OPEN_BRACE) {
      h = hashStep(h, c);
      k++;
    } else {
      return -1;
    }
    // The label set, to its `}` outside quotes (quoted values may hold line breaks and `\"`).
    const n = this.#n;
    while (k < n) {
      c = b[k++] as number;
      h = hashStep(h, c);
      if (c === CLOSE_BRACE) {
        this.#hash = hashEnd(h);
        return k;
      }
      if (c === LF) return -1;
      if (c !== QUOTE) continue;
      while (k < n) {
        c = b[k++] as number;
        h = hashStep(h, c);
        if (c === QUOTE) break;
        if (c === BACKSLASH && k < n) h = hashStep(h, b[k++] as number);
      }
    }
    return -1;
  }

  /**
   * A line starting with `#` at `hash`: HELP and TYPE lines are read for the metadata (and must
   * be well formed, as upstream requires); anything else is a comment to the end of the line.
   */
  #comment(hash: number, meta: MetadataVisitor | undefined): void {
    const b = this.#b;
    let i = hash + 1;
    let c = b[i];
    if (c !== SPACE && c !== TAB) {
      // `#` alone (upstream's rule 5): a comment; its lexer stops at a NUL here, ending everything.
      this.#skipComment(i, false);
      return;
    }
    while (c === SPACE || c === TAB) c = b[++i];
    const keyword = c === 0x48 /* H */ ? 'HELP' : c === 0x54 /* T */ ? 'TYPE' : '';
    let matched = 0;
    while (matched < 4 && keyword !== '' && b[i + matched] === keyword.charCodeAt(matched)) matched++;
    const after = b[i + matched];
    if (matched < 4 || (after !== SPACE && after !== TAB)) {
      // Not metadata: a comment from where the keyword stopped matching (NULs in it are kept).
      this.#skipComment(i + matched, true);
      return;
    }
    i += 4;
    while (b[i] === SPACE || b[i] === TAB) i++;
    // The metric name, plain or quoted (its text between the quotes, as written).
    this.#tokStart = i;
    let metric: string;
    c = b[i];
    if (c === QUOTE) {
      const end = this.#quoted(i, false);
      if (end < 0) throw this.#parseError(`expected metric name after ${keyword}`, T_INVALID);
      metric = goText(b, i + 1, end - 1);
      i = end;
    } else if (isNameStart(c, true)) {
      let k = i + 1;
      while (isNameChar(b[k], true)) k++;
      metric = asciiText(b, i, k);
      i = k;
    } else {
      this.#i = i;
      throw this.#parseError(`expected metric name after ${keyword}`, T_INVALID);
    }
    // The text: the rest of the line less its first character (the blank after the name).
    if (b[i] === NUL) {
      // Upstream reads an empty text, then the NUL as the end of input where a line break must be.
      this.#tokStart = i;
      this.#i = i + 1;
      throw this.#parseError('linebreak expected after metadata', T_EOF);
    }
    const lf = b.indexOf(LF, i);
    // Blanks (and the NULs upstream's lexer skips there) alone up to the line end are
    // whitespace, not text: the text is then empty.
    let k = i;
    for (let c2 = b[k]; c2 === SPACE || c2 === TAB || c2 === NUL; c2 = b[++k]);
    const textStart = k === lf ? lf : i + 1;
    const text = textStart < lf ? goText(b, textStart, lf) : '';
    this.#at = lf + 1;
    if (keyword === 'TYPE') {
      const type = Object.hasOwn(METRIC_TYPES, text) ? METRIC_TYPES[text] : undefined;
      if (type === undefined) throw new Error(`invalid metric type ${goQuote(text)}`);
      meta?.('type', metric, type);
      return;
    }
    if (this.#checkUTF8 && textStart < lf && !isUtf8(b.subarray(textStart, lf))) {
      throw new Error(`help text ${goQuote(text)} is not a valid utf8 string`);
    }
    meta?.('help', metric, text.includes('\\') ? unescapeHelp(text) : text);
  }

  /**
   * Skips a comment from `i` to the end of its line. Upstream's lexer ends the whole input at a
   * NUL where the comment's scan begins, and, outside its comment state (a `#` with no blank
   * after it), at any NUL in it.
   */
  #skipComment(i: number, keepsNul: boolean): void {
    const b = this.#b;
    const lf = b.indexOf(LF, i);
    const nul = b[i] === NUL ? i : keepsNul ? -1 : b.indexOf(NUL, i);
    if (nul >= 0 && nul < lf) {
      this.#done = true;
      return;
    }
    this.#at = lf + 1;
  }

  /**
   * Reads a label set, just after its `{` (upstream's parseLVals), into #sampleLabels;
   * returns the metric name (`metric`, or one given in the braces). Labels need no comma
   * between them; a quoted string followed by `,` or `}` is the metric name.
   */
  #labels(metric: string | undefined): string | undefined {
    const b = this.#b;
    let name = metric;
    let tok = this.#lexLabels();
    for (let position = 0; ; position++) {
      const tokStart = this.#tokStart;
      const tokEnd = this.#i;
      if (tok === T_BCLOSE) return name;
      if (tok !== T_LNAME && tok !== T_QSTRING) throw this.#parseError('expected label name', tok);
      tok = this.#lexLabels();
      if (tok === T_COMMA || tok === T_BCLOSE) {
        // The metric name in the braces: upstream strips the token's first and last characters
        // (the quotes; of an unquoted word too, as upstream does).
        if (name !== undefined) {
          throw new Error(`metric name already set while parsing: ${goQuote(goText(b, this.#start, this.#i))}`);
        }
        name = unescapeLabel(goText(b, tokStart + 1, tokEnd - 1));
        if (tok === T_BCLOSE) return name;
        tok = this.#lexLabels();
        continue;
      }
      const label =
        b[tokStart] === QUOTE
          ? unescapeLabel(goText(b, tokStart + 1, tokEnd - 1))
          : reuse(b, tokStart, tokEnd, this.#recentNames[position]);
      this.#recentNames[position] = label;
      if (tok !== T_EQUAL) throw this.#parseError('expected equal', tok);
      tok = this.#lexLabelValue();
      if (tok !== T_LVALUE) throw this.#parseError('expected label value', tok);
      const valueStart = this.#tokStart + 1;
      const valueEnd = this.#i - 1;
      if (this.#checkUTF8 && !isUtf8(b.subarray(this.#tokStart, this.#i))) {
        throw new Error(`invalid UTF-8 label value: ${goQuote(goText(b, this.#tokStart, this.#i))}`);
      }
      let value: string;
      if (this.#escaped) value = unescapeLabel(goText(b, valueStart, valueEnd));
      else {
        value = reuse(b, valueStart, valueEnd, this.#recentValues[position]);
        this.#recentValues[position] = value;
      }
      this.#sampleLabels.add(label, value);
      tok = this.#lexLabels();
      if (tok === T_COMMA) tok = this.#lexLabels();
    }
  }

  /** The value token (#tokStart, #i): Go's ParseFloat, as upstream's parseFloat allows it. */
  #value(): number {
    const b = this.#b;
    const start = this.#tokStart;
    const end = this.#i;
    const fast = plainDecimal(b, start, end);
    if (fast !== undefined) return fast;
    const text = goText(b, start, end);
    const whole = () => goQuote(goText(b, this.#start, end));
    if (/[pP_]/.test(text)) throw new Error(`unsupported character in float while parsing: ${whole()}`);
    const v = goParseFloat(text);
    if (typeof v !== 'number') {
      throw new Error(`strconv.ParseFloat: parsing ${goQuote(text)}: ${v.error} while parsing: ${whole()}`);
    }
    return v;
  }

  /** The timestamp token (#tokStart, #i): digits that must fit an int64 (strconv.ParseInt). */
  #timestamp(): number {
    const b = this.#b;
    const start = this.#tokStart;
    const end = this.#i;
    if (end - start <= 15) {
      let v = 0;
      for (let k = start; k < end; k++) v = v * 10 + ((b[k] as number) - ZERO);
      return v;
    }
    const text = asciiText(b, start, end);
    if (BigInt(text) > 2n ** 63n - 1n) {
      throw new Error(
        `strconv.ParseInt: parsing ${goQuote(text)}: value out of range while parsing: ${goQuote(goText(b, this.#start, end))}`,
      );
    }
    return Number(text);
  }

  // The lexer's states after a metric name. Each skips blanks, then reads one token: it sets
  // #tokStart and #i (the token's end, or where the token stopped matching, for INVALID).

  /** After a metric name or label set (sValue): `{`, or a value token. */
  #lexValue(): Token {
    const b = this.#b;
    let i = this.#i;
    let c = b[i];
    while (c === SPACE || c === TAB) c = b[++i];
    this.#tokStart = i;
    if (c === OPEN_BRACE) {
      this.#i = i + 1;
      return T_BOPEN;
    }
    if (!isValueChar(c)) {
      this.#i = i;
      return T_INVALID;
    }
    while (isValueChar(c)) c = b[++i];
    this.#i = i;
    return T_VALUE;
  }

  /** After a value (sTimestamp): the line break, or a timestamp's digits. */
  #lexTimestamp(): Token {
    const b = this.#b;
    let i = this.#i;
    let c = b[i] as number;
    while (c === SPACE || c === TAB) c = b[++i] as number;
    this.#tokStart = i;
    if (c === LF) {
      this.#i = i + 1;
      return T_LINEBREAK;
    }
    if (c < ZERO || c > NINE) {
      this.#i = i;
      return T_INVALID;
    }
    while (c >= ZERO && c <= NINE) c = b[++i] as number;
    this.#i = i;
    return T_TIMESTAMP;
  }

  /** Inside a label set (sLabels). */
  #lexLabels(): Token {
    const b = this.#b;
    let i = this.#i;
    let c = b[i];
    while (c === SPACE || c === TAB) c = b[++i];
    this.#tokStart = i;
    switch (c) {
      case CLOSE_BRACE:
        this.#i = i + 1;
        return T_BCLOSE;
      case COMMA:
        this.#i = i + 1;
        return T_COMMA;
      case EQUALS:
        this.#i = i + 1;
        return T_EQUAL;
      case QUOTE: {
        const end = this.#quoted(i, false);
        if (end < 0) return T_INVALID;
        this.#i = end;
        return T_QSTRING;
      }
    }
    if (!isNameStart(c, false)) {
      this.#i = i;
      return T_INVALID;
    }
    c = b[++i];
    while (isNameChar(c, false)) c = b[++i];
    this.#i = i;
    return T_LNAME;
  }

  /** After `=` (sLValue): a quoted value, in which NULs are kept. */
  #lexLabelValue(): Token {
    const b = this.#b;
    let i = this.#i;
    let c = b[i];
    while (c === SPACE || c === TAB) c = b[++i];
    this.#tokStart = i;
    if (c !== QUOTE) {
      this.#i = i;
      return T_INVALID;
    }
    const end = this.#quoted(i, true);
    if (end < 0) return T_INVALID;
    this.#i = end;
    return T_LVALUE;
  }

  /**
   * A quoted string from the `"` at `at` (`\"(\\.|[^\\"])*\"`): raw line breaks allowed, a
   * backslash escapes anything but a line break or NUL. NULs end it unless `keepsNul` (upstream's
   * lexer skips them only in label values). Returns the index after the closing quote, or -1
   * with #i set where it stopped matching.
   */
  #quoted(at: number, keepsNul: boolean): number {
    const b = this.#b;
    const n = this.#n;
    let i = at + 1;
    this.#escaped = false;
    for (;;) {
      if (i >= n) break;
      const c = b[i];
      if (c === QUOTE) return i + 1;
      if (c === NUL) {
        if (keepsNul) {
          i++;
          continue;
        }
        break;
      }
      if (c === BACKSLASH) {
        this.#escaped = true;
        i++;
        while (keepsNul && b[i] === NUL) i++;
        const e = b[i];
        if (i >= n || e === LF || e === NUL) break;
      }
      i++;
    }
    this.#i = Math.min(i, n);
    return -1;
  }

  /** Upstream's parseError: `<expected>, got "<token>" ("<kind>") while parsing: "<entry so far>"`. */
  #parseError(expected: string, tok: Token): Error {
    const b = this.#b;
    const e = Math.min(this.#i + 1, this.#n);
    return new Error(
      `${expected}, got ${goQuote(goText(b, this.#tokStart, e))} (${goQuote(tok)}) while parsing: ${goQuote(goText(b, this.#start, e))}`,
    );
  }
}

/**
 * The number the token `b[start, end)` spells when it is a plain decimal, else undefined (then
 * goParseFloat decides). Plain numbers (the usual values: `7`, `0.25`, `4.9351e-05`) are read
 * straight from the bytes: at most 15 digits make an exact integer, and scaling it by an exact
 * power of ten (10^0 … 10^22) rounds once, as ParseFloat's result does (Clinger's exact fast path,
 * which every strtod takes first).
 */
export function plainDecimal(b: Uint8Array, start: number, end: number): number | undefined {
  const negative = (b[start] as number) === MINUS;
  const first = negative ? start + 1 : start;
  if (end > first && end - first <= 24) {
    let v = 0;
    let digits = 0;
    let point = -1;
    let k = first;
    let c = 0;
    for (; k < end; k++) {
      c = b[k] as number;
      if (c >= ZERO && c <= NINE) {
        v = v * 10 + (c - ZERO);
        digits++;
      } else if (c === DOT && point < 0) {
        point = k;
      } else {
        break;
      }
    }
    let scale = point < 0 ? 0 : -(k - point - 1);
    if (k < end && (c === LOWER_E || c === UPPER_E)) {
      let e = k + 1;
      const sign = b[e] as number;
      if (sign === MINUS || sign === PLUS) e++;
      let exponent = 0;
      const from = e;
      for (; e < end && e - from < 3; e++) {
        const d = b[e] as number;
        if (d < ZERO || d > NINE) break;
        exponent = exponent * 10 + (d - ZERO);
      }
      if (e > from) {
        scale += sign === MINUS ? -exponent : exponent;
        k = e;
      }
    }
    if (k === end && digits > 0 && digits <= 15 && scale >= -22 && scale <= 22) {
      if (scale > 0) v *= POWERS_OF_TEN[scale] as number;
      else if (scale < 0) v /= POWERS_OF_TEN[-scale] as number;
      return negative ? -v : v;
    }
  }
  return undefined;
}

/** Upstream's helpReplacer: `\\` and `\n` only. */
function unescapeHelp(text: string): string {
  return text.replace(/\\[\\n]/g, (e) => (e === '\\n' ? '\n' : '\\'));
}

/** Upstream's lvalReplacer (names and values): `\"`, `\\` and `\n`; any other `\x` stays as written. */
export function unescapeLabel(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(/\\["\\n]/g, (e) => (e === '\\n' ? '\n' : (e[1] as string)));
}

/**
 * The text of `b[start, end)`, or `previous` itself when it is exactly those bytes (all ASCII: a
 * string's characters are then its bytes).
 */
function reuse(b: Uint8Array, start: number, end: number, previous: string | undefined): string {
  if (previous !== undefined && previous.length === end - start) {
    let k = 0;
    while (k < previous.length) {
      const c = b[start + k] as number;
      if (c >= 0x80 || c !== previous.charCodeAt(k)) break;
      k++;
    }
    if (k === previous.length) return previous;
  }
  return goText(b as Buffer, start, end);
}

/** The text of `b[start, end)` as a string, invalid bytes escaped as src/golang's decodeUTF8 does. */
export function goText(b: Buffer, start: number, end: number): string {
  for (let k = start; k < end; k++) {
    if ((b[k] as number) >= 0x80) return decodeUTF8(b.subarray(start, end)).text;
  }
  return b.toString('latin1', start, end);
}

/** `b[start, end)`, known to be ASCII (names, digits), as a string. */
function asciiText(b: Buffer, start: number, end: number): string {
  return b.toString('latin1', start, end);
}

/**
 * A text's bytes: UTF-8, each escaped invalid byte (see src/golang's ESCAPED_BYTE_FIRST) back to
 * the byte it stands for. The inverse of decodeUTF8.
 */
export function encodeEscaped(text: string): Buffer {
  if (!hasInvalidUTF8(text)) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < ESCAPED_BYTE_FIRST || c > ESCAPED_BYTE_LAST) continue;
    parts.push(Buffer.from(text.slice(run, i), 'utf8'), Buffer.of(c - 0xdc00));
    run = i + 1;
  }
  parts.push(Buffer.from(text.slice(run), 'utf8'));
  return Buffer.concat(parts);
}

/** `b` as a Buffer (a view of the same memory). */
export function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * The body as a Buffer that ends with a line break, as upstream appends one: `b` itself when it
 * ends with one (no copy; a Uint8Array is viewed as a Buffer), else a copy with it.
 */
function withLineBreak(b: Uint8Array): Buffer {
  const buf = asBuffer(b);
  if (buf.length > 0 && buf[buf.length - 1] === LF) return buf;
  const out = Buffer.allocUnsafe(buf.length + 1);
  buf.copy(out);
  out[buf.length] = LF;
  return out;
}

/**
 * Where the series text of `entry` ends when the line at `start` holds it, else -1. The bytes must
 * be the same, and a bare name (no label set) must end there with no label set after it. A text
 * that ends in its label set's `}` needs no more: it was read in full once, and reading is left to
 * right, so the same bytes end the series at the same place.
 */
function knownAt(b: Buffer, start: number, entry: CacheEntry, cache: SeriesCache): number {
  if (entry.dead || !cache.bytesAt(b, start, entry)) return -1;
  const end = start + entry.length;
  if (b[end - 1] === CLOSE_BRACE) return end;
  let c = b[end];
  if (isNameChar(c, true)) return -1;
  let j = end;
  while (c === SPACE || c === TAB) c = b[++j];
  return c === OPEN_BRACE ? -1 : end;
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

/**
 * Upstream's check of a scraped series' final labels (labels.IsValid): under UTF-8 names the metric
 * name and every label name non-empty valid UTF-8; under `legacy` (metric_name_validation_scheme)
 * the metric name `[a-zA-Z_:][a-zA-Z0-9_:]*` and every label name `[a-zA-Z_][a-zA-Z0-9_]*`, and
 * values valid UTF-8. Returns upstream's error, or undefined.
 */
export function invalidLabelNames(labels: Readonly<Record<string, string>>, legacy = false): string | undefined {
  let invalid = false;
  for (const name of Object.keys(labels)) {
    if (name === '' || hasInvalidUTF8(name)) invalid = true;
    if (legacy && (!LEGACY_LABEL_NAME.test(name) || hasInvalidUTF8(labels[name] ?? ''))) invalid = true;
  }
  const metric = labels.__name__ ?? '';
  if (metric === '' || hasInvalidUTF8(metric)) invalid = true;
  if (legacy && !LEGACY_METRIC_NAME.test(metric)) invalid = true;
  if (!invalid) return undefined;
  // Go's labels.Labels.String(): sorted by name, a name quoted unless it is a legacy one.
  const names = Object.keys(labels).sort();
  const name = (n: string) => (/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(n) ? n : goQuote(n));
  return `invalid metric name or label names: {${names.map((n) => `${name(n)}=${goQuote(labels[n] ?? '')}`).join(', ')}}`;
}

/** model.IsValidLegacyMetricName and LabelName.IsValidLegacy. */
const LEGACY_METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LEGACY_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** `[a-zA-Z_]`, plus `:` for metric names. */
function isNameStart(c: number | undefined, colon: boolean): boolean {
  if (c === undefined) return false;
  return (c >= LOWER_A && c <= LOWER_Z) || (c >= UPPER_A && c <= UPPER_Z) || c === UNDERSCORE || (colon && c === COLON);
}

/** `[a-zA-Z0-9_]`, plus `:` for metric names. */
function isNameChar(c: number | undefined, colon: boolean): boolean {
  if (c === undefined) return false;
  return isNameStart(c, colon) || (c >= ZERO && c <= NINE);
}

/**
 * A byte of a value token (`[^{ \t\n]`, and not NUL, as upstream's lexer has it). Past the end
 * of the body, where a read gives undefined, none of these classes holds.
 */
function isValueChar(c: number | undefined): boolean {
  if (c === undefined) return false;
  if (c > SPACE) return c !== OPEN_BRACE;
  return c > NUL && c !== SPACE && c !== TAB && c !== LF;
}

/**
 * One sample's labels as the exposition parsers read them, and what upstream would make of them
 * later: names given an empty value (removed, every label of that name) and names given twice.
 * `build` gives the label set: a label given an empty value removes every label of that name
 * (upstream's labels.Builder deletes by name), `__name__` included, which leaves the sample
 * without a metric name; a name left twice is refused as upstream's head refuses it, naming the
 * first in sorted order. Whether the names are valid is checked on the final label set (see
 * `invalidLabelNames`).
 */
export class SampleLabels {
  #set: Record<string, string> = {};
  #emptied: Set<string> | undefined;
  #twice: string[] | undefined;

  /** Starts the next sample's labels (a new object: the last one went to the visitor). */
  reset(): void {
    this.#set = { __name__: '' };
    this.#emptied = undefined;
    this.#twice = undefined;
  }

  add(name: string, value: string): void {
    if (value === '') {
      this.#emptied ??= new Set();
      this.#emptied.add(name);
    } else if (name === '__name__' || Object.hasOwn(this.#set, name)) {
      this.#twice ??= [];
      this.#twice.push(name);
    } else {
      setLabel(this.#set, name, value);
    }
  }

  build(metric: string): Record<string, string> {
    const labels = this.#set;
    const emptied = this.#emptied;
    if (metric === '' || emptied?.has('__name__')) throw new Error('missing metric name (__name__ label)');
    labels.__name__ = metric;
    if (emptied) for (const name of emptied) delete labels[name];
    const twice = this.#twice?.filter((name) => !emptied?.has(name));
    if (twice && twice.length > 0) {
      throw new Error(`label name ${goQuote(twice.sort()[0] as string)} is not unique: invalid sample`);
    }
    return labels;
  }
}
