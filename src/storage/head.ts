/**
 * The head: the in-memory series table. The TSDB keeps each series' samples here (sorted by time,
 * trimmed by retention, read by `select`); the agent keeps only the table, to give each series
 * one WAL ref. The head changes only through its storage's serialized commits and retention, so
 * none of this needs locking.
 */
import { Float64Column } from './floats.js';
import { hashLabels, sameLabels } from './labels.js';
import { compileMatcher, MemPostings } from './postings.js';
import type { Labels, Matcher, Querier, SampleIterator, SelectedSeries } from './types.js';

/** Upstream's default head chunk range (`--storage.tsdb.min-block-duration`, 2h), in ms. */
export const CHUNK_RANGE_MS = 2 * 3600 * 1000;
/** Upstream's target number of samples per head chunk (tsdb.DefaultSamplesPerChunk). */
const SAMPLES_PER_CHUNK = 120;

export class MemSeries {
  /** The WAL ref; -1 until a commit adopts the series into the head. */
  ref = -1;
  /** Its series record is in the WAL (a commit writes it before the series' first samples). */
  logged = false;
  /** Dropped from the head by retention; an appender still holding it has the commit re-adopt it. */
  removed = false;
  /** Time of the newest committed sample: anything not newer is out of order (or a duplicate). */
  lastT = Number.NEGATIVE_INFINITY;
  /** Value of the newest committed sample: a sample at `lastT` with other bits is a conflicting duplicate. */
  lastV = 0;
  /**
   * Sample times and values, ascending by time (TSDB only; the agent keeps none). Appends push;
   * retention replaces the arrays rather than shifting them, so a query iterating the old ones
   * keeps reading what it selected.
   */
  ts: number[] = [];
  /** A Float64Column, not an array: an array may lose a staleness marker's NaN bits. */
  vs = new Float64Column();
  /**
   * How many of `ts`/`vs` queries may see. A large commit is applied in slices, and its samples
   * become visible all at once when it is published (upstream's isolation: a query sees a commit
   * whole or not at all); everything else publishes as it adds.
   */
  visible = 0;
  /** Scratch for the commit in progress: its id, and the newest time it accepted for this series. */
  commitId = 0;
  commitT = 0;
  /** The next series in its SeriesTable bucket (another label set with the same hash). */
  collision: MemSeries | undefined;
  /** How many labels `labels` has, for `sameLabels`. */
  readonly size: number;
  /** `[name, value, name, value, …]` sorted by name, made on first need: see `compareSeries`. */
  #pairs: string[] | undefined;
  /**
   * Where each head chunk upstream would have cut starts, as indices into `ts` (TSDB only): the
   * head keeps plain arrays, but reports its chunk count as upstream's head would (see `cutChunk`).
   */
  chunkStarts: number[] = [];
  /** The chunk being filled: its first time, and when upstream would cut the next one. */
  chunkMinT = 0;
  nextAt = 0;

  /** `labels` must have no empty values; `hash` is their `hashLabels`. */
  constructor(
    readonly hash: number,
    readonly labels: Labels,
  ) {
    this.size = Object.keys(labels).length;
  }

  /** The label pairs sorted by name, flattened (computed once: labels never change). */
  get pairs(): readonly string[] {
    if (!this.#pairs) {
      const names = Object.keys(this.labels).sort();
      this.#pairs = [];
      for (const name of names) this.#pairs.push(name, this.labels[name] as string);
    }
    return this.#pairs;
  }
}

/**
 * Orders series by label set as upstream's labels.Compare (and `compareLabels`): pair by pair in
 * name order, name then value; a set that is a prefix of the other first. Comparing the cached
 * flattened pairs element by element is exactly that, without sorting names on every comparison.
 */
