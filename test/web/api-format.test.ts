/**
 * The API's formatting and parameter parsing, unit by unit. Expected values are what Prometheus
 * 3.5.3 answered for the same inputs (recorded from the reference peer), or Go's documented output.
 */
import { describe, expect, it } from 'vitest';
import { atoi, GoForm, goQuote, goSortFunc, parseGoFloat } from '../../src/web/api/go.js';
import {
  compareStrings,
  encodeJSON,
  formatFloatF,
  formatFloatG,
  formatSampleValue,
  formatTimestamp,
  GoMap,
  goJsonString,
  jsonString,
  labelString,
} from '../../src/web/api/json.js';
import { MAX_TIME_MS, MIN_TIME_MS, parseDuration, parseLimit, parseTime } from '../../src/web/api/params.js';

describe('sample values (jsonutil.MarshalFloat)', () => {
  it.each([
    [1, '1'],
    [0.004903835, '0.004903835'],
    [1e-6, '0.000001'],
    [1e-7, '1e-07'],
    [-1.5e-7, '-1.5e-07'],
    [1e20, '100000000000000000000'],
    [1e21, '1e+21'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, '+Inf'],
    [Number.NEGATIVE_INFINITY, '-Inf'],
    [-0, '-0'],
  ])('writes %s as %s', (value, text) => {
    expect(formatSampleValue(value)).toBe(text);
  });
});

describe("Go's 'f' format (scalars, parse_query numbers)", () => {
  it.each([
    [1e-7, '0.0000001'],
    [-1e-7, '-0.0000001'],
    [1e21, '1000000000000000000000'],
    [1e30, '1000000000000000000000000000000'],
    [1.5e22, '15000000000000000000000'],
    [1435781451.781, '1435781451.781'],
    [Number.NaN, 'NaN'],
  ])('writes %s as %s', (value, text) => {
    expect(formatFloatF(value)).toBe(text);
  });
});

