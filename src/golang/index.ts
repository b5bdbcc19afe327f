/**
 * src/golang: the few behaviours of Go's standard library that Prometheus's answers depend on,
 * word for word: how strconv reads numbers (ParseFloat, ParseInt with base prefixes, the
 * underscore rule), how it quotes strings, and how it formats floats (FormatFloat). One place, so
 * the parser, the engine (`le` labels), the API and templates read and write a number alike.
 * Imports nothing of ours.
 */

/** Why ParseFloat/ParseInt refused a text: strconv's ErrSyntax or ErrRange text. */
export type ParseFailure = { error: 'invalid syntax' | 'value out of range' };

/**
 * strconv.ParseFloat(s, 64): decimal (digits may be separated by single underscores), hex with a
 * `p` exponent, `inf`/`infinity` with an optional sign, `nan` (any case); a finite text that
 * rounds to ±Inf is out of range.
 */
export function goParseFloat(s: string): number | ParseFailure {
  const special = /^([+-]?)(inf|infinity)$/i.exec(s);
  if (special) return special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (/^nan$/i.test(s)) return Number.NaN;
  if (!underscoreOK(s)) return { error: 'invalid syntax' };
  const text = s.replaceAll('_', '');
  const hex = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(text);
  let value: number;
  if (hex) {
    const [, sign, int = '', frac = ''] = hex;
    if (int === '' && frac === '') return { error: 'invalid syntax' };
    const mantissa = Number.parseInt(int || '0', 16) + (frac ? Number.parseInt(frac, 16) / 16 ** frac.length : 0);
    value = mantissa * 2 ** Number(hex[4]);
    if (sign === '-') value = -value;
  } else {
    if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) return { error: 'invalid syntax' };
    value = Number(text);
  }
  return Number.isFinite(value) ? value : { error: 'value out of range' };
}

/** goParseFloat, with undefined for any error. */
export function parseFloatOrUndefined(s: string): number | undefined {
  const v = goParseFloat(s);
  return typeof v === 'number' ? v : undefined;
}

/**
 * strconv.ParseInt(s, 0, 64): base prefixes (0x, 0o, 0b, and a leading 0 for octal), the
 * underscore rule; outside int64 is out of range.
 */
export function goParseInt(s: string): number | ParseFailure {
  if (!underscoreOK(s)) return { error: 'invalid syntax' };
  let text = s.replaceAll('_', '');
  let sign = 1n;
  if (text[0] === '+' || text[0] === '-') {
    if (text[0] === '-') sign = -1n;
    text = text.slice(1);
  }
  let prefix = '';
  if (/^0[xX]/.test(text)) [prefix, text] = ['0x', text.slice(2)];
  else if (/^0[oO]/.test(text)) [prefix, text] = ['0o', text.slice(2)];
  else if (/^0[bB]/.test(text)) [prefix, text] = ['0b', text.slice(2)];
  else if (/^0./.test(text)) [prefix, text] = ['0o', text.slice(1)];
  const digits = { '0x': /^[0-9a-fA-F]+$/, '0o': /^[0-7]+$/, '0b': /^[01]+$/, '': /^[0-9]+$/ }[prefix] as RegExp;
  if (!digits.test(text)) return { error: 'invalid syntax' };
  const big = sign * BigInt(`${prefix}${text}`);
  if (big > 2n ** 63n - 1n || big < -(2n ** 63n)) return { error: 'value out of range' };
  return Number(big);
}

/** Go's underscoreOK: an underscore only between digits, or between a base prefix and a digit. */
export function underscoreOK(s: string): boolean {
  if (!s.includes('_')) return true;
  let i = 0;
  if (s[0] === '+' || s[0] === '-') i++;
  let saw = '^';
  let hex = false;
  if (s.length - i >= 2 && s[i] === '0' && /[xXbBoO]/.test(s[i + 1] ?? '')) {
    hex = /[xX]/.test(s[i + 1] ?? '');
    i += 2;
    saw = '0';
  }
  for (; i < s.length; i++) {
    const c = s[i] as string;
    if ((c >= '0' && c <= '9') || (hex && /[a-fA-F]/.test(c))) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

export { type FloatFormat, goFormatFloat } from './format.js';

/**
 * Invalid UTF-8 carried through a JavaScript string: each byte that is not part of a valid UTF-8
 * sequence becomes the lone low surrogate U+DC00 + byte (U+DC80–U+DCFF, Python's
 * "surrogateescape"). A lone surrogate never comes out of valid UTF-8, so the text says exactly
 * where the bytes were invalid, and which bytes they were.
 */
export const ESCAPED_BYTE_FIRST = 0xdc80;
export const ESCAPED_BYTE_LAST = 0xdcff;

/**
 * Decodes UTF-8 as Go sees it: valid text as it is (a byte-order mark kept, as Go keeps it), and
 * each invalid byte as its escape (see ESCAPED_BYTE_FIRST); `valid` says whether there was any.
 * Valid input takes the native decoder.
 */
export function decodeUTF8(bytes: Uint8Array): { text: string; valid: boolean } {
  try {
    return { text: strictUTF8.decode(bytes), valid: true };
  } catch {
    return { text: decodeEscaping(bytes), valid: false };
  }
}

const strictUTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The slow path of decodeUTF8, for input that has invalid bytes: utf8.DecodeRune's rules, byte by byte. */
function decodeEscaping(b: Uint8Array): string {
  const parts: string[] = [];
  let run = 0; // start of the current run of valid bytes
  let i = 0;
  const flush = (end: number) => {
    if (end > run) parts.push(strictUTF8.decode(b.subarray(run, end)));
  };
  while (i < b.length) {
    const width = validRuneWidth(b, i);
    if (width > 0) {
      i += width;
      continue;
    }
    flush(i);
    parts.push(String.fromCharCode(0xdc00 + (b[i] as number)));
    i++;
    run = i;
  }
  flush(i);
  return parts.join('');
}

/** The length of the valid UTF-8 sequence at `i`, or 0 (Go's utf8.DecodeRune: no overlongs, surrogates or > U+10FFFF). */
function validRuneWidth(b: Uint8Array, i: number): number {
  const c = b[i] as number;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => {
    const x = b[i + k];
    return x !== undefined && x >= lo && x <= hi;
  };
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/** True when `s[from, to)` holds an escaped invalid byte: Go's `!utf8.Valid` of those bytes. */
export function hasInvalidUTF8(s: string, from = 0, to = s.length): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= ESCAPED_BYTE_FIRST && c <= ESCAPED_BYTE_LAST) return true;
  }
  return false;
}

/**
 * strconv.Quote, or `%q` of a byte slice: Go's escapes, printable characters as they are, an
 * escaped invalid byte as `\xNN`.
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\v') out += '\\v';
    else if (c >= ESCAPED_BYTE_FIRST && c <= ESCAPED_BYTE_LAST) out += `\\x${(c - 0xdc00).toString(16)}`;
    else if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd';
    else if (c < 0x80) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (PRINTABLE.test(ch)) out += ch;
    else if (c < 0x10000) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += `\\U${c.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** unicode.IsPrint: letters, marks, numbers, punctuation, symbols (and the ASCII space). */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
