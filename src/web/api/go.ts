/**
 * The few Go standard library behaviours the API's answers depend on, word for word: strconv's
 * ParseFloat, Atoi and Quote, and net/url's query parsing (what `r.Form` holds).
 */

/**
 * strconv.ParseFloat(s, 64): decimal (digits may be separated by single underscores), hex with a
 * `p` exponent, `inf`/`infinity` with an optional sign, `nan`. Undefined when Go would return an
 * error, out-of-range values (`1e400`) included.
 */
export function parseGoFloat(s: string): number | undefined {
  const special = /^([+-]?)(inf|infinity)$/i.exec(s);
  if (special) return special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (/^nan$/i.test(s)) return Number.NaN;
  if (!underscoresOK(s)) return undefined;
  const text = s.replaceAll('_', '');
  const hex = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(text);
  let value: number;
  if (hex) {
    const [, sign, int = '', frac = ''] = hex;
    if (int === '' && frac === '') return undefined;
    const mantissa = Number.parseInt(int || '0', 16) + (frac ? Number.parseInt(frac, 16) / 16 ** frac.length : 0);
    value = mantissa * 2 ** Number(hex[4]);
    if (sign === '-') value = -value;
  } else {
    if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) return undefined;
    value = Number(text);
  }
  // Go reports a finite text that rounds to ±Inf as out of range, an error.
  return Number.isFinite(value) ? value : undefined;
}

/** Go's underscoreOK: an underscore only between digits (or after a base prefix). */
function underscoresOK(s: string): boolean {
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

/** strconv.Atoi: the number, or Go's error text (`strconv.Atoi: parsing "x": invalid syntax`). */
export function atoi(s: string): { value: number } | { error: string } {
  if (!/^[+-]?\d+$/.test(s)) return { error: `strconv.Atoi: parsing ${goQuote(s)}: invalid syntax` };
  const value = BigInt(s);
  if (value > 2n ** 63n - 1n || value < -(2n ** 63n)) {
    return { error: `strconv.Atoi: parsing ${goQuote(s)}: value out of range` };
  }
  return { value: Number(value) };
}

/** strconv.Quote (what `%q` prints): Go escapes, printable characters as they are. */
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

/**
 * A request's form values as Go's `r.Form` holds them: those of an
 * `application/x-www-form-urlencoded` body (POST, PUT, PATCH) first, then the URL query's.
 */
export class GoForm {
  readonly #values = new Map<string, string[]>();
  /** The first parse error, as ParseForm returns it (the pairs it could parse are kept). */
  readonly error: string | undefined;

  constructor(parts: readonly string[], error?: string) {
    let first = error;
    for (const part of parts) {
      const e = parseQueryInto(this.#values, part);
      first ??= e;
    }
    this.error = first;
  }

  /** `r.FormValue(name)`: the first value, or ''. */
  get(name: string): string {
    return this.#values.get(name)?.[0] ?? '';
  }

  /** `r.Form[name]`: every value, body's first. */
  all(name: string): string[] {
    return this.#values.get(name) ?? [];
  }
}

/** url.ParseQuery into `into`; returns the first error's text. */
function parseQueryInto(into: Map<string, string[]>, query: string): string | undefined {
  let error: string | undefined;
  for (const pair of query.split('&')) {
    if (pair.includes(';')) {
      error ??= 'invalid semicolon separator in query';
      continue;
    }
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = queryUnescape(eq < 0 ? pair : pair.slice(0, eq));
    const value = queryUnescape(eq < 0 ? '' : pair.slice(eq + 1));
    if (typeof key !== 'string') {
      error ??= key.error;
      continue;
    }
    if (typeof value !== 'string') {
      error ??= value.error;
      continue;
    }
    const values = into.get(key);
    if (values) values.push(value);
    else into.set(key, [value]);
  }
  return error;
}

/** url.QueryUnescape: `+` is a space, `%XX` a byte; a bad escape is Go's error. */
function queryUnescape(s: string): string | { error: string } {
  if (!s.includes('%')) return s.replaceAll('+', ' ');
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return { error: `invalid URL escape ${goQuote(s.slice(i, i + 3))}` };
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else if (c === '+') bytes.push(0x20);
    else {
      const cp = s.codePointAt(i) as number;
      bytes.push(...Buffer.from(String.fromCodePoint(cp)));
      if (cp > 0xffff) i++;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
