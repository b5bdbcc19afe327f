import { describe, expect, it } from 'vitest';
import { parseSeriesDesc, SeriesNotationError } from '../../src/promql/index.js';
import { isStaleNaN } from '../../src/storage/index.js';

const values = (line: string) =>
  parseSeriesDesc(line).values.map((v) => (v.omitted ? '_' : isStaleNaN(v.value) ? 'stale' : v.value));

describe('series notation', () => {
  it('expands a+bxn into n+1 values stepping by b', () => {
    expect(values('m 1+2x5')).toEqual([1, 3, 5, 7, 9, 11]);
  });

  it('expands a-bxn downwards', () => {
    expect(values('m 1-1x3')).toEqual([1, 0, -1, -2]);
  });

  it('repeats a value with axn', () => {
    expect(values('m 1x5')).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('takes negative starts and float steps', () => {
    expect(values('m -2+0.5x4')).toEqual([-2, -1.5, -1, -0.5, 0]);
  });

  it('omits a step with _ and n steps with _xn', () => {
    expect(values('m 1 _ 2 _x3 3')).toEqual([1, '_', 2, '_', '_', '_', 3]);
  });

  it('reads stale as the staleness marker, and Inf and NaN', () => {
    expect(values('m 1 stale Inf -Inf')).toEqual([1, 'stale', Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    const nan = parseSeriesDesc('m NaN').values[0];
    expect(nan?.omitted === false && Number.isNaN(nan.value) && !isStaleNaN(nan.value)).toBe(true);
  });

  it('reads labels, a name in braces and escapes', () => {
    expect(parseSeriesDesc('http_requests{job="api", path="/a\\"b"} 1').labels).toEqual({
      __name__: 'http_requests',
      job: 'api',
      path: '/a"b',
    });
    expect(parseSeriesDesc('{__name__="x", a="1"} 1').labels).toEqual({ __name__: 'x', a: '1' });
    expect(parseSeriesDesc('{"my.metric", a="1"} 1').labels).toEqual({ __name__: 'my.metric', a: '1' });
  });

  it('drops labels with empty values', () => {
    expect(parseSeriesDesc('m{a=""} 1').labels).toEqual({ __name__: 'm' });
  });

  it('rejects what is not a value', () => {
    expect(() => parseSeriesDesc('m 1 foo')).toThrow(SeriesNotationError);
    expect(() => parseSeriesDesc('m 1+x3')).toThrow(SeriesNotationError);
    expect(() => parseSeriesDesc('m {{schema:0 sum:1}}')).toThrow(/native histogram/);
  });
});
