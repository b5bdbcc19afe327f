/**
 * The differential test's comparison tells answers apart: two Prometheus servers agreeing proves
 * it raises no false alarm; these prove it misses nothing it is meant to see.
 */
import { describe, expect, it } from 'vitest';
import { type Answer, almostEqual, compareAnswers, orderOf } from './differential/compare.js';
import { corpusQueries, parseOffset, withTimes } from './differential/corpus.js';

const vector = (samples: Array<[Record<string, string>, string]>, extra: Partial<Answer['body']> = {}): Answer => ({
  status: 200,
  body: {
    status: 'success',
    data: { resultType: 'vector', result: samples.map(([metric, v]) => ({ metric, value: [1000, v] })) },
    ...extra,
  },
});
const error = (status: number, errorType: string, message: string): Answer => ({
  status,
  body: { status: 'error', errorType, error: message },
});
const set = orderOf('x', false);
const kinds = (a: Answer, b: Answer, order = set) => compareAnswers(a, b, order).map((d) => d.kind);

describe('the differential comparison', () => {
  it('takes values within a relative 1e-5 as equal, NaN as equal to NaN, and infinities only as themselves', () => {
    expect(almostEqual(1, 1 + 1e-7)).toBe(true);
    expect(almostEqual(1, 1.001)).toBe(false);
    expect(almostEqual(Number.NaN, Number.NaN)).toBe(true);
    expect(almostEqual(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY)).toBe(true);
    expect(almostEqual(Number.POSITIVE_INFINITY, Number.MAX_VALUE)).toBe(false);
    expect(almostEqual(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY)).toBe(false);
    expect(almostEqual(0, 1e-300)).toBe(false);
    expect(almostEqual(0, -0)).toBe(true);
  });

  it('sees a value, a missing series, an extra series and a timestamp that differ', () => {
    const ref = vector([[{ a: '1' }, '1.5']]);
    expect(kinds(ref, vector([[{ a: '1' }, '1.5000001']]))).toEqual([]);
    expect(kinds(ref, vector([[{ a: '1' }, '1.6']]))).toEqual(['result']);
    expect(kinds(ref, vector([[{ a: '1' }, 'NaN']]))).toEqual(['result']);
    expect(kinds(ref, vector([]))).toEqual(['result']);
    expect(
      kinds(
        ref,
        vector([
          [{ a: '1' }, '1.5'],
          [{ a: '2' }, '1'],
        ]),
      ),
    ).toEqual(['result']);
    // Another label set is one series missing and another extra.
    expect(kinds(ref, vector([[{ a: '1', b: '' }, '1.5']]))).toEqual(['result', 'result']);
    const later = {
      status: 200,
      body: {
        status: 'success',
        data: { resultType: 'vector', result: [{ metric: { a: '1' }, value: [1001, '1.5'] }] },
      },
    };
    expect(kinds(ref, later)).toEqual(['result']);
  });

  it('tells the same number written otherwise (-0 and 0, 1e+21 and 1000000000000000000000) from another number', () => {
    expect(kinds(vector([[{}, '-0']]), vector([[{}, '0']]))).toEqual(['format']);
    expect(kinds(vector([[{}, '1e+21']]), vector([[{}, '1000000000000000000000']]))).toEqual(['format']);
    expect(kinds(vector([[{}, '0.30000000000000004']]), vector([[{}, '0.3']]))).toEqual([]);
    const scalar = (v: string): Answer => ({
      status: 200,
      body: { status: 'success', data: { resultType: 'scalar', result: [1, v] } },
    });
    expect(kinds(scalar('-0'), scalar('0'))).toEqual(['format']);
  });

  it('sees another result type, another scalar and another string', () => {
    const scalar = (v: string): Answer => ({
      status: 200,
      body: { status: 'success', data: { resultType: 'scalar', result: [1, v] } },
    });
    const string = (v: string): Answer => ({
      status: 200,
      body: { status: 'success', data: { resultType: 'string', result: [1, v] } },
    });
    expect(kinds(scalar('+Inf'), scalar('+Inf'))).toEqual([]);
    expect(kinds(scalar('+Inf'), scalar('-Inf'))).toEqual(['result']);
    expect(kinds(string('a'), string('b'))).toEqual(['result']);
    expect(kinds(scalar('1'), vector([[{}, '1']]))).toEqual(['result']);
  });

  it('compares matrices sample by sample and in label order, as a range query sorts them', () => {
    const matrix = (series: Array<[Record<string, string>, Array<[number, string]>]>): Answer => ({
      status: 200,
      body: {
        status: 'success',
        data: { resultType: 'matrix', result: series.map(([metric, values]) => ({ metric, values })) },
      },
    });
    const a = matrix([
      [
        { a: '1' },
        [
          [1, '1'],
          [2, '2'],
        ],
      ],
      [{ a: '2' }, [[1, '3']]],
    ]);
    expect(
      kinds(
        a,
        matrix([
          [
            { a: '1' },
            [
              [1, '1'],
              [2, '2'],
            ],
          ],
          [{ a: '2' }, [[1, '3']]],
        ]),
        orderOf('x', true),
      ),
    ).toEqual([]);
    expect(
      kinds(
        a,
        matrix([
          [{ a: '1' }, [[1, '1']]],
          [{ a: '2' }, [[1, '3']]],
        ]),
        orderOf('x', true),
      ),
    ).toEqual(['result']);
    const swapped = matrix([
      [{ a: '2' }, [[1, '3']]],
      [
        { a: '1' },
        [
          [1, '1'],
          [2, '2'],
        ],
      ],
    ]);
    expect(kinds(a, swapped, orderOf('x', true))).toEqual(['result']);
    // An instant query's range vector has no defined order.
    expect(kinds(a, swapped, orderOf('x[5m]', false))).toEqual([]);
  });

  it('holds order only where upstream defines it: sort, sort_by_label, and topk/bottomk within each group', () => {
    const up = vector([
      [{ a: '1' }, '1'],
      [{ a: '2' }, '2'],
    ]);
    const down = vector([
      [{ a: '2' }, '2'],
      [{ a: '1' }, '1'],
    ]);
    expect(kinds(up, down, orderOf('x', false))).toEqual([]);
    expect(kinds(up, down, orderOf('sum by (a) (x)', false))).toEqual([]);
    expect(kinds(up, down, orderOf('sort(x)', false))).toEqual(['result']);
    expect(kinds(up, down, orderOf('(sort_desc(x))', false))).toEqual(['result']);
    expect(kinds(up, down, orderOf('sort_by_label(x, "a")', false))).toEqual(['result']);
    expect(kinds(up, down, orderOf('topk(2, x)', false))).toEqual(['result']);
    // Groups may come in any order, each group's series best first.
    expect(kinds(up, down, orderOf('topk by (a) (1, x)', false))).toEqual([]);
    const grouped = (order: Array<[string, string, string]>) => vector(order.map(([g, a, v]) => [{ g, a }, v]));
    const ref = grouped([
      ['x', '1', '5'],
      ['x', '2', '3'],
      ['y', '3', '9'],
    ]);
    expect(
      kinds(
        ref,
        grouped([
          ['y', '3', '9'],
          ['x', '1', '5'],
          ['x', '2', '3'],
        ]),
        orderOf('topk by (g) (2, x)', false),
      ),
    ).toEqual([]);
    expect(
      kinds(
        ref,
        grouped([
          ['y', '3', '9'],
          ['x', '2', '3'],
          ['x', '1', '5'],
        ]),
        orderOf('topk by (g) (2, x)', false),
      ),
    ).toEqual(['result']);
    // Ties may come in either order: only the values' sequence counts.
    const tie = vector([
      [{ a: '1' }, '1'],
      [{ a: '2' }, '1'],
    ]);
    const tieSwapped = vector([
      [{ a: '2' }, '1'],
      [{ a: '1' }, '1'],
    ]);
    expect(kinds(tie, tieSwapped, orderOf('sort(x)', false))).toEqual([]);
  });

  it('tells an outcome or errorType that differs from wording that differs', () => {
    const parse = error(400, 'bad_data', '1:1: parse error: unexpected end of input');
    expect(kinds(parse, parse)).toEqual([]);
    expect(kinds(parse, error(400, 'bad_data', 'parse error: unexpected end of input'))).toEqual(['error-message']);
    expect(kinds(parse, error(422, 'execution', '1:1: parse error: unexpected end of input'))).toEqual([
      'result',
      'result',
    ]);
    expect(kinds(parse, vector([]))).toEqual(['result', 'result']);
  });

  it('compares warnings and infos as sets, apart from the result', () => {
    const w = (warnings: string[], infos: string[] = []) => vector([[{}, '1']], { warnings, infos });
    expect(kinds(w(['a', 'b']), w(['b', 'a']))).toEqual([]);
    expect(kinds(w(['a']), w([]))).toEqual(['annotations']);
    expect(kinds(w([], ['i']), w([], []))).toEqual(['annotations']);
    expect(kinds(w([]), w(['extra']))).toEqual(['annotations']);
  });
});

describe('the differential corpus format', () => {
  it('runs a plain line at every probe time and one range, and a [once] line once', () => {
    const queries = corpusQueries('demo_gauge\n# a comment\n\n[once] 1 +\n[range +0s +10m 30s] up\n');
    expect(queries.map((q) => q.id)).toEqual([
      'instant@+40m demo_gauge',
      'instant@+100m demo_gauge',
      'instant@+26m demo_gauge',
      'instant@+60m10s demo_gauge',
      expect.stringMatching(/^range\(.*\) demo_gauge$/),
      'instant@+40m 1 +',
      'range(+0s..+10m/30s) up',
    ]);
    expect(queries[6]?.range).toEqual({ start: 0, end: 600_000, step: 30_000 });
  });

  it('reads offsets and fills in the corpus’s time placeholders in Unix seconds', () => {
    expect(parseOffset('+60m10s')).toBe(3_610_000);
    expect(parseOffset('-10m')).toBe(-600_000);
    expect(parseOffset('1h250ms')).toBe(3_600_250);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the corpus's placeholder syntax, not a template
    expect(withTimes('x @ ${T+30m} + y @ ${T-1m}', 3_600_000)).toBe('x @ 5400 + y @ 3540');
  });
});
