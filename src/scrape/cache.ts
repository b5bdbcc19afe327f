/**
 * A target's scrape cache (upstream's scrapeCache): each series of the last scrapes by its raw
 * text in the exposition (`name{label="value",…}` as written), with the final labels it was given
 * — target labels attached, metric relabeling applied, limits checked — or `null` when metric
 * relabeling dropped it. A series seen before skips all of that (and the parser skips reading its
 * labels): its sample goes to storage with the same frozen Labels object as last time, and with
 * the entry itself as the holder of storage's reference to its series (upstream's ref), which
 * storage finds its series by.
 *
 * Lookups take the text as a range of the body, so a known series costs no string of its own:
 * entries are found by a hash of the range (FNV-1a over the bytes, `hashBytes`, the same whether
 * the parser computes it as it scans or the function does), then compared in place.
 *
 * Byte keys live in one arena, in the order their series were first seen: a scrape compares its
 * lines with keys one after the other, so the reads go forward through one block of memory (100k
 * keys in their own small buffers cost a server with a large heap ~50 ms a scrape in cache misses,
 * and ~100 bytes each of buffer objects). Keys of entries that left the cache are reclaimed by
 * copying the live ones, in the last scrape's order, once they are more than half of it.
 */
import type { Labels, SeriesRefHolder } from '../storage/index.js';

/**
 * One known series. It is also storage's reference holder for it (SeriesRefHolder,
 * upstream's ref in its scrapeCache entries): each append passes the entry, and storage finds the
 * series again without hashing its labels.
 */
export interface CacheEntry extends SeriesRefHolder {
  /** Where the series text's bytes start in the cache's arena (they move when it is compacted). */
  at: number;
  /** The length of the series text in bytes. */
  readonly length: number;
  readonly hash: number;
  /**
   * Its final labels (frozen), or null when metric relabeling drops it. Once storage has found its
   * series, storage's own equal label set (see SeriesRefHolder.labels): either never changes.
   */
  labels: Labels | null;
  /** The next entry of the same hash. */
  next: CacheEntry | undefined;
  /**
   * The scrape (iteration) that last saw it (see `see`): a second sample of it in that scrape is
   * ignored. Between scrapes every entry's is the last successful scrape's.
   */
  seen: number;
  /** The scrape that added it. */
  born: number;
  /** The scrape that last appended it at the scrape's time: that scrape watches it for staleness. */
  tracked: number;
  /**
   * The series that came after it in the last scrape that saw it: the parser compares the next
   * line with that one first (expositions keep their order from scrape to scrape).
   */
  after: CacheEntry | undefined;
  /** It has left the cache: an `after` that still points to it must not be taken. */
  dead: boolean;
}

/** `see`'s answers. */
export const SEEN_AGAIN = 0;
export const KNOWN = 1;
export const NEW = 2;
/** The `seen` of an entry no scrape has seen yet (never a scrape's iteration, nor the initial #lastGood). */
const NEVER = -2;

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
/** Hashes are cut to 30 bits, which V8 keeps as small integers (Map keys without a heap number). */
const HASH_MASK = 0x3fffffff;

/** Starts a hash (see `hashStep` and `hashEnd`). */
export function hashStart(): number {
  return FNV_OFFSET;
}

/** Adds one code unit to a hash. */
export function hashStep(h: number, c: number): number {
  return Math.imul(h ^ c, FNV_PRIME);
}

/** The finished hash. */
export function hashEnd(h: number): number {
  return h & HASH_MASK;
}

/** The hash of `b[start, end)`. */
export function hashBytes(b: Uint8Array, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ (b[i] as number), FNV_PRIME);
  return h & HASH_MASK;
}

