/**
 * The head: the in-memory series table. The TSDB keeps each series' samples here (sorted by time,
 * trimmed by retention, read by `select`); the agent keeps only the table, to give each series
 * one WAL ref. The head changes only through its storage's serialized commits and retention, so
 * none of this needs locking.
 */
import { compareLabels, compileMatchers, hashLabels, sameLabels } from './labels.js';
import type { Labels, Matcher, Querier, SampleIterator, SelectedSeries } from './types.js';

export class MemSeries {
  /** The WAL ref; -1 until a commit adopts the series into the head. */
  ref = -1;
  /** Its series record is in the WAL (a commit writes it before the series' first samples). */
  logged = false;
  /** Dropped from the head by retention; an appender still holding it has the commit re-adopt it. */
  removed = false;
  /** Time of the newest committed sample: anything not newer is out of order (or a duplicate). */
  lastT = Number.NEGATIVE_INFINITY;
  /**
   * Sample times and values, ascending by time (TSDB only; the agent keeps none). Appends push;
   * retention replaces the arrays rather than shifting them, so a query iterating the old ones
   * keeps reading what it selected.
   */
  ts: number[] = [];
  vs: number[] = [];
  /** Scratch for the commit in progress: its id, and the newest time it accepted for this series. */
  commitId = 0;
  commitT = 0;
  /** The next series in its SeriesTable bucket (another label set with the same hash). */
  collision: MemSeries | undefined;
  /** How many labels `labels` has, for `sameLabels`. */
  readonly size: number;

  /** `labels` must have no empty values; `hash` is their `hashLabels`. */
  constructor(
    readonly hash: number,
    readonly labels: Labels,
  ) {
    this.size = Object.keys(labels).length;
  }
}

/**
 * Series by label set: a map from hash to a chain of series (collisions are rare, but possible),
 * so a lookup builds no key string and allocates nothing.
 */
export class SeriesTable {
  readonly #buckets = new Map<number, MemSeries>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(labels: Labels, hash: number): MemSeries | undefined {
    for (let s = this.#buckets.get(hash); s; s = s.collision) if (sameLabels(labels, s.labels, s.size)) return s;
    return undefined;
  }

  /** Adds `s`, whose label set must not be in the table yet. */
  add(s: MemSeries): void {
    s.collision = this.#buckets.get(s.hash);
    this.#buckets.set(s.hash, s);
    this.#size++;
  }

  delete(s: MemSeries): void {
    let prev: MemSeries | undefined;
    for (let cur = this.#buckets.get(s.hash); cur; prev = cur, cur = cur.collision) {
      if (cur !== s) continue;
      if (prev) prev.collision = s.collision;
      else if (s.collision) this.#buckets.set(s.hash, s.collision);
      else this.#buckets.delete(s.hash);
      s.collision = undefined;
      this.#size--;
      return;
    }
  }

  /** Every series; the one just yielded may be deleted meanwhile (retention does). */
  *[Symbol.iterator](): IterableIterator<MemSeries> {
    for (const first of this.#buckets.values()) {
      for (let s: MemSeries | undefined = first; s; ) {
        const next: MemSeries | undefined = s.collision; // read first: delete() unlinks s
        yield s;
        s = next;
      }
    }
  }
}

export class Head {
  readonly #series = new SeriesTable();
  /** Series by metric name: most selects name a metric, and this spares them a scan of the whole head. */
  readonly #byName = new Map<string, Set<MemSeries>>();
  #nextRef = 0;
  #samples = 0;

  constructor(readonly keepSamples: boolean) {}

  get numSeries(): number {
    return this.#series.size;
  }

  get numSamples(): number {
    return this.#samples;
  }

  get(labels: Labels, hash: number): MemSeries | undefined {
    return this.#series.get(labels, hash);
  }

  /**
   * Makes `s` (new, or removed by retention) a head series with a fresh ref, unless another
   * appender's commit already added its label set: then that series is the one to use.
   */
  adopt(s: MemSeries): MemSeries {
    const existing = this.#series.get(s.labels, s.hash);
    if (existing) return existing;
    s.ref = this.#nextRef++;
    s.logged = false;
    s.removed = false;
    this.#insert(s);
    return s;
  }

  /**
   * Replay: the series record `ref → labels`. A label set logged twice (re-created after retention
   * removed it) gets one series for both refs.
   */
  restore(ref: number, labels: Labels): MemSeries {
    this.#nextRef = Math.max(this.#nextRef, ref + 1);
    const hash = hashLabels(labels);
    let s = this.#series.get(labels, hash);
    if (!s) {
      s = new MemSeries(hash, labels);
      s.ref = ref;
      s.logged = true;
      this.#insert(s);
    }
    return s;
  }

  /** Adds a sample newer than the series' last; returns false (and keeps nothing) otherwise. */
  add(s: MemSeries, t: number, v: number): boolean {
    if (!(t > s.lastT)) return false;
    s.lastT = t;
    if (this.keepSamples) {
      s.ts.push(t);
      s.vs.push(v);
      this.#samples++;
    }
    return true;
  }

