/**
 * The XOR chunk is upstream's encoding bit for bit: the samples Prometheus 3.5.3 wrote into its
 * head chunks encode to the very bytes it wrote (fixtures/xor-chunks.json), and every chunk decodes
 * back to exactly the samples appended, NaN payloads included.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { XorAppender, XorReader } from '../../src/storage/chunkenc.js';

interface FixtureChunk {
  series: string;
  encoding: number;
  bytes: string;
  samples: Array<[number, string]>;
}
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'xor-chunks.json'), 'utf8')) as {
  chunks: FixtureChunk[];
};

const view = new DataView(new ArrayBuffer(8));
const fromBits = (hex: string) => {
  view.setBigUint64(0, BigInt(hex));
  return view.getFloat64(0);
};
const bitsOf = (v: number) => {
  view.setFloat64(0, v);
  return `0x${view.getBigUint64(0).toString(16).padStart(16, '0')}`;
};

/**
 * Samples as [time, value bits]: values stay bit strings until the append itself, since an array
 * of doubles may set a NaN's quiet bit (V8) and the test would lose what it means to check.
 */
function encode(samples: ReadonlyArray<readonly [number, string]>): XorAppender {
  const app = new XorAppender();
  for (const [t, bits] of samples) expect(app.append(t, fromBits(bits))).toBe(true);
  return app;
}

function decode(bytes: Uint8Array, count?: number): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  for (const r = new XorReader(bytes, count); r.next(); ) out.push([r.t, bitsOf(r.v)]);
  return out;
}

describe('XOR chunks as Prometheus 3.5.3 writes them', () => {
  it('has a fixture chunk for each kind of series', () => {
    expect(fixture.chunks.map((c) => c.series).sort()).toEqual([
      'fixture_constant',
      'fixture_counter',
      'fixture_gauge',
      'fixture_special',
    ]);
    for (const c of fixture.chunks) expect(c.encoding).toBe(1); // EncXOR
  });

  for (const c of fixture.chunks) {
    it(`encodes the ${c.series} samples to upstream's bytes`, () => {
      const app = encode(c.samples);
      expect(Buffer.from(app.bytes()).toString('hex')).toBe(c.bytes);
    });

    it(`decodes upstream's ${c.series} chunk to the samples it holds`, () => {
      expect(decode(Buffer.from(c.bytes, 'hex'))).toEqual(c.samples);
    });
  }
});

describe('XOR chunk round trips', () => {
  it('keeps NaN payloads, the staleness marker, infinities and negative zero bit for bit', () => {
    const values = [
      '0x7ff0000000000002',
      '0x7ff8000000000001',
      '0x7ff8000000000000',
      '0xfff8000000000000',
      '0x7ff0000000000000',
      '0xfff0000000000000',
      '0x8000000000000000',
      '0x0000000000000000',
      '0x0000000000000001',
      '0x7fefffffffffffff',
      '0x7ff0000000000002',
    ];
    const samples = values.map((bits, i): [number, string] => [1000 * i, bits]);
    const app = encode(samples);
    expect(decode(app.bytes())).toEqual(samples);
  });

  it('takes deltas of every size, negative delta-of-deltas and times before 1970', () => {
    const times = [-5_000_000_000_000, -4_999_999_999_000, 0, 1, 2, 8194, 8195, 73_731, 598_019, 598_020, 2 ** 52];
    const samples = times.map((t, i): [number, string] => [t, bitsOf(i * 1.5)]);
    const app = encode(samples);
    expect(decode(app.bytes())).toEqual(samples);
  });

  it('refuses a sample not newer than the last, writing nothing', () => {
    const app = new XorAppender();
    expect(app.append(1000, 1)).toBe(true);
    expect(app.append(2000, 2)).toBe(true);
    const before = Buffer.from(app.bytes()).toString('hex');
    expect(app.append(2000, 3)).toBe(false);
    expect(app.append(1500, 3)).toBe(false);
    expect(Buffer.from(app.bytes()).toString('hex')).toBe(before);
    expect(app.count).toBe(2);
    expect(app.append(3000, 3)).toBe(true);
    expect(decode(app.bytes())).toEqual([
      [1000, bitsOf(1)],
      [2000, bitsOf(2)],
      [3000, bitsOf(3)],
    ]);
  });

  it('lets a reader limited to the samples it saw keep reading while appends go on', () => {
    const app = new XorAppender(16);
    for (let i = 0; i < 5; i++) app.append(i * 1000, Math.sqrt(i));
    const seen = app.buf;
    for (let i = 5; i < 200; i++) app.append(i * 1000, Math.sqrt(i));
    expect(decode(seen, 5)).toEqual([0, 1, 2, 3, 4].map((i) => [i * 1000, bitsOf(Math.sqrt(i))]));
    expect(decode(app.buf, 200)).toHaveLength(200);
  });

  it('seeks to the first sample at or after a time, and reads on from there, as reading one by one does', () => {
    const chunks = [
      ...fixture.chunks.map((c) => Buffer.from(c.bytes, 'hex')),
      encode(
        [-5_000_000_000_000, -4_999_999_999_000, 0, 1, 2, 8194, 8195, 73_731, 598_019, 598_020, 2 ** 52].map(
          (t, i): [number, string] => [t, bitsOf(i * 1.5)],
        ),
      ).bytes(),
      encode(
        ['0x7ff0000000000002', '0x8000000000000000', '0x7fefffffffffffff', '0x0000000000000001'].map(
          (b, i): [number, string] => [i * 15_000, b],
        ),
      ).bytes(),
    ];
    for (const bytes of chunks) {
      const all = decode(bytes);
      const targets = all.flatMap(([t]) => [t - 1, t, t + 1]);
      for (const target of [Number.NEGATIVE_INFINITY, ...targets, Number.POSITIVE_INFINITY]) {
        // From the start, and from a reader already a few samples in (it never moves back).
        for (const before of [0, 1, 2, 5].filter((n) => n <= all.length)) {
          const r = new XorReader(bytes);
          for (let i = 0; i < before; i++) r.next();
          const first = all.findIndex(([t]) => t >= target);
          const from = first < 0 ? -1 : Math.max(before - 1, first);
          const want = from < 0 ? [] : all.slice(from);
          const got: Array<[number, string]> = [];
          if (r.seek(target)) for (got.push([r.t, bitsOf(r.v)]); r.next(); ) got.push([r.t, bitsOf(r.v)]);
          expect(got, `seek(${target}) after ${before}`).toEqual(want);
        }
      }
    }
  });

  it('reads an empty chunk as no samples', () => {
    expect(decode(new XorAppender().bytes())).toEqual([]);
  });
});
