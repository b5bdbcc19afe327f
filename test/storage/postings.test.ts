/**
 * The head's postings index against the obvious definition: a brute-force scan that tests every
 * series with every matcher (a missing label reading as ""). Randomized label sets, matchers and
 * retention passes, from a fixed seed so a failure replays; then each matcher kind by example.
 */
import { describe, expect, it } from 'vitest';
import { Head, MemSeries } from '../../src/storage/head.js';
import { compareLabels, compileMatchers, hashLabels, withoutEmpty } from '../../src/storage/labels.js';
import type { Labels, Matcher } from '../../src/storage/index.js';

/** mulberry32: a small seeded generator, so every run sees the same "random" cases. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

const NAMES = ['a', 'b', 'c', 'up'];
const VALUES = ['', '1', '2', '10', 'foo', 'Foo', 'bar', 'a|b', '.*'];
const LABELS = ['__name__', 'x', 'y', 'z', 'absent'];
const PATTERNS = [
  '',
  '1',
  'foo',
  '.*',
  '.+',
  '1|2',
  'f.*',
  '|1',
  'foo|',
  '(?i)FOO',
  '2|10|x',
  '.',
  '1.*',
  'a\\|b',
  '[0-9]+',
];
const TYPES: Matcher['type'][] = ['=', '!=', '=~', '!~'];

/** A head filled through the same calls the TSDB makes: adopt on first sight, then add. */
function fill(r: () => number, series: number): Head {
  const head = new Head(true);
  for (let i = 0; i < series; i++) {
    const labels: Record<string, string> = { __name__: pick(r, NAMES) };
    for (const name of ['x', 'y', 'z']) if (r() < 0.7) labels[name] = pick(r, VALUES);
    const clean = withoutEmpty(labels);
    const hash = hashLabels(clean);
    const s = head.get(clean, hash) ?? head.adopt(new MemSeries(hash, clean));
    // Up to 4 samples between 0 and 100, some series with none in a query's range.
    let t = Math.floor(r() * 50);
    for (let k = Math.floor(r() * 4) + 1; k > 0; k--, t += Math.floor(r() * 30) + 1) head.add(s, t, i);
  }
  return head;
}

function randomMatchers(r: () => number): Matcher[] {
  return Array.from({ length: Math.floor(r() * 4) }, () => {
    const type = pick(r, TYPES);
    const value = type === '=' || type === '!=' ? pick(r, VALUES) : pick(r, PATTERNS);
    return { type, name: pick(r, LABELS), value };
  });
}

