/**
 * The scrape hot path's parts: the series cache (found by a range of the body's bytes, without a
 * copy of its own), the text scanner skipping the labels of a series the cache knows (and failing
 * on the rest of its line exactly as a full read does), the series expected next compared before
 * anything is hashed, and the quick reading of plain decimals.
 */
import { describe, expect, it } from 'vitest';
import { type CacheEntry, hashBytes, KNOWN, NEW, SEEN_AGAIN, SeriesCache } from '../../src/scrape/cache.js';
import { OpenMetricsScanner } from '../../src/scrape/openmetrics.js';
import { TextScanner } from '../../src/scrape/parser.js';

const bytes = (text: string) => Buffer.from(text);
/** hashBytes of a whole text's bytes. */
const hashOf = (text: string) => hashBytes(bytes(text), 0, Buffer.byteLength(text));
/** Adds `key` (as bytes) to `cache`. */
const addKey = (cache: SeriesCache, key: string, labels: Record<string, string> | null = { __name__: key }) =>
  cache.add(bytes(key), hashOf(key), labels);
const keyText = (cache: SeriesCache, e: CacheEntry) => Buffer.from(cache.keyOf(e) as Uint8Array).toString();

/** Scans `body` with `cache`: which lines were known (hit) and which were read in full (visit). */
function scan(body: string, cache: SeriesCache, expected?: CacheEntry) {
  const hits: Array<[string, number, number | undefined]> = [];
  const read: Array<{ labels: Record<string, string>; series: string; hash: number | undefined }> = [];
  const b = bytes(body);
  new TextScanner(b).scan(
    (labels, _value, _timestamp, start, end, hash) =>
      read.push({ labels, series: b.subarray(start, end).toString(), hash }),
    undefined,
    Number.POSITIVE_INFINITY,
    { cache, expected, hit: (e, value, timestamp) => hits.push([keyText(cache, e), value, timestamp]) },
  );
  return { hits, read };
}

describe('SeriesCache', () => {
  it('finds an entry by a range of the body and its hash, comparing the bytes in place', () => {
    const cache = new SeriesCache();
    const e = addKey(cache, 'm{a="1"}', { __name__: 'm', a: '1' });
    const body = bytes('x 1\nm{a="1"} 2\n');
    expect(cache.find(body, 4, 12, hashBytes(body, 4, 12))).toBe(e);
    expect(cache.find(body, 4, 11, hashBytes(body, 4, 11))).toBeUndefined();
  });

  it('keeps entries of the same hash apart', () => {
    const cache = new SeriesCache();
    const a = cache.add(bytes('a'), 7, null);
    const b = cache.add(bytes('b'), 7, { __name__: 'b' });
    expect(cache.find(bytes('a'), 0, 1, 7)).toBe(a);
    expect(cache.find(bytes('b'), 0, 1, 7)).toBe(b);
    expect(cache.find(bytes('c'), 0, 1, 7)).toBeUndefined();
  });

  it('freezes the labels it keeps: storage may hold them by identity', () => {
    const e = addKey(new SeriesCache(), 'm');
    expect(Object.isFrozen(e.labels)).toBe(true);
  });

  it('tells a series seen again in a scrape, a new one, and one of the last successful scrape', () => {
    const cache = new SeriesCache();
    const a = addKey(cache, 'a');
    expect(cache.see(a, 0)).toBe(NEW);
    expect(cache.see(a, 0)).toBe(SEEN_AGAIN);
    cache.succeeded(0);
    expect(cache.see(a, 1)).toBe(KNOWN);
  });

  it('after a successful scrape keeps only what it saw', () => {
    const cache = new SeriesCache();
    const seen = addKey(cache, 'a');
    const gone = addKey(cache, 'b');
    cache.see(seen, 4);
    cache.see(gone, 4);
    cache.succeeded(4);
    cache.see(seen, 5);
    cache.succeeded(5);
    expect(cache.size).toBe(1);
    expect(cache.findKey(bytes('a'))).toBe(seen);
    expect(cache.findKey(bytes('b'))).toBeUndefined();
    expect(gone.dead).toBe(true);
    expect(cache.see(seen, 6)).toBe(KNOWN);
  });

  it('after a failed scrape forgets the series that scrape added, and keeps the last scrape’s as they were', () => {
    const cache = new SeriesCache();
    const old = addKey(cache, 'a');
    const unseen = addKey(cache, 'c');
    cache.see(old, 1);
    cache.see(unseen, 1);
    cache.succeeded(1);
    const added = addKey(cache, 'b');
    cache.see(old, 2);
    cache.see(added, 2);
    cache.failed(2);
    expect(cache.size).toBe(2);
    expect(cache.findKey(bytes('a'))).toBe(old);
    expect(cache.findKey(bytes('b'))).toBeUndefined();
    expect(added.dead).toBe(true);
    // Still the last successful scrape's: not new to the next one.
    expect(cache.see(old, 3)).toBe(KNOWN);
    expect(cache.see(unseen, 3)).toBe(KNOWN);
  });

  it('links the series of a scrape in the order it saw them', () => {
    const cache = new SeriesCache();
    const [a, b, c] = ['a', 'b', 'c'].map((k) => addKey(cache, k)) as [CacheEntry, CacheEntry, CacheEntry];
    for (const e of [b, a, b, c]) cache.see(e, 0);
    expect(cache.first).toBe(b);
    expect(b.after).toBe(a);
    expect(a.after).toBe(c);
  });

  it('reclaims the keys of series gone once they are most of its memory, and still finds every live one', () => {
    const cache = new SeriesCache();
    const key = (i: number) => `series_with_a_long_name{instance="host-${i}",job="node"}`;
    const entries = Array.from({ length: 5000 }, (_, i) => addKey(cache, key(i)));
    for (const e of entries) cache.see(e, 0);
    cache.succeeded(0);
    const before = cache.arena;
    // The next scrape sees a tenth of them, backwards.
    const kept = entries.filter((_, i) => i % 10 === 0).reverse();
    for (const e of kept) cache.see(e, 1);
    cache.succeeded(1);
    expect(cache.arena).not.toBe(before);
    expect(cache.arena.length).toBeLessThan(before.length / 2);
    expect(cache.size).toBe(kept.length);
    for (let i = 0; i < entries.length; i++) {
      expect(cache.findKey(bytes(key(i)))).toBe(i % 10 === 0 ? entries[i] : undefined);
    }
    // In the order last seen: the first kept key is at the arena's start.
    expect(cache.arena.subarray(0, Buffer.byteLength(key(4990))).toString()).toBe(key(4990));
  });

  it('marks every entry dead when emptied, and forgets the first series', () => {
    const cache = new SeriesCache();
    const e = addKey(cache, 'a');
    cache.first = e;
    cache.clear();
    expect(e.dead).toBe(true);
    expect(cache.first).toBeUndefined();
  });
});

