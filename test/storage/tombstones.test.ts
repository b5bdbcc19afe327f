import { describe, expect, it } from 'vitest';
import type { Querier, SampleIterator } from '../../src/storage/index.js';
import { decodeStones, encodeStones, Tombstones } from '../../src/storage/tombstones.js';

/** An iterator over `ts` (values = times). */
function over(ts: number[]): SampleIterator {
  let i = -1;
  return {
    next: () => ++i < ts.length,
    seek(t) {
      if (i < 0) i = 0;
      while (i < ts.length && (ts[i] as number) < t) i++;
      return i < ts.length;
    },
    get t() {
      return ts[i] as number;
    },
    get v() {
      return ts[i] as number;
    },
  };
}

function querierOf(series: Record<string, number[]>): Querier {
  return {
    select: () => Object.entries(series).map(([job, ts]) => ({ labels: { job }, iterator: () => over(ts) })),
    labelNames: () => ['job'],
    labelValues: () => Object.keys(series),
  };
}

function drain(it: SampleIterator): number[] {
  const out: number[] = [];
  while (it.next()) out.push(it.t);
  return out;
}

describe('Tombstones', () => {
  it('merges overlapping and touching intervals, as upstream Intervals.Add', () => {
    const t = new Tombstones();
    t.add({ job: 'a' }, { mint: 10, maxt: 20 });
    t.add({ job: 'a' }, { mint: 30, maxt: 40 });
    t.add({ job: 'a' }, { mint: 21, maxt: 29 });
    t.add({ job: 'a' }, { mint: 50, maxt: 60 });
    expect(t.get({ job: 'a' })).toEqual([
      { mint: 10, maxt: 40 },
      { mint: 50, maxt: 60 },
    ]);
    expect(t.get({ job: 'b' })).toBeUndefined();
  });

  it('skips deleted samples in next and seek, and drops series left empty', () => {
    const t = new Tombstones();
    t.add({ job: 'a' }, { mint: 2, maxt: 3 });
    t.add({ job: 'gone' }, { mint: 0, maxt: 100 });
    const q = t.filter(querierOf({ a: [1, 2, 3, 4], gone: [5, 6], kept: [7] }));
    const selected = q.select([]);
    expect(selected.map((s) => s.labels.job)).toEqual(['a', 'kept']);
    expect(drain(selected[0]?.iterator() as SampleIterator)).toEqual([1, 4]);
    const it = selected[0]?.iterator() as SampleIterator;
    expect(it.seek(2)).toBe(true);
    expect(it.t).toBe(4);
  });

  it('leaves a querier untouched when nothing is deleted', () => {
    const q = querierOf({ a: [1] });
    expect(new Tombstones().filter(q)).toBe(q);
  });

  it("encodes records as upstream's uvarint ref, varint mint, varint maxt, MinTime and MaxTime included", () => {
    const stones = [
      { ref: 1, interval: { mint: -9223309901257974000, maxt: 9223309901257974000 } },
      { ref: 300, interval: { mint: -1, maxt: 1700000000000 } },
    ];
    const payload = encodeStones(stones);
    // ref 1 is one byte; -1 zigzags to 1.
    expect(payload[0]).toBe(1);
    expect(decodeStones(payload)).toEqual(stones);
    expect(() => decodeStones(payload.subarray(0, payload.length - 1))).toThrow('decode tombstones');
  });
});