  /**
   * Drops samples older than `before`, then series left with nothing newer (also those adopted by
   * a commit whose samples were all rejected). Their refs stay in the WAL; a series that comes back
   * gets a new ref, and replay merges the two.
   */
  truncate(before: number): void {
    for (const s of this.#series) {
      const first = s.ts[0];
      if (first !== undefined && first < before) {
        const drop = lowerBound(s.ts, before);
        s.ts = s.ts.slice(drop);
        s.vs = s.vs.slice(drop);
        this.#samples -= drop;
      }
      if (s.ts.length === 0 && s.lastT < before) this.#remove(s);
    }
  }

  /** A querier over [mint, maxt]: see `Querier`. */
  querier(mint: number, maxt: number): Querier {
    return {
      select: (matchers) => this.#select(matchers, mint, maxt),
      labelNames: (matchers) => {
        const names = new Set<string>();
        for (const s of this.#selectRaw(matchers, mint, maxt)) for (const name in s.series.labels) names.add(name);
        return [...names].sort();
      },
      labelValues: (name, matchers) => {
        const values = new Set<string>();
        for (const s of this.#selectRaw(matchers, mint, maxt)) {
          const v = s.series.labels[name];
          if (v !== undefined) values.add(v);
        }
        return [...values].sort();
      },
    };
  }

  #select(matchers: readonly Matcher[], mint: number, maxt: number): SelectedSeries[] {
    const out: SelectedSeries[] = [];
    for (const { series, from, to } of this.#selectRaw(matchers, mint, maxt)) {
      // The arrays and bounds as they are now: later appends and retention do not change them.
      const { ts, vs } = series;
      out.push({ labels: series.labels, iterator: () => new ArrayIterator(ts, vs, from, to) });
    }
    return out.sort((a, b) => compareLabels(a.labels, b.labels));
  }

  /** Matching series with samples in [mint, maxt], and the index range of those samples. */
  *#selectRaw(
    matchers: readonly Matcher[],
    mint: number,
    maxt: number,
  ): Generator<{ series: MemSeries; from: number; to: number }> {
    const matches = compileMatchers(matchers);
    for (const series of this.#candidates(matchers)) {
      if (!matches(series.labels)) continue;
      const from = lowerBound(series.ts, mint);
      const to = lowerBound(series.ts, maxt, from, true);
      if (from === to) continue; // like upstream, a series with nothing in range is not returned
      yield { series, from, to };
    }
  }

  /** The series an equality matcher on `__name__` allows, or every series. */
  #candidates(matchers: readonly Matcher[]): Iterable<MemSeries> {
    // Copied: a query may yield between series, and retention may remove some meanwhile.
    const byName = matchers.find((m) => m.type === '=' && m.name === '__name__' && m.value !== '');
    return byName ? [...(this.#byName.get(byName.value) ?? [])] : [...this.#series];
  }

  #insert(s: MemSeries): void {
    this.#series.add(s);
    const name = s.labels.__name__ ?? '';
    const set = this.#byName.get(name);
    if (set) set.add(s);
    else this.#byName.set(name, new Set([s]));
  }

  #remove(s: MemSeries): void {
    s.removed = true;
    this.#series.delete(s);
    const name = s.labels.__name__ ?? '';
    const set = this.#byName.get(name);
    set?.delete(s);
    if (set?.size === 0) this.#byName.delete(name);
  }
}

/**
 * The first index in sorted `ts` (from `lo`) whose time is `>= t`, or, with `after`, `> t`: with
 * both ends, [lowerBound(mint), lowerBound(maxt, after)) is the inclusive range [mint, maxt].
 */
function lowerBound(ts: readonly number[], t: number, lo = 0, after = false): number {
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const x = ts[mid] as number;
    if (x < t || (after && x === t)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Iterates ts/vs over [from, to) (see `SampleIterator`). */
class ArrayIterator implements SampleIterator {
  /** The current sample's index: from − 1 before the first, `to` after the last. */
  #i: number;
  t = 0;
  v = 0;

  constructor(
    private readonly ts: readonly number[],
    private readonly vs: readonly number[],
    private readonly from: number,
    private readonly to: number,
  ) {
    this.#i = from - 1;
  }

  next(): boolean {
    return this.#moveTo(this.#i + 1);
  }

  seek(t: number): boolean {
    if (this.#i >= this.to) return false;
    if (this.#i >= this.from && this.t >= t) return true;
    return this.#moveTo(lowerBound(this.ts, t, Math.max(this.#i + 1, this.from)));
  }

  #moveTo(i: number): boolean {
    if (i >= this.to) {
      this.#i = this.to;
      return false;
    }
    this.#i = i;
    this.t = this.ts[i] as number;
    this.v = this.vs[i] as number;
    return true;
  }
}