describe("Go's 'g' format (the text exposition of /federate)", () => {
  it.each([
    [918, '918'],
    [123456, '123456'],
    [1234567, '1.234567e+06'],
    [1795984352, '1.795984352e+09'],
    [0.004903835, '0.004903835'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [-2.5e-10, '-2.5e-10'],
  ])('writes %s as %s', (value, text) => {
    expect(formatFloatG(value)).toBe(text);
  });
});

describe('timestamps (jsonutil.MarshalTimestamp)', () => {
  it.each([
    [1795984300530, '1795984300.530'],
    [1435781451050, '1435781451.050'],
    [1435781451005, '1435781451.005'],
    [1000, '1'],
    [5, '0.005'],
    [-1500, '-1.500'],
  ])('writes %s ms as %s', (ms, text) => {
    expect(formatTimestamp(ms)).toBe(text);
  });
});

describe('JSON strings', () => {
  it('escapes HTML characters and line separators in API strings, as jsoniter does', () => {
    expect(jsonString('a<b>&c\u2028\u2029')).toBe('"a\\u003cb\\u003e\\u0026c\\u2028\\u2029"');
    expect(jsonString('\b\f\n\r\t"\\')).toBe('"\\u0008\\u000c\\n\\r\\t\\"\\\\"');
  });

  it('writes \\b and \\f short, as encoding/json does for string results', () => {
    expect(goJsonString('<\b\f>')).toBe('"\\u003c\\b\\f\\u003e"');
  });

  it('leaves HTML characters in label values as they are', () => {
    expect(labelString('x<y>&"\n')).toBe('"x<y>&\\"\\n"');
  });

  it('writes a lone surrogate as U+FFFD and keeps a pair', () => {
    expect(jsonString('\ud800x\ud83d\ude00')).toBe('"\\ufffdx\ud83d\ude00"');
  });

  it('sorts Go map keys bytewise over UTF-8', () => {
    expect(
      encodeJSON(
        new GoMap([
          ['b', 1],
          ['a', 2],
          ['\ud83d\ude00', 3],
          ['\uffff', 4],
        ]),
      ),
    ).toBe('{"a":2,"b":1,"\uffff":4,"\ud83d\ude00":3}');
    expect(compareStrings('\uffff', '\ud83d\ude00')).toBeLessThan(0);
  });

  it('leaves out undefined fields (omitempty) and keeps field order', () => {
    expect(encodeJSON({ status: 'success', data: [1], warnings: undefined })).toBe('{"status":"success","data":[1]}');
  });
});

describe('parseTime', () => {
  it.each([
    ['1700000000.5', 1700000000500],
    ['0.0015', 2],
    ['-0.0015', -2],
    ['-1.0001', -1000],
    ['1_0', 10000],
    ['0x1p4', 16000],
    ['.5e1', 5000],
    ['5.', 5000],
    ['+5', 5000],
    ['2015-07-01T20:10:51.781Z', 1435781451781],
    ['2015-07-01T20:10:51.123456789+01:00', 1435777851123],
    ['2015-07-01T20:10:51.1234567891Z', 1435781451123],
    ['-292273086-05-16T16:47:06Z', MIN_TIME_MS],
    ['292277025-08-18T07:12:54.999999999Z', MAX_TIME_MS],
  ])('reads %s as %s ms', (text, ms) => {
    expect(parseTime(text)).toEqual({ value: ms });
  });

  it.each(['x', '0x10', '1e400', ' ', '2015-07-01t20:10:51Z', '2015-02-29T00:00:00Z', '2015-07-01T24:00:00Z'])(
    'refuses %j in upstream words',
    (text) => {
      expect(parseTime(text)).toEqual({ error: `cannot parse ${goQuote(text)} to a valid timestamp` });
    },
  );
});

describe('parseDuration', () => {
  it('reads float seconds and Prometheus durations, as nanoseconds', () => {
    expect(parseDuration('1.5')).toEqual({ value: 1_500_000_000n });
    expect(parseDuration('5m')).toEqual({ value: 300_000_000_000n });
    expect(parseDuration('1h30m')).toEqual({ value: 5_400_000_000_000n });
    expect(parseDuration('-1')).toEqual({ value: -1_000_000_000n });
  });

  it('refuses what upstream refuses, in its words', () => {
    expect(parseDuration('x')).toEqual({ error: 'cannot parse "x" to a valid duration' });
    expect(parseDuration('')).toEqual({ error: 'cannot parse "" to a valid duration' });
    expect(parseDuration('1e10')).toEqual({ error: 'cannot parse "1e10" to a valid duration. It overflows int64' });
  });
});

describe('parseLimit and strconv.Atoi', () => {
  it('reads no limit as 0 and refuses a negative one', () => {
    expect(parseLimit('')).toEqual({ value: 0 });
    expect(parseLimit('3')).toEqual({ value: 3 });
    expect(parseLimit('-1')).toEqual({ error: 'limit must be non-negative' });
  });

  it("words its errors as Go's strconv", () => {
    expect(atoi('x')).toEqual({ error: 'strconv.Atoi: parsing "x": invalid syntax' });
    expect(atoi('99999999999999999999')).toEqual({
      error: 'strconv.Atoi: parsing "99999999999999999999": value out of range',
    });
  });
});

describe('parseGoFloat (strconv.ParseFloat)', () => {
  it('takes what Go takes', () => {
    expect(parseGoFloat('inf')).toBe(Number.POSITIVE_INFINITY);
    expect(parseGoFloat('-Infinity')).toBe(Number.NEGATIVE_INFINITY);
    expect(parseGoFloat('NaN')).toBeNaN();
    expect(parseGoFloat('1_000.5')).toBe(1000.5);
  });

  it('refuses what Go refuses', () => {
    for (const text of ['+nan', '1__0', '_1', '1_', '', 'e5', '1e', '0x1']) expect(parseGoFloat(text)).toBeUndefined();
  });
});

describe('goQuote (%q)', () => {
  it('escapes as strconv.Quote', () => {
    expect(goQuote('a"b\\c\n\x7f\u00e9\u200b')).toBe('"a\\"b\\\\c\\n\\x7f\u00e9\\u200b"');
  });
});

describe('GoForm (r.Form)', () => {
  it('puts the body first, then the URL query, and decodes + and %XX', () => {
    const form = new GoForm(['query=up&match[]=a+b', 'query=foo&match[]=%7Bx%3D%22y%22%7D&time=2']);
    expect(form.get('query')).toBe('up');
    expect(form.get('time')).toBe('2');
    expect(form.all('match[]')).toEqual(['a b', '{x="y"}']);
    expect(form.error).toBeUndefined();
  });

  it('keeps the pairs it can parse and reports the first error as url.ParseQuery', () => {
    const form = new GoForm(['a=%zz&b=1;c=2&d=3']);
    expect(form.error).toBe('invalid URL escape "%zz"');
    expect(form.get('d')).toBe('3');
    expect(form.get('a')).toBe('');
    expect(new GoForm(['b=1;c=2']).error).toBe('invalid semicolon separator in query');
  });
});

describe('goSortFunc (slices.SortFunc, pdqsort)', () => {
  // Prometheus 3.5.3 federated 200 series named pdq_a, pdq_b or pdq_c whose label sets sort by a
  // label AA (000…199) before their names; it sorted them by name with slices.SortFunc. INPUT is
  // the names in label order, ORDER the AA values in the order /federate wrote them.
  const INPUT =
    'bbaaccabaabcaacaaabcccacbcccbbbbbaabbcbacaabccbcccabcaccbcabcbaabbabbbbbaaacacbabbcacbbbacaabacaccbaabcbbabbbaccbcabcabccaacbcacabcababcbaaaacacccbbbabccaacccbacaccbabbabcacbccccaaaabccbcbcabababccabc';
  const ORDER = [
    66, 197, 2, 3, 193, 191, 6, 189, 8, 9, 181, 180, 12, 13, 179, 15, 16, 17, 178, 171, 168, 165, 22, 161, 159, 154,
    153, 149, 142, 140, 139, 138, 137, 33, 34, 133, 131, 128, 126, 39, 122, 41, 42, 121, 117, 114, 109, 105, 100, 99,
    50, 95, 93, 53, 91, 90, 88, 83, 58, 79, 76, 74, 62, 63, 73, 72, 51, 167, 68, 69, 70, 71, 65, 64, 61, 198, 1, 194,
    78, 59, 80, 81, 192, 190, 7, 85, 86, 87, 56, 187, 185, 182, 92, 10, 18, 0, 173, 169, 98, 67, 166, 101, 164, 103,
    104, 24, 106, 107, 108, 46, 158, 150, 112, 148, 147, 115, 146, 28, 118, 29, 30, 43, 31, 32, 124, 136, 38, 134, 35,
    129, 132, 36, 48, 49, 127, 135, 102, 123, 40, 120, 119, 141, 44, 143, 144, 145, 116, 45, 113, 27, 111, 151, 152, 26,
    25, 155, 156, 157, 110, 47, 160, 23, 162, 163, 125, 37, 84, 21, 20, 97, 170, 19, 172, 96, 174, 175, 176, 177, 94,
    14, 11, 52, 54, 183, 184, 55, 186, 89, 188, 130, 57, 5, 82, 4, 77, 195, 196, 60, 75, 199,
  ];

  it("leaves ties in the order upstream's pdqsort leaves them", () => {
    const items = [...INPUT].map((name, aa) => ({ name, aa }));
    goSortFunc(items, (a, b) => compareStrings(a.name, b.name));
    expect(items.map((i) => i.aa)).toEqual(ORDER);
  });

  it('sorts short inputs by insertion, which keeps ties in order', () => {
    const items = [3, 1, 2, 1, 3].map((k, i) => ({ k, i }));
    goSortFunc(items, (a, b) => a.k - b.k);
    expect(items.map((x) => x.i)).toEqual([1, 3, 2, 0, 4]);
  });
});