export class SeriesCache {
  readonly #table = new Map<number, CacheEntry>();
  #size = 0;
  /** The last successful scrape (see `succeeded`). */
  #lastGood = -1;
  /** How many entries the scrape in progress has seen. */
  #seenNow = 0;
  /** The entry the scrape in progress saw last. */
  #lastSeen: CacheEntry | undefined;
  #arena: Buffer = Buffer.allocUnsafeSlow(0);
  #arenaView: DataView = new DataView(this.#arena.buffer);
  /** The body bytesAt last compared with, and a view of it. */
  #body: Uint8Array | undefined;
  #bodyView: DataView = this.#arenaView;
  /** The arena's bytes in use, and how many of those are keys of entries no longer in the cache. */
  #used = 0;
  #wasted = 0;

  get size(): number {
    return this.#size;
  }

  /** The byte keys (see the module's comment); replaced when it grows or is compacted. */
  get arena(): Buffer {
    return this.#arena;
  }

  /**
   * Whether `b[start, …)` starts with the bytes of `e`. Four bytes at a time
   * through DataViews (TurboFan inlines their loads): twice as fast as byte by byte on 100k keys.
   */
  bytesAt(b: Uint8Array, start: number, e: CacheEntry): boolean {
    const length = e.length;
    if (start + length > b.length) return false;
    if (b !== this.#body) {
      this.#body = b;
      this.#bodyView = new DataView(b.buffer, b.byteOffset, b.byteLength);
    }
    const body = this.#bodyView;
    const arena = this.#arenaView;
    const at = e.at;
    let k = 0;
    for (; k + 4 <= length; k += 4) if (body.getInt32(start + k) !== arena.getInt32(at + k)) return false;
    for (; k < length; k++) if (body.getUint8(start + k) !== arena.getUint8(at + k)) return false;
    return true;
  }

  /** The entry for the series bytes `b[start, end)`, whose hash (hashBytes) is `hash`. */
  find(b: Uint8Array, start: number, end: number, hash: number): CacheEntry | undefined {
    const length = end - start;
    for (let e = this.#table.get(hash); e !== undefined; e = e.next) {
      if (e.length === length && this.bytesAt(b, start, e)) return e;
    }
    return undefined;
  }

  /** An entry's series text (a view of the arena, valid until the next add). */
  keyOf(e: CacheEntry): Uint8Array {
    return this.#arena.subarray(e.at, e.at + e.length);
  }

  /** The entry whose series text is `key`. */
  findKey(key: Uint8Array): CacheEntry | undefined {
    return this.find(key, 0, key.length, hashBytes(key, 0, key.length));
  }

  /** The first series of the last scrape (see CacheEntry.after). */
  first: CacheEntry | undefined;

  /**
   * Adds a series not in the cache, by its series text (copied into the arena). Its labels are
   * frozen: they are handed to storage with the entry every scrape, and must not change.
   */
  add(key: Uint8Array, hash: number, labels: Labels | null): CacheEntry {
    const at = this.#used;
    if (at + key.length > this.#arena.length) this.#grow(key.length);
    this.#arena.set(key, at);
    this.#used = at + key.length;
    const entry: CacheEntry = {
      at,
      length: key.length,
      hash,
      labels: labels === null ? null : Object.freeze(labels),
      next: this.#table.get(hash),
      seen: NEVER,
      born: NEVER,
      tracked: -1,
      after: undefined,
      dead: false,
      seriesRef: undefined,
      seriesRefOwner: undefined,
    };
    this.#table.set(hash, entry);
    this.#size++;
    return entry;
  }

  #setArena(arena: Buffer): void {
    this.#arena = arena;
    this.#arenaView = new DataView(arena.buffer, arena.byteOffset, arena.byteLength);
  }

