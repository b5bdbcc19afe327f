/**
 * Upstream's util/strutil.Unquote (Go's strconv.Unquote, single quotes allowed for strings): how a
 * PromQL string literal `"a\tb"`, `'a'` or `` `raw` `` becomes its value. Escapes build bytes, as in
 * Go, so `"\xc3\xa9"` is `é`. A byte that is not part of valid UTF-8 (`"\xff"`) cannot be held
 * by a JS string: it becomes the lone surrogate U+DC00+byte (Python's "surrogateescape"), which
 * `goQuote` prints back as `\xff`, as upstream prints the byte.
 */

/** Go's strconv.ErrSyntax text. */
const SYNTAX = 'invalid syntax';

export function unquote(s: string): string {
  if (s.length < 2) throw new Error(SYNTAX);
  const quote = s[0];
  if (quote !== s[s.length - 1]) throw new Error(SYNTAX);
  const body = s.slice(1, -1);
  if (quote === '`') {
    if (body.includes('`')) throw new Error(SYNTAX);
    return body;
  }
  if (quote !== '"' && quote !== "'") throw new Error(SYNTAX);
  if (body.includes('\n')) throw new Error(SYNTAX);
  if (!body.includes('\\') && !body.includes(quote)) return body;

  const bytes: number[] = [];
  let i = 0;
  while (i < body.length) {
    const c = body[i] as string;
    if (c === quote) throw new Error(SYNTAX);
    if (c !== '\\') {
      const cp = body.codePointAt(i) as number;
      const char = String.fromCodePoint(cp);
      bytes.push(...Buffer.from(char, 'utf8'));
      i += char.length;
      continue;
    }
    if (i + 1 >= body.length) throw new Error(SYNTAX);
    const e = body[i + 1] as string;
    i += 2;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      bytes.push(simple);
      continue;
    }
    if (e === quote) {
      bytes.push(quote.charCodeAt(0));
      continue;
    }
    if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i, i + n);
      if (hex.length < n || !/^[0-9a-fA-F]+$/.test(hex)) throw new Error(SYNTAX);
      i += n;
      const v = Number.parseInt(hex, 16);
      if (e === 'x') {
        bytes.push(v); // a single byte, as Go's \x does
        continue;
      }
      if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000)) throw new Error(SYNTAX);
      bytes.push(...Buffer.from(String.fromCodePoint(v), 'utf8'));
      continue;
    }
    if (e >= '0' && e <= '7') {
      const oct = body.slice(i - 1, i + 2);
      if (!/^[0-7]{3}$/.test(oct)) throw new Error(SYNTAX);
      const v = Number.parseInt(oct, 8);
      if (v > 255) throw new Error(SYNTAX);
      i += 2;
      bytes.push(v);
      continue;
    }
    throw new Error(SYNTAX);
  }
  return decodeUTF8(bytes);
}

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  '\\': 92,
};

/** UTF-8 bytes to a string; a byte that does not start a valid sequence becomes U+DC00+byte. */
function decodeUTF8(bytes: readonly number[]): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    const seq = bytes.slice(i, i + len);
    const text = len > 0 && seq.length === len ? Buffer.from(seq).toString('utf8') : '';
    if (text !== '' && !text.includes('\ufffd')) {
      out += text;
      i += len;
    } else {
      out += String.fromCharCode(0xdc00 + b);
      i++;
    }
  }
  return out;
}
