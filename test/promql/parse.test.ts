/**
 * The parser against Prometheus 3.5's own answers: every query of the corpus in
 * test/fixtures/promql/parse (upstream's parser-test inputs, probes, and one-token mutants of
 * both; see its NOTICE) must get the same error text, or the same tree (as /api/v1/parse_query
 * shows it) and the same formatted text (as /api/v1/format_query). The recorded answers are
 * checked against a running Prometheus 3.5 too, when the reference peer is there.
 */
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Expr,
  ParseError,
  parseExpr,
  parseMetricSelector,
  prettify,
  translateAST,
} from '../../src/promql/index.js';
import { PROMETHEUS, type ReferencePrometheus, startPrometheus, stopPrometheuses } from '../helpers/prometheus.js';
import { removeScratchDirs } from '../helpers/server.js';

interface Case {
  input: string;
  error?: string;
  ast?: unknown;
  formatted?: string;
}

const dir = new URL('../fixtures/promql/parse/', import.meta.url);
const load = (file: string): Case[] => JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as Case[];
const corpus = ['upstream.json', 'probes.json', 'mutants.json'].flatMap(load);
const { differences } = JSON.parse(readFileSync(new URL('differences.json', dir), 'utf8')) as {
  differences: Record<string, string>;
};

/**
 * Go's encoding/json writes a string's invalid UTF-8 as U+FFFD; miniprom holds such bytes as lone
 * surrogates (see unquote.ts), which the API writes the same way.
 */
function asGoJSON(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value).replace(
      /\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}/gi,
      '\\ufffd',
    ),
  );
}

/** What miniprom answers, in the recorded form. */
function answer(input: string): Case {
  try {
    const expr: Expr = parseExpr(input, { experimentalFunctions: true });
    return { input, ast: asGoJSON(translateAST(expr)), formatted: prettify(expr) };
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    return { input, error: err.message };
  }
}

function same(got: Case, want: Case): boolean {
  if (want.error !== undefined || got.error !== undefined) return got.error === want.error;
  return got.formatted === want.formatted && (want.ast === undefined || isDeepStrictEqual(got.ast, want.ast));
}

describe('the parser answers as Prometheus 3.5 does', () => {
  it(`gives the recorded answer for each of the ${corpus.length} queries of the corpus`, () => {
    const wrong: string[] = [];
    for (const c of corpus) {
      const got = answer(c.input);
      const listed = c.input in differences;
      if (same(got, c) === listed) {
        wrong.push(
          listed
            ? `${JSON.stringify(c.input)} is listed as a difference but now agrees: take it off the list`
            : `${JSON.stringify(c.input)}\n  upstream: ${c.error ?? c.formatted}\n  miniprom: ${got.error ?? got.formatted}`,
        );
      }
    }
    console.log(
      `parser corpus: ${corpus.length} queries, ${corpus.length - Object.keys(differences).length} answered as upstream, ${Object.keys(differences).length} listed differences`,
    );
    expect(wrong).toEqual([]);
  });

  it('never throws anything but a ParseError, whatever the input', () => {
    // Every prefix of every corpus query: truncated input is what an editor sends while typing.
    for (const c of corpus.slice(0, 400)) {
      for (let n = 0; n < c.input.length; n++) expect(() => answer(c.input.slice(0, n))).not.toThrow();
    }
  });
});

describe.skipIf(!PROMETHEUS.path)('the recorded answers are what a running Prometheus 3.5 says', () => {
  let prometheus: ReferencePrometheus;
  beforeAll(async () => {
    prometheus = await startPrometheus({ args: ['--enable-feature=promql-experimental-functions'] });
  }, 60_000);
  afterAll(async () => {
    await stopPrometheuses();
    removeScratchDirs();
  });

  it('for every query of the corpus', async () => {
    const post = async (path: string, query: string) =>
      (await (
        await fetch(`${prometheus.base}${path}`, { method: 'POST', body: new URLSearchParams({ query }) })
      ).json()) as { status: string; data?: unknown; error?: string };
    const stale: string[] = [];
    // Bounded concurrency: the corpus is a few thousand small requests.
    const queue = [...corpus];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let c = queue.shift(); c; c = queue.shift()) {
          const parsed = await post('/api/v1/parse_query', c.input);
          const live: Case =
            parsed.status === 'success'
              ? {
                  input: c.input,
                  ast: parsed.data,
                  formatted: (await post('/api/v1/format_query', c.input)).data as string,
                }
              : { input: c.input, error: (parsed.error as string).replace(/^invalid parameter "query": /, '') };
          if (!same(live, c)) stale.push(c.input);
        }
      }),
    );
    // A stale entry means the recorded corpus no longer matches the peer: re-run record.mjs.
    expect(stale).toEqual([]);
  }, 120_000);
});
if (!PROMETHEUS.path) console.log(`parse.test.ts: live comparison skipped: ${PROMETHEUS.missing}`);

