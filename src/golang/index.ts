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
