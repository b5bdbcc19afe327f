/**
 * The head: the in-memory series table. The TSDB keeps each series' samples here (sorted by time,
 * trimmed by retention, read by `select`); the agent keeps only the table, to give each series
 * one WAL ref. The head changes only through its storage's serialized commits and retention, so
 * none of this needs locking.
 */
import { MAX_BYTES_PER_XOR_CHUNK, XorAppender, XorReader } from './chunkenc.js';
import { ChunkSlabs, ChunksIterator, type ChunkView, hasSampleIn, OPEN_REGION_BYTES, OpenRegions } from './chunks.js';
import { hashLabels, sameLabels, SymbolTable } from './labels.js';
import { compileMatcher, MemPostings } from './postings.js';
import type { Labels, Matcher, Querier, SelectedSeries } from './types.js';

/** Upstream's default head chunk range (`--storage.tsdb.min-block-duration`, 2h), in ms. */
export const CHUNK_RANGE_MS = 2 * 3600 * 1000;
/** Upstream's target number of samples per head chunk (tsdb.DefaultSamplesPerChunk). */
const SAMPLES_PER_CHUNK = 120;
/**
 * Upstream cuts a chunk once it is over this size, as the next sample might be the largest one
 * (19 bytes) and a chunk must stay within MaxBytesPerXORChunk.
 */
