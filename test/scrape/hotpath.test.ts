/**
 * The scrape hot path's parts: the series cache (found by a range of the body, without a string
 * of its own), the text scanner skipping the labels of a series the cache knows (and failing on
 * the rest of its line exactly as a full read does), and the quick reading of plain decimals.
 */
import { describe, expect, it } from 'vitest';
import { hashRange, SeriesCache } from '../../src/scrape/cache.js';
import { TextScanner } from '../../src/scrape/parser.js';

/** Scans `body` with `cache`: which lines were known (hit) and which were read in full (visit). */
function scan(body: string, cache: SeriesCache) {
  const hits: Array<[string, number, number | undefined]> = [];
  const read: Array<{ labels: Record<string, string>; series: string; hash: number | undefined }> = [];
  new TextScanner(body).scan(
    (labels, _value, _timestamp, start, end, hash) => read.push({ labels, series: body.slice(start, end), hash }),
    undefined,
    Number.POSITIVE_INFINITY,
    { cache, hit: (e, value, timestamp) => hits.push([e.key, value, timestamp]) },
  );
  return { hits, read };
}

describe('SeriesCache', () => {
  it('finds an entry by a range of a text and its hash, comparing the text in place', () => {
    const cache = new SeriesCache();
    const key = 'm{a="1"}';
    const e = cache.add(key, hashRange(key, 0, key.length), { __name__: 'm', a: '1' });
    const body = `x 1\nm{a="1"} 2\n`;
    expect(cache.find(body, 4, 12, hashRange(body, 4, 12))).toBe(e);
    expect(cache.find(body, 4, 11, hashRange(body, 4, 11))).toBeUndefined();
  });

  it('keeps entries of the same hash apart', () => {
    const cache = new SeriesCache();
    const a = cache.add('a', 7, null);
    const b = cache.add('b', 7, { __name__: 'b' });
    expect(cache.find('a', 0, 1, 7)).toBe(a);
    expect(cache.find('b', 0, 1, 7)).toBe(b);
    expect(cache.find('c', 0, 1, 7)).toBeUndefined();
  });

  it('freezes the labels it keeps: storage may hold them by identity', () => {
    const e = new SeriesCache().add('m', hashRange('m', 0, 1), { __name__: 'm' });
    expect(Object.isFrozen(e.labels)).toBe(true);
  });

  it('after a successful scrape keeps only what it saw, marked as in the last scrape', () => {
    const cache = new SeriesCache();
    const seen = cache.add('a', 1, null);
    const gone = cache.add('b', 1, null);
    seen.seen = 5;
    gone.seen = 4;
    cache.keepOnly(5);
    expect(cache.size).toBe(1);
    expect(cache.find('a', 0, 1, 1)).toBe(seen);
    expect(seen.inLast).toBe(true);
    expect(cache.find('b', 0, 1, 1)).toBeUndefined();
  });

  it('after a failed scrape forgets the series that scrape added, and keeps the last scrape’s', () => {
    const cache = new SeriesCache();
    const old = cache.add('a', 1, null);
    old.inLast = true;
    cache.add('b', 2, null);
    cache.forgetNew();
    expect(cache.size).toBe(1);
    expect(cache.find('a', 0, 1, 1)).toBe(old);
  });
});

describe('the text scanner with a series cache', () => {
  it('hands a series it does not know to the visitor with the hash of its text', () => {
    const body = 'a 1\n  b{x="y"} 2 1000\nc {z="w"} 3\n';
    const { read, hits } = scan(body, new SeriesCache());
    expect(hits).toEqual([]);
    expect(read.map((r) => r.series)).toEqual(['a', '  b{x="y"}', 'c {z="w"}']);
    for (const r of read) expect(r.hash).toBe(hashRange(r.series, 0, r.series.length));
  });

  it('skips the labels of a series it knows: the entry, the value and the timestamp go to hit', () => {
    const cache = new SeriesCache();
    const first = scan('a 1\nb{x="y",q="a}b"} 2 1000\n', cache);
    for (const r of first.read) cache.add(r.series, r.hash as number, r.labels);
    const second = scan('a 5\nb{x="y",q="a}b"} 6 2000\nb{x="z"} 7\n', cache);
    expect(second.hits).toEqual([
      ['a', 5, undefined],
      ['b{x="y",q="a}b"}', 6, 2000],
    ]);
    expect(second.read.map((r) => r.series)).toEqual(['b{x="z"}']);
  });

  it('fails the rest of a known line with the errors a full read gives', () => {
    const lines = ['m{a="1"} x\n', 'm{a="1"}{b="2"} 1\n', 'm{a="1"} 1 2 3\n', 'm{a="1"} 1 -5\n'];
    const errorOf = (body: string, cache: SeriesCache) => {
      try {
        scan(body, cache);
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    };
    const known = new SeriesCache();
    const key = 'm{a="1"}';
    known.add(key, hashRange(key, 0, key.length), { __name__: 'm', a: '1' });
    for (const line of lines) {
      const full = errorOf(line, new SeriesCache());
      expect(full).not.toBe('');
      expect(errorOf(line, known), line).toBe(full);
    }
  });

  it('never takes a longer or shorter text for a known one', () => {
    const cache = new SeriesCache();
    for (const key of ['m', 'm{a="1"}']) cache.add(key, hashRange(key, 0, key.length), { __name__: 'm' });
    const { hits, read } = scan('mm 1\nm{a="1",b="2"} 2\nm{a="1"} 3\nm 4\n', cache);
    expect(hits.map(([key]) => key)).toEqual(['m{a="1"}', 'm']);
    expect(read.map((r) => r.series)).toEqual(['mm', 'm{a="1",b="2"}']);
  });
});

describe('reading values', () => {
  it('reads plain decimals and exponents exactly as ParseFloat (and JavaScript) round them', () => {
    const values: string[] = [
      '0.1',
      '-0.0',
      '123456789.012345',
      '.5',
      '7.',
      '1.000000000000001',
      '99999999999999.9',
      '4.9351e-05',
      '7.424100000000001e-05',
      '1e22',
      '1e23',
      '-2.5E+3',
      '1e-22',
      '3e-23',
      '123456789012345e22',
      '0e0',
      '1e0100',
    ];
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let i = 0; i < 2000; i++) {
      const digits = String(random()).padStart(10, '0') + String(random() % 100000);
      const point = random() % (digits.length + 1);
      const exponent = random() % 3 === 0 ? `e${random() % 2 ? '-' : '+'}${random() % 40}` : '';
      values.push(`${random() % 2 ? '-' : ''}${digits.slice(0, point)}.${digits.slice(point)}${exponent}`);
    }
    const body = values.map((v, i) => `m{i="${i}"} ${v}\n`).join('');
    const got: number[] = [];
    new TextScanner(body).scan((_l, value) => got.push(value), undefined, Number.POSITIVE_INFINITY);
    expect(got.map((v) => (Object.is(v, -0) ? '-0' : v))).toEqual(
      values.map((v) => (Object.is(Number(v), -0) ? '-0' : Number(v))),
    );
  });
});
