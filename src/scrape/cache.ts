/**
 * A target's scrape cache (upstream's scrapeCache): each series of the last scrapes by its raw
 * text in the exposition (`name{label="value",…}` as written), with the final labels it was given
 * — target labels attached, metric relabeling applied, limits checked — or `null` when metric
 * relabeling dropped it. A series seen before skips all of that (and the parser skips reading its
 * labels): its sample goes to storage with the same frozen Labels object as last time, which
 * storage finds its series by.
 *
 * Lookups take the text as a range of the body, so a known series costs no string of its own:
 * entries are found by a hash of the range, then compared in place. The text format's scanner
 * reads the body's bytes, the OpenMetrics one a decoded text: a cache holds the keys of one kind
 * (the scrape loop empties it when the format changes), hashed by FNV-1a over the bytes
 * (`hashBytes`) or over the UTF-16 code units (`hashRange`), the same whether the parser computes
 * it as it scans or the function does.
 */
import type { Labels } from '../storage/index.js';

/** One known series. */
export interface CacheEntry {
  /** The series text: its bytes (text format) or its decoded text (OpenMetrics). */
  readonly key: Uint8Array | string;
  readonly hash: number;
  /** Its final labels (frozen), or null when metric relabeling drops it. */
  readonly labels: Labels | null;
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

/** The hash of `text.slice(start, end)`, without making that string. */
export function hashRange(text: string, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h & HASH_MASK;
}

export class SeriesCache {
  readonly #table = new Map<number, CacheEntry>();
  #size = 0;
  /** The last successful scrape (see `succeeded`). */
  #lastGood = -1;
  /** How many entries the scrape in progress has seen. */
  #seenNow = 0;

  get size(): number {
    return this.#size;
  }

  /** The entry for the series bytes `b[start, end)`, whose hash (hashBytes) is `hash`. */
  find(b: Uint8Array, start: number, end: number, hash: number): CacheEntry | undefined {
    const length = end - start;
    for (let e = this.#table.get(hash); e !== undefined; e = e.next) {
      const key = e.key;
      if (key.length !== length || typeof key === 'string') continue;
      let k = 0;
      while (k < length && b[start + k] === key[k]) k++;
      if (k === length) return e;
    }
    return undefined;
  }

  /** The entry for the series text `text.slice(start, end)`, whose hash (hashRange) is `hash`. */
  findText(text: string, start: number, end: number, hash: number): CacheEntry | undefined {
    const length = end - start;
    for (let e = this.#table.get(hash); e !== undefined; e = e.next) {
      if (typeof e.key === 'string' && e.key.length === length && text.startsWith(e.key, start)) return e;
    }
    return undefined;
  }

  /** The entry whose key is `key` (of the kind this cache holds; of the other, none). */
  findKey(key: Uint8Array | string): CacheEntry | undefined {
    return typeof key === 'string'
      ? this.findText(key, 0, key.length, hashRange(key, 0, key.length))
      : this.find(key, 0, key.length, hashBytes(key, 0, key.length));
  }

  /** The first series of the last scrape (see CacheEntry.after). */
  first: CacheEntry | undefined;

  /** Adds a series not in the cache; its labels are frozen, as storage keeps them by identity. */
  add(key: Uint8Array | string, hash: number, labels: Labels | null): CacheEntry {
    const entry: CacheEntry = {
      key,
      hash,
      labels: labels === null ? null : Object.freeze(labels),
      next: this.#table.get(hash),
      seen: NEVER,
      born: NEVER,
      tracked: -1,
      after: undefined,
      dead: false,
    };
    this.#table.set(hash, entry);
    this.#size++;
    return entry;
  }

  /**
   * Marks `e` seen by scrape `iter`: SEEN_AGAIN when that scrape saw it already, else NEW when it
   * was not in the last successful scrape (`scrape_series_added` counts it), else KNOWN.
   */
  see(e: CacheEntry, iter: number): number {
    const before = e.seen;
    if (before === iter) return SEEN_AGAIN;
    e.seen = iter;
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
  }

  clear(): void {
    this.#table.forEach((head) => {
      for (let e: CacheEntry | undefined = head; e; e = e.next) e.dead = true;
    });
    this.#table.clear();
    this.first = undefined;
    this.#size = 0;
    this.#seenNow = 0;
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
          this.#size--;
        }
        e = next;
      }
      if (first === undefined) this.#table.delete(hash);
      else if (first !== head) this.#table.set(hash, first);
    });
  }
}
