import { describe, expect, it } from 'vitest';
import { parseTextFormat } from '../../src/scrape/index.js';
import { decodeUTF8 } from '../../src/golang/index.js';
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
    ]);
  });

  it('refuses CRLF line endings, as upstream does: the CR is part of the value', () => {
    expect(() => parseTextFormat('a 1\r\nb{x="y"} 2\r\n')).toThrow(
      'strconv.ParseFloat: parsing "1\\r": invalid syntax while parsing: "a 1\\r"',
    );
    expect(() => parseTextFormat('a 1 1000\r\n')).toThrow('expected next entry after timestamp, got "\\r"');
  });

  it("keeps blanks before a metric name in the name, as upstream's parser does", () => {
    expect(parseTextFormat('  indented 1\n\tm 2')).toEqual([
      { labels: { __name__: '  indented' }, value: 1 },
      { labels: { __name__: '\tm' }, value: 2 },
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
    ['a timestamp with leading zeros', 'a 1 0005', { labels: { __name__: 'a' }, value: 1, timestamp: 5 }],
    [
      'the largest int64 timestamp',
      'a 1 9223372036854775807',
      { labels: { __name__: 'a' }, value: 1, timestamp: 2 ** 63 },
    ],
    ['a value that underflows to 0', 'a 1e-999999', { labels: { __name__: 'a' }, value: 0 }],
    ["Go's words for infinity", 'a +infinity', { labels: { __name__: 'a' }, value: Number.POSITIVE_INFINITY }],
    ['a raw line break in a label value', 'a{b="x\ny"} 1', { labels: { __name__: 'a', b: 'x\ny' }, value: 1 }],
    ['labels without commas between them', 'a{b="x" c="y"} 1', { labels: { __name__: 'a', b: 'x', c: 'y' }, value: 1 }],
    ['a quoted UTF-8 metric name', '{"a.b", c="d"} 1', { labels: { __name__: 'a.b', c: 'd' }, value: 1 }],
    ['a quoted UTF-8 label name', 'a{"b.c"="d"} 1', { labels: { __name__: 'a', 'b.c': 'd' }, value: 1 }],
    ['a NUL in a label value', 'a{b="x\0y"} 1', { labels: { __name__: 'a', b: 'x\0y' }, value: 1 }],
    ['a label emptied by a later one', 'a{b="x",b=""} 1', { labels: { __name__: 'a' }, value: 1 }],
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

  // Upstream's own words for each (checked against Prometheus 3.5 by test/exposition-prometheus.test.ts).
  it.each([
    ['1abc 1', 'expected a valid start token, got "1" ("INVALID") while parsing: "1"'],
    ['a{1b="x"} 1', 'expected label name, got "1" ("INVALID") while parsing: "a{1"'],
    ['a{:b="x"} 1', 'expected label name, got ":" ("INVALID") while parsing: "a{:"'],
    ['a{b"x"} 1', 'expected equal, got "\\"x\\"}" ("QSTRING") while parsing: "a{b\\"x\\"}"'],
    ['a{b=x} 1', 'expected label value, got "x" ("INVALID") while parsing: "a{b=x"'],
    ['a{b="x} 1', 'expected label value, got "\\"x} 1\\n" ("INVALID") while parsing: "a{b=\\"x} 1\\n"'],
    ['a{b="x\\', 'expected label value, got "\\"x\\\\\\n" ("INVALID") while parsing: "a{b=\\"x\\\\\\n"'],
    ['a{b="x",b="y"} 1', 'label name "b" is not unique: invalid sample'],
    ['x{a="1",b="2",a="3",b="4"} 1', 'label name "a" is not unique: invalid sample'],
    ['a{b=""} 1', undefined],
    ['a{__name__=""} 1', 'missing metric name (__name__ label)'],
    ['a-b 1', 'strconv.ParseFloat: parsing "-b": invalid syntax while parsing: "a-b"'],
    ['ok 1\na', 'expected value after metric, got "\\n" ("INVALID") while parsing: "a\\n"'],
    ['a one', 'strconv.ParseFloat: parsing "one": invalid syntax while parsing: "a one"'],
    ['a 0x10', 'strconv.ParseFloat: parsing "0x10": invalid syntax while parsing: "a 0x10"'],
    ['a 1_000', 'unsupported character in float while parsing: "a 1_000"'],
    ['a Infinite', 'strconv.ParseFloat: parsing "Infinite": invalid syntax while parsing: "a Infinite"'],
    ['a 1e', 'strconv.ParseFloat: parsing "1e": invalid syntax while parsing: "a 1e"'],
    ['a 1e999999', 'strconv.ParseFloat: parsing "1e999999": value out of range while parsing: "a 1e999999"'],
    ['a -nan', 'strconv.ParseFloat: parsing "-nan": invalid syntax while parsing: "a -nan"'],
    ['a 1 soon', 'expected timestamp or new record, got "s" ("INVALID") while parsing: "a 1 s"'],
    ['a 1 -5', 'expected timestamp or new record, got "-" ("INVALID") while parsing: "a 1 -"'],
    ['a 1 1.5', 'expected next entry after timestamp, got "." ("INVALID") while parsing: "a 1 1."'],
    ['a 1 2 3', 'expected next entry after timestamp, got "3\\n" ("TIMESTAMP") while parsing: "a 1 2 3\\n"'],
    [
      'a 1 9223372036854775808',
      'strconv.ParseInt: parsing "9223372036854775808": value out of range while parsing: "a 1 9223372036854775808"',
    ],
    ['# c\n\nok 1\nbad{', 'expected label name, got "\\n" ("INVALID") while parsing: "bad{\\n"'],
    ['\ufeffa 1', 'expected a valid start token, got "\\xef" ("INVALID") while parsing: "\\xef"'],
  ])("answers %j with upstream's error: %j", (body, message) => {
    if (message === undefined) expect(() => parseTextFormat(body)).not.toThrow();
    else expect(() => parseTextFormat(body)).toThrow(new Error(message));
  });

  it('refuses invalid UTF-8 in a label value, and takes it in a comment', () => {
    // Each invalid byte reaches the parser escaped, as src/golang's decodeUTF8 leaves it.
    const body = (hex: string) => decodeUTF8(Buffer.from(hex, 'hex')).text;
    expect(() => parseTextFormat(body('6d7b6c3d2261ff62227d2031'))).toThrow(
      new Error('invalid UTF-8 label value: "\\"a\\xffb\\""'),
    );
    expect(() => parseTextFormat(body('232048454c50206d2061ff620a'))).toThrow(
      new Error('help text "a\\xffb" is not a valid utf8 string'),
    );
    expect(parseTextFormat(body('232066ff0a6d2031'))).toEqual([{ labels: { __name__: 'm' }, value: 1 }]);
  });

  it('ends the exposition at a NUL where a line starts', () => {
    expect(parseTextFormat('a 1\n\0garbage that would not parse\n')).toEqual([{ labels: { __name__: 'a' }, value: 1 }]);
  });

  // model/textparse/promparse_test.go at v3.5.3 (Apache-2.0): TestPromParseErrors and
  // TestPromNullByteHandling, every input and upstream's error for it ('' for none).
  it.each([
    ['a', 'expected value after metric, got "\\n" ("INVALID") while parsing: "a\\n"'],
    ["a{b='c'} 1\n", 'expected label value, got "\'" ("INVALID") while parsing: "a{b=\'"'],
    ['a{b=\n', 'expected label value, got "\\n" ("INVALID") while parsing: "a{b=\\n"'],
    ['a{b="\udcff"} 1\n', 'invalid UTF-8 label value: "\\"\\xff\\""'],
    ['{"a", "b = "c"}', 'expected equal, got "c\\"" ("LNAME") while parsing: "{\\"a\\", \\"b = \\"c\\""'],
    ['{"a",b\\nc="d"} 1', 'expected equal, got "\\\\" ("INVALID") while parsing: "{\\"a\\",b\\\\"'],
    ['a true\n', 'strconv.ParseFloat: parsing "true": invalid syntax while parsing: "a true"'],
    [
      'something_weird{problem="',
      'expected label value, got "\\"\\n" ("INVALID") while parsing: "something_weird{problem=\\"\\n"',
    ],
    ['empty_label_name{=""} 0', 'expected label name, got "=\\"" ("EQUAL") while parsing: "empty_label_name{=\\""'],
    ['foo 1_2\n', 'unsupported character in float while parsing: "foo 1_2"'],
    ['foo 0x1p-3\n', 'unsupported character in float while parsing: "foo 0x1p-3"'],
    ['foo 0x1P-3\n', 'unsupported character in float while parsing: "foo 0x1P-3"'],
    ['foo 0 1_2\n', 'expected next entry after timestamp, got "_" ("INVALID") while parsing: "foo 0 1_"'],
    ['{a="ok"} 1', 'metric name not set while parsing: "{a=\\"ok\\"} 1"'],
    ['# TYPE #\n#EOF\n', 'expected metric name after TYPE, got "#" ("INVALID") while parsing: "# TYPE #"'],
    ['# HELP #\n#EOF\n', 'expected metric name after HELP, got "#" ("INVALID") while parsing: "# HELP #"'],
    ['null_byte_metric{a="abc\0"} 1', ''],
    ['a{b="\0ss"} 1\n', ''],
    ['a{b="\0"} 1\n', ''],
    ['a{b=\0"ssss"} 1\n', 'expected label value, got "\\x00" ("INVALID") while parsing: "a{b=\\x00"'],
    ['a{b="\0', 'expected label value, got "\\"\\x00\\n" ("INVALID") while parsing: "a{b=\\"\\x00\\n"'],
    ['a{b\0="hiih"}\t1', 'expected equal, got "\\x00" ("INVALID") while parsing: "a{b\\x00"'],
    ['a\0{b="ddd"} 1', 'expected value after metric, got "\\x00" ("INVALID") while parsing: "a\\x00"'],
    ['a 0 1\0', 'expected next entry after timestamp, got "\\x00" ("INVALID") while parsing: "a 0 1\\x00"'],
  ])("upstream's test input %j: %j", (body, message) => {
    if (message === '') expect(() => parseTextFormat(body)).not.toThrow();
    else expect(() => parseTextFormat(body)).toThrow(new Error(message));
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
    expect(() => read('# TYPE 1x counter\n')).toThrow(
      new Error('expected metric name after TYPE, got "1" ("INVALID") while parsing: "# TYPE 1"'),
    );
    expect(() => read('ok 1\n# TYPE x counter extra\n')).toThrow(new Error('invalid metric type "counter extra"'));
    expect(() => read('# TYPE x\n')).toThrow(new Error('invalid metric type ""'));
    // A CR is part of the type: CRLF expositions fail on their first TYPE line.
    expect(() => read('# TYPE x counter\r\n')).toThrow(new Error('invalid metric type "counter\\r"'));
  });
});