describe('the text scanner with a series cache', () => {
  it('hands a series it does not know to the visitor with the hash of its bytes', () => {
    const body = 'a 1\n  b{x="y"} 2 1000\nc {z="w"} 3\n';
    const { read, hits } = scan(body, new SeriesCache());
    expect(hits).toEqual([]);
    expect(read.map((r) => r.series)).toEqual(['a', '  b{x="y"}', 'c {z="w"}']);
    for (const r of read) expect(r.hash).toBe(hashOf(r.series));
  });

  it('skips the labels of a series it knows: the entry, the value and the timestamp go to hit', () => {
    const cache = new SeriesCache();
    const first = scan('a 1\nb{x="y",q="a}b"} 2 1000\n', cache);
    for (const r of first.read) cache.add(bytes(r.series), r.hash as number, r.labels);
    const second = scan('a 5\nb{x="y",q="a}b"} 6 2000\nb{x="z"} 7\n', cache);
    expect(second.hits).toEqual([
      ['a', 5, undefined],
      ['b{x="y",q="a}b"}', 6, 2000],
    ]);
    expect(second.read.map((r) => r.series)).toEqual(['b{x="z"}']);
  });

  it('fails the rest of a known line with the errors a full read gives', () => {
    const lines = ['m{a="1"} x\n', 'm{a="1"}{b="2"} 1\n', 'm{a="1"} 1 2 3\n', 'm{a="1"} 1 -5\n'];
    const errorOf = (body: string, cache: SeriesCache, expected?: CacheEntry) => {
      try {
        scan(body, cache, expected);
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    };
    const known = new SeriesCache();
    addKey(known, 'm{a="1"}', { __name__: 'm', a: '1' });
    const expectedOnly = new SeriesCache();
    const entry = expectedOnly.add(bytes('m{a="1"}'), 0, { __name__: 'm', a: '1' });
    for (const line of lines) {
      const full = errorOf(line, new SeriesCache());
      expect(full).not.toBe('');
      expect(errorOf(line, known), line).toBe(full);
      expect(errorOf(line, expectedOnly, entry), line).toBe(full);
    }
  });

  it('never takes a longer or shorter text for a known one', () => {
    const cache = new SeriesCache();
    for (const key of ['m', 'm{a="1"}']) addKey(cache, key);
    const { hits, read } = scan('mm 1\nm{a="1",b="2"} 2\nm{a="1"} 3\nm 4\n', cache);
    expect(hits.map(([key]) => key)).toEqual(['m{a="1"}', 'm']);
    expect(read.map((r) => r.series)).toEqual(['mm', 'm{a="1",b="2"}']);
  });

  it('takes the expected series when the line holds exactly its text, before looking in the cache', () => {
    // Added under a wrong hash, the entry cannot be found by its text's: only the comparison finds it.
    const cache = new SeriesCache();
    const expected = cache.add(bytes('m{a="1"}'), 0, { __name__: 'm' });
    const { hits, read } = scan('m{a="1"} 3\n', cache, expected);
    expect(hits).toEqual([['m{a="1"}', 3, undefined]]);
    expect(read).toEqual([]);
  });

  it('never takes the expected series for a longer name, a longer label set, or a name with a label set', () => {
    for (const [key, line] of [
      ['m', 'mm 1\n'],
      ['m', 'm {a="1"} 1\n'],
      ['m', 'm{a="1"} 1\n'],
      ['m{a="1"}', 'm{a="1",b="2"} 1\n'],
      [' m', 'm 1\n'],
    ] as const) {
      const cache = new SeriesCache();
      const expected = cache.add(bytes(key), 0, { __name__: 'm' });
      const { hits, read } = scan(line, cache, expected);
      expect(hits, line).toEqual([]);
      expect(read, line).toHaveLength(1);
    }
    // A bare name followed by blanks and the value is the series.
    const cache = new SeriesCache();
    const bare = cache.add(bytes('m'), 0, { __name__: 'm' });
    expect(scan('m \t 2\n', cache, bare).hits).toEqual([['m', 2, undefined]]);
  });

  it('never takes an expected series that has left the cache', () => {
    const cache = new SeriesCache();
    const gone = addKey(cache, 'm{a="1"}');
    cache.succeeded(1);
    const { hits, read } = scan('m{a="1"} 3\n', cache, gone);
    expect(hits).toEqual([]);
    expect(read.map((r) => r.series)).toEqual(['m{a="1"}']);
  });
});

describe('the OpenMetrics scanner with an expected series', () => {
  /** Scans an OpenMetrics `body` expecting `key` first (an entry found by nothing else: wrong hash). */
  function scanOM(body: string, key: string) {
    const cache = new SeriesCache();
    const expected = cache.add(bytes(key), 0, { __name__: 'm' });
    const hits: Array<[number, number | undefined]> = [];
    const read: string[] = [];
    const b = bytes(body);
    new OpenMetricsScanner(b).scan(
      (_labels, _value, _timestamp, start, end) => read.push(b.subarray(start, end).toString()),
      undefined,
      Number.POSITIVE_INFINITY,
      { cache, expected, hit: (_e, value, timestamp) => hits.push([value, timestamp]) },
    );
    return { hits, read };
  }
  const errorOf = (f: () => unknown) => {
    try {
      f();
      return '';
    } catch (err) {
      return (err as Error).message;
    }
  };

  it('skips the labels of the expected series: value, timestamp (seconds) and exemplar are read', () => {
    const { hits, read } = scanOM('m{a="1"} 2.5 1.5 # {t="x"} 1\n# EOF\n', 'm{a="1"}');
    expect(hits).toEqual([[2.5, 1500]]);
    expect(read).toEqual([]);
  });

  it('reads any other series in full', () => {
    for (const [key, line] of [
      ['m', 'mm 1\n'],
      ['m', 'm{a="1"} 1\n'],
      ['m{a="1"}', 'm{a="1",b="2"} 1\n'],
    ] as const) {
      const { hits, read } = scanOM(`${line}# EOF\n`, key);
      expect(hits, line).toEqual([]);
      expect(read, line).toHaveLength(1);
    }
    expect(scanOM('m 3\n# EOF\n', 'm').hits).toEqual([[3, undefined]]);
  });

  it('fails the rest of an expected line with the errors a full read gives', () => {
    for (const line of [
      'm{a="1"}  1\n',
      'm{a="1"} x_1\n',
      'm{a="1"} 1 # {t="x"}\n',
      'm{a="1"} 1 1 2\n',
      'm{a="1"} 1',
    ]) {
      const body = `${line}# EOF\n`;
      const full = errorOf(() => new OpenMetricsScanner(body).scan(() => {}, undefined, Number.POSITIVE_INFINITY));
      expect(full, line).not.toBe('');
      expect(
        errorOf(() => scanOM(body, 'm{a="1"}')),
        line,
      ).toBe(full);
    }
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
