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

  it('parses in linear time: twice the lines take about twice as long (and prints the rate)', () => {
    const body = (n: number) => {
      const lines: string[] = [];
      for (let i = 0; i < n; i++)
        lines.push(`http_requests_total{method="get",code="200",handler="/api/v1/q${i % 100}"} ${i}`);
      return lines.join('\n');
    };
    const time = (text: string) => {
      // Best of three, so a busy CI machine's hiccup does not decide the result.
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        parseTextFormat(text);
        best = Math.min(best, performance.now() - t0);
      }
      return best;
    };
    const small = body(50_000);
    const large = body(100_000);
    expect(parseTextFormat(large)).toHaveLength(100_000);
    const tSmall = time(small);
    const tLarge = time(large);
    console.log(
      `parser: 100k samples in ${tLarge.toFixed(1)} ms (${Math.round(100_000 / (tLarge / 1000)).toLocaleString('en')} samples/s)`,
    );
    // A quadratic slip (re-scanning the body per line, say) would make this ratio about 4.
    expect(tLarge / tSmall).toBeLessThan(3);
  });
});
