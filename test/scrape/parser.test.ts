import { describe, expect, it } from 'vitest';
import { parseTextFormat } from '../../src/scrape/index.js';

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

  it.each([
    ['1abc 1', 'line 1: expected metric name'],
    ['a{1b="x"} 1', 'line 1: expected label name'],
    ['a{b"x"} 1', 'expected equal sign after label name "b"'],
    ['a{b=x} 1', 'expected quoted label value for "b"'],
    ['a{b="x} 1', 'unterminated label value for "b"'],
    ['a{b="x" c="y"} 1', 'expected comma or closing brace'],
    ['a{b="x",b="y"} 1', 'duplicate label name "b"'],
    ['ok 1\na', 'line 2: expected value after metric, got ""'],
    ['a one', 'expected value after metric, got "one"'],
    ['a 1 soon', 'invalid timestamp "soon"'],
  ])('rejects %j with %j', (body, message) => {
    expect(() => parseTextFormat(body)).toThrow(message);
  });

  it('parses 100k lines well under a second', () => {
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i++)
      lines.push(`http_requests_total{method="get",code="200",handler="/api/v1/q${i % 100}"} ${i}`);
    const body = lines.join('\n');
    const t0 = performance.now();
    const samples = parseTextFormat(body);
    const ms = performance.now() - t0;
    expect(samples).toHaveLength(100_000);
    console.log(
      `parser: 100k samples in ${ms.toFixed(1)} ms (${Math.round(100_000 / (ms / 1000)).toLocaleString('en')} samples/s)`,
    );
    expect(ms).toBeLessThan(1000);
  });
});
