/**
 * The OpenMetrics parser gives Prometheus 3.5's verdicts: upstream's own test cases (see
 * openmetrics-upstream-cases.ts and its NOTICE), then the samples, labels and metadata of
 * upstream's example expositions, read as a scrape reads them by default (`_created` series kept).
 */
import { describe, expect, it } from 'vitest';
import { decodeUTF8 } from '../../src/golang/index.js';
import { OpenMetricsScanner } from '../../src/scrape/openmetrics.js';
import { OPENMETRICS_NULL_BYTES, OPENMETRICS_PARSE_ERRORS } from './openmetrics-upstream-cases.js';

interface Read {
  samples: Array<[string, number, number?]>;
  meta: Array<[string, string, string]>;
  /** The exposition's series texts (what the scrape cache keys on), in order. */
  series: string[];
}

/** Reads an exposition given as text (or, with `latin1`, as bytes one per character). */
function read(input: string, encoding: 'utf8' | 'latin1' = 'utf8'): Read {
  const { text, valid } = decodeUTF8(Buffer.from(input, encoding));
  const out: Read = { samples: [], meta: [], series: [] };
  const scanner = new OpenMetricsScanner(text, { validUTF8: valid });
  scanner.scan(
    (labels, value, timestamp, start, end) => {
      out.samples.push(timestamp === undefined ? [show(labels), value] : [show(labels), value, timestamp]);
      out.series.push(text.slice(start, end));
    },
    (kind, metric, value) => out.meta.push([kind, metric, value]),
    Number.POSITIVE_INFINITY,
  );
  return out;
}

/** `name{a="b",…}`, labels sorted, values JSON-quoted: one readable string per label set. */
function show(labels: Record<string, string>): string {
  const { __name__: name, ...rest } = labels;
  const pairs = Object.keys(rest)
    .sort()
    .map((k) => `${k}=${JSON.stringify(rest[k])}`);
  return pairs.length === 0 ? `${name}` : `${name}{${pairs.join(',')}}`;
}

/** Upstream's verdict for an input given as bytes: its error, or `EOF` once read to the end. */
function verdict(bytes: string): string {
  try {
    read(bytes, 'latin1');
    return 'EOF';
  } catch (err) {
    return (err as Error).message;
  }
}

describe("upstream's OpenMetrics parse errors (TestOpenMetricsParseErrors)", () => {
  it.each(OPENMETRICS_PARSE_ERRORS)('%j → %s', (input, expected) => {
    expect(verdict(input)).toBe(expected);
  });
});

describe("upstream's NUL byte handling (TestOMNullByteHandling)", () => {
  it.each(OPENMETRICS_NULL_BYTES)('%j → %s', (input, expected) => {
    expect(verdict(input)).toBe(expected);
  });
});

