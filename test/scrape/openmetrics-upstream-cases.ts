/**
 * Test data copied from Prometheus (github.com/prometheus/prometheus, tag v3.5.3,
 * model/textparse/openmetricsparse_test.go: TestOpenMetricsParseErrors and TestOMNullByteHandling),
 * Copyright The Prometheus Authors, licensed under the Apache License, Version 2.0
 * (http://www.apache.org/licenses/LICENSE-2.0). Converted from Go literals by a script, unchanged.
 *
 * Each case is [input, verdict]. An input is written as bytes: each character is one byte
 * (latin1), so `\u00ff` is the invalid UTF-8 byte 0xff, as Go's `\xff`. The verdict is upstream's
 * error text, or `EOF` when the exposition reads to its end without one.
 */
export const OPENMETRICS_PARSE_ERRORS: ReadonlyArray<readonly [string, string]> = [
  ['# EOF', 'EOF'],
  ['# EOF\n', 'EOF'],
  ['', 'data does not end with # EOF'],
  ['\n', 'expected a valid start token, got "\\n" ("INVALID") while parsing: "\\n"'],
  ['metric', 'expected value after metric, got "metric" ("EOF") while parsing: "metric"'],
  ['metric 1', 'data does not end with # EOF'],
  ['metric 1\n', 'data does not end with # EOF'],
  ['metric_total 1 # {aa="bb"} 4', 'data does not end with # EOF'],
  ['a\n#EOF\n', 'expected value after metric, got "\\n" ("INVALID") while parsing: "a\\n"'],
  ['\n\n#EOF\n', 'expected a valid start token, got "\\n" ("INVALID") while parsing: "\\n"'],
  [' a 1\n#EOF\n', 'expected a valid start token, got " " ("INVALID") while parsing: " "'],
  ['9\n#EOF\n', 'expected a valid start token, got "9" ("INVALID") while parsing: "9"'],
  ['# TYPE u untyped\n#EOF\n', 'invalid metric type "untyped"'],
  ['# TYPE c counter \n#EOF\n', 'invalid metric type "counter "'],
  ['#  TYPE c counter\n#EOF\n', 'expected a valid start token, got "#  " ("INVALID") while parsing: "#  "'],
  ['# TYPE \n#EOF\n', 'expected metric name after TYPE, got "\\n" ("INVALID") while parsing: "# TYPE \\n"'],
  ['# TYPE m\n#EOF\n', 'expected text in TYPE'],
  ['# UNIT metric suffix\n#EOF\n', 'unit "suffix" not a suffix of metric "metric"'],
  ['# UNIT metricsuffix suffix\n#EOF\n', 'unit "suffix" not a suffix of metric "metricsuffix"'],
  ['# UNIT m suffix\n#EOF\n', 'unit "suffix" not a suffix of metric "m"'],
  ['# UNIT \n#EOF\n', 'expected metric name after UNIT, got "\\n" ("INVALID") while parsing: "# UNIT \\n"'],
  ['# UNIT m\n#EOF\n', 'expected text in UNIT'],
  ['# HELP \n#EOF\n', 'expected metric name after HELP, got "\\n" ("INVALID") while parsing: "# HELP \\n"'],
  ['# HELP m\n#EOF\n', 'expected text in HELP'],
  ['a\t1\n#EOF\n', 'expected value after metric, got "\\t" ("INVALID") while parsing: "a\\t"'],
  ['a 1\t2\n#EOF\n', 'strconv.ParseFloat: parsing "1\\t2": invalid syntax while parsing: "a 1\\t2"'],
  ['a 1 2 \n#EOF\n', 'expected next entry after timestamp, got " \\n" ("INVALID") while parsing: "a 1 2 \\n"'],
  ['a 1 2 #\n#EOF\n', 'expected next entry after timestamp, got " #\\n" ("TIMESTAMP") while parsing: "a 1 2 #\\n"'],
  ['a 1 1z\n#EOF\n', 'strconv.ParseFloat: parsing "1z": invalid syntax while parsing: "a 1 1z"'],
  [' # EOF\n', 'expected a valid start token, got " " ("INVALID") while parsing: " "'],
  ['# EOF\na 1', 'unexpected data after # EOF'],
  ['# EOF\n\n', 'unexpected data after # EOF'],
  ['# EOFa 1', 'unexpected data after # EOF'],
  ['#\tTYPE c counter\n', 'expected a valid start token, got "#\\t" ("INVALID") while parsing: "#\\t"'],
  ['# TYPE c  counter\n', 'invalid metric type " counter"'],
  ['a 1 1 1\n# EOF\n', 'expected next entry after timestamp, got " 1\\n" ("TIMESTAMP") while parsing: "a 1 1 1\\n"'],
  ["a{b='c'} 1\n# EOF\n", 'expected label value, got "\'" ("INVALID") while parsing: "a{b=\'"'],
  ['a{,b="c"} 1\n# EOF\n', 'expected label name, got ",b" ("COMMA") while parsing: "a{,b"'],
  ['a{b="c"d="e"} 1\n# EOF\n', 'expected comma or brace close, got "d=" ("LNAME") while parsing: "a{b=\\"c\\"d="'],
  ['a{b="c",,d="e"} 1\n# EOF\n', 'expected label name, got ",d" ("COMMA") while parsing: "a{b=\\"c\\",,d"'],
  ['a{b=\n# EOF\n', 'expected label value, got "\\n" ("INVALID") while parsing: "a{b=\\n"'],
  ['a{\u00ff="foo"} 1\n# EOF\n', 'expected label name, got "\\xff" ("INVALID") while parsing: "a{\\xff"'],
  ['a{b="\u00ff"} 1\n# EOF\n', 'invalid UTF-8 label value: "\\"\\xff\\""'],
  ['{"a","b = "c"}\n# EOF\n', 'expected equal, got "c\\"" ("LNAME") while parsing: "{\\"a\\",\\"b = \\"c\\""'],
  ['{"a",b\\nc="d"} 1\n# EOF\n', 'expected equal, got "\\\\" ("INVALID") while parsing: "{\\"a\\",b\\\\"'],
  ['a true\n', 'strconv.ParseFloat: parsing "true": invalid syntax while parsing: "a true"'],
  [
    'something_weird{problem="\n# EOF\n',
    'expected label value, got "\\"\\n" ("INVALID") while parsing: "something_weird{problem=\\"\\n"',
  ],
  [
    'empty_label_name{=""} 0\n# EOF\n',
    'expected label name, got "=\\"" ("EQUAL") while parsing: "empty_label_name{=\\""',
  ],
  ['foo 1_2\n\n# EOF\n', 'unsupported character in float while parsing: "foo 1_2"'],
  ['foo 0x1p-3\n\n# EOF\n', 'unsupported character in float while parsing: "foo 0x1p-3"'],
  ['foo 0x1P-3\n\n# EOF\n', 'unsupported character in float while parsing: "foo 0x1P-3"'],
  ['foo 0 1_2\n\n# EOF\n', 'unsupported character in float while parsing: "foo 0 1_2"'],
  [
    'custom_metric_total 1 # {aa=bb}\n# EOF\n',
    'expected label value, got "b" ("INVALID") while parsing: "custom_metric_total 1 # {aa=b"',
  ],
  [
    'custom_metric_total 1 # {aa="bb"}\n# EOF\n',
    'expected value after exemplar labels, got "\\n" ("INVALID") while parsing: "custom_metric_total 1 # {aa=\\"bb\\"}\\n"',
  ],
  [
    'custom_metric_total 1 # {aa="bb"}',
    'expected value after exemplar labels, got "}" ("EOF") while parsing: "custom_metric_total 1 # {aa=\\"bb\\"}"',
  ],
  [
    'custom_metric_total 1 # {bb}',
    'expected label name, got "}" ("BCLOSE") while parsing: "custom_metric_total 1 # {bb}"',
  ],
  [
    'custom_metric_total 1 # {bb, a="dd"}',
    'expected label name, got ", " ("COMMA") while parsing: "custom_metric_total 1 # {bb, "',
  ],
  [
    'custom_metric_total 1 # {aa="bb",,cc="dd"} 1',
    'expected label name, got ",c" ("COMMA") while parsing: "custom_metric_total 1 # {aa=\\"bb\\",,c"',
  ],
  [
    'custom_metric_total 1 # {aa="bb"} 1_2',
    'unsupported character in float while parsing: "custom_metric_total 1 # {aa=\\"bb\\"} 1_2"',
  ],
  [
    'custom_metric_total 1 # {aa="bb"} 0x1p-3',
    'unsupported character in float while parsing: "custom_metric_total 1 # {aa=\\"bb\\"} 0x1p-3"',
  ],
  [
    'custom_metric_total 1 # {aa="bb"} true',
    'strconv.ParseFloat: parsing "true": invalid syntax while parsing: "custom_metric_total 1 # {aa=\\"bb\\"} true"',
  ],
  [
    'custom_metric_total 1 # {aa="bb",cc=}',
    'expected label value, got "}" ("INVALID") while parsing: "custom_metric_total 1 # {aa=\\"bb\\",cc=}"',
  ],
  [
    'custom_metric_total 1 # {aa=\\"\\xff\\"} 9.0',
    'expected label value, got "\\\\" ("INVALID") while parsing: "custom_metric_total 1 # {aa=\\\\"',
  ],
  ['{b="c",} 1', 'metric name not set while parsing: "{b=\\"c\\",} 1"'],
  ['a 1 NaN', 'invalid timestamp NaN'],
  ['a 1 -Inf', 'invalid timestamp -Inf'],
  ['a 1 Inf', 'invalid timestamp +Inf'],
  ['# TYPE hhh histogram\nhhh_bucket{le="+Inf"} 1 # {aa="bb"} 4 NaN', 'invalid exemplar timestamp NaN'],
  ['# TYPE hhh histogram\nhhh_bucket{le="+Inf"} 1 # {aa="bb"} 4 -Inf', 'invalid exemplar timestamp -Inf'],
];