/** Every series of the head, read through a querier over all time with no matchers. */
function everySeries(head: Head): Array<{ labels: Labels; ts: number[] }> {
  return head
    .querier(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
    .select([])
    .map((s) => {
      const ts: number[] = [];
      for (const it = s.iterator(); it.next(); ) ts.push(it.t);
      return { labels: s.labels, ts };
    });
}

/** What select must return, by scanning every series. */
function bruteSelect(all: ReturnType<typeof everySeries>, matchers: Matcher[], mint: number, maxt: number) {
  const matches = compileMatchers(matchers);
  return all
    .filter((s) => matches(s.labels))
    .map((s) => ({ labels: s.labels, ts: s.ts.filter((t) => t >= mint && t <= maxt) }))
    .filter((s) => s.ts.length > 0)
    .sort((a, b) => compareLabels(a.labels, b.labels));
}

function select(head: Head, matchers: Matcher[], mint: number, maxt: number) {
  return head
    .querier(mint, maxt)
    .select(matchers)
    .map((s) => {
      const ts: number[] = [];
      for (const it = s.iterator(); it.next(); ) ts.push(it.t);
      return { labels: s.labels, ts };
    });
}

describe('postings index', () => {
  it('selects exactly what a scan of every series selects, for random heads, matchers and ranges', () => {
    const r = rng(20250801);
    let checked = 0;
    for (let round = 0; round < 30; round++) {
      const head = fill(r, 200);
      const all = everySeries(head);
      for (let q = 0; q < 60; q++) {
        const matchers = randomMatchers(r);
        const mint = Math.floor(r() * 120) - 10;
        const maxt = mint + Math.floor(r() * 80);
        expect(select(head, matchers, mint, maxt), JSON.stringify({ round, matchers, mint, maxt })).toEqual(
          bruteSelect(all, matchers, mint, maxt),
        );
        checked++;
      }
    }
    expect(checked).toBe(1800);
  });

  it('gives the label names and values of exactly the matching series', () => {
    const r = rng(7);
    for (let round = 0; round < 20; round++) {
      const head = fill(r, 150);
      const all = everySeries(head);
      const q = head.querier(0, 1000);
      for (let k = 0; k < 40; k++) {
        const matchers = randomMatchers(r);
        const matching = all.filter((s) => compileMatchers(matchers)(s.labels));
        const names = [...new Set(matching.flatMap((s) => Object.keys(s.labels)))].sort();
        expect(q.labelNames(matchers), JSON.stringify(matchers)).toEqual(names);
        const name = pick(r, LABELS);
        const values = [...new Set(matching.flatMap((s) => s.labels[name] ?? []))].sort();
        expect(q.labelValues(name, matchers), JSON.stringify({ name, matchers })).toEqual(values);
      }
    }
  });

  it('stays exact after retention removes samples and whole series, and series come back', () => {
    const r = rng(42);
    const head = fill(r, 300);
    for (const before of [20, 45, 70]) {
      head.truncate(before);
      const all = everySeries(head);
      expect(all.every((s) => s.ts.every((t) => t >= before))).toBe(true);
      for (let q = 0; q < 50; q++) {
        const matchers = randomMatchers(r);
        expect(select(head, matchers, 0, 200), JSON.stringify({ before, matchers })).toEqual(
          bruteSelect(all, matchers, 0, 200),
        );
      }
      // Series removed by retention are re-adopted with new refs, as a commit would.
      const labels = { __name__: 'up', x: pick(r, VALUES.slice(1)) };
      const hash = hashLabels(labels);
      const s = head.get(labels, hash) ?? head.adopt(new MemSeries(hash, labels));
      head.add(s, 500 + before, 1);
      expect(select(head, [{ type: '=', name: 'x', value: labels.x }], 500, 600).map((x) => x.labels)).toContainEqual(
        labels,
      );
    }
  });
});

describe('matchers, one kind at a time', () => {
  const head = new Head(true);
  const fixtures: Labels[] = [
    { __name__: 'up', job: 'a' },
    { __name__: 'up', job: 'b', env: 'prod' },
    { __name__: 'up', env: 'dev' },
    { __name__: 'other', job: 'a', env: 'prod' },
  ];
  for (const [i, labels] of fixtures.entries()) {
    const s = head.adopt(new MemSeries(hashLabels(labels), labels));
    head.add(s, 10, i);
  }
  const pick = (...matchers: Matcher[]) =>
    head
      .querier(0, 100)
      .select(matchers)
      .map((s) => `${s.labels.__name__}{${s.labels.job ?? ''},${s.labels.env ?? ''}}`);

  it('= uses the label value exactly; ="" selects the series without the label', () => {
    expect(pick({ type: '=', name: 'job', value: 'a' })).toEqual(['other{a,prod}', 'up{a,}']);
    expect(pick({ type: '=', name: '__name__', value: 'up' }, { type: '=', name: 'env', value: '' })).toEqual([
      'up{a,}',
    ]);
    expect(pick({ type: '=', name: 'job', value: 'zzz' })).toEqual([]);
  });

  it('!= keeps series without the label; !="" keeps only those with it', () => {
    expect(pick({ type: '!=', name: 'env', value: 'prod' })).toEqual(['up{,dev}', 'up{a,}']);
    expect(pick({ type: '!=', name: 'env', value: '' })).toEqual(['other{a,prod}', 'up{,dev}', 'up{b,prod}']);
    // On a label no series has, != anything keeps every series.
    expect(pick({ type: '!=', name: 'nope', value: 'x' })).toHaveLength(4);
  });

  it('=~ is anchored; a regex matching "" also selects series without the label', () => {
    expect(pick({ type: '=~', name: 'env', value: 'pro' })).toEqual([]);
    expect(pick({ type: '=~', name: 'env', value: 'prod|dev' })).toEqual(['other{a,prod}', 'up{,dev}', 'up{b,prod}']);
    expect(pick({ type: '=~', name: 'env', value: 'dev|' })).toEqual(['up{,dev}', 'up{a,}']);
    expect(pick({ type: '=~', name: 'env', value: '.+' })).toEqual(['other{a,prod}', 'up{,dev}', 'up{b,prod}']);
    expect(pick({ type: '=~', name: 'env', value: '.*' })).toHaveLength(4);
  });

  it('!~ drops the matching values; a regex matching "" also drops series without the label', () => {
    expect(pick({ type: '!~', name: 'env', value: 'prod' })).toEqual(['up{,dev}', 'up{a,}']);
    expect(pick({ type: '!~', name: 'env', value: 'prod|' })).toEqual(['up{,dev}']);
    expect(pick({ type: '!~', name: 'env', value: '.+' })).toEqual(['up{a,}']);
    expect(pick({ type: '!~', name: 'env', value: '.*' })).toEqual([]);
  });

  it('combines matchers on the same label and on different ones', () => {
    expect(pick({ type: '=~', name: 'env', value: '.+' }, { type: '!=', name: 'env', value: 'prod' })).toEqual([
      'up{,dev}',
    ]);
    expect(pick({ type: '=', name: '__name__', value: 'up' }, { type: '!~', name: 'job', value: 'a|b' })).toEqual([
      'up{,dev}',
    ]);
  });

  it("throws upstream's error for an invalid regex", () => {
    expect(() => pick({ type: '=~', name: 'job', value: '(' })).toThrow('error parsing regexp: missing closing ): `(`');
  });

  it("returns no labels outside the head's time range, and every value inside it", () => {
    expect(head.querier(11, 20).labelValues('job', [])).toEqual([]);
    expect(head.querier(0, 9).labelNames([])).toEqual([]);
    expect(head.querier(0, 10).labelNames([])).toEqual(['__name__', 'env', 'job']);
    expect(head.querier(10, 10).labelValues('env', [{ type: '=', name: 'job', value: 'a' }])).toEqual(['prod']);
    expect(head.querier(10, 10).labelValues('job', [{ type: '=~', name: 'job', value: 'b|c' }])).toEqual(['b']);
  });
});
