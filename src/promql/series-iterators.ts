/**
 * How the evaluator reads a series: the latest sample within the lookback delta (instant
 * selectors), and sliding windows `(mint, maxt]` (range selectors), both over one forward-only
 * SampleIterator. Steps only move forward, so every sample is read once per selector.
 */
import { isStaleNaN, type SampleIterator, type SelectedSeries } from '../storage/index.js';
import type { FPoint, Series } from './value.js';

/** Upstream's vectorSelectorSingle over a memoized iterator. */
export class LookbackCursor {
  #valid: boolean;
  #hasPrev = false;
  #prevT = 0;
  #prevV = 0;
  /** The sample found by the last successful `at()`. */
  t = 0;
  v = 0;

  constructor(private readonly it: SampleIterator) {
    this.#valid = it.next();
  }

  /**
   * Finds the latest sample at or before `refTime` and after `refTime - lookback`; false if there is
   * none or it is a staleness marker (a stale series ends at once). `refTime` must not decrease.
   */
  at(refTime: number, lookback: number): boolean {
    const it = this.it;
    const floor = refTime - lookback;
    if (this.#valid && it.t <= floor) {
      // Everything up to here is out of the lookback window: jump.
      this.#hasPrev = false;
      this.#valid = it.seek(floor + 1);
    }
    while (this.#valid && it.t <= refTime) {
      this.#hasPrev = true;
      this.#prevT = it.t;
      this.#prevV = it.v;
      this.#valid = it.next();
    }
    if (!this.#hasPrev || this.#prevT <= floor) return false;
    if (isStaleNaN(this.#prevV)) return false;
    this.t = this.#prevT;
    this.v = this.#prevV;
    return true;
  }
}

/** Reads a series' samples into a sliding window for range selectors (upstream's matrixIterSlice). */
export class WindowCursor {
  #valid: boolean;

  constructor(private readonly it: SampleIterator) {
    this.#valid = it.next();
  }

  /**
   * Appends to `out` the non-stale samples in `(mint, maxt]` not read before, and returns how
   * many it appended (the caller counts them against max-samples). Samples at or before `mint`
   * are passed over. Points come from `spare` when it has any (see `PointPool`).
   */
  fill(mint: number, maxt: number, out: FPoint[], spare?: PointPool): number {
    const it = this.it;
    if (this.#valid && it.t <= mint) this.#valid = it.seek(mint + 1);
    let n = 0;
    while (this.#valid && it.t <= maxt) {
      const v = it.v;
      if (!isStaleNaN(v)) {
        n++;
        out.push(spare ? spare.point(it.t, v) : { t: it.t, f: v });
      }
      this.#valid = it.next();
    }
    return n;
  }
}

/**
 * Points a sliding window let go of, handed out again for the samples it reads next: a range
 * function's window drops a point or two at every step and reads as many, and making a new
 * object for each sample was a large part of a range query's garbage (upstream reuses its
 * window's buffer the same way). Only for windows whose points nobody keeps: the functions read
 * them and return new samples.
 */
export class PointPool {
  readonly #free: FPoint[] = [];

  /** A point holding (t, f): a recycled one when there is one. */
  point(t: number, f: number): FPoint {
    const p = this.#free.pop();
    if (p === undefined) return { t, f };
    p.t = t;
    p.f = f;
    return p;
  }

  /** Takes back `p`. */
  take(p: FPoint): void {
    this.#free.push(p);
  }

  /** Takes back `points[from, to)`. */
  recycle(points: readonly FPoint[], from: number, to: number): void {
    for (let i = from; i < to; i++) this.#free.push(points[i] as FPoint);
  }
}

/** A SampleIterator over in-memory points (a subquery's result read as a range selector). */
class PointsIterator implements SampleIterator {
  #i = -1;
  t = 0;
  v = 0;

  constructor(private readonly points: readonly FPoint[]) {}

  next(): boolean {
    return this.#moveTo(this.#i + 1);
  }

  seek(t: number): boolean {
    if (this.#i >= this.points.length) return false;
    if (this.#i >= 0 && this.t >= t) return true;
    let lo = Math.max(this.#i + 1, 0);
    let hi = this.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.points[mid] as FPoint).t < t) lo = mid + 1;
      else hi = mid;
    }
    return this.#moveTo(lo);
  }

  #moveTo(i: number): boolean {
    this.#i = i;
    const p = this.points[i];
    if (!p) {
      this.#i = this.points.length;
      return false;
    }
    this.t = p.t;
    this.v = p.f;
    return true;
  }
}

/** An evaluated series as a storage series (upstream's NewStorageSeries). */
export function seriesAsSelected(s: Series): SelectedSeries {
  return { labels: s.metric, iterator: () => new PointsIterator(s.floats) };
}
