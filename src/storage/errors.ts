/**
 * The errors storage returns from `Appender.append`, worded as upstream's storage package words
 * them (storage/interface.go, storage/errors.go). Out-of-order and out-of-bounds are shared
 * values, like Go's sentinel errors, so refusing a sample allocates nothing.
 */
import type { AppendError } from './types.js';

/** storage.ErrOutOfOrderSample: older than the series' newest sample. */
export const OUT_OF_ORDER: AppendError = Object.freeze({ kind: 'out-of-order', message: 'out of order sample' });

/** storage.ErrOutOfBounds: older than the head accepts at all (its newest time − 1h). */
export const OUT_OF_BOUNDS: AppendError = Object.freeze({ kind: 'out-of-bounds', message: 'out of bounds' });

/** storage.NewDuplicateFloatErr: the newest sample's time again, with a different value. */
export function duplicateSample(t: number, existing: number, value: number): AppendError {
  return {
    kind: 'duplicate',
    message: `duplicate sample for timestamp ${t}; overrides not allowed: existing ${goFloat(existing)}, new value ${goFloat(value)}`,
  };
}

/**
 * A float as Go's `%g` prints it (strconv.FormatFloat(v, 'g', -1, 64)): the shortest digits that
 * read back as `v`, in exponent form when the exponent is below −4 or at least 6
 * (`1e+06`, `1.5e-05`), `NaN`, `+Inf`, `-Inf`.
 */
export function goFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  // JavaScript's shortest round-trip digits are Go's: take them from the exponent form.
  const [mantissa, expText] = Math.abs(v).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exp = Number(expText);
  const sign = v < 0 ? '-' : '';
  if (exp < -4 || exp >= 6) {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const e = Math.abs(exp) < 10 ? `0${Math.abs(exp)}` : String(Math.abs(exp));
    return `${sign}${digits[0]}${frac}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${sign}${intPart}${frac ? `.${frac}` : ''}`;
}