describe("upstream's example exposition (TestOpenMetricsParse)", () => {
  // Upstream's input, from openmetricsparse_test.go at v3.5.3 (Apache-2.0, see the NOTICE in
  // openmetrics-upstream-cases.ts).
  const input = `# HELP go_gc_duration_seconds A summary of the GC invocation durations.
# TYPE go_gc_duration_seconds summary
# UNIT go_gc_duration_seconds seconds
go_gc_duration_seconds{quantile="0"} 4.9351e-05
go_gc_duration_seconds{quantile="0.25"} 7.424100000000001e-05
go_gc_duration_seconds{quantile="0.5",a="b"} 8.3835e-05
# HELP nohelp1 
# HELP help2 escape \\ \\n \\\\ \\" \\x chars
# UNIT nounit 
go_gc_duration_seconds{quantile="1.0",a="b"} 8.3835e-05
go_gc_duration_seconds_count 99
some:aggregate:rate5m{a_b="c"} 1
# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 33 123.123
# TYPE hh histogram
hh_bucket{le="+Inf"} 1
# TYPE gh gaugehistogram
gh_bucket{le="+Inf"} 1
# TYPE hhh histogram
hhh_bucket{le="+Inf"} 1 # {id="histogram-bucket-test"} 4
hhh_count 1 # {id="histogram-count-test"} 4
# TYPE ggh gaugehistogram
ggh_bucket{le="+Inf"} 1 # {id="gaugehistogram-bucket-test",xx="yy"} 4 123.123
ggh_count 1 # {id="gaugehistogram-count-test",xx="yy"} 4 123.123
# TYPE smr_seconds summary
smr_seconds_count 2.0 # {id="summary-count-test"} 1 123.321
smr_seconds_sum 42.0 # {id="summary-sum-test"} 1 123.321
# TYPE ii info
ii{foo="bar"} 1
# TYPE ss stateset
ss{ss="foo"} 1
ss{ss="bar"} 0
ss{A="a"} 0
# TYPE un unknown
_metric_starting_with_underscore 1
testmetric{_label_starting_with_underscore="foo"} 1
testmetric{label="\\"bar\\""} 1
# HELP foo Counter with and without labels to certify CT is parsed for both cases
# TYPE foo counter
foo_total 17.0 1520879607.789 # {id="counter-test"} 5
foo_created 1520872607.123
foo_total{a="b"} 17.0 1520879607.789 # {id="counter-test"} 5
foo_created{a="b"} 1520872607.123
foo_total{le="c"} 21.0
foo_created{le="c"} 1520872621.123
foo_total{le="1"} 10.0
# HELP bar Summary with CT at the end, making sure we find CT even if it's multiple lines a far
# TYPE bar summary
bar_count 17.0
bar_sum 324789.3
bar{quantile="0.95"} 123.7
bar{quantile="0.99"} 150.0
bar_created 1520872608.124
# HELP baz Histogram with the same objective as above's summary
# TYPE baz histogram
baz_bucket{le="0.0"} 0
baz_bucket{le="+Inf"} 17
baz_count 17
baz_sum 324789.3
baz_created 1520872609.125
# HELP fizz_created Gauge which shouldn't be parsed as CT
# TYPE fizz_created gauge
fizz_created 17.0
# HELP something Histogram with _created between buckets and summary
# TYPE something histogram
something_count 18
something_sum 324789.4
something_created 1520430001
something_bucket{le="0.0"} 1
something_bucket{le="1"} 2
something_bucket{le="+Inf"} 18
# HELP yum Summary with _created between sum and quantiles
# TYPE yum summary
yum_count 20
yum_sum 324789.5
yum_created 1520430003
yum{quantile="0.95"} 123.7
yum{quantile="0.99"} 150.0
# HELP foobar Summary with _created as the first line
# TYPE foobar summary
foobar_count 21
foobar_created 1520430004
foobar_sum 324789.6
foobar{quantile="0.95"} 123.8
foobar{quantile="0.99"} 150.1
# HELP metric foo\x00bar
null_byte_metric{a="abc\x00"} 1
# EOF
`;

  it("reads every sample, _created series included, with timestamps in ms and le/quantile in OpenMetrics' float form", () => {
    expect(read(input).samples).toEqual([
      ['go_gc_duration_seconds{quantile="0.0"}', 4.9351e-5],
      ['go_gc_duration_seconds{quantile="0.25"}', 7.424100000000001e-5],
      ['go_gc_duration_seconds{a="b",quantile="0.5"}', 8.3835e-5],
      ['go_gc_duration_seconds{a="b",quantile="1.0"}', 8.3835e-5],
      ['go_gc_duration_seconds_count', 99],
      ['some:aggregate:rate5m{a_b="c"}', 1],
      ['go_goroutines', 33, 123123],
      ['hh_bucket{le="+Inf"}', 1],
      ['gh_bucket{le="+Inf"}', 1],
      ['hhh_bucket{le="+Inf"}', 1],
      ['hhh_count', 1],
      ['ggh_bucket{le="+Inf"}', 1],
      ['ggh_count', 1],
      ['smr_seconds_count', 2],
      ['smr_seconds_sum', 42],
      ['ii{foo="bar"}', 1],
      ['ss{ss="foo"}', 1],
      ['ss{ss="bar"}', 0],
      ['ss{A="a"}', 0],
      ['_metric_starting_with_underscore', 1],
      ['testmetric{_label_starting_with_underscore="foo"}', 1],
      ['testmetric{label="\\"bar\\""}', 1],
      ['foo_total', 17, 1520879607789],
      ['foo_created', 1520872607.123],
      ['foo_total{a="b"}', 17, 1520879607789],
      ['foo_created{a="b"}', 1520872607.123],
      ['foo_total{le="c"}', 21],
      ['foo_created{le="c"}', 1520872621.123],
      // A counter's `le` is an ordinary label: left as written.
      ['foo_total{le="1"}', 10],
      ['bar_count', 17],
      ['bar_sum', 324789.3],
      ['bar{quantile="0.95"}', 123.7],
      ['bar{quantile="0.99"}', 150],
      ['bar_created', 1520872608.124],
      ['baz_bucket{le="0.0"}', 0],
      ['baz_bucket{le="+Inf"}', 17],
      ['baz_count', 17],
      ['baz_sum', 324789.3],
      ['baz_created', 1520872609.125],
      ['fizz_created', 17],
      ['something_count', 18],
      ['something_sum', 324789.4],
      ['something_created', 1520430001],
      ['something_bucket{le="0.0"}', 1],
      ['something_bucket{le="1.0"}', 2],
      ['something_bucket{le="+Inf"}', 18],
      ['yum_count', 20],
      ['yum_sum', 324789.5],
      ['yum_created', 1520430003],
      ['yum{quantile="0.95"}', 123.7],
      ['yum{quantile="0.99"}', 150],
      ['foobar_count', 21],
      ['foobar_created', 1520430004],
      ['foobar_sum', 324789.6],
      ['foobar{quantile="0.95"}', 123.8],
      ['foobar{quantile="0.99"}', 150.1],
      ['null_byte_metric{a="abc\\u0000"}', 1],
    ]);
  });

  it('reports HELP (unescaped as label values are), TYPE and UNIT lines as metadata', () => {
    const meta = read(input).meta;
    expect(meta.slice(0, 6)).toEqual([
      ['help', 'go_gc_duration_seconds', 'A summary of the GC invocation durations.'],
      ['type', 'go_gc_duration_seconds', 'summary'],
      ['unit', 'go_gc_duration_seconds', 'seconds'],
      ['help', 'nohelp1', ''],
      ['help', 'help2', 'escape \\ \n \\ " \\x chars'],
      ['unit', 'nounit', ''],
    ]);
    expect(meta.filter(([kind]) => kind === 'type').map(([, m, t]) => `${m} ${t}`)).toContain('gh gaugehistogram');
    expect(meta).toContainEqual(['type', 'ii', 'info']);
    expect(meta).toContainEqual(['type', 'ss', 'stateset']);
    expect(meta).toContainEqual(['type', 'un', 'unknown']);
    expect(meta.at(-1)).toEqual(['help', 'metric', 'foo\x00bar']);
  });

  it('keys each sample by its series text as written, exemplar and timestamp left out', () => {
    const { series } = read(input);
    expect(series).toContain('go_gc_duration_seconds{quantile="0.5",a="b"}');
    expect(series).toContain('hhh_bucket{le="+Inf"}');
    expect(series).toContain('foo_total');
  });
});

