/**
 * An in-memory Queryable for upstream's test scripts, standing where upstream's teststorage
 * stands: it takes any series' samples in time order, however old, as teststorage's 24h blocks
 * (a 12h appendable window) take every script's loads. miniprom's TSDB keeps upstream's default
 * 1h window, which refuses a script's later `load` of older samples; the engine is exercised over
 * the real TSDB by engine.test.ts and differential.test.ts.
 */
import { compileRegex } from '../../src/regex/index.js';
import {
  compareLabels,
  type Labels,
  type Matcher,
  type Querier,
  type Queryable,
  type SampleIterator,
  type SelectedSeries,
} from '../../src/storage/index.js';

interface MemSeries {
  labels: Labels;
  ts: number[];
  vs: number[];
}

function key(l: Labels): string {
  return Object.keys(l)
    .sort()
    .map((k) => `${k}\xff${l[k]}`)
    .join('\xff');
}

/** The first index whose time is >= t (or > t with `after`). */
function lowerBound(ts: number[], t: number, after = false): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const x = ts[mid] as number;
    if (x < t || (after && x === t)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

class Iterator implements SampleIterator {
  #i: number;
  t = 0;
  v = 0;
  constructor(
    private readonly s: MemSeries,
    private readonly from: number,
    private readonly to: number,
  ) {
    this.#i = from - 1;
  }

  next(): boolean {
    return this.#move(this.#i + 1);
  }

  seek(t: number): boolean {
    if (this.#i >= this.to) return false;
    if (this.#i >= this.from && this.t >= t) return true;
    return this.#move(Math.max(this.#i + 1, lowerBound(this.s.ts, t), this.from));
  }

  #move(i: number): boolean {
    if (i >= this.to) {
      this.#i = this.to;
      return false;
    }
    this.#i = i;
    this.t = this.s.ts[i] as number;
    this.v = this.s.vs[i] as number;
    return true;
  }
}

function matches(m: Matcher, v: string): boolean {
  switch (m.type) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return compileRegex(m.value).test(v);
    default:
      return !compileRegex(m.value).test(v);
  }
}

export class MemoryStorage implements Queryable {
  readonly #series = new Map<string, MemSeries>();

  /** Appends a sample; like upstream, one at or before the series' last time is refused (false). */
  append(labels: Labels, t: number, v: number): boolean {
    const k = key(labels);
    let s = this.#series.get(k);
    if (!s) {
      s = { labels, ts: [], vs: [] };
      this.#series.set(k, s);
    }
    const last = s.ts[s.ts.length - 1];
    if (last !== undefined && t <= last) return false;
    s.ts.push(t);
    s.vs.push(v);
    return true;
  }

  querier(mint: number, maxt: number): Querier {
    const selectRaw = (matchers: readonly Matcher[]) => {
      const out: { s: MemSeries; from: number; to: number }[] = [];
      for (const s of this.#series.values()) {
        if (!matchers.every((m) => matches(m, s.labels[m.name] ?? ''))) continue;
        const from = lowerBound(s.ts, mint);
        const to = lowerBound(s.ts, maxt, true);
        if (from < to) out.push({ s, from, to });
      }
      return out.sort((a, b) => compareLabels(a.s.labels, b.s.labels));
    };
    return {
      select: (matchers): SelectedSeries[] =>
        selectRaw(matchers).map(({ s, from, to }) => ({ labels: s.labels, iterator: () => new Iterator(s, from, to) })),
      labelNames: (matchers) => [...new Set(selectRaw(matchers).flatMap(({ s }) => Object.keys(s.labels)))].sort(),
      labelValues: (name, matchers) =>
        [...new Set(selectRaw(matchers).flatMap(({ s }) => (s.labels[name] ? [s.labels[name] as string] : [])))].sort(),
    };
  }
}
