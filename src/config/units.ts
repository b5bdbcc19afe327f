/**
 * Prometheus's units: durations as in prometheus/common's model.ParseDuration (`15d`, `1h30m`,
 * `500ms`; units in descending order, each at most once) and sizes as in alecthomas/units'
 * ParseBase2Bytes (`64MB` is 64 MiB; `KiB`-style names are accepted too).
 */

const DURATION_UNITS: ReadonlyArray<readonly [string, number]> = [
  ['y', 365 * 24 * 3600 * 1000],
  ['w', 7 * 24 * 3600 * 1000],
  ['d', 24 * 3600 * 1000],
  ['h', 3600 * 1000],
  ['m', 60 * 1000],
  ['s', 1000],
  ['ms', 1],
];

/** Unit → [ms, position]: units must come biggest first, each at most once. */
const DURATION_UNIT_MAP: ReadonlyMap<string, readonly [number, number]> = new Map(
  DURATION_UNITS.map(([unit, ms], i) => [unit, [ms, i] as const]),
);
/** time.Duration's limit, in ms (upstream counts in ns: 1<<63 - 1 ns). */
const MAX_DURATION_MS = 2 ** 63 / 1e6;

/**
 * Milliseconds in a Prometheus duration, as prometheus/common's model.ParseDuration reads it:
 * digits then a unit, units biggest first and each once, a bare `0` allowed; its error texts
 * (`not a valid duration string: "x"`, `unknown unit "hs" in duration "5y1hs"`).
 */
export function parseDuration(text: string): number {
  if (text === '0') return 0; // upstream allows a bare zero
  if (text === '') throw new Error('empty duration string');
  const invalid = () => new Error(`not a valid duration string: ${JSON.stringify(text)}`);
  let rest = text;
  let ms = 0;
  let lastUnit = -1;
  while (rest !== '') {
    const digits = /^[0-9]+/.exec(rest)?.[0];
    // Go reads the number with ParseUint: one that does not fit in 64 bits is not valid at all.
    if (!digits || BigInt(digits) > 2n ** 64n - 1n) throw invalid();
    rest = rest.slice(digits.length);
    const unitText = /^[^0-9]+/.exec(rest)?.[0];
    if (!unitText) throw invalid();
    rest = rest.slice(unitText.length);
    const unit = DURATION_UNIT_MAP.get(unitText);
    if (!unit) throw new Error(`unknown unit ${JSON.stringify(unitText)} in duration ${JSON.stringify(text)}`);
    const [size, position] = unit;
    if (position <= lastUnit) throw invalid();
    lastUnit = position;
    const value = Number(digits);
    if (value > MAX_DURATION_MS / size) throw new Error('duration out of range');
    ms += value * size;
    if (ms > MAX_DURATION_MS) throw new Error('duration out of range');
  }
  return ms;
}

/** Formats milliseconds the way model.Duration prints: `1h30m`, `15s`, `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of DURATION_UNITS) {
    // Like upstream, weeks and years are printed only when they divide the whole duration.
    if ((unit === 'y' || unit === 'w') && ms % size !== 0) continue;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 2 ** 10,
  MB: 2 ** 20,
  GB: 2 ** 30,
  TB: 2 ** 40,
  PB: 2 ** 50,
  EB: 2 ** 60,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
  PiB: 2 ** 50,
  EiB: 2 ** 60,
};

/**
 * Bytes in a size such as `64MB` (base 2, as Prometheus's flags and config read it). A sign is
 * accepted, as Go's units.ParseBase2Bytes accepts one: whoever reads the size decides whether a
 * negative one is an error (storage.tsdb.retention.size) or no limit (body_size_limit).
 */
export function parseSize(text: string): number {
  const match = /^([+-]?)(\d+)([A-Za-z]+)?$/.exec(text);
  const factor = match ? SIZE_UNITS[match[3] ?? 'B'] : undefined;
  if (!match || factor === undefined)
    throw new Error(`invalid size ${JSON.stringify(text)}: want a number with a unit such as 64MB`);
  if (match[3] === undefined && match[2] !== '0')
    // Go's wording first (alecthomas/units, with its empty unit name), then what to write instead.
    throw new Error(`units: unknown unit  in ${text} (a size needs a unit: B, KB, MB, GB, …)`);
  const bytes = Number(match[2]) * factor;
  return match[1] === '-' && bytes !== 0 ? -bytes : bytes;
}

/**
 * A size as upstream prints one (alecthomas/units' Base2Bytes.String, which Prometheus's
 * `body_size_limit` and retention size are): each power of 1024 that is not a whole multiple is
 * spelled out, largest first, so 10 MiB is `10MiB`, 1536 bytes `1KiB512B` and nothing `0B`.
 */
export function formatSize(bytes: number): string {
  if (bytes === 0) return '0B';
  // JavaScript's % truncates as Go's does, so a negative size prints as Go's (`-1KiB-512B`).
  let n = bytes;
  const parts: string[] = [];
  for (const unit of ['', 'K', 'M', 'G', 'T', 'P', 'E']) {
    const rest = n % 1024;
    if (rest !== 0) parts.unshift(`${rest}${unit}${unit === '' ? 'B' : 'iB'}`);
    n = Math.trunc(n / 1024);
    if (n === 0) break;
  }
  return parts.join('');
}

/** A retention as upstream's runtimeinfo shows it: `15d`, `512MB`, or `15d or 512MB`. */
export function formatRetention(retention: { time: number; size: number }): string {
  const parts: string[] = [];
  if (retention.time !== 0) parts.push(formatDuration(retention.time));
  if (retention.size !== 0) parts.push(formatSize(retention.size));
  return parts.join(' or ');
}