export function compareSeries(a: MemSeries, b: MemSeries): number {
  const x = a.pairs;
  const y = b.pairs;
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const p = x[i] as string;
    const q = y[i] as string;
    if (p !== q) return p < q ? -1 : 1;
  }
  return x.length - y.length;
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
  /** The inverted index (TSDB only: the agent never queries). */
  readonly #postings: MemPostings | undefined;
  #nextRef = 0;
  #samples = 0;
  /** Chunks upstream's head would hold for these samples (see `cutChunk`). */
  #chunks = 0;
  /** The oldest and newest sample times in the head; +∞ and −∞ while it has none. */
  #minT = Number.POSITIVE_INFINITY;
  #maxT = Number.NEGATIVE_INFINITY;

  constructor(readonly keepSamples: boolean) {
    this.#postings = keepSamples ? new MemPostings() : undefined;
  }

  get numSeries(): number {
    return this.#series.size;
  }

  get numSamples(): number {
    return this.#samples;
  }

  get numChunks(): number {
    return this.#chunks;
  }

  /** The oldest sample's time; +∞ for an empty head. */
  get minTime(): number {
    return this.#minT;
  }

  /** The newest sample time the head has taken (it does not go down when retention drops it); −∞ before any. */
  get maxTime(): number {
    return this.#maxT;
  }

  get(labels: Labels, hash: number): MemSeries | undefined {
    return this.#series.get(labels, hash);
  }

  /** The index, for statistics (TSDB only). */
  get postings(): MemPostings | undefined {
    return this.#postings;
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

  /** Adds a sample newer than the series' last, visible at once; returns false (and keeps nothing) otherwise. */
  add(s: MemSeries, t: number, v: number): boolean {
    if (!this.stage(s, t, v)) return false;
    s.visible = s.ts.length;
    return true;
  }

  /**
   * Adds a sample as `add` does, but hidden from queries until `publish` (see MemSeries.visible).
   * The caller publishes before anything else changes the head (commits are serialized).
   */
  stage(s: MemSeries, t: number, v: number): boolean {
    if (!(t > s.lastT)) return false;
    if (this.keepSamples) {
      if (t < this.#minT) this.#minT = t;
      // Before lastT moves: a chunk's plan reads the time of its newest sample so far.
      if (this.#cutChunk(s, t)) {
        s.chunkStarts.push(s.ts.length);
        this.#chunks++;
      }
      s.ts.push(t);
      s.vs.push(v);
      this.#samples++;
    }
    s.lastT = t;
    s.lastV = v;
    if (t > this.#maxT) this.#maxT = t;
    return true;
  }

  /** Makes every staged sample of `series` (the first `n`) visible to queries. */
  publish(series: readonly MemSeries[], n: number): void {
    for (let i = 0; i < n; i++) {
      const s = series[i] as MemSeries;
      s.visible = s.ts.length;
    }
  }

  /**
   * Whether upstream's head would start a new chunk for sample `t` of `s` (memSeries'
   * appendPreprocessor with its defaults): chunks aim at 120 samples, never span a 2h-aligned
   * range, are re-planned at a quarter full to spread the range's samples evenly, and are cut at
   * 240 samples whatever the plan. (Its 1KiB byte cap on a chunk is not modelled: the head stores
   * no encoded chunks to measure.)
   */
  #cutChunk(s: MemSeries, t: number): boolean {
    const starts = s.chunkStarts;
    const n = starts.length === 0 ? -1 : s.ts.length - (starts[starts.length - 1] as number);
    if (n >= 0) {
      if (n === SAMPLES_PER_CHUNK / 4) s.nextAt = chunkEndTime(s.chunkMinT, s.lastT, s.nextAt);
      if (t < s.nextAt && n < SAMPLES_PER_CHUNK * 2) return false;
    }
    s.chunkMinT = t;
    s.nextAt = rangeEnd(t);
    return true;
  }

  /**
   * Drops samples older than `before`, then series left with nothing newer (also those adopted by
   * a commit whose samples were all rejected). Their refs stay in the WAL; a series that comes back
   * gets a new ref, and replay merges the two.
   */
  truncate(before: number): void {
    const removed: MemSeries[] = [];
    let minT = Number.POSITIVE_INFINITY;
    for (const s of this.#series) {
      const first = s.ts[0];
      if (first !== undefined && first < before) {
        const drop = lowerBound(s.ts, before);
        s.ts = s.ts.slice(drop);
        s.vs = s.vs.slice(drop);
        s.visible = Math.max(0, s.visible - drop);
        this.#samples -= drop;
        this.#dropChunks(s, drop);
      }
      if (s.ts.length === 0 && s.lastT < before) {
        this.#remove(s);
        removed.push(s);
      } else if (s.ts.length > 0) minT = Math.min(minT, s.ts[0] as number);
    }
    this.#postings?.delete(removed);
    if (this.keepSamples) this.#minT = minT;
  }

  /**
   * The first `drop` samples are gone: chunks wholly among them go too (as upstream's head drops
   * chunks wholly older than its new minimum time); a chunk only partly dropped stays.
   */
  #dropChunks(s: MemSeries, drop: number): void {
    const starts = s.chunkStarts;
    let gone = 0;
    while (
      gone < starts.length &&
      (gone + 1 < starts.length ? (starts[gone + 1] as number) : s.ts.length + drop) <= drop
    )
      gone++;
    const kept = starts.slice(gone).map((i) => Math.max(0, i - drop));
    this.#chunks -= starts.length - kept.length;
    s.chunkStarts = kept;
  }

  /** A querier over [mint, maxt]: see `Querier`. */
  querier(mint: number, maxt: number): Querier {
    return {
      select: (matchers, hints) => this.#select(matchers, mint, maxt, hints?.sorted ?? true),
      labelNames: (matchers) => this.#labelNames(matchers, mint, maxt),
      labelValues: (name, matchers, hints) => this.#labelValues(name, matchers, mint, maxt, hints?.limit ?? 0),
    };
  }

  /** The postings for `matchers` (every series when empty): see `MemPostings.forMatchers`. */
  #matching(matchers: readonly Matcher[]): readonly MemSeries[] {
    if (!this.#postings) throw new Error('the agent keeps no samples to query');
    return this.#postings.forMatchers(matchers);
  }

  #select(matchers: readonly Matcher[], mint: number, maxt: number, sorted: boolean): SelectedSeries[] {
    const hits: Array<{ series: MemSeries; from: number; to: number }> = [];
    // As upstream, a head whose time range misses the query's contributes nothing.
    if (!this.#overlaps(mint, maxt)) return [];
    for (const series of this.#matching(matchers)) {
      const from = lowerBound(series.ts, mint, 0, false, series.visible);
      const to = lowerBound(series.ts, maxt, from, true, series.visible);
      if (from === to) continue; // like upstream, a series with nothing in range is not returned
      hits.push({ series, from, to });
    }
    // Postings are in ref order, which is creation order: the unsorted answer.
    if (sorted) hits.sort((a, b) => compareSeries(a.series, b.series));
    return hits.map(({ series, from, to }) => {
      // The arrays and bounds as they are now: later appends and retention do not change them.
      const { ts, vs } = series;
      return { labels: series.labels, iterator: () => new ArrayIterator(ts, vs, from, to) };
    });
  }

  /**
   * Upstream's head index: label names of the series matching `matchers`, when the head's time
   * range overlaps [mint, maxt] at all (series are not filtered by their own samples' times).
   */
  #labelNames(matchers: readonly Matcher[], mint: number, maxt: number): string[] {
    if (!this.#overlaps(mint, maxt)) return [];
    if (matchers.length === 0) return (this.#postings?.labelNames() ?? []).sort();
    const names = new Set<string>();
    for (const s of this.#matching(matchers)) for (const name in s.labels) names.add(name);
    return [...names].sort();
  }

  /** Values of `name` on the series matching `matchers`, under the same rule as `#labelNames`. */
  #labelValues(name: string, matchers: readonly Matcher[], mint: number, maxt: number, limit: number): string[] {
    if (!this.#overlaps(mint, maxt)) return [];
    const postings = this.#postings;
    if (!postings) throw new Error('the agent keeps no samples to query');
    // Upstream's head cuts its value list (kept in the order values first appeared) to the
    // limit before sorting.
    if (matchers.length === 0 && limit > 0) return postings.labelValues(name).slice(0, limit).sort();
    // Matchers on `name` alone filter its values without touching a series (upstream's labelValuesWithMatchers).
    if (matchers.every((m) => m.name === name)) {
      const tests = matchers.map(compileMatcher);
      return postings
        .labelValues(name)
        .filter((v) => tests.every((m) => m.matches(v)))
        .sort();
    }
    const values = new Set<string>();
    for (const s of postings.forMatchers(matchers)) {
      const v = s.labels[name];
      if (v !== undefined) values.add(v);
    }
    return [...values].sort();
  }

  /** Whether [mint, maxt] meets the head's [minTime, maxTime] (never, for an empty head). */
  #overlaps(mint: number, maxt: number): boolean {
    return !(maxt < this.#minT || mint > this.#maxT);
  }

  #insert(s: MemSeries): void {
    this.#series.add(s);
    this.#postings?.add(s);
  }

  /** Takes `s` out of the table; the caller takes it out of the postings (in one batch). */
  #remove(s: MemSeries): void {
    s.removed = true;
    this.#series.delete(s);
    this.#chunks -= s.chunkStarts.length;
    s.chunkStarts = [];
  }
}

/** The end of the 2h-aligned range `t` is in (upstream's rangeForTimestamp; Go's `/` truncates). */
function rangeEnd(t: number): number {
  return Math.trunc(t / CHUNK_RANGE_MS) * CHUNK_RANGE_MS + CHUNK_RANGE_MS;
}

/**
 * Upstream's computeChunkEndTime with ratio 4: from how fast the first quarter of a chunk filled,
 * an end time that spreads the rest of the range evenly over whole chunks.
 */
function chunkEndTime(start: number, cur: number, max: number): number {
  const n = (max - start) / ((cur - start + 1) * 4);
  if (n <= 1) return max;
  return Math.trunc(start + (max - start) / Math.floor(n));
}
/**
 * The first index in sorted `ts` (from `lo`, before `end`) whose time is `>= t`, or, with
 * `after`, `> t`: with both ends, [lowerBound(mint), lowerBound(maxt, after)) is the inclusive
 * range [mint, maxt].
 */
function lowerBound(ts: readonly number[], t: number, lo = 0, after = false, end = ts.length): number {
  let hi = end;
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
    private readonly vs: Float64Column,
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
    this.v = this.vs.at(i) as number;
    return true;
  }
}
