import { describe, expect, it } from 'vitest';
import { parseTextFormat } from '../../src/scrape/index.js';
import { scanTextFormat } from '../../src/scrape/parser.js';

describe('parseTextFormat', () => {
  it('reads samples, labels with escapes, special values and timestamps; skips comments', () => {
    const body = [
      '# HELP http_requests_total The total.',
      '# TYPE http_requests_total counter',
      'http_requests_total{method="post",code="200"} 1027 1395066363000',
      'http_requests_total{method="post",code="400",} 3',
      '',
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
      'metric_without_labels 12.47',
      'nan_value NaN',
      'pos_inf +Inf',
      'neg_inf{a="b"} -Inf',
      '  indented 1',
    ].join('\n');
    expect(parseTextFormat(body)).toEqual([
      {
        labels: { __name__: 'http_requests_total', method: 'post', code: '200' },
        value: 1027,
        timestamp: 1395066363000,
      },
      { labels: { __name__: 'http_requests_total', method: 'post', code: '400' }, value: 3 },
      {
        labels: {
          __name__: 'msdos_file_access_time_seconds',
          path: 'C:\\DIR\\FILE.TXT',
          error: 'Cannot find file:\n"FILE.TXT"',
        },
        value: 1.458255915e9,
      },
      { labels: { __name__: 'metric_without_labels' }, value: 12.47 },
      { labels: { __name__: 'nan_value' }, value: Number.NaN },
      { labels: { __name__: 'pos_inf' }, value: Number.POSITIVE_INFINITY },
      { labels: { __name__: 'neg_inf', a: 'b' }, value: Number.NEGATIVE_INFINITY },
      { labels: { __name__: 'indented' }, value: 1 },
    ]);
  });

  it('accepts CRLF line endings', () => {
    expect(parseTextFormat('a 1\r\nb{x="y"} 2\r\n')).toEqual([
      { labels: { __name__: 'a' }, value: 1 },
      { labels: { __name__: 'b', x: 'y' }, value: 2 },
    ]);
  });

  it.each<[string, string, { labels: Record<string, string>; value: number; timestamp?: number }]>([
    ['a plain integer', 'a 42', { labels: { __name__: 'a' }, value: 42 }],
    ['a negative integer', 'a -7', { labels: { __name__: 'a' }, value: -7 }],
    ['a decimal', 'a 0.25', { labels: { __name__: 'a' }, value: 0.25 }],
    ['a leading dot', 'a .5', { labels: { __name__: 'a' }, value: 0.5 }],
    ['scientific notation', 'a 1.5e-3', { labels: { __name__: 'a' }, value: 0.0015 }],
    ['an upper-case exponent with sign', 'a -2E+2', { labels: { __name__: 'a' }, value: -200 }],
    ['a huge integer', 'a 12345678901234567890', { labels: { __name__: 'a' }, value: 1.2345678901234567e19 }],
    ['Inf without sign', 'a Inf', { labels: { __name__: 'a' }, value: Number.POSITIVE_INFINITY }],
    ['NaN in lower case', 'a nan', { labels: { __name__: 'a' }, value: Number.NaN }],
    ['a negative timestamp', 'a 1 -5', { labels: { __name__: 'a' }, value: 1, timestamp: -5 }],
    ['tabs between tokens', 'a\t1\t2', { labels: { __name__: 'a' }, value: 1, timestamp: 2 }],
    ['trailing blanks', 'a 1 2  \t', { labels: { __name__: 'a' }, value: 1, timestamp: 2 }],
    ['a colon in the metric name', 'job:rate:5m 3', { labels: { __name__: 'job:rate:5m' }, value: 3 }],
    ['blanks around label tokens', 'a{ b = "c" , } 1', { labels: { __name__: 'a', b: 'c' }, value: 1 }],
    ['an empty label set', 'a{} 1', { labels: { __name__: 'a' }, value: 1 }],
    ['no blank after the label set', 'a{b="c"}1', { labels: { __name__: 'a', b: 'c' }, value: 1 }],
    ['an empty label value (same as absent)', 'a{b=""} 1', { labels: { __name__: 'a' }, value: 1 }],
    ['an unknown escape kept as written', 'a{b="x\\ty"} 1', { labels: { __name__: 'a', b: 'x\\ty' }, value: 1 }],
    ['an escaped backslash before a quote', 'a{b="\\\\"} 1', { labels: { __name__: 'a', b: '\\' }, value: 1 }],
    ['a brace and comma inside a value', 'a{b="{x,y}"} 1', { labels: { __name__: 'a', b: '{x,y}' }, value: 1 }],
    ['UTF-8 in a value', 'a{b="grüße ✓"} 1', { labels: { __name__: 'a', b: 'grüße ✓' }, value: 1 }],
    [
      'a label named like a prototype member',
      'a{constructor="c"} 1',
      { labels: { __name__: 'a', constructor: 'c' }, value: 1 },
    ],
  ])('parses %s', (_, line, sample) => {
    expect(parseTextFormat(line)).toEqual([sample]);
  });

  it('keeps a label named __proto__ as an ordinary label', () => {
    const [sample] = parseTextFormat('a{__proto__="x"} 1');
    expect(Object.keys(sample?.labels ?? {})).toEqual(['__name__', '__proto__']);
    expect(Object.getPrototypeOf(sample?.labels)).toBe(Object.prototype);
  });

  it('treats comments, blank and whitespace-only lines as nothing', () => {
    expect(parseTextFormat('')).toEqual([]);
    expect(parseTextFormat('\n\n  \n# only a comment\n\t# indented comment\n')).toEqual([]);
  });

  it.each([
    ['1abc 1', 'line 1: expected metric name, got "1abc"'],
    ['a{1b="x"} 1', 'line 1: expected label name, got "1b"'],
    ['a{:b="x"} 1', 'line 1: expected label name, got ":b"'],
    ['a{b"x"} 1', 'expected equal sign after label name "b"'],
    ['a{b=x} 1', 'expected quoted label value for "b"'],
    ['a{b="x} 1', 'unterminated label value for "b"'],
    ['a{b="x\ny"} 1', 'line 1: unterminated label value for "b"'],
    ['a{b="x\\', 'unterminated label value for "b"'],
    ['a{b="x" c="y"} 1', 'expected comma or closing brace'],
    ['a{b="x",b="y"} 1', 'duplicate label name "b"'],
    ['a-b 1', 'line 1: expected label set or value after metric name, got "-b"'],
    ['ok 1\na', 'line 2: expected value after metric, got ""'],
    ['a one', 'expected value after metric, got "one"'],
    ['a 0x10', 'expected value after metric, got "0x10"'],
    ['a 1_000', 'expected value after metric, got "1_000"'],
    ['a Infinite', 'expected value after metric, got "Infinite"'],
    ['a 1e', 'expected value after metric, got "1e"'],
    ['a 1 soon', 'invalid timestamp "soon"'],
    ['a 1 1.5', 'invalid timestamp "1.5"'],
    ['a 1 2 3', 'expected end of line after timestamp, got "3"'],
    ['# c\n\nok 1\nbad{', 'line 4: expected label name, got ""'],
  ])('rejects %j with %j', (body, message) => {
    expect(() => parseTextFormat(body)).toThrow(message);
  });

  it('parses a body of 100k lines whole (its speed and how it scales: npm run bench -- parser)', () => {
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i++) lines.push(`http_requests_total{handler="/api/v1/q${i % 100}"} ${i}`);
    const samples = parseTextFormat(lines.join('\n'));
    expect(samples).toHaveLength(100_000);
    expect(samples.at(-1)).toMatchObject({ value: 99_999 });
  });
});

