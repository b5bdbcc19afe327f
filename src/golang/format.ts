/**
 * strconv.FormatFloat(v, fmt, prec, 64): Go's float formatting, which fmt's `%e`, `%f`, `%g` and
 * `%v` and promtool's `'E'` output are made of. Fixed precisions round the exact binary value
 * half to even, as Go's decimal type does (JavaScript's toFixed rounds ties up: `(2.5).toFixed(0)`
 * is "3" where Go prints "2"); the shortest form takes JavaScript's shortest round-trip digits,
 * which are Go's.
 */

/** A positive finite float as decimal digits: value = 0.d₁d₂… × 10^dp, no trailing zeros. */
interface Decimal {
  d: number[];
  dp: number;
}

const view = new DataView(new ArrayBuffer(8));

/** The exact decimal expansion of |v| (v finite, non-zero). */
function exactDecimal(v: number): Decimal {
  view.setFloat64(0, Math.abs(v));
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  let digits: string;
  let dp: number;
  if (exp >= 0) {
    digits = (mant << BigInt(exp)).toString();
    dp = digits.length;
  } else {
    digits = (mant * 5n ** BigInt(-exp)).toString();
    dp = digits.length + exp;
  }
  return trim({ d: [...digits].map(Number), dp });
}

/** The shortest digits that read back as |v|. */
function shortestDecimal(v: number): Decimal {
  const [mantissa, e] = Math.abs(v).toExponential().split('e') as [string, string];
  const d = [...mantissa.replace('.', '')].map(Number);
  return trim({ d, dp: Number(e) + 1 });
}

function trim(x: Decimal): Decimal {
  let n = x.d.length;
  while (n > 0 && x.d[n - 1] === 0) n--;
  x.d.length = n;
  if (n === 0) x.dp = 0;
  return x;
}

/** Go's decimal.Round(nd): to nd digits, half to even on an exact tie. */
function round(x: Decimal, nd: number): void {
  if (nd < 0 || nd >= x.d.length) return;
  const digit = x.d[nd] as number;
  const up = digit === 5 && nd + 1 === x.d.length ? nd > 0 && (x.d[nd - 1] as number) % 2 === 1 : digit >= 5;
  if (!up) {
    x.d.length = nd;
    trim(x);
    return;
  }
  let i = nd - 1;
  while (i >= 0 && x.d[i] === 9) i--;
  if (i < 0) {
    x.d = [1];
    x.dp++;
    return;
  }
  x.d[i] = (x.d[i] as number) + 1;
  x.d.length = i + 1;
}

export type FloatFormat = 'e' | 'E' | 'f' | 'g' | 'G';

/** strconv.FormatFloat(v, fmt, prec, 64); `prec` −1 is the shortest form that reads back as `v`. */
export function goFormatFloat(v: number, fmt: FloatFormat, prec: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  const neg = v < 0 || Object.is(v, -0);
  const shortest = prec < 0;
  let digs: Decimal;
  if (v === 0) digs = { d: [], dp: 0 };
  else if (shortest) digs = shortestDecimal(v);
  else {
    digs = exactDecimal(v);
    if (fmt === 'e' || fmt === 'E') round(digs, prec + 1);
    else if (fmt === 'f') round(digs, digs.dp + prec);
    else round(digs, prec === 0 ? 1 : prec);
  }
  if (shortest) {
    if (fmt === 'e' || fmt === 'E') prec = Math.max(digs.d.length - 1, 0);
    else if (fmt === 'f') prec = Math.max(digs.d.length - digs.dp, 0);
    else prec = digs.d.length;
  }
  const sign = neg ? '-' : '';
  switch (fmt) {
    case 'e':
    case 'E':
      return sign + fmtE(digs, prec, fmt);
    case 'f':
      return sign + fmtF(digs, prec);
    default: {
      let eprec = prec;
      if (eprec > digs.d.length && digs.d.length >= digs.dp) eprec = digs.d.length;
      // %e is used when the exponent is below −4 or at least the precision (6 for the shortest).
      if (shortest) eprec = 6;
      const exp = digs.dp - 1;
      if (exp < -4 || exp >= eprec) {
        if (prec > digs.d.length) prec = digs.d.length;
        return sign + fmtE(digs, prec - 1, fmt === 'g' ? 'e' : 'E');
      }
      if (prec > digs.dp) prec = digs.d.length;
      return sign + fmtF(digs, Math.max(prec - digs.dp, 0));
    }
  }
}

/** %e: d.ddddde±dd, at least two exponent digits. */
function fmtE(digs: Decimal, prec: number, e: 'e' | 'E'): string {
  let out = String(digs.d.length === 0 ? 0 : digs.d[0]);
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) out += String(digs.d[i] ?? 0);
  }
  const exp = digs.d.length === 0 ? 0 : digs.dp - 1;
  const abs = Math.abs(exp);
  return `${out}${e}${exp < 0 ? '-' : '+'}${abs < 10 ? `0${abs}` : abs}`;
}

/** %f: ddd.ddd with exactly `prec` decimals. */
function fmtF(digs: Decimal, prec: number): string {
  let out = '';
  if (digs.dp > 0) {
    for (let i = 0; i < digs.dp; i++) out += String(digs.d[i] ?? 0);
  } else out = '0';
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) {
      const j = digs.dp + i - 1;
      out += String(j >= 0 && j < digs.d.length ? digs.d[j] : 0);
    }
  }
  return out;
}
