/**
 * Upstream's expanding series notation (parser.ParseSeriesDesc), which promqltest's `load` and
 * promtool's `test rules` use to write series tersely:
 *
 *     http_requests{job="api"} 1+2x3 _ stale -1x2 _x2 Inf
 *
 * `a+bxn` (or `a-bxn`) is n+1 values starting at a, stepping by b; `axn` is a repeated n+1 times;
 * `_` is one omitted value and `_xn` n of them; `stale` is the staleness marker. Numbers are
 * decimal or Inf/NaN (no hexadecimal: `0x5` would be ambiguous, as upstream says).
 */
import { type Labels, STALE_NAN } from '../storage/index.js';

/** One value of a series: a number (maybe the staleness marker), or an omitted step. */
export type SequenceValue = { omitted: true } | { omitted: false; value: number };

export interface SeriesDescription {
  labels: Labels;
  values: SequenceValue[];
}

/** A series description that does not parse (upstream's wording where it has one). */
export class SeriesNotationError extends Error {}

/** Parses `metric{labels} values…` as upstream's ParseSeriesDesc does. */
export function parseSeriesDesc(input: string): SeriesDescription {
  const p = new Cursor(input);
  const labels = parseMetric(p);
  const values: SequenceValue[] = [];
  if (!p.done() && !isSpace(p.peek())) throw p.error('unexpected character after metric');
  for (;;) {
    p.skipSpaces();
    if (p.done()) break;
    values.push(...parseItem(p));
  }
  return { labels, values };
}

