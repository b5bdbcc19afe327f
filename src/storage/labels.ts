/**
 * Label sets as the head sees them: a hash per set (how the head finds a series), equality, and
 * PromQL's matchers. As in Prometheus, a label with an empty value is the same as no label at all.
 */
import { compileRegex } from '../regex/index.js';
import type { Labels, Matcher } from './types.js';

/**
 * A 30-bit hash of a label set, independent of key order (the sum of one hash per pair), skipping
 * empty values. It allocates nothing: every append computes one, so it is on the hot path. Equal
 * hashes are only candidates; `sameLabels` decides.
 */
export function hashLabels(labels: Labels): number {
  let sum = 0;
  for (const name in labels) {
    const value = labels[name] as string;
    if (value === '') continue;
    // FNV-1a over name, a separator no name contains, and value; then a finalizer to spread it.
    let h = 0x811c9dc5;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0xffff, 0x01000193);
    for (let i = 0; i < value.length; i++) h = Math.imul(h ^ value.charCodeAt(i), 0x01000193);
    sum = (sum + fmix32(h)) | 0;
  }
  // 30 bits: a small integer in V8, so the Map's keys are not boxed numbers.
  return sum & 0x3fffffff;
}

/** MurmurHash3's finalizer: makes every input bit affect every output bit before the sum. */
function fmix32(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return x ^ (x >>> 16);
}

/** Whether `labels` (empty values ignored) equals `stored`, a set without empty values of `size` labels. */
export function sameLabels(labels: Labels, stored: Labels, size: number): boolean {
  let n = 0;
  for (const name in labels) {
    const value = labels[name] as string;
    if (value === '') continue;
    if (stored[name] !== value) return false;
    n++;
  }
  return n === size;
}

/** `labels` without empty values; the same object when it has none (the common case: no copy). */
export function withoutEmpty(labels: Labels): Labels {
  if (!Object.values(labels).includes('')) return labels;
  return Object.fromEntries(Object.entries(labels).filter(([, v]) => v !== ''));
}

/** One predicate for all `matchers`. A missing label reads as `""`, so `{x=""}` matches series without `x`. */
export function compileMatchers(matchers: readonly Matcher[]): (labels: Labels) => boolean {
  // Compiled once per select, not once per series.
  const tests = matchers.map((m) => ({ name: m.name, test: valueTest(m) }));
  return (labels) => tests.every(({ name, test }) => test(labels[name] ?? ''));
}

function valueTest(m: Matcher): (value: string) => boolean {
  switch (m.type) {
    case '=':
      return (v) => v === m.value;
    case '!=':
      return (v) => v !== m.value;
    // RE2, fully anchored, `.` matching newlines: as Prometheus compiles `^(?s:re)$`.
    case '=~': {
      const re = compileRegex(m.value);
      return (v) => re.test(v);
    }
    case '!~': {
      const re = compileRegex(m.value);
      return (v) => !re.test(v);
    }
  }
}

/**
 * Orders label sets as upstream's labels.Compare: pair by pair in name order, by name then by
 * value; a set that is a prefix of the other comes first.
 */
export function compareLabels(a: Labels, b: Labels): number {
  const an = Object.keys(a).sort();
  const bn = Object.keys(b).sort();
  const n = Math.min(an.length, bn.length);
  for (let i = 0; i < n; i++) {
    const x = an[i] as string;
    const y = bn[i] as string;
    if (x !== y) return x < y ? -1 : 1;
    const xv = a[x] as string;
    const yv = b[y] as string;
    if (xv !== yv) return xv < yv ? -1 : 1;
  }
  return an.length - bn.length;
}

/**
 * Prometheus's staleness marker (value.StaleNaN): the NaN with bits 0x7ff0000000000002, which the
 * scrape loop writes when a series or target disappears.
 */
export const STALE_NAN: number = (() => {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, 0x7ff0000000000002n);
  return view.getFloat64(0);
})();

const bitsView = new DataView(new ArrayBuffer(8));

/**
 * Whether `v` is the staleness marker. Compares the payload only: V8 sets the quiet bit when it
 * stores a signalling NaN into a plain number array (0x7ff0…02 becomes 0x7ff8…02), so the head's
 * arrays give back the marker with that bit set; a NaN a target exposes has payload 0 either way.
 */
export function isStaleNaN(v: number): boolean {
  if (!Number.isNaN(v)) return false;
  bitsView.setFloat64(0, v);
  return (bitsView.getUint32(0) & 0x0007ffff) === 0 && bitsView.getUint32(4) === 2;
}

/**
 * Label strings, each kept once (upstream's head keeps its symbols in its index): `intern` gives
 * back the one copy of a string, so series that share a name or value share its memory. Strings
 * no series uses any more are let go by `keepOnly` when retention removes series.
 */
export class SymbolTable {
  #strings = new Map<string, string>();

  /** The table's copy of `s` (`s` itself the first time). */
  intern(s: string): string {
    const have = this.#strings.get(s);
    if (have !== undefined) return have;
    this.#strings.set(s, s);
    return s;
  }

  /** Keeps only the strings of `series`' labels (which were interned here). */
  keepOnly(series: Iterable<{ readonly labels: Labels }>): void {
    const kept = new Map<string, string>();
    for (const { labels } of series) {
      for (const name in labels) {
        kept.set(name, name);
        const value = labels[name] as string;
        kept.set(value, value);
      }
    }
    this.#strings = kept;
  }
}
