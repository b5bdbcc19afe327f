/**
 * Tombstones: what `/api/v1/admin/tsdb/delete_series` deletes, as upstream's head keeps it. A
 * deletion does not remove samples; it records, per series, time intervals whose samples queries
 * no longer see. Each deletion is written to the WAL first as upstream's tombstone record (type 3:
 * per series its WAL ref, then the interval's mint and maxt, as uvarint, varint, varint), so a
 * restart replays it, and a snapshot of the WAL carries it.
 *
 * Kept apart from the head's sample storage: the head is asked only for the series' WAL refs,
 * and queries are filtered around the head's querier.
 */
import type { Labels, Querier, SampleIterator, SelectedSeries } from './types.js';

/** Upstream's WAL record type for tombstones. */
export const RECORD_TOMBSTONES = 3;

/** A closed interval of milliseconds, as upstream's tombstones.Interval. */
export interface Interval {
  mint: number;
  maxt: number;
}

/** One series' deletion, as the WAL record carries it. */
export interface Stone {
  ref: number;
  interval: Interval;
}

/** The key a series' tombstones are kept under: its labels, sorted. */
function keyOf(labels: Labels): string {
  return JSON.stringify(
    Object.keys(labels)
      .sort()
      .flatMap((name) => [name, labels[name]]),
  );
}

/** Adds `add` to sorted, disjoint `list`, merging what overlaps or touches (upstream's Intervals.Add). */
function addInterval(list: Interval[], add: Interval): Interval[] {
  const out: Interval[] = [];
  let merged = { ...add };
  for (const iv of list) {
    if (iv.maxt + 1 < merged.mint) out.push(iv);
    else if (merged.maxt + 1 < iv.mint) {
      out.push(merged);
      merged = iv;
    } else merged = { mint: Math.min(iv.mint, merged.mint), maxt: Math.max(iv.maxt, merged.maxt) };
  }
  out.push(merged);
  return out.sort((a, b) => a.mint - b.mint);
}

/** The deleted intervals, by series. */
export class Tombstones {
  readonly #bySeries = new Map<string, Interval[]>();

  /** Marks `interval` of the series with `labels` deleted. */
  add(labels: Labels, interval: Interval): void {
    const key = keyOf(labels);
    this.#bySeries.set(key, addInterval(this.#bySeries.get(key) ?? [], interval));
  }

  /** The series' deleted intervals, sorted (none: undefined). */
  get(labels: Labels): readonly Interval[] | undefined {
    return this.#bySeries.size === 0 ? undefined : this.#bySeries.get(keyOf(labels));
  }

  /** How many series have deleted intervals. */
  get size(): number {
    return this.#bySeries.size;
  }

  /**
   * `querier` as queries should see it: samples in deleted intervals skipped, and series left
   * with no sample in [mint, maxt] not selected at all, as upstream's querier drops them.
   */
  filter(querier: Querier): Querier {
    if (this.#bySeries.size === 0) return querier;
    return {
      labelNames: (matchers) => querier.labelNames(matchers),
      labelValues: (name, matchers, hints) => querier.labelValues(name, matchers, hints),
      select: (matchers, hints) => {
        const out: SelectedSeries[] = [];
        for (const series of querier.select(matchers, hints)) {
          const deleted = this.get(series.labels);
          if (!deleted) {
            out.push(series);
            continue;
          }
          const kept: SelectedSeries = { labels: series.labels, iterator: () => skipping(series.iterator(), deleted) };
          if (kept.iterator().next()) out.push(kept);
        }
        return out;
      },
    };
  }
}

/** Whether `t` falls in one of the sorted `intervals`. */
function isDeleted(t: number, intervals: readonly Interval[]): boolean {
  for (const iv of intervals) {
    if (t < iv.mint) return false;
    if (t <= iv.maxt) return true;
  }
  return false;
}

/** `inner` without the samples in `intervals`. */
function skipping(inner: SampleIterator, intervals: readonly Interval[]): SampleIterator {
  const iterator: SampleIterator = {
    next() {
      while (inner.next()) if (!isDeleted(inner.t, intervals)) return true;
      return false;
    },
    seek(t) {
      if (!inner.seek(t)) return false;
      return isDeleted(inner.t, intervals) ? iterator.next() : true;
    },
    get t() {
      return inner.t;
    },
    get v() {
      return inner.v;
    },
  };
  return iterator;
}

/** Go's binary.AppendUvarint / AppendVarint, on BigInt so that upstream's MinTime and MaxTime fit. */
function putUvarint(out: number[], value: bigint): void {
  let v = value;
  while (v >= 0x80n) {
    out.push(Number((v & 0x7fn) | 0x80n));
    v >>= 7n;
  }
  out.push(Number(v));
}

function putVarint(out: number[], value: bigint): void {
  putUvarint(out, value >= 0n ? value << 1n : (-value << 1n) - 1n);
}

/** A tombstone record's payload: per stone, uvarint ref, varint mint, varint maxt. */
export function encodeStones(stones: readonly Stone[]): Buffer {
  const out: number[] = [];
  for (const { ref, interval } of stones) {
    putUvarint(out, BigInt(ref));
    putVarint(out, BigInt(Math.trunc(interval.mint)));
    putVarint(out, BigInt(Math.trunc(interval.maxt)));
  }
  return Buffer.from(out);
}

/** Decodes a tombstone record's payload; throws on a truncated one. */
export function decodeStones(payload: Buffer): Stone[] {
  let off = 0;
  const uvarint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (off >= payload.length || shift > 63n) throw new Error('decode tombstones: bad varint');
      const b = payload[off++] as number;
      value |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return value;
    }
  };
  const varint = (): number => {
    const u = uvarint();
    return Number(u & 1n ? -((u + 1n) >> 1n) : u >> 1n);
  };
  const stones: Stone[] = [];
  while (off < payload.length) {
    const ref = Number(uvarint());
    const mint = varint();
    const maxt = varint();
    stones.push({ ref, interval: { mint, maxt } });
  }
  return stones;
}
