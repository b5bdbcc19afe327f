/**
 * The head keeps samples in XOR chunks cut where Prometheus 3.5.3's head cuts them: fed the
 * samples of a chunk the reference binary wrote (fixtures/xor-chunks.json) and then the next
 * sample, the head closes a chunk with exactly those bytes, whether upstream cut it by its time
 * plan (120 samples) or by size (the jittery gauge's chunk reached ~1 KiB first).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Head, MemSeries } from '../../src/storage/head.js';
import { hashLabels } from '../../src/storage/labels.js';

const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'xor-chunks.json'), 'utf8')) as {
  chunks: Array<{ series: string; bytes: string; samples: Array<[number, string]> }>;
};

const view = new DataView(new ArrayBuffer(8));
const fromBits = (hex: string) => {
  view.setBigUint64(0, BigInt(hex));
  return view.getFloat64(0);
};

function newSeries(head: Head, name: string): MemSeries {
  const labels = { __name__: name };
  return head.adopt(new MemSeries(hashLabels(labels), labels));
}

describe("the head's chunks", () => {
  for (const c of fixture.chunks) {
    it(`closes the ${c.series} chunk where upstream did, with upstream's bytes`, () => {
      const head = new Head(true);
      const s = newSeries(head, c.series);
      for (const [t, bits] of c.samples) expect(head.add(s, t, fromBits(bits))).toBe(true);
      expect(s.chunks).toHaveLength(0);
      const [lastT] = c.samples[c.samples.length - 1] as [number, string];
      head.add(s, lastT + 15_000, 1);
      expect(s.chunks).toHaveLength(1);
      const closed = s.chunks[0];
      if (!closed) throw new Error('no chunk');
      expect(closed.count).toBe(c.samples.length);
      expect(Buffer.from(closed.buf.subarray(closed.off, closed.off + c.bytes.length / 2)).toString('hex')).toBe(
        c.bytes,
      );
      expect(head.numChunks).toBe(2);
    });
  }

  it('reads a series across full chunks and the open one, and seeks by skipping whole chunks', () => {
    const head = new Head(true);
    const s = newSeries(head, 'm');
    for (let k = 0; k < 1000; k++) head.add(s, k * 15_000, k);
    expect(s.chunks.length).toBeGreaterThan(3);
    const [series] = head.querier(100 * 15_000, 900 * 15_000).select([]);
    if (!series) throw new Error('not selected');
    const seen: number[] = [];
    for (const it = series.iterator(); it.next(); ) seen.push(it.v);
    expect(seen).toEqual(Array.from({ length: 801 }, (_, i) => i + 100));
    const it = series.iterator();
    expect(it.seek(700 * 15_000 + 1)).toBe(true);
    expect([it.t, it.v]).toEqual([701 * 15_000, 701]);
    expect(it.seek(0)).toBe(true); // never moves back
    expect(it.v).toBe(701);
    expect(it.next() && it.v).toBe(702);
    expect(it.seek(901 * 15_000)).toBe(false);
  });

  it('does not select a series whose samples straddle the range without one inside it', () => {
    const head = new Head(true);
    const s = newSeries(head, 'sparse');
    head.add(s, 0, 1);
    head.add(s, 100_000, 2);
    expect(head.querier(10_000, 20_000).select([])).toEqual([]);
    expect(head.querier(10_000, 100_000).select([])).toHaveLength(1);
  });

  it('keeps what a query selected when appends go on and retention drops chunks', () => {
    const head = new Head(true);
    const s = newSeries(head, 'm');
    for (let k = 0; k < 300; k++) head.add(s, k * 15_000, k);
    const [series] = head.querier(0, Number.MAX_SAFE_INTEGER).select([]);
    for (let k = 300; k < 600; k++) head.add(s, k * 15_000, k);
    head.truncate(400 * 15_000);
    let n = 0;
    for (const it = series?.iterator(); it?.next(); ) expect(it.v).toBe(n++);
    expect(n).toBe(300);
    expect(head.numSamples).toBe(200);
  });
});
