/**
 * The text exposition format as Prometheus 3.5 reads it: a target serves each body below, and
 * miniprom scrapes them all. Its verdict (up), the scrape's error and what it stored must be
 * Prometheus's: the third column is what Prometheus 3.5.3 answered for each body (its target's
 * lastError; empty: up). Where the peer is available it scrapes the same bodies at the same time,
 * and its answers (errors and stored samples) must equal miniprom's, which also re-checks the
 * table. The one body left out is a timestamp at the end of int64's range: both accept it, and the
 * sample, far in the future, would push every later sample of the same storage out of bounds.
 */
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenLocal } from './helpers/listen.js';
import { PROMETHEUS, startPrometheus, stopPrometheuses } from './helpers/prometheus.js';
import { listening, removeScratchDirs } from './helpers/server.js';
import { killAll } from './helpers/spawn.js';

if (PROMETHEUS.missing) console.log(`exposition-prometheus.test.ts: the reference is not asked: ${PROMETHEUS.missing}`);

/** Bytes that are not valid UTF-8, given in hex. */
const bytes = (hex: string) => Buffer.from(hex, 'hex');

/** [what, body, Prometheus 3.5.3's lastError ('' when up); {CASE} and {ADDR} stand for the target's labels]. */
const CASES: Array<[string, string | Buffer, string]> = [
  ['plain', 'm 1\n', ''],
  ['invalid utf8 label value', bytes('6d207b6c3d2261ff62227d20310a'), 'invalid UTF-8 label value: "\\"a\\xffb\\""'],
  [
    'timestamp overflow int64',
    'm 1 9999999999999999999\n',
    'strconv.ParseInt: parsing "9999999999999999999": value out of range while parsing: "m 1 9999999999999999999"',
  ],
  [
    'value 1e999999',
    'm 1e999999\n',
    'strconv.ParseFloat: parsing "1e999999": value out of range while parsing: "m 1e999999"',
  ],
  [
    'value -1e999999',
    'm -1e999999\n',
    'strconv.ParseFloat: parsing "-1e999999": value out of range while parsing: "m -1e999999"',
  ],
  ['value 1e-999999', 'm 1e-999999\n', ''],
  ['CRLF', 'm 1\r\nn 2\r\n', 'strconv.ParseFloat: parsing "1\\r": invalid syntax while parsing: "m 1\\r"'],
  [
    'CRLF with timestamp',
    'm 1 1000\r\n',
    'expected next entry after timestamp, got "\\r" ("INVALID") while parsing: "m 1 1000\\r"',
  ],
  ['negative timestamp', 'm 1 -1000\n', 'expected timestamp or new record, got "-" ("INVALID") while parsing: "m 1 -"'],
  ['timestamp +1', 'm 1 +1000\n', 'expected timestamp or new record, got "+" ("INVALID") while parsing: "m 1 +"'],
  ['timestamp float', 'm 1 1.5\n', 'expected next entry after timestamp, got "." ("INVALID") while parsing: "m 1 1."'],
  [
    'timestamp min int64',
    'm 1 -9223372036854775808\n',
    'expected timestamp or new record, got "-" ("INVALID") while parsing: "m 1 -"',
  ],
  [
    'timestamp 2^63',
    'm 1 9223372036854775808\n',
    'strconv.ParseInt: parsing "9223372036854775808": value out of range while parsing: "m 1 9223372036854775808"',
  ],
  ['hex value', 'm 0x10\n', 'strconv.ParseFloat: parsing "0x10": invalid syntax while parsing: "m 0x10"'],
  ['underscore value', 'm 1_000\n', 'unsupported character in float while parsing: "m 1_000"'],
  ['value .5', 'm .5\n', ''],
  ['value 5.', 'm 5.\n', ''],
  ['value +Inf', 'm +Inf\n', ''],
  ['value infinity', 'm infinity\n', ''],
  ['value nan', 'm nan\n', ''],
  ['value -nan', 'm -nan\n', 'strconv.ParseFloat: parsing "-nan": invalid syntax while parsing: "m -nan"'],
  ['value +5', 'm +5\n', ''],
  [
    'invalid utf8 in HELP',
    bytes('232048454c50206d2061ff620a6d20310a'),
    'help text "a\\xffb" is not a valid utf8 string',
  ],
  ['invalid utf8 in comment', bytes('232066ff0a6d20310a'), ''],
  ['lone CR line end', 'm 1\rn 2\n', 'strconv.ParseFloat: parsing "1\\rn": invalid syntax while parsing: "m 1\\rn"'],
  ['no final newline', 'm 1', ''],
  ['escape \\t in label', 'm{l="a\\tb"} 1\n', ''],
  ['quoted metric name', '{"m.x"} 1\n', ''],
  ['quoted label name', 'm{"l.x"="v"} 1\n', ''],
  ['utf8 label value', 'm{l="é"} 1\n', ''],
  ['empty label set', 'm{} 1\n', ''],
  ['trailing comma', 'm{l="v",} 1\n', ''],
  ['space before brace', 'm {l="v"} 1\n', ''],
  ['tab separators', 'm\t1\t1000\n', ''],
  ['duplicate label', 'm{l="a",l="b"} 1\n', 'label name "l" is not unique: invalid sample'],
  ['value with trailing junk', 'm 1x\n', 'strconv.ParseFloat: parsing "1x": invalid syntax while parsing: "m 1x"'],
  ['leading spaces', '  m 1\n', ''],
  ['BOM', '﻿m 1\n', 'expected a valid start token, got "\\xef" ("INVALID") while parsing: "\\xef"'],
  ['NUL in label value', 'm{l="a\u0000b"} 1\n', ''],
  ['value 1e308*10 literal', 'm 17976931348623157e292\n', ''],
  ['value 0x1p-2', 'm 0x1p-2\n', 'unsupported character in float while parsing: "m 0x1p-2"'],
  ['timestamp with leading zeros', 'm 1 0001000\n', ''],
  ['value Inf lowercase', 'm inf\n', ''],
  ['value -Inf', 'm -Inf\n', ''],
  ['TYPE after samples', 'm 1\n# TYPE m counter\n', ''],
  ['HELP twice', '# HELP m a\n# HELP m b\nm 1\n', ''],
  ['invalid TYPE', '# TYPE m foo\nm 1\n', 'invalid metric type "foo"'],
  ['raw newline in label value', 'm{l="a\nb"} 1\n', ''],
  ['no comma between labels', 'm{a="1" b="2"} 1\n', ''],
  ['unquoted name in braces', '{abc} 1\n', ''],
  ['glued value after name', 'm-1 2\n', ''],
  [
    'backslash newline in value',
    'm{l="a\\\nb"} 1\n',
    'expected label value, got "\\"a\\\\\\n" ("INVALID") while parsing: "m{l=\\"a\\\\\\n"',
  ],
  ['metric name already set', 'm{"x"} 1\n', 'metric name already set while parsing: "m{\\"x\\"}"'],
  ['brace-first name after label', '{l="v","m"} 1\n', ''],
  ['__name__ dup', 'm{__name__="x"} 1\n', 'label name "__name__" is not unique: invalid sample'],
  ['empty dup label', 'm{l="",l="x"} 1\n', ''],
  ['empty quoted metric', '{""} 1\n', 'missing metric name (__name__ label)'],
  [
    'empty quoted label name',
    'm{""="v"} 1\n',
    'invalid metric name or label names: {""="v", __name__="m", case="{CASE}", instance="{ADDR}", job="x"}',
  ],
  ['NUL line start', 'm 1\n\u0000garbage\n', ''],
  ['NUL in hash comment', '#c\u0000x\nm 1\n', ''],
  ['NUL in sComment', '# c\u0000x\nm 1\n', ''],
  ['CR in HELP', '# HELP m text\r\nm 1\n', ''],
  ['TYPE counter CR', '# TYPE m counter\r\nm 1\n', 'invalid metric type "counter\\r"'],
  ['value 1e-400', 'm 1e-400\n', ''],
  ['value 0x1', 'm 0x1\n', 'strconv.ParseFloat: parsing "0x1": invalid syntax while parsing: "m 0x1"'],
  ['value +inf', 'm +inf\n', ''],
  ['value INFINITY', 'm INFINITY\n', ''],
  ['value +nan', 'm +nan\n', 'strconv.ParseFloat: parsing "+nan": invalid syntax while parsing: "m +nan"'],
  [
    'timestamp then junk',
    'm 1 100 200\n',
    'expected next entry after timestamp, got "200\\n" ("TIMESTAMP") while parsing: "m 1 100 200\\n"',
  ],
  ['closing brace in value', 'm 1}\n', 'strconv.ParseFloat: parsing "1}": invalid syntax while parsing: "m 1}"'],
  ['label value after glued brace', 'm{l="v"}1\n', ''],
  ['escaped quote in quoted name', '{"a\\"b"} 1\n', ''],
  ['dup labels sorted', 'm{b="1",a="2",b="3",a="4"} 1\n', 'label name "a" is not unique: invalid sample'],
  [
    'invalid utf8 quoted name',
    bytes('7b2261ff62227d20310a'),
    'invalid metric name or label names: {__name__="a\\xffb", case="{CASE}", instance="{ADDR}", job="x"}',
  ],
  [
    'invalid utf8 in value token',
    bytes('6d2031ff0a'),
    'strconv.ParseFloat: parsing "1\\xff": invalid syntax while parsing: "m 1\\xff"',
  ],
  [
    'HELP NUL after name',
    '# HELP m\u0000x\nm 1\n',
    'linebreak expected after metadata, got "\\x00x" ("EOF") while parsing: "# HELP m\\x00x"',
  ],
  ['leading tab name', '\tm 1\n', ''],
  ['blank line CR', '\r\nm 1\n', 'expected a valid start token, got "\\r" ("INVALID") while parsing: "\\r"'],
  ['__name__ empty in braces', 'm{__name__=""} 1\n', 'missing metric name (__name__ label)'],
  ['empty then value', 'm{l="x",l=""} 1\n', ''],
  ['empty unrelated', 'm{a="",b="x"} 1\n', ''],
];