describe('scanTextFormat metadata', () => {
  const read = (body: string) => {
    const seen: Array<[string, string, string]> = [];
    scanTextFormat(
      body,
      () => {},
      (kind, metric, text) => seen.push([kind, metric, text]),
    );
    return seen;
  };

  it("reads HELP and TYPE lines as upstream's lexer does, and nothing else", () => {
    expect(
      read(
        [
          '# HELP a  two spaces: the first is the separator',
          '#\tTYPE\ta\tcounter',
          '# HELP "quoted.name" Q.',
          '# HELP',
          '#HELP a glued: a comment',
          '# HELPER a not metadata',
          '# HELP b',
          '# UNIT a seconds',
          '# TYPE c untyped',
        ].join('\n'),
      ),
    ).toEqual([
      ['help', 'a', ' two spaces: the first is the separator'],
      ['type', 'a', 'counter'],
      ['help', 'quoted.name', 'Q.'],
      ['help', 'b', ''],
      ['type', 'c', 'unknown'],
    ]);
  });

  it('refuses a HELP or TYPE without a metric name, and a TYPE that names no type', () => {
    expect(() => read('# TYPE 1x counter\n')).toThrow('line 1: expected metric name after TYPE, got "1x"');
    expect(() => read('ok 1\n# TYPE x counter extra\n')).toThrow('line 2: invalid metric type "counter extra"');
    expect(() => read('# TYPE x\n')).toThrow('line 1: invalid metric type ""');
  });
});
