/**
 * The API's parameters, read as upstream's web/api/v1 reads them: times (parseTime), durations
 * (parseDuration), `limit` (parseLimitParam). Each returns the value or upstream's error text; the
 * handlers wrap it (`invalid parameter "start": …`) exactly where upstream does.
 */
import { parseDuration as parsePromDuration } from '../../config/index.js';
import { atoi, type GoForm, goQuote, parseGoFloat } from './go.js';

/**
 * Upstream's MinTime and MaxTime (ms): the defaults of optional ranges. They are not quite
 * Go's int64 extremes (a historical accident upstream keeps), and are beyond 2^53: as numbers they
 * are approximations, which is all a range bound needs.
 */
export const MIN_TIME_MS = -9223309901257974000;
export const MAX_TIME_MS = Number(9223309901257974999n);

/** MinTime and MaxTime as RFC3339Nano prints them: clients send them back, so they parse. */
const MIN_TIME_FORMATTED = '-292273086-05-16T16:47:06Z';
const MAX_TIME_FORMATTED = '292277025-08-18T07:12:54.999999999Z';

/**
 * What `time()` answers for a non-finite time parameter (`inf`, `nan`) upstream, where Go's
 * float-to-int64 conversion gives int64's minimum and the seconds wrap around.
 */
const NON_FINITE_TIME_MS = -9223372036854;

export type Parsed<T> = { value: T } | { error: string };

/** parseTime: float seconds (rounded to ms), RFC3339 with optional fraction, or MinTime/MaxTime. */
export function parseTime(s: string): Parsed<number> {
  const seconds = parseGoFloat(s);
  if (seconds !== undefined) return { value: secondsToMs(seconds) };
  const rfc = parseRFC3339(s);
  if (rfc !== undefined) return { value: rfc };
  if (s === MIN_TIME_FORMATTED) return { value: MIN_TIME_MS };
  if (s === MAX_TIME_FORMATTED) return { value: MAX_TIME_MS };
  return { error: `cannot parse ${goQuote(s)} to a valid timestamp` };
}

/** parseTimeParam: the default when the parameter is absent; the error names the parameter. */
export function parseTimeParam(form: GoForm, name: string, defaultMs: number): Parsed<number> {
  const text = form.get(name);
  if (text === '') return { value: defaultMs };
  const parsed = parseTime(text);
  if ('error' in parsed) return { error: `invalid time value for '${name}': ${parsed.error}` };
  return parsed;
}

/**
 * Float seconds to ms as upstream does it: the fraction rounded to ms (half away from zero), then
 * time.Unix and timestamp.FromTime (which floors to the millisecond).
 */
function secondsToMs(f: number): number {
  if (!Number.isFinite(f) || Math.abs(f) >= 2 ** 63) return NON_FINITE_TIME_MS;
  const whole = Math.trunc(f);
  const fraction = goRound((f - whole) * 1000) / 1000;
  const nanos = Math.trunc(fraction * 1e9);
  return whole * 1000 + Math.floor(nanos / 1e6);
}

/** Go's math.Round: half away from zero (JavaScript's Math.round goes half up). */
function goRound(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** time.Parse(time.RFC3339Nano, s), to ms (nanoseconds truncated, as FromTime does). */
function parseRFC3339(s: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetSeconds = 0;
  const zone = m[8] as string;
  if (zone !== 'Z') {
    const zh = Number(zone.slice(1, 3));
    const zm = Number(zone.slice(4, 6));
    if (zh > 23 || zm > 59) return undefined;
    offsetSeconds = (zh * 60 + zm) * 60 * (zone[0] === '-' ? -1 : 1);
  }
  // Go reads at most nine digits of the fraction.
  const millis = Number((m[7] ?? '').slice(0, 3).padEnd(3, '0'));
  const days = daysFromCivil(year, month, day);
  return ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 - offsetSeconds * 1000 + millis;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * parseDuration: float seconds or a Prometheus duration (`5m`), as nanoseconds (Go's
 * time.Duration, which the step checks use; a bigint, as it can exceed 2^53).
 */
export function parseDuration(s: string): Parsed<bigint> {
  const seconds = parseGoFloat(s);
  if (seconds !== undefined) {
    const nanos = seconds * 1e9;
    if (Number.isNaN(nanos)) return { value: -(2n ** 63n) }; // int64(NaN) on amd64, as upstream's build
    if (nanos >= 2 ** 63 || nanos < -(2 ** 63)) {
      return { error: `cannot parse ${goQuote(s)} to a valid duration. It overflows int64` };
    }
    return { value: BigInt(Math.trunc(nanos)) };
  }
  try {
    return { value: BigInt(parsePromDuration(s)) * 1_000_000n };
  } catch {
    return { error: `cannot parse ${goQuote(s)} to a valid duration` };
  }
}

/** Nanoseconds to whole milliseconds, truncated as upstream's durationMilliseconds does. */
export function nanosToMs(nanos: bigint): number {
  return Number(nanos / 1_000_000n);
}

/** parseLimitParam: 0 (no limit) when absent; Atoi's error or `limit must be non-negative`. */
export function parseLimit(text: string): Parsed<number> {
  if (text === '') return { value: 0 };
  const n = atoi(text);
  if ('error' in n) return n;
  if (n.value < 0) return { error: 'limit must be non-negative' };
  return n;
}