type Answer = { up: string; error: string; samples: string[] };

let target: HttpServer;
let address = '';
/** Scrapes seen, by User-Agent product, then case. */
const scrapes = new Map<string, number[]>();
const waiters = new Set<() => void>();

beforeAll(async () => {
  target = createServer((req: IncomingMessage, res) => {
    const i = Number(req.url?.slice(2));
    const agent = String(req.headers['user-agent']).split('/')[0] ?? '';
    const counts = scrapes.get(agent) ?? new Array<number>(CASES.length).fill(0);
    counts[i] = (counts[i] ?? 0) + 1;
    scrapes.set(agent, counts);
    for (const w of waiters) w();
    res.setHeader('Content-Type', 'text/plain; version=0.0.4; charset=utf-8');
    res.end(CASES[i]?.[1]);
  });
  address = `127.0.0.1:${await listenLocal(target)}`;
});
afterAll(async () => {
  killAll();
  await stopPrometheuses();
  removeScratchDirs();
  target.closeAllConnections();
  await new Promise((resolve) => target.close(resolve));
});

/** One job, one target per body (its path), told apart by a `case` label: the body's index. */
const config = () =>
  `global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: x
    static_configs:
${CASES.map((_, i) => `      - targets: ['${address}']\n        labels: { case: '${i}', __metrics_path__: '/b${i}' }`).join('\n')}
`;