/** TestOMNullByteHandling: NULs are kept in label values, and read as the end elsewhere. */
export const OPENMETRICS_NULL_BYTES: ReadonlyArray<readonly [string, string]> = [
  ['null_byte_metric{a="abc\u0000"} 1\n# EOF\n', 'EOF'],
  ['a{b="\u0000ss"} 1\n# EOF\n', 'EOF'],
  ['a{b="\u0000"} 1\n# EOF\n', 'EOF'],
  ['a{b="\u0000"} 1\n# EOF', 'EOF'],
  ['a{b=\u0000"ssss"} 1\n# EOF\n', 'expected label value, got "\\x00" ("INVALID") while parsing: "a{b=\\x00"'],
  ['a{b="\u0000', 'expected label value, got "\\"\\x00" ("INVALID") while parsing: "a{b=\\"\\x00"'],
  ['a{b\u0000="hiih"}\t1', 'expected equal, got "\\x00" ("INVALID") while parsing: "a{b\\x00"'],
  ['a\u0000{b="ddd"} 1', 'expected value after metric, got "\\x00" ("INVALID") while parsing: "a\\x00"'],
  ['#', 'expected a valid start token, got "#" ("INVALID") while parsing: "#"'],
  ['# H', 'expected a valid start token, got "# H" ("INVALID") while parsing: "# H"'],
  [
    'custom_metric_total 1 # {b=\u0000"ssss"} 1\n',
    'expected label value, got "\\x00" ("INVALID") while parsing: "custom_metric_total 1 # {b=\\x00"',
  ],
  [
    'custom_metric_total 1 # {b="\u0000ss"} 1\n',
    'expected label value, got "\\"\\x00" ("INVALID") while parsing: "custom_metric_total 1 # {b=\\"\\x00"',
  ],
];