  /** Makes room for `more` bytes in the arena. */
  #grow(more: number): void {
    const arena = Buffer.allocUnsafeSlow(Math.max(2 * this.#arena.length, this.#used + more, 4096));
    this.#arena.copy(arena, 0, 0, this.#used);
    this.#setArena(arena);
  }

  /**
   * Copies the live keys into a new arena in the last scrape's order (the chain from `first`,
   * which after a successful scrape holds every live entry), when dead keys are most of it.
   */
  #compact(): void {
    if (this.#wasted < 65536 || this.#wasted * 2 < this.#used) return;
    // Only when the chain holds every entry (it does after a successful scrape; anything else
    // would lose keys).
    let n = 0;
    for (let e = this.first; n < this.#size && e !== undefined && !e.dead; e = e.after) n++;
    if (n !== this.#size) return;
    const live = this.#used - this.#wasted;
    const arena = Buffer.allocUnsafeSlow(Math.max(live + (live >> 2), 4096));
    let used = 0;
    let e = this.first;
    for (let k = 0; k < n && e !== undefined; k++, e = e.after) {
      this.#arena.copy(arena, used, e.at, e.at + e.length);
      e.at = used;
      used += e.length;
    }
    this.#setArena(arena);
    this.#used = used;
    this.#wasted = 0;
  }

  /**
   * Marks `e` seen by scrape `iter` (and as the series after the one seen before it): SEEN_AGAIN when that scrape saw it already, else NEW when it
   * was not in the last successful scrape (`scrape_series_added` counts it), else KNOWN.
   */
  see(e: CacheEntry, iter: number): number {
    const before = e.seen;
    if (before === iter) return SEEN_AGAIN;
    e.seen = iter;
    // The order of this scrape, which the next one expects (see `after`).
    if (this.#seenNow === 0) this.first = e;
    else if (this.#lastSeen !== undefined) this.#lastSeen.after = e;
    this.#lastSeen = e;
    this.#seenNow++;
    if (before === this.#lastGood) return KNOWN;
    e.born = iter;
    return NEW;
  }

  /**
   * After a successful scrape `iter`: the series it saw are the last scrape's; the others are
   * forgotten (upstream's iterDone with a flush). When it saw every entry (the usual case: the
   * same series as last time, maybe more), nothing has to be visited.
   */
  succeeded(iter: number): void {
    if (this.#seenNow !== this.#size) this.#retain((e) => e.seen === iter);
    this.#lastGood = iter;
    this.#seenNow = 0;
    this.#lastSeen = undefined;
    this.#compact();
  }

  /**
   * After a failed scrape `iter`: what it added is forgotten, so that the cache holds no more than
   * the series of the last successful scrape (a target failing with ever new series cannot grow
   * it); those it saw again are the last successful scrape's as before.
   */
  failed(iter: number): void {
    this.#retain((e) => {
      if (e.seen !== iter) return true;
      if (e.born === iter) return false;
      e.seen = this.#lastGood;
      return true;
    });
    this.#seenNow = 0;
    this.#lastSeen = undefined;
  }

  /**
   * Empties the cache: every entry dead. With `keepKeys`, keyOf still answers for them (the scrape
   * loop compares the series of a replaced cache with the new one's).
   */
  clear(keepKeys = false): void {
    this.#table.forEach((head) => {
      for (let e: CacheEntry | undefined = head; e; e = e.next) e.dead = true;
    });
    this.#table.clear();
    this.first = undefined;
    this.#size = 0;
    if (!keepKeys) {
      this.#setArena(Buffer.allocUnsafeSlow(0));
      this.#body = undefined;
      this.#used = 0;
      this.#wasted = 0;
    }
    this.#seenNow = 0;
    this.#lastSeen = undefined;
  }

  /**
   * Keeps the entries `keep` says yes to (it is called once on each, and may update it). By
   * forEach: a for-of over the Map makes an [key, value] array per entry.
   */
  #retain(keep: (e: CacheEntry) => boolean): void {
    this.#table.forEach((head, hash) => {
      let first: CacheEntry | undefined;
      let last: CacheEntry | undefined;
      for (let e: CacheEntry | undefined = head; e !== undefined; ) {
        const next: CacheEntry | undefined = e.next;
        if (keep(e)) {
          e.next = undefined;
          if (last === undefined) first = e;
          else last.next = e;
          last = e;
        } else {
          e.dead = true;
          this.#wasted += e.length;
          this.#size--;
        }
        e = next;
      }
      if (first === undefined) this.#table.delete(hash);
      else if (first !== head) this.#table.set(hash, first);
    });
  }
}