/** The metric part: `name`, `name{…}` or `{…}`; labels with empty values are dropped. */
function parseMetric(p: Cursor): Labels {
  const out: Record<string, string> = {};
  p.skipSpaces();
  const start = p.pos;
  const name = p.identifier(true);
  if (name) out.__name__ = name;
  if (p.peek() === '{') {
    p.pos++;
    for (;;) {
      p.skipSpaces();
      if (p.peek() === '}') {
        p.pos++;
        break;
      }
      let labelName: string;
      if (p.peek() === '"' || p.peek() === "'" || p.peek() === '`') {
        labelName = p.string();
        p.skipSpaces();
        if (p.peek() !== '=') {
          // A quoted name alone is the metric name (Prometheus 3's UTF-8 syntax).
          out.__name__ = labelName;
          if (p.peek() === ',') p.pos++;
          continue;
        }
      } else {
        labelName = p.identifier(false);
        if (!labelName) throw p.error('unexpected character in label matching');
      }
      p.skipSpaces();
      if (p.peek() !== '=') throw p.error(`unexpected character in label matching, expected "="`);
      p.pos++;
      p.skipSpaces();
      const value = p.string();
      if (value !== '') out[labelName] = value;
      p.skipSpaces();
      if (p.peek() === ',') p.pos++;
      else if (p.peek() !== '}') {
        // What upstream's lexer cannot read inside braces at all, it refuses before the parser sees it.
        if (p.done() || /[\p{L}_"'`=!{]/u.test(p.peek()))
          throw p.error('unexpected character in label set, expected "," or "}"');
        throw p.error(`unexpected character inside braces: '${p.peek()}'`);
      }
    }
  }
  if (!name && p.text[start] !== '{') throw p.error('unexpected character, expected a metric');
  return out;
}

/** One space-separated item: `_`, `_xN`, `v`, `vxN`, `v+dxN`, `v-dxN`. */
function parseItem(p: Cursor): SequenceValue[] {
  if (p.peek() === '{' && p.text[p.pos + 1] === '{')
    throw new SeriesNotationError('native histogram samples are not supported');
  if (p.peek() === '_') {
    p.pos++;
    if (p.peek() === 'x') {
      p.pos++;
      const n = p.uint();
      return Array.from({ length: n }, () => ({ omitted: true }) as const);
    }
    return [{ omitted: true }];
  }
  let value = p.seriesValue();
  if (p.peek() === 'x') {
    p.pos++;
    const n = p.uint();
    // n+1 values: the first stands for time 0.
    return Array.from({ length: n + 1 }, () => ({ omitted: false, value }) as const);
  }
  if (p.peek() === '+' || p.peek() === '-') {
    const sign = p.peek() === '-' ? -1 : 1;
    p.pos++;
    const delta = sign * p.number();
    if (p.peek() !== 'x') throw p.error('unexpected character in series values, expected "x"');
    p.pos++;
    const n = p.uint();
    const out: SequenceValue[] = [];
    for (let i = 0; i <= n; i++) {
      out.push({ omitted: false, value });
      value += delta;
    }
    return out;
  }
  if (!p.done() && !isSpace(p.peek())) throw p.error('unexpected character in series values');
  return [{ omitted: false, value }];
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

class Cursor {
  pos = 0;
  constructor(readonly text: string) {}

  done(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string {
    return this.text[this.pos] ?? '';
  }

  error(msg: string): SeriesNotationError {
    return new SeriesNotationError(`1:${this.pos + 1}: parse error: ${msg}`);
  }

  skipSpaces(): void {
    while (isSpace(this.peek())) this.pos++;
  }

  /** A metric name (colons allowed) or a label name. */
  identifier(metric: boolean): string {
    const re = metric ? /[a-zA-Z_:][a-zA-Z0-9_:]*/y : /[a-zA-Z_][a-zA-Z0-9_]*/y;
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (!m) return '';
    this.pos += m[0].length;
    return m[0];
  }

  /** A quoted string: "…" and '…' with Go's escapes, `…` raw. */
  string(): string {
    const quote = this.peek();
    if (quote !== '"' && quote !== "'" && quote !== '`') throw this.error('unexpected character, expected a string');
    this.pos++;
    let out = '';
    for (;;) {
      if (this.done()) throw this.error('unterminated quoted string');
      const c = this.text[this.pos++] as string;
      if (c === quote) return out;
      if (c !== '\\' || quote === '`') {
        out += c;
        continue;
      }
      const e = this.text[this.pos++] ?? '';
      const simple: Record<string, string> = {
        a: '\x07',
        b: '\b',
        f: '\f',
        n: '\n',
        r: '\r',
        t: '\t',
        v: '\v',
        '\\': '\\',
        '"': '"',
        "'": "'",
      };
      if (simple[e] !== undefined) out += simple[e];
      else if (e === 'x' || e === 'u' || e === 'U') {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = this.text.slice(this.pos, this.pos + len);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) throw this.error('invalid escape sequence');
        this.pos += len;
        out +=
          e === 'x' ? String.fromCharCode(Number.parseInt(hex, 16)) : String.fromCodePoint(Number.parseInt(hex, 16));
      } else if (e >= '0' && e <= '7') {
        const oct = this.text.slice(this.pos - 1, this.pos + 2);
        if (!/^[0-7]{3}$/.test(oct)) throw this.error('invalid escape sequence');
        this.pos += 2;
        out += String.fromCharCode(Number.parseInt(oct, 8));
      } else throw this.error('unknown escape sequence');
    }
  }

  /** An unsigned decimal repetition count. */
  uint(): number {
    const m = /[0-9]+/y;
    m.lastIndex = this.pos;
    const r = m.exec(this.text);
    if (!r) throw this.error('unexpected character in series values, expected a repetition count');
    this.pos += r[0].length;
    return Number(r[0]);
  }

  /** A number, `stale`, or a signed number. */
  seriesValue(): number {
    const c = this.peek();
    if (c === '+' || c === '-') {
      this.pos++;
      return (c === '-' ? -1 : 1) * this.number();
    }
    if (/[a-zA-Z]/.test(c)) {
      const word = this.identifier(false);
      if (word === 'stale') return STALE_NAN;
      const lower = word.toLowerCase();
      if (lower === 'inf') return Number.POSITIVE_INFINITY;
      if (lower === 'nan') return Number.NaN;
      throw this.error(`unexpected identifier "${word}" in series values, expected number or "stale"`);
    }
    return this.number();
  }

  /** An unsigned number: decimal with optional fraction and exponent, or Inf/NaN. */
  number(): number {
    const word = /(?:inf|nan)(?![a-zA-Z0-9_])/iy;
    word.lastIndex = this.pos;
    const w = word.exec(this.text);
    if (w) {
      this.pos += w[0].length;
      return w[0].toLowerCase() === 'inf' ? Number.POSITIVE_INFINITY : Number.NaN;
    }
    const re = /(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/y;
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (!m) throw this.error('unexpected character in series values, expected a number');
    this.pos += m[0].length;
    // Upstream's lexer: a number may only be followed by the repetition `x` or a non-alphanumeric.
    const next = this.peek();
    if (next !== 'x' && /[a-zA-Z0-9_]/.test(next)) throw this.error(`bad number syntax: "${m[0]}${next}"`);
    return Number(m[0]);
  }
}