describe('parser specifics', () => {
  const parse = (q: string) => parseExpr(q, { experimentalFunctions: true });
  const error = (q: string, opts = { experimentalFunctions: true }) => {
    try {
      parseExpr(q, opts);
    } catch (err) {
      return (err as Error).message;
    }
    return 'parsed';
  };

  it('reads a signed number before ^ as a unary minus on the power: -2^2 is -(2^2)', () => {
    expect(translateAST(parse('-2^2'))).toMatchObject({
      type: 'unaryExpr',
      op: '-',
      expr: { type: 'binaryExpr', op: '^' },
    });
  });

  it('binds offset, @ and ranges to the nearest operand, then operators by precedence, as upstream', () => {
    expect(prettify(parse('a + b offset 1m'))).toBe('a + b offset 1m');
    expect(translateAST(parse('a + b offset 1m'))).toMatchObject({ rhs: { offset: 60_000 }, lhs: { offset: 0 } });
    // lezer alone reads ((a + b) offset 1m) * 0; upstream reads a + ((b offset 1m) * 0).
    expect(translateAST(parse('a + b offset 1m * 0'))).toMatchObject({
      op: '+',
      lhs: { name: 'a' },
      rhs: { op: '*', lhs: { name: 'b', offset: 60_000 }, rhs: { val: '0' } },
    });
    // -x[5m] is -(x[5m]): upstream then refuses a unary minus on a range vector.
    expect(error('-x[5m]')).toBe(
      '1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got "range vector"',
    );
  });

  it("refuses experimental functions and aggregations without the feature flag, in upstream's words", () => {
    const off = { experimentalFunctions: false };
    expect(error('double_exponential_smoothing(x[5m], 0.5, 0.5)', off)).toBe(
      '1:1: parse error: function "double_exponential_smoothing" is not enabled',
    );
    expect(error('limitk(1, x)', off)).toBe(
      '1:1: parse error: limitk() is experimental and must be enabled with --enable-feature=promql-experimental-functions',
    );
    expect(error('limitk(1, x)')).toBe('parsed');
  });

  it('reads number literals as Go does: hex, octal, underscores, Inf and NaN', () => {
    const val = (q: string) => (translateAST(parse(q)) as { val: string }).val;
    expect([val('0x3d'), val('010'), val('1_000'), val('1.23e-3'), val('Inf'), val('-inf'), val('NaN')]).toEqual([
      '61',
      '8',
      '1000',
      '0.00123',
      '+Inf',
      '-Inf',
      'NaN',
    ]);
  });

  it('takes durations as numbers of seconds, and 5m30s as one duration', () => {
    expect(translateAST(parse('5m30s'))).toEqual({ type: 'numberLiteral', val: '330' });
    expect(translateAST(parse('x[5m30s]'))).toMatchObject({ range: 330_000 });
  });

  it('names the position of an error as line:column, counting lines', () => {
    expect(error('(\n  rate(x[5m]) +\n)')).toBe('3:1: parse error: unexpected ")"');
  });

  it('skips comments, before the expression too', () => {
    expect(prettify(parse('# the rate\nrate(x[5m]) # per second'))).toBe('rate(x[5m])');
  });

  it('parses a series selector for match[] and refuses anything else', () => {
    expect(parseMetricSelector('up{job="a"}')).toEqual([
      { type: '=', name: 'job', value: 'a' },
      { type: '=', name: '__name__', value: 'up' },
    ]);
    expect(() => parseMetricSelector('rate(up[5m])')).toThrow(ParseError);
    // Upstream's selector grammar stops at the selector, and leaves the empty-matcher rule to the API.
    expect(() => parseMetricSelector('up(')).toThrow('1:3: parse error: unexpected "("');
    expect(parseMetricSelector('{a=""}')).toEqual([{ type: '=', name: 'a', value: '' }]);
  });
});