describe('UTF-8 names (TestOpenMetricsParse_UTF8)', () => {
  const input = `# HELP "go.gc_duration_seconds" A summary of the GC invocation durations.
# TYPE "go.gc_duration_seconds" summary
# UNIT "go.gc_duration_seconds" seconds
{"go.gc_duration_seconds",quantile="0"} 4.9351e-05
{"go.gc_duration_seconds_created"} 1520872607.123
{q="0.9","http.status",a="b"} 8.3835e-05
{"Heizölrückstoßabdämpfung 10€ metric with \\"interesting\\" {character\\nchoices}","strange©™\\n'quoted' \\"name\\""="6"} 10.0
quotedexemplar_count 1 # {"id.thing"="histogram-count-test"} 4
quotedexemplar2_count 1 # {"id.thing"="histogram-count-test",other="hello"} 4
# EOF
`;

  it('reads quoted metric and label names anywhere in the braces, unescaped', () => {
    const { samples, meta } = read(input);
    expect(meta[0]).toEqual(['help', 'go.gc_duration_seconds', 'A summary of the GC invocation durations.']);
    expect(samples).toEqual([
      ['go.gc_duration_seconds{quantile="0.0"}', 4.9351e-5],
      ['go.gc_duration_seconds_created', 1520872607.123],
      ['http.status{a="b",q="0.9"}', 8.3835e-5],
      [
        'Heizölrückstoßabdämpfung 10€ metric with "interesting" {character\nchoices}{strange©™\n\'quoted\' "name"="6"}',
        10,
      ],
      ['quotedexemplar_count', 1],
      ['quotedexemplar2_count', 1],
    ]);
  });
});