/** Resolves once `agent` has scraped every body twice: the first scrape's samples are then stored. */
const scrapedTwice = (agent: string) =>
  new Promise<void>((resolve) => {
    const check = () => {
      if (!(scrapes.get(agent)?.every((n) => n >= 2) ?? false)) return;
      waiters.delete(check);
      resolve();
    };
    waiters.add(check);
    check();
  });

/** Each case's up, scrape error and stored samples (labels and value, without the target's labels). */
async function answers(base: string): Promise<Answer[]> {
  const get = async (path: string) => ((await (await fetch(`${base}${path}`)).json()) as { data: unknown }).data;
  const query = (q: string) => get(`/api/v1/query?query=${encodeURIComponent(q)}`);
  const ups = (await query('up{job="x"}')) as { result: Array<{ metric: { case: string }; value: [number, string] }> };
  const targets = (await get('/api/v1/targets')) as {
    activeTargets: Array<{ labels: { case: string }; lastError: string }>;
  };
  const stored = (await query('last_over_time({job="x",__name__!~"up|scrape_.*"}[1h])')) as {
    result: Array<{ metric: Record<string, string>; value: [number, string] }>;
  };
  return CASES.map((_, i) => {
    const c = String(i);
    const samples = stored.result
      .filter((s) => s.metric.case === c)
      .map(({ metric, value }) => {
        const { job: _j, instance: _i, case: _c, ...own } = metric;
        return `${JSON.stringify(own)} ${value[1]}`;
      })
      .sort();
    return {
      up: ups.result.find((u) => u.metric.case === c)?.value[1] ?? 'missing',
      error: targets.activeTargets.find((t) => t.labels.case === c)?.lastError ?? 'missing',
      samples,
    };
  });
}

describe('exposition bodies, beside Prometheus 3.5', () => {
  let ours: Answer[];
  let theirs: Answer[] | undefined;

  beforeAll(async () => {
    const server = await listening({ config: config() });
    const reference = PROMETHEUS.path ? await startPrometheus({ config: config() }) : undefined;
    await Promise.all([scrapedTwice('miniprom'), reference ? scrapedTwice('Prometheus') : undefined]);
    ours = await answers(server.base);
    theirs = reference ? await answers(reference.base) : undefined;
  }, 60_000);

  it.each(CASES.map(([what, , error], i) => [what, i, error] as const))('%s', (_what, i, error) => {
    const expected = error.replaceAll('{CASE}', String(i)).replaceAll('{ADDR}', address);
    const answer = ours[i] as Answer;
    expect({ up: answer.up, error: answer.error }).toEqual({ up: expected === '' ? '1' : '0', error: expected });
    if (theirs) expect(answer).toEqual(theirs[i]);
  });
});
