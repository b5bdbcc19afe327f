/**
 * A series' samples as the head keeps them: full chunks, immutable, packed into shared slabs, and
 * one open chunk still being appended to (all XOR-encoded, see chunkenc.ts); and the iterator
 * that walks them for a query, decoding as it goes, without copying samples out.
 */
import { type XorAppender, XorReader } from './chunkenc.js';
import type { SampleIterator } from './types.js';

/** A chunk's place and bounds: its bytes at `off` in `buf`, `count` samples from `minT` to `maxT`. */
export interface ChunkView {
  readonly buf: Uint8Array;
  readonly off: number;
  readonly count: number;
  readonly minT: number;
  readonly maxT: number;
}

/** Bytes per slab: full chunks (at most ~1 KiB each) are copied into these back to back. */
const SLAB_SIZE = 64 * 1024;

/**
 * Where full chunks go. A chunk closed is copied into the current slab at its exact length (as
 * upstream compacts a chunk it cuts), so one ArrayBuffer holds hundreds of chunks instead of one
 * each (a small ArrayBuffer costs more in bookkeeping than the samples it holds). Slabs fill in
 * time order, so the chunks in one age together, and retention frees whole slabs as it drops
 * them; nothing is ever written into a slab twice, so a reader holding a view reads what it took.
 */
export class ChunkSlabs {
  #slab = new Uint8Array(0);
  #used = 0;

  /** The open chunk `app`, whose first sample is at `minT`, as an immutable chunk. */
  close(app: XorAppender, minT: number): ChunkView {
    const len = app.length;
    if (this.#used + len > this.#slab.length) {
      this.#slab = new Uint8Array(Math.max(SLAB_SIZE, len));
      this.#used = 0;
    }
    const off = this.#used;
    this.#slab.set(app.buf.subarray(0, len), off);
    this.#used += len;
    return { buf: this.#slab, off, count: app.count, minT, maxT: app.lastT };
  }
}

/** Bytes an open chunk starts with: 120 samples of a typical counter or gauge fit. */
export const OPEN_REGION_BYTES = 256;

/**
 * Where open chunks start: 256-byte regions of shared slabs, handed out once each (never reused,
 * so a query reading an open chunk's region never sees it change under it). A chunk that
 * outgrows its region moves to a buffer of its own; one that closes is copied into a
 * `ChunkSlabs` slab, and a slab whose regions have all closed goes with its last chunk. This
 * spares each open chunk an ArrayBuffer of its own, whose bookkeeping outweighs its samples and
 * whose allocation dominated WAL replay.
 */
export class OpenRegions {
  #slab = new Uint8Array(0);
  #used = 0;

  /** A fresh, zeroed region. */
  take(): Uint8Array {
    if (this.#used + OPEN_REGION_BYTES > this.#slab.length) {
      this.#slab = new Uint8Array(SLAB_SIZE);
      this.#used = 0;
    }
    const region = this.#slab.subarray(this.#used, this.#used + OPEN_REGION_BYTES);
    this.#used += OPEN_REGION_BYTES;
    return region;
  }
}

/**
 * Whether the chunks hold a sample in [lo, hi]. From the chunks' bounds alone (their first and
 * last samples' times) unless the range falls strictly inside one chunk: then that chunk is read.
 */
export function hasSampleIn(
  chunks: readonly ChunkView[],
  n: number,
  open: ChunkView | undefined,
  lo: number,
  hi: number,
) {
  if (lo > hi) return false;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? chunks[i] : open;
    if (!c) break;
    if (c.maxT < lo) continue;
    if (c.minT > hi) return false;
    if (c.minT >= lo || c.maxT <= hi) return true;
    // lo and hi both fall between this chunk's first and last sample: look inside.
    const r = new XorReader(c.buf, c.count, c.off);
    return r.seek(lo) && r.t <= hi;
  }
  return false;
}

/**
 * Walks the samples in [lo, hi] of the first `n` of `chunks`, then `open` (see `SampleIterator`).
 * One reader decodes chunk after chunk; chunks wholly before the range, or before a `seek`
 * target, are skipped by their bounds without being read.
 */
export class ChunksIterator implements SampleIterator {
  t = 0;
  v = 0;
  readonly #reader: XorReader;
  /** The chunk being read (n: `open`); −1 before the first. */
  #i = -1;
  /** Whether the reader holds chunk #i. */
  #active = false;
  #started = false;
  #done = false;
  /** Samples before this are skipped: the range's start, raised by `seek`. */
  #from: number;
  /** Whether the reader may be before #from (a new chunk, or a seek). */
  #behind = false;

  constructor(
    private readonly chunks: readonly ChunkView[],
    private readonly n: number,
    private readonly open: ChunkView | undefined,
    lo: number,
    private readonly hi: number,
  ) {
    this.#from = lo;
    this.#reader = new XorReader(EMPTY, 0);
  }

  next(): boolean {
    if (this.#done) return false;
    const r = this.#reader;
    for (;;) {
      if (!this.#active && !this.#nextChunk()) return this.#finish();
      // Behind #from, the reader seeks (its fast loop); after that, every sample is past #from.
      const more = this.#behind ? r.seek(this.#from) : r.next();
      this.#behind = false;
      if (more) {
        const t = r.t;
        if (t > this.hi) return this.#finish();
        this.t = t;
        this.v = r.v;
        this.#started = true;
        return true;
      }
      this.#active = false;
    }
  }

  seek(t: number): boolean {
    if (this.#done) return false;
    if (this.#started && this.t >= t) return true;
    if (t > this.#from) {
      this.#from = t;
      this.#behind = true;
    }
    // The current chunk ends before the target: skip to one that may hold it without reading on.
    if (this.#active && (this.#chunk(this.#i) as ChunkView).maxT < t) this.#active = false;
    return this.next();
  }

  #chunk(i: number): ChunkView | undefined {
    return i < this.n ? this.chunks[i] : i === this.n ? this.open : undefined;
  }

  /** Loads the next chunk that may hold a sample at or after #from; false when none can. */
  #nextChunk(): boolean {
    for (;;) {
      const c = this.#chunk(++this.#i);
      if (!c || c.minT > this.hi) return false;
      if (c.maxT < this.#from) continue;
      this.#reader.reset(c.buf, c.count, c.off);
      this.#active = true;
      this.#behind = c.minT < this.#from;
      return true;
    }
  }

  #finish(): boolean {
    this.#done = true;
    this.#active = false;
    return false;
  }
}

const EMPTY = new Uint8Array(2);
