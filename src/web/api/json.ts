/**
 * JSON exactly as Prometheus writes it. Upstream encodes its API responses with jsoniter in its
 * standard-library-compatible mode, with hand-written encoders for samples and label sets
 * (web/api/v1/json_codec.go, util/jsonutil), and scalars and strings through encoding/json. Each
 * has its own way with strings and numbers, and clients see the difference (`<` is `\u003c` in an
 * error message but not in a label value), so each has its function here.
 */

const HEX = '0123456789abcdef';

/**
 * A string as jsoniter writes it with HTML escaping (every string of the envelope, of label name
 * lists, of parse trees): `<`, `>`, `&`, control characters other than \n \r \t as `\u00XX`,
 * U+2028 and U+2029 escaped, and what is not valid UTF-8 (a lone surrogate here) as `\ufffd`.
 */
export function jsonString(s: string): string {
  return quote(s, true, false);
}

/** A string as Go's encoding/json writes it (string and scalar results): as `jsonString`, plus `\b` and `\f`. */
export function goJsonString(s: string): string {
  return quote(s, true, true);
}

/**
 * A label name or value as upstream's label encoder writes it (jsoniter's WriteString): only `"`,
 * `\`, \n, \r, \t and other control characters are escaped; `<`, `>` and `&` are written as they are.
 */
export function labelString(s: string): string {
  return quote(s, false, false);
}

function quote(s: string, html: boolean, goShortEscapes: boolean): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let escaped: string | undefined;
    if (c < 0x20 || c === 0x22 || c === 0x5c) {
      if (c === 0x22) escaped = '\\"';
      else if (c === 0x5c) escaped = '\\\\';
      else if (c === 0x0a) escaped = '\\n';
      else if (c === 0x0d) escaped = '\\r';
      else if (c === 0x09) escaped = '\\t';
      else if (goShortEscapes && c === 0x08) escaped = '\\b';
      else if (goShortEscapes && c === 0x0c) escaped = '\\f';
      else escaped = `\\u00${HEX[c >> 4]}${HEX[c & 0xf]}`;
    } else if (html && (c === 0x3c || c === 0x3e || c === 0x26)) {
      escaped = `\\u00${HEX[c >> 4]}${HEX[c & 0xf]}`;
    } else if (html && (c === 0x2028 || c === 0x2029)) {
      escaped = c === 0x2028 ? '\\u2028' : '\\u2029';
    } else if (html && c >= 0xd800 && c <= 0xdfff) {
      // A surrogate pair is one valid character; a lone surrogate stands for bytes that are not UTF-8.
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      escaped = '\\ufffd';
    }
    if (escaped === undefined) continue;
    out += s.slice(start, i) + escaped;
    start = i + 1;
  }
  return `${out + s.slice(start)}"`;
}

/**
 * A float64 as encoding/json writes a number (timestamps of scalars, query stats): the shortest
 * text that reads back as the same number, fixed notation from 1e-6 to 1e21, else an exponent.
 * JavaScript's number-to-string conversion is the same algorithm with the same thresholds.
 */
export function jsonNumber(f: number): string {
  if (!Number.isFinite(f)) throw new Error(`json: unsupported value: ${f}`);
  return Object.is(f, -0) ? '-0' : String(f);
}

/** Go's `strconv.FormatFloat(f, 'f', -1, 64)`: the shortest exact digits, never an exponent. */
export function formatFloatF(f: number): string {
  const special = specialFloat(f);
  if (special !== undefined) return special;
  const text = String(f);
  if (!text.includes('e')) return text;
  const { negative, digits, exponent } = decompose(f);
  const sign = negative ? '-' : '';
  // The value is digits[0].digits[1..] × 10^exponent.
  if (exponent >= 0) {
    const intDigits = exponent + 1;
    if (digits.length <= intDigits) return sign + digits + '0'.repeat(intDigits - digits.length);
    return `${sign}${digits.slice(0, intDigits)}.${digits.slice(intDigits)}`;
  }
  return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
}

/**
 * A sample value as upstream's jsonutil.MarshalFloat writes it (inside the quotes): Go's 'f'
 * format, except below 1e-6 and from 1e21 on, where it is the 'e' format (`1e-07`, `1.5e+21`).
 */
export function formatSampleValue(f: number): string {
  const special = specialFloat(f);
  if (special !== undefined) return special;
  const abs = Math.abs(f);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) return formatFloatE(f);
  return formatFloatF(f);
}