describe('the rules OpenMetrics adds to the text format', () => {
  const verdictOf = (text: string) => verdict(Buffer.from(text).toString('latin1'));

  it('truncates a fractional timestamp in seconds to whole milliseconds, as Go converts to int64', () => {
    expect(read('a 1 1.0005\nb 1 -1.5\n# EOF\n').samples).toEqual([
      ['a', 1, 1000],
      ['b', 1, -1500],
    ]);
  });

  it('drops exemplars, with or without their own timestamp', () => {
    expect(read('c_total 3 # {trace_id="abc"} 0.5 1.25\nc_total{x="y"} 4 10 # {} 1\n# EOF\n').samples).toEqual([
      ['c_total', 3],
      ['c_total{x="y"}', 4, 10000],
    ]);
  });

  it('refuses a comment that is not HELP, TYPE, UNIT or EOF', () => {
    expect(verdictOf('# a comment\na 1\n# EOF\n')).toBe(
      'expected a valid start token, got "# a" ("INVALID") while parsing: "# a"',
    );
  });

  it('refuses a unit that is not a suffix of its metric after an underscore', () => {
    expect(verdictOf('# UNIT a_seconds seconds\n# EOF\n')).toBe('EOF');
    expect(verdictOf('# UNIT aseconds seconds\n# EOF\n')).toBe('unit "seconds" not a suffix of metric "aseconds"');
  });

  it('allows a trailing comma in a label set', () => {
    expect(read('a{b="c",} 1\n# EOF\n').samples).toEqual([['a{b="c"}', 1]]);
  });

  it('refuses text after # EOF, a missing # EOF, and a tab between the parts of a line', () => {
    expect(verdictOf('a 1\n# EOF\nb 2\n')).toBe('unexpected data after # EOF');
    expect(verdictOf('a 1\n')).toBe('data does not end with # EOF');
    expect(verdictOf('a\t1\n# EOF\n')).toBe('expected value after metric, got "\\t" ("INVALID") while parsing: "a\\t"');
  });

  it('ends a sample without complaint at a token it does not expect, and fails the entry after it, as upstream', () => {
    // Two blanks before the timestamp: upstream's parser accepts `a 1`, then cannot start an
    // entry at the second blank.
    let seen = 0;
    const scanner = new OpenMetricsScanner('a 1  2\n# EOF\n');
    expect(() => scanner.scan(() => seen++, undefined, Number.POSITIVE_INFINITY)).toThrow(
      'expected a valid start token, got " 2\\n" ("TIMESTAMP") while parsing: " 2\\n"',
    );
    expect(seen).toBe(1);
  });

  it('refuses a sample whose labels name one label twice, as the head refuses it', () => {
    expect(verdictOf('a{b="1",b="2"} 1\n# EOF\n')).toBe('label name "b" is not unique: invalid sample');
  });
});