const CUT_AT_BYTES = MAX_BYTES_PER_XOR_CHUNK - 19;
/** The chunks of a series with no full chunk yet: one shared (frozen) empty array, not one each. */
const NO_CHUNKS = Object.freeze([]) as unknown as ChunkView[];

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
   * Full chunks, oldest first (TSDB only; the agent keeps no samples). Closing a chunk pushes;
   * retention replaces the array rather than shifting it, so a query holding it and a length
   * keeps reading what it selected.
   */
  chunks: ChunkView[] = NO_CHUNKS;
  /** The chunk being appended to, if any: its first sample's time is `chunkMinT`. */
  open: XorAppender | undefined;
  /**
   * The newest sample time queries may see. A large commit is applied in slices, and its samples
   * become visible all at once when it is published (upstream's isolation: a query sees a commit
   * whole or not at all); everything else publishes as it adds. Times only grow, so "every
   * sample up to this time" is exactly the samples published.
   */
  visibleT = Number.NEGATIVE_INFINITY;
  /** Samples older than this were dropped by retention (they may still sit in the first chunk). */
  floorT = Number.NEGATIVE_INFINITY;
  /** The oldest sample kept (+∞ while there is none). */
  firstT = Number.POSITIVE_INFINITY;
  /** Scratch for the commit in progress: its id, and the newest time it accepted for this series. */
  commitId = 0;
  commitT = 0;
  /** The next series in its SeriesTable bucket (another label set with the same hash). */
  collision: MemSeries | undefined;
  /** How many labels `labels` has, for `sameLabels`. */
  readonly size: number;
  /** `[name, value, name, value, …]` sorted by name, made on first need: see `compareSeries`. */
  #pairs: string[] | undefined;
  /** The open chunk's first time, and when upstream would cut the next one (see `chunkFor`). */
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
  /** Full and open chunks of all series. */
  #chunks = 0;
  readonly #slabs = new ChunkSlabs();
  readonly #regions = new OpenRegions();
  readonly #symbols = new SymbolTable();
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

  /**
   * `labels` with every name and value taken from the symbol table: a series' strings are
   * shared with every other series that has them (the job, the metric name, …) instead of each
   * series holding its own copies from its scrape. Key order is kept.
   */
  intern(labels: Labels): Labels {
    const out: Record<string, string> = {};
    for (const name in labels) out[this.#symbols.intern(name)] = this.#symbols.intern(labels[name] as string);
    return out;
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
      s = new MemSeries(hash, this.intern(labels));
      s.ref = ref;
      s.logged = true;
      this.#insert(s);
    }
    return s;
  }

  /** Adds a sample newer than the series' last, visible at once; returns false (and keeps nothing) otherwise. */
  add(s: MemSeries, t: number, v: number): boolean {
    if (!this.stage(s, t, v)) return false;
    s.visibleT = s.lastT;
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
      if (t < s.firstT) s.firstT = t;
      this.#chunkFor(s, t).append(t, v);
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
      s.visibleT = s.lastT;
    }
  }

  /**
   * The chunk sample `t` of `s` goes into, cut as upstream's head cuts (memSeries'
   * appendPreprocessor with its defaults): a chunk over ~1 KiB is full; chunks aim at 120 samples,
   * never span a 2h-aligned range, are re-planned at a quarter full to spread the range's samples
   * evenly, and are cut at 240 samples whatever the plan.
   */
  #chunkFor(s: MemSeries, t: number): XorAppender {
    const app = s.open;
    if (!app || app.length > CUT_AT_BYTES) return this.#cut(s, t);
    const n = app.count;
    if (n === SAMPLES_PER_CHUNK / 4) s.nextAt = chunkEndTime(s.chunkMinT, app.lastT, s.nextAt);
    if (t >= s.nextAt || n >= SAMPLES_PER_CHUNK * 2) return this.#cut(s, t);
    return app;
  }

  /** Closes `s`'s open chunk (into a slab) and opens one that starts at `t`. */
  #cut(s: MemSeries, t: number): XorAppender {
    const prev = s.open;
    if (prev) {
      const full = this.#slabs.close(prev, s.chunkMinT);
      if (s.chunks === NO_CHUNKS) s.chunks = [full];
      else s.chunks.push(full);
    }
    // A series whose last chunk outgrew a shared region gets a buffer of its own, sized as that
    // chunk turned out: a series' chunks are alike, so most never grow.
    const app = new XorAppender(prev && prev.length > OPEN_REGION_BYTES ? prev.length + 16 : this.#regions.take());
    s.open = app;
    s.chunkMinT = t;
    s.nextAt = rangeEnd(t);
    this.#chunks++;
    return app;
  }

  /**
   * Drops samples older than `before`, then series left with nothing newer (also those adopted by
   * a commit whose samples were all rejected). Chunks wholly older go (as upstream's head drops
   * chunks wholly older than its new minimum time); in a chunk only partly older, the older
   * samples stay in its bytes but are no longer read. Their refs stay in the WAL; a series that
   * comes back gets a new ref, and replay merges the two.
   */
  truncate(before: number): void {
    const removed: MemSeries[] = [];
    let minT = Number.POSITIVE_INFINITY;
    for (const s of this.#series) {
      if (s.firstT < before) this.#truncateSeries(s, before);
      if (s.firstT === Number.POSITIVE_INFINITY && s.lastT < before) {
        this.#remove(s);
        removed.push(s);
      } else if (s.firstT < minT) minT = s.firstT;
    }
    this.#postings?.delete(removed);
    if (this.keepSamples) this.#minT = minT;
    if (removed.length > 0) this.#symbols.keepOnly(this.#series);
  }

  #truncateSeries(s: MemSeries, before: number): void {
    let k = 0;
    let dropped = 0;
    const floor = s.floorT;
    for (; k < s.chunks.length; k++) {
      const c = s.chunks[k] as ChunkView;
      if (c.maxT >= before) break;
      dropped += countIn(c, floor, Number.POSITIVE_INFINITY);
    }
    if (k > 0) {
      s.chunks = s.chunks.slice(k);
      this.#chunks -= k;
    }
    const open = s.open ? openView(s, s.open) : undefined;
    if (s.chunks.length === 0 && open && open.maxT < before) {
      dropped += countIn(open, floor, Number.POSITIVE_INFINITY);
      s.open = undefined;
      this.#chunks--;
    }
    // The first chunk left may start before `before`: count what it loses, find what it keeps.
    const first = s.chunks[0] ?? (s.open ? open : undefined);
    s.firstT = Number.POSITIVE_INFINITY;
    if (first) {
      const r = new XorReader(first.buf, first.count, first.off);
      while (r.next()) {
        if (r.t < floor) continue;
        if (r.t >= before) {
          s.firstT = r.t;
          break;
        }
        dropped++;
      }
    }
    s.floorT = before;
    this.#samples -= dropped;
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
    const postings = this.#postings;
    if (!postings) throw new Error('the agent keeps no samples to query');
    const refs = postings.forMatchers(matchers);
    const out = new Array<MemSeries>(refs.length);
    for (let i = 0; i < refs.length; i++) out[i] = postings.series(refs[i] as number);
    return out;
  }

  #select(matchers: readonly Matcher[], mint: number, maxt: number, sorted: boolean): SelectedSeries[] {
    const hits: HeadSeries[] = [];
    // As upstream, a head whose time range misses the query's contributes nothing.
    if (!this.#overlaps(mint, maxt)) return [];
    for (const series of this.#matching(matchers)) {
      const lo = Math.max(mint, series.floorT);
      const hi = Math.min(maxt, series.visibleT);
      // The chunks as they are now: later appends only add after what this reads, closing a
      // chunk only pushes, and retention replaces the array.
      const { chunks } = series;
      const n = chunks.length;
      const open = series.open && series.open.count > 0 ? openView(series, series.open) : undefined;
      if (!hasSampleIn(chunks, n, open, lo, hi)) continue; // like upstream, nothing in range: not returned
      hits.push(new HeadSeries(series, chunks, n, open, lo, hi));
    }
    // Postings are in ref order, which is creation order: the unsorted answer.
    if (sorted) hits.sort((a, b) => compareSeries(a.series, b.series));
    return hits;
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
    for (const s of this.#matching(matchers)) {
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
    this.#chunks -= s.chunks.length + (s.open ? 1 : 0);
    s.chunks = NO_CHUNKS;
    s.open = undefined;
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
/** A view of the open chunk as it is now: its samples so far, read from its current buffer. */
function openView(s: MemSeries, app: XorAppender): ChunkView {
  return { buf: app.buf, off: 0, count: app.count, minT: s.chunkMinT, maxT: app.lastT };
}

/** How many of chunk `c`'s samples fall in [lo, hi] (read only when its bounds do not say). */
function countIn(c: ChunkView, lo: number, hi: number): number {
  if (c.minT >= lo && c.maxT <= hi) return c.count;
  let n = 0;
  for (const r = new XorReader(c.buf, c.count, c.off); r.next(); ) if (r.t >= lo && r.t <= hi) n++;
  return n;
}

/**
 * A series `select` found: its chunks as they were, and the range to read. One object per series
 * (a query over 10k series selects 10k of them, and everything it allocates per series is
 * garbage the collector copies while the query runs).
 */
class HeadSeries implements SelectedSeries {
  constructor(
    readonly series: MemSeries,
    readonly chunks: readonly ChunkView[],
    readonly n: number,
    readonly open: ChunkView | undefined,
    readonly lo: number,
    readonly hi: number,
  ) {}

  get labels(): Labels {
    return this.series.labels;
  }

  iterator(): ChunksIterator {
    return new ChunksIterator(this.chunks, this.n, this.open, this.lo, this.hi);
  }
}