/** Go's `strconv.FormatFloat(f, 'e', -1, 64)`: `1.5e-07`, `1e+21` (at least two exponent digits). */
export function formatFloatE(f: number): string {
  const special = specialFloat(f);
  if (special !== undefined) return special;
  const { negative, digits, exponent } = decompose(f);
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const exp = Math.abs(exponent);
  return `${negative ? '-' : ''}${mantissa}e${exponent < 0 ? '-' : '+'}${exp < 10 ? '0' : ''}${exp}`;
}

/**
 * Go's `strconv.FormatFloat(f, 'g', -1, 64)`, as the text exposition format writes values: the
 * 'e' format when the exponent is below -4 or at least 6 (`1.795984352e+09`), else 'f'.
 */
export function formatFloatG(f: number): string {
  const special = specialFloat(f);
  if (special !== undefined) return special;
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const { exponent } = decompose(f);
  return exponent < -4 || exponent >= 6 ? formatFloatE(f) : formatFloatF(f);
}

function specialFloat(f: number): string | undefined {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Number.POSITIVE_INFINITY) return '+Inf';
  if (f === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Object.is(f, -0)) return '-0';
  return undefined;
}

/** The shortest round-tripping decimal digits of a finite number, and its decimal exponent. */
function decompose(f: number): { negative: boolean; digits: string; exponent: number } {
  // toExponential() without an argument gives as many digits as needed to be unique: the shortest.
  const [mantissa = '0', exp = '0'] = Math.abs(f).toExponential().split('e');
  return { negative: f < 0, digits: mantissa.replace('.', ''), exponent: Number(exp) };
}

/**
 * A timestamp in ms as jsonutil.MarshalTimestamp writes it: seconds, then the milliseconds as
 * three digits when there are any (`1435781451.781`, `1435781451.050`, `1435781451`).
 */
export function formatTimestamp(ms: number): string {
  const negative = ms < 0;
  const abs = Math.abs(ms);
  const seconds = Math.trunc(abs / 1000);
  const fraction = abs - seconds * 1000;
  const sign = negative ? '-' : '';
  if (fraction === 0) return `${sign}${seconds}`;
  return `${sign}${seconds}.${String(Math.trunc(fraction)).padStart(3, '0')}`;
}

/** Pre-encoded JSON, written as it is. */
export class RawJSON {
  constructor(readonly text: string) {}
}

/** A Go map: encoded with its keys sorted bytewise, as encoding/json and jsoniter sort them. */
export class GoMap {
  constructor(readonly entries: ReadonlyArray<readonly [string, unknown]>) {}
}

/**
 * Encodes a value as upstream encodes its structs: object fields in the order written (Go struct
 * order), strings HTML-escaped, `undefined` fields left out (`omitempty`), `GoMap` keys sorted.
 */
export function encodeJSON(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof RawJSON) return value.text;
  switch (typeof value) {
    case 'string':
      return jsonString(value);
    case 'number':
      // Go refuses to encode NaN and ±Inf; the API never sends them as numbers, so this is only a
      // safety net for data other modules pass in (JSON.stringify's choice).
      return Number.isFinite(value) ? jsonNumber(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
  }
  if (Array.isArray(value)) return `[${value.map(encodeJSON).join(',')}]`;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return encodeJSON((value as { toJSON: () => unknown }).toJSON());
  }
  if (value instanceof GoMap) {
    const entries = [...value.entries].sort(([a], [b]) => compareStrings(a, b));
    return `{${entries.map(([k, v]) => `${jsonString(k)}:${encodeJSON(v)}`).join(',')}}`;
  }
  const fields = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{${fields.map(([k, v]) => `${jsonString(k)}:${encodeJSON(v)}`).join(',')}}`;
}

/**
 * Go's string order: bytewise over UTF-8, which is code point order. JavaScript's `<` compares
 * UTF-16 code units, which differs only between a surrogate pair and U+E000…U+FFFF.
 */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) return codePointRank(x) - codePointRank(y);
    return x - y;
  }
  return a.length - b.length;
}

/** Surrogates (code points above U+FFFF) rank after U+E000…U+FFFF. */
function codePointRank(unit: number): number {
  return unit >= 0xd800 && unit <= 0xdfff ? unit + 0x10000 : unit;
}
