/**
 * The HTTP API v1 as upstream's web/api/v1 answers, endpoint by endpoint, through the web handler
 * over real storage with a table-driven engine and parser. Expected bodies are, byte for byte,
 * what Prometheus 3.5.3 answered to the same requests (recorded from the reference peer).
 */
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ExecutionError,
  type Expr,
  QueryCanceledError,
  QueryTimeoutError,
  StorageError,
  type VectorSelector,
} from '../../src/promql/index.js';
import { STALE_NAN } from '../../src/storage/index.js';
import { StorageNotReadyError } from '../../src/web/index.js';
import { type ApiServer, parseError, postForm, request, startApi } from '../helpers/api.js';

let server: ApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(opts: Parameters<typeof startApi>[0] = {}): Promise<ApiServer> {
  server = await startApi(opts);
  return server;
}

const UP = { __name__: 'up', instance: '127.0.0.1:29417', job: 'self' };

function selector(name: string, extra: VectorSelector['labelMatchers'] = []): VectorSelector {
  return {
    type: 'VectorSelector',
    name,
    labelMatchers: [...extra, { type: '=', name: '__name__', value: name }],
    originalOffset: 0,
    offset: 0,
    timestamp: null,
    startOrEnd: null,
    posRange: { start: 0, end: name.length },
  };
}

describe('GET and POST /api/v1/query', () => {
  it('answers a vector in the envelope, labels sorted, time and value as upstream writes them', async () => {
    const s = await start();
    s.engine.answer = {
      resultType: 'vector',
      result: [{ metric: { job: 'self', __name__: 'up', instance: '127.0.0.1:29417' }, t: 1795984300530, f: 1 }],
    };
    const r = await request(`${s.base}/api/v1/query?query=up&time=1795984300.53`);
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/json');
    expect(r.body).toBe(
      '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","instance":"127.0.0.1:29417","job":"self"},"value":[1795984300.530,"1"]}]}}',
    );
    expect(s.engine.calls[0]).toMatchObject({ kind: 'instant', query: 'up', start: 1795984300530 });
  });

  it('reads a POSTed form before the URL query, as Go’s r.FormValue', async () => {
    const s = await start();
    const r = await postForm(`${s.base}/api/v1/query?query=foo&time=2`, 'query=up');
    expect(r.body).toBe('{"status":"success","data":{"resultType":"vector","result":[]}}');
    expect(s.engine.calls[0]).toMatchObject({ query: 'up', start: 2000 });
  });

  it('evaluates at the server’s time when no time is given', async () => {
    const s = await start({ now: 1_700_000_000_123 });
    await request(`${s.base}/api/v1/query?query=up`);
    expect(s.engine.calls[0]?.start).toBe(1_700_000_000_123);
  });

  it('writes a scalar’s time as a float and its value in Go’s f format', async () => {
    const s = await start();
    s.engine.answer = { resultType: 'scalar', result: { t: 1795984300540, v: 1e-7 } };
    expect((await request(`${s.base}/api/v1/query?query=1e-7`)).body).toBe(
      '{"status":"success","data":{"resultType":"scalar","result":[1795984300.54,"0.0000001"]}}',
    );
    s.engine.answer = { resultType: 'scalar', result: { t: 1795984300551, v: 1e21 } };
    expect((await request(`${s.base}/api/v1/query?query=1e21`)).body).toBe(
      '{"status":"success","data":{"resultType":"scalar","result":[1795984300.551,"1000000000000000000000"]}}',
    );
    s.engine.answer = { resultType: 'scalar', result: { t: 1795984300560, v: Number.NEGATIVE_INFINITY } };
    expect((await request(`${s.base}/api/v1/query?query=-1/0`)).body).toBe(
      '{"status":"success","data":{"resultType":"scalar","result":[1795984300.56,"-Inf"]}}',
    );
  });

  it('escapes a string result as encoding/json does', async () => {
    const s = await start();
    s.engine.answer = { resultType: 'string', result: { t: 1795984300580, v: 'a<b>' } };
    expect((await request(`${s.base}/api/v1/query?query=%22a%3Cb%3E%22`)).body).toBe(
      '{"status":"success","data":{"resultType":"string","result":[1795984300.58,"a\\u003cb\\u003e"]}}',
    );
  });

  it.each([
    [
      'time=x',
      `{"status":"error","errorType":"bad_data","error":"invalid parameter \\"time\\": invalid time value for 'time': cannot parse \\"x\\" to a valid timestamp"}`,
    ],
    [
      'timeout=x',
      '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"timeout\\": cannot parse \\"x\\" to a valid duration"}',
    ],
    [
      'limit=-1',
      '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"limit\\": limit must be non-negative"}',
    ],
    [
      'limit=x',
      '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"limit\\": strconv.Atoi: parsing \\"x\\": invalid syntax"}',
    ],
    [
      'lookback_delta=x',
      '{"status":"error","errorType":"bad_data","error":"error parsing lookback delta duration: cannot parse \\"x\\" to a valid duration"}',
    ],
  ])('refuses %s with 400 and upstream’s words', async (param, body) => {
    const s = await start();
    const r = await request(`${s.base}/api/v1/query?query=up&${param}`);
    expect(r.status).toBe(400);
    expect(r.body).toBe(body);
    expect(s.engine.calls).toHaveLength(0);
  });

  it('passes timeout and lookback_delta to the engine in ms', async () => {
    const s = await start();
    await request(`${s.base}/api/v1/query?query=up&timeout=1.5&lookback_delta=1m`);
    expect(s.engine.calls[0]?.opts).toMatchObject({ timeoutMs: 1500, lookbackDeltaMs: 60_000 });
    expect(s.engine.calls[0]?.opts.signal).toBeInstanceOf(AbortSignal);
  });

  it('answers a query that does not parse as an invalid query parameter', async () => {
    const s = await start();
    s.engine.answer = parseError('foo(', 'unclosed left parenthesis', 4);
    const r = await request(`${s.base}/api/v1/query?query=foo(`);
    expect(r.status).toBe(400);
    expect(r.body).toBe(
      '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"query\\": 1:5: parse error: unclosed left parenthesis"}',
    );
  });

  it.each([
    [new QueryTimeoutError('query execution'), 503, 'timeout', 'query timed out in query execution'],
    [new QueryCanceledError('query execution'), 499, 'canceled', 'query was canceled in query execution'],
    [
      new ExecutionError('vector cannot contain metrics with the same labelset'),
      422,
      'execution',
      'vector cannot contain metrics with the same labelset',
    ],
    [new StorageError('disk on fire'), 500, 'internal', 'disk on fire'],
    [new StorageNotReadyError(), 500, 'unavailable', 'TSDB not ready'],
  ])('answers %s with %i %s, as upstream’s respondError', async (error, status, type, message) => {
    const s = await start();
    s.engine.answer = error;
    const r = await request(`${s.base}/api/v1/query?query=up`);
    expect(r.status).toBe(status);
    expect(JSON.parse(r.body)).toEqual({ status: 'error', errorType: type, error: message });
  });

  it('truncates to limit with upstream’s warning', async () => {
    const s = await start();
    s.engine.answer = {
      resultType: 'vector',
      result: [
        { metric: { a: '1' }, t: 1000, f: 1 },
        { metric: { a: '2' }, t: 1000, f: 2 },
      ],
    };
    const r = await request(`${s.base}/api/v1/query?query=x&limit=1`);
    expect(r.body).toBe(
      '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"1"},"value":[1,"1"]}]},"warnings":["results truncated due to limit"]}',
    );
  });

  it('adds the engine’s stats when stats is given', async () => {
    const s = await start();
    const r = await request(`${s.base}/api/v1/query?query=up&stats=1`);
    expect(r.body).toBe(
      '{"status":"success","data":{"resultType":"vector","result":[],"stats":{"timings":{"evalTotalTime":0.000058187,"resultSortTime":0,"queryPreparationTime":0.000025998,"innerEvalTime":0.00002686,"execQueueTime":0.000021061,"execTotalTime":0.000063935},"samples":{"totalQueryableSamples":1,"peakSamples":1}}}}',
    );
  });

  it('passes warnings and infos on, each once, ten at most with a count of the rest', async () => {
    const s = await start();
    s.engine.warnings = [...Array.from({ length: 12 }, (_, i) => `PromQL warning: w${i}`), 'PromQL warning: w0'];
    s.engine.infos = ['PromQL info: i'];
    const body = JSON.parse((await request(`${s.base}/api/v1/query?query=up`)).body);
    expect(body.warnings).toHaveLength(11);
    expect(body.warnings[10]).toBe('2 more warning annotations omitted');
    expect(body.infos).toEqual(['PromQL info: i']);
  });
});

describe('GET and POST /api/v1/query_range', () => {
  const base = 'query=up';
  it.each([
    ['start=x&end=1&step=1', 'invalid parameter \\"start\\": cannot parse \\"x\\" to a valid timestamp'],
    ['start=1&end=x&step=1', 'invalid parameter \\"end\\": cannot parse \\"x\\" to a valid timestamp'],
    ['start=2&end=1&step=1', 'invalid parameter \\"end\\": end timestamp must not be before start time'],
    [
      'start=1&end=2&step=0',
      'invalid parameter \\"step\\": zero or negative query resolution step widths are not accepted. Try a positive integer',
    ],
    ['start=1&end=2&step=x', 'invalid parameter \\"step\\": cannot parse \\"x\\" to a valid duration'],
    ['start=1&end=2', 'invalid parameter \\"step\\": cannot parse \\"\\" to a valid duration'],
    ['end=1&step=1', 'invalid parameter \\"start\\": cannot parse \\"\\" to a valid timestamp'],
    [
      'start=0&end=11001&step=1',
      'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
    ],
  ])('refuses %s in upstream’s words', async (params, message) => {
    const s = await start();
    const r = await request(`${s.base}/api/v1/query_range?${base}&${params}`);
    expect(r.status).toBe(400);
    expect(r.body).toBe(`{"status":"error","errorType":"bad_data","error":"${message}"}`);
  });

  it('takes 11,000 points exactly, and steps as durations', async () => {
    const s = await start();
    expect((await request(`${s.base}/api/v1/query_range?${base}&start=0&end=11000&step=1`)).status).toBe(200);
    await request(`${s.base}/api/v1/query_range?${base}&start=0&end=10&step=1m`);
    expect(s.engine.calls.map((c) => [c.start, c.end, c.step])).toEqual([
      [0, 11_000_000, 1000],
      [0, 10_000, 60_000],
    ]);
  });

  it('answers a step under a millisecond as upstream’s evaluator does (it divides by zero)', async () => {
    const s = await start();
    const r = await request(`${s.base}/api/v1/query_range?${base}&start=0&end=1&step=0.0001`);
    expect(r.status).toBe(422);
    expect(r.body).toBe(
      '{"status":"error","errorType":"execution","error":"unexpected error: runtime error: integer divide by zero"}',
    );
  });

  it('writes a matrix with values, three-digit milliseconds where there are any', async () => {
    const s = await start();
    s.engine.answer = {
      resultType: 'matrix',
      result: [
        {
          metric: UP,
          floats: [
            { t: 1795984311000, f: 1 },
            { t: 1795984312050, f: 0.5 },
          ],
        },
      ],
    };
    const r = await postForm(`${s.base}/api/v1/query_range`, 'query=up&start=1795984311&end=1795984312.05&step=1');
    expect(r.body).toBe(
      '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up","instance":"127.0.0.1:29417","job":"self"},"values":[[1795984311,"1"],[1795984312.050,"0.5"]]}]}}',
    );
  });

  it('answers the range query type error as an invalid query', async () => {
    const s = await start();
    const err = parseError('"s"', 'x');
    err.message = 'invalid expression type "string" for range query, must be Scalar or instant Vector';
    s.engine.answer = err;
    const r = await request(`${s.base}/api/v1/query_range?query=%22s%22&start=0&end=2&step=1`);
    expect(r.body).toBe(
      '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"query\\": invalid expression type \\"string\\" for range query, must be Scalar or instant Vector"}',
    );
  });
});

describe('/api/v1/series, /api/v1/labels, /api/v1/label/:name/values', () => {
  async function withData() {
    const s = await start();
    s.parser.selectors.set('up', [{ type: '=', name: '__name__', value: 'up' }]);
    s.parser.selectors.set('scrape_duration_seconds', [
      { type: '=', name: '__name__', value: 'scrape_duration_seconds' },
    ]);
    s.parser.selectors.set('{job=~".*"}', [{ type: '=~', name: 'job', value: '.*' }]);
    s.parser.selectors.set('{job=~".+"}', [{ type: '=~', name: 'job', value: '.+' }]);
    s.parser.errors.set('up(', parseError('up(', 'unexpected "("', 2));
    await s.append([
      [UP, 1000, 1],
      [{ ...UP, __name__: 'scrape_duration_seconds' }, 1000, 0.5],
      [{ __name__: 'up', instance: 'b<&>', job: 'other' }, 1000, 0],
    ]);
    return s;
  }

  it('lists the series of every match[], merged and sorted, labels unescaped', async () => {
    const s = await withData();
    const r = await request(`${s.base}/api/v1/series?match[]=up&match[]=up&match[]=scrape_duration_seconds`);
    expect(r.body).toBe(
      '{"status":"success","data":[{"__name__":"scrape_duration_seconds","instance":"127.0.0.1:29417","job":"self"},{"__name__":"up","instance":"127.0.0.1:29417","job":"self"},{"__name__":"up","instance":"b<&>","job":"other"}]}',
    );
  });

  it('takes match[] from a POSTed form', async () => {
    const s = await withData();
    const r = await postForm(`${s.base}/api/v1/series`, 'match[]=up&limit=1');
    expect(r.body).toBe(
      '{"status":"success","data":[{"__name__":"up","instance":"127.0.0.1:29417","job":"self"}],"warnings":["results truncated due to limit"]}',
    );
  });

  it.each([
    ['', 'no match[] parameter provided'],
    [
      '?match[]=%7Bjob%3D~%22.*%22%7D',
      'invalid parameter \\"match[]\\": match[] must contain at least one non-empty matcher',
    ],
    ['?match[]=up(', 'invalid parameter \\"match[]\\": 1:3: parse error: unexpected \\"(\\"'],
    ['?match[]=up&limit=x', 'invalid parameter \\"limit\\": strconv.Atoi: parsing \\"x\\": invalid syntax'],
    [
      '?match[]=up&start=x',
      'invalid parameter \\"start\\": invalid time value for \'start\': cannot parse \\"x\\" to a valid timestamp',
    ],
    ['?match[]=up&x=%zz', 'error parsing form values: invalid URL escape \\"%zz\\"'],
  ])('refuses series%s in upstream’s words', async (query, message) => {
    const s = await withData();
    const r = await request(`${s.base}/api/v1/series${query}`);
    expect(r.status).toBe(400);
    expect(r.body).toBe(`{"status":"error","errorType":"bad_data","error":"${message}"}`);
  });

  it('answers DELETE /api/v1/series as upstream: not implemented', async () => {
    const s = await withData();
    const r = await request(`${s.base}/api/v1/series`, { method: 'DELETE' });
    expect(r.status).toBe(500);
    expect(r.body).toBe('{"status":"error","errorType":"internal","error":"not implemented"}');
  });

  it('lists label names, truncated to limit with the warning', async () => {
    const s = await withData();
    expect((await request(`${s.base}/api/v1/labels?match[]=up`)).body).toBe(
      '{"status":"success","data":["__name__","instance","job"]}',
    );
    expect((await request(`${s.base}/api/v1/labels?limit=2`)).body).toBe(
      '{"status":"success","data":["__name__","instance"],"warnings":["results truncated due to limit"]}',
    );
    expect((await postForm(`${s.base}/api/v1/labels`, 'match[]=scrape_duration_seconds')).body).toBe(
      '{"status":"success","data":["__name__","instance","job"]}',
    );
  });

  it('lists label values of the union of match[] sets, sorted and HTML-escaped as strings', async () => {
    const s = await withData();
    expect((await request(`${s.base}/api/v1/label/instance/values`)).body).toBe(
      '{"status":"success","data":["127.0.0.1:29417","b\\u003c\\u0026\\u003e"]}',
    );
    expect((await request(`${s.base}/api/v1/label/job/values?match[]=up&match[]=scrape_duration_seconds`)).body).toBe(
      '{"status":"success","data":["other","self"]}',
    );
    expect((await request(`${s.base}/api/v1/label/__name__/values?limit=1`)).body).toBe(
      '{"status":"success","data":["scrape_duration_seconds"],"warnings":["results truncated due to limit"]}',
    );
    expect((await request(`${s.base}/api/v1/label/nope/values`)).body).toBe('{"status":"success","data":[]}');
  });

  it('decodes U__ label names and answers other names without error, as upstream with UTF-8 names', async () => {
    const s = await withData();
    expect((await request(`${s.base}/api/v1/label/U__job/values`)).body).toBe(
      '{"status":"success","data":["other","self"]}',
    );
    expect((await request(`${s.base}/api/v1/label/1bad/values`)).body).toBe('{"status":"success","data":[]}');
  });

  it('refuses match[] errors of labels and values without the parameter prefix, as upstream', async () => {
    const s = await withData();
    for (const path of ['/api/v1/labels', '/api/v1/label/job/values']) {
      expect((await request(`${s.base}${path}?match[]=up(`)).body).toBe(
        '{"status":"error","errorType":"bad_data","error":"1:3: parse error: unexpected \\"(\\""}',
      );
      expect((await request(`${s.base}${path}?match[]=%7Bjob%3D~%22.*%22%7D`)).body).toBe(
        '{"status":"error","errorType":"bad_data","error":"match[] must contain at least one non-empty matcher"}',
      );
    }
  });

  it('answers POST /api/v1/label/:name/values with 405, as upstream’s router', async () => {
    const s = await withData();
    const r = await request(`${s.base}/api/v1/label/job/values`, { method: 'POST' });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('GET, OPTIONS');
    expect(r.body).toBe('Method Not Allowed\n');
  });
});

describe('/api/v1/format_query and /api/v1/parse_query', () => {
  it('formats a query that parses, and refuses one that does not', async () => {
    const s = await start();
    s.parser.exprs.set('up', selector('up'));
    s.parser.errors.set('foo(', parseError('foo(', 'unclosed left parenthesis', 4));
    expect((await request(`${s.base}/api/v1/format_query?query=up`)).body).toBe(
      '{"status":"success","data":"pretty(VectorSelector)"}',
    );
    const bad = await postForm(`${s.base}/api/v1/format_query`, 'query=foo(');
    expect(bad.status).toBe(400);
    expect(bad.body).toBe(
      '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"query\\": 1:5: parse error: unclosed left parenthesis"}',
    );
  });

  it('translates the tree exactly as upstream’s translateAST', async () => {
    const s = await start();
    const query = 'sum(rate(up{a="b"}[5m]@start()offset 1m))by(job) + on(x)group_left(y) foo > bool 2';
    const up: VectorSelector = {
      ...selector('up', [{ type: '=', name: 'a', value: 'b' }]),
      originalOffset: 60_000,
      startOrEnd: 'start',
    };
    const tree: Expr = {
      type: 'BinaryExpr',
      op: '>',
      returnBool: true,
      matching: null,
      lhs: {
        type: 'BinaryExpr',
        op: '+',
        returnBool: false,
        matching: { card: 'many-to-one', matchingLabels: ['x'], on: true, include: ['y'] },
        lhs: {
          type: 'AggregateExpr',
          op: 'sum',
          param: null,
          grouping: ['job'],
          without: false,
          posRange: { start: 0, end: 0 },
          expr: {
            type: 'Call',
            func: { name: 'rate', argTypes: ['matrix'], variadic: 0, returnType: 'vector', experimental: false },
            args: [{ type: 'MatrixSelector', vectorSelector: up, range: 300_000, endPos: 0 }],
            posRange: { start: 0, end: 0 },
          },
        },
        rhs: selector('foo'),
      },
      rhs: { type: 'NumberLiteral', val: 2, duration: false, posRange: { start: 0, end: 0 } },
    };
    s.parser.exprs.set(query, tree);
    const r = await request(`${s.base}/api/v1/parse_query?query=${encodeURIComponent(query)}`);
    expect(r.body).toBe(
      '{"status":"success","data":{"bool":true,"lhs":{"bool":false,"lhs":{"expr":{"args":[{"matchers":[{"name":"a","type":"=","value":"b"},{"name":"__name__","type":"=","value":"up"}],"name":"up","offset":60000,"range":300000,"startOrEnd":"start","timestamp":null,"type":"matrixSelector"}],"func":{"argTypes":["matrix"],"name":"rate","returnType":"vector","variadic":0},"type":"call"},"grouping":["job"],"op":"sum","param":null,"type":"aggregation","without":false},"matching":{"card":"many-to-one","include":["y"],"labels":["x"],"on":true},"op":"+","rhs":{"matchers":[{"name":"__name__","type":"=","value":"foo"}],"name":"foo","offset":0,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},"type":"binaryExpr"},"matching":null,"op":"\\u003e","rhs":{"type":"numberLiteral","val":"2"},"type":"binaryExpr"}}',
    );
  });
});

describe('/api/v1/query_exemplars', () => {
  it('answers an empty list for a query with selectors, 204 for one without', async () => {
    const s = await start();
    s.parser.exprs.set('up', selector('up'));
    s.parser.exprs.set('1', { type: 'NumberLiteral', val: 1, duration: false, posRange: { start: 0, end: 1 } });
    expect((await request(`${s.base}/api/v1/query_exemplars?query=up`)).body).toBe('{"status":"success","data":[]}');
    const none = await request(`${s.base}/api/v1/query_exemplars?query=1`);
    expect(none.status).toBe(204);
    expect(none.body).toBe('');
  });

  it('checks the range and the query as upstream, without the parameter prefix for the query', async () => {
    const s = await start();
    s.parser.exprs.set('up', selector('up'));
    s.parser.errors.set('up(', parseError('up(', 'unclosed left parenthesis', 3));
    expect((await request(`${s.base}/api/v1/query_exemplars?query=up&start=5&end=1`)).body).toBe(
      '{"status":"error","errorType":"bad_data","error":"end timestamp must not be before start timestamp"}',
    );
    expect((await request(`${s.base}/api/v1/query_exemplars?query=up(`)).body).toBe(
      '{"status":"error","errorType":"bad_data","error":"1:4: parse error: unclosed left parenthesis"}',
    );
    expect((await request(`${s.base}/api/v1/query_exemplars?query=up&start=x`)).body).toBe(
      `{"status":"error","errorType":"bad_data","error":"invalid parameter \\"start\\": invalid time value for 'start': cannot parse \\"x\\" to a valid timestamp"}`,
    );
  });
});

describe('/api/v1/metadata and /api/v1/targets/metadata', () => {
  const targets = [
    {
      labels: { instance: 'a:1', job: 'x' },
      metadata: [
        { metric: 'up_total', type: 'counter', help: 'Ups <total>.', unit: '' },
        { metric: 'temp', type: 'gauge', help: 'Temperature.', unit: 'celsius' },
      ],
    },
    {
      labels: { instance: 'b:1', job: 'y' },
      metadata: [
        { metric: 'up_total', type: 'counter', help: 'Ups <total>.', unit: '' },
        { metric: 'temp', type: 'gauge', help: 'Other temperature.', unit: 'celsius' },
      ],
    },
  ];

  it('groups distinct metadata by metric name, names sorted', async () => {
    const s = await start({ api: { targetMetadata: () => targets } });
    expect((await request(`${s.base}/api/v1/metadata`)).body).toBe(
      '{"status":"success","data":{"temp":[{"type":"gauge","unit":"celsius","help":"Temperature."},{"type":"gauge","unit":"celsius","help":"Other temperature."}],"up_total":[{"type":"counter","unit":"","help":"Ups \\u003ctotal\\u003e."}]}}',
    );
    expect((await request(`${s.base}/api/v1/metadata?metric=temp&limit_per_metric=1`)).body).toBe(
      '{"status":"success","data":{"temp":[{"type":"gauge","unit":"celsius","help":"Temperature."}]}}',
    );
    expect((await request(`${s.base}/api/v1/metadata?limit=1`)).body).toBe(
      '{"status":"success","data":{"temp":[{"type":"gauge","unit":"celsius","help":"Temperature."},{"type":"gauge","unit":"celsius","help":"Other temperature."}]}}',
    );
    expect((await request(`${s.base}/api/v1/metadata?metric=nope`)).body).toBe('{"status":"success","data":{}}');
  });

  it('refuses limits that are no numbers, in upstream’s words', async () => {
    const s = await start();
    expect((await request(`${s.base}/api/v1/metadata?limit=x`)).body).toBe(
      '{"status":"error","errorType":"bad_data","error":"limit must be a number"}',
    );
    expect((await request(`${s.base}/api/v1/metadata?limit_per_metric=x`)).body).toBe(
      '{"status":"error","errorType":"bad_data","error":"limit_per_metric must be a number"}',
    );
    expect((await request(`${s.base}/api/v1/targets/metadata?limit=x`)).body).toBe(
      '{"status":"error","errorType":"bad_data","error":"limit must be a number"}',
    );
  });

  it('lists metadata per target, filtered by match_target and metric', async () => {
    const s = await start({ api: { targetMetadata: () => targets } });
    s.parser.selectors.set('{job="y"}', [{ type: '=', name: 'job', value: 'y' }]);
    s.parser.errors.set('up(', parseError('up(', 'unexpected "("', 2));
    expect((await request(`${s.base}/api/v1/targets/metadata?match_target=%7Bjob%3D%22y%22%7D&metric=temp`)).body).toBe(
      '{"status":"success","data":[{"target":{"instance":"b:1","job":"y"},"type":"gauge","help":"Other temperature.","unit":"celsius"}]}',
    );
    expect((await request(`${s.base}/api/v1/targets/metadata?limit=1`)).body).toBe(
      '{"status":"success","data":[{"target":{"instance":"a:1","job":"x"},"metric":"up_total","type":"counter","help":"Ups \\u003ctotal\\u003e.","unit":""},{"target":{"instance":"a:1","job":"x"},"metric":"temp","type":"gauge","help":"Temperature.","unit":"celsius"}]}',
    );
    expect((await request(`${s.base}/api/v1/targets/metadata?match_target=up(`)).body).toBe(
      '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"match_target\\": 1:3: parse error: unexpected \\"(\\""}',
    );
  });
});

describe('status endpoints', () => {
  it('lists the flags as a sorted map', async () => {
    const s = await start();
    expect((await request(`${s.base}/api/v1/status/flags`)).body).toBe(
      '{"status":"success","data":{"query.timeout":"2m","web.listen-address":"127.0.0.1:0"}}',
    );
  });

  it('answers build info in upstream’s field order', async () => {
    const s = await start();
    expect(Object.keys(JSON.parse((await request(`${s.base}/api/v1/status/buildinfo`)).body).data)).toEqual([
      'version',
      'revision',
      'branch',
      'buildUser',
      'buildDate',
      'goVersion',
    ]);
  });

  it('answers runtime info with upstream’s fields, times as Go writes them', async () => {
    const s = await start();
    const data = JSON.parse((await request(`${s.base}/api/v1/status/runtimeinfo`)).body).data;
    expect(Object.keys(data)).toEqual([
      'startTime',
      'CWD',
      'hostname',
      'serverTime',
      'reloadConfigSuccess',
      'lastConfigTime',
      'corruptionCount',
      'goroutineCount',
      'GOMAXPROCS',
      'GOMEMLIMIT',
      'GOGC',
      'GODEBUG',
      'storageRetention',
    ]);
    expect(data.startTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z$/);
    expect(data.lastConfigTime).toBe('1970-01-01T00:00:00Z');
    expect(data.storageRetention).toBe('15d');
  });

  it('answers TSDB stats in upstream’s shape, and refuses a limit below 1', async () => {
    const stat = (name: string, value: number) => ({ value, name });
    const s = await start({
      api: {
        tsdbStats: (limit) => ({
          numSeries: 2,
          numLabelPairs: 4,
          chunkCount: 2,
          minTime: 1000,
          maxTime: 2000,
          seriesCountByMetricName: [stat('up', 2), stat('x', 1)].slice(0, limit),
          labelValueCountByLabelName: [],
          memoryInBytesByLabelName: [],
          seriesCountByLabelValuePair: [stat('job=self', 2)],
        }),
      },
    });
    expect((await request(`${s.base}/api/v1/status/tsdb?limit=1`)).body).toBe(
      '{"status":"success","data":{"headStats":{"numSeries":2,"numLabelPairs":4,"chunkCount":2,"minTime":1000,"maxTime":2000},"seriesCountByMetricName":[{"name":"up","value":2}],"labelValueCountByLabelName":[],"memoryInBytesByLabelName":[],"seriesCountByLabelValuePair":[{"name":"job=self","value":2}]}}',
    );
    expect((await request(`${s.base}/api/v1/status/tsdb?limit=x`)).body).toBe(
      '{"status":"error","errorType":"bad_data","error":"limit must be a positive number"}',
    );
    expect((await request(`${s.base}/api/v1/status/tsdb?limit=0`)).body).toBe(
      '{"status":"error","errorType":"bad_data","error":"limit must be a positive number"}',
    );
  });

  it('writes an empty head’s time range as upstream’s int64 extremes', async () => {
    const s = await start({
      api: {
        tsdbStats: () => ({
          numSeries: 0,
          numLabelPairs: 0,
          chunkCount: 0,
          minTime: null,
          maxTime: null,
          seriesCountByMetricName: [],
          labelValueCountByLabelName: [],
          memoryInBytesByLabelName: [],
          seriesCountByLabelValuePair: [],
        }),
      },
    });
    expect((await request(`${s.base}/api/v1/status/tsdb`)).body).toContain(
      '"headStats":{"numSeries":0,"numLabelPairs":0,"chunkCount":0,"minTime":9223372036854775807,"maxTime":-9223372036854775808}',
    );
  });
});

describe('/federate', () => {
  async function withData(externalLabels: Record<string, string> = { replica: 'a', zone: 'x<y' }) {
    const now = 1_800_000_000_000;
    const s = await start({ now, api: { externalLabels: () => externalLabels } });
    s.parser.selectors.set('up', [{ type: '=', name: '__name__', value: 'up' }]);
    s.parser.selectors.set('scrape_duration_seconds', [
      { type: '=', name: '__name__', value: 'scrape_duration_seconds' },
    ]);
    s.parser.selectors.set('{__name__=~"s.*"}', [{ type: '=~', name: '__name__', value: 's.*' }]);
    s.parser.errors.set('up(', parseError('up(', 'unexpected "("', 2));
    await s.append([
      [UP, now - 20_000, 0],
      [{ ...UP, __name__: 'scrape_duration_seconds' }, now - 10_000, 0.004903835],
      [{ __name__: 'up', job: 'nolabel' }, now - 10_000, 1],
      [{ __name__: 'stale', job: 'x' }, now - 10_000, 1],
    ]);
    await s.append([
      [UP, now - 10_000, 1],
      [{ __name__: 'stale', job: 'x' }, now - 5000, STALE_NAN],
    ]);
    return s;
  }

  it('writes the latest sample of each series, by metric name, with the external labels', async () => {
    const s = await withData();
    const r = await request(`${s.base}/federate?match[]=up&match[]=scrape_duration_seconds&match[]=up`);
    expect(r.status).toBe(200);
    expect(r.type).toBe('text/plain; version=0.0.4; charset=utf-8; escaping=underscores');
    expect(r.body).toBe(
      '# TYPE scrape_duration_seconds untyped\n' +
        'scrape_duration_seconds{instance="127.0.0.1:29417",job="self",replica="a",zone="x<y"} 0.004903835 1799999990000\n' +
        '# TYPE up untyped\n' +
        'up{instance="127.0.0.1:29417",job="self",replica="a",zone="x<y"} 1 1799999990000\n' +
        // The series' own labels, then the external ones it lacks, an empty instance included.
        'up{job="nolabel",instance="",replica="a",zone="x<y"} 1 1799999990000\n',
    );
  });

  it('leaves out series whose latest sample is a staleness marker', async () => {
    const s = await withData({});
    const r = await request(`${s.base}/federate?match[]=${encodeURIComponent('{__name__=~"s.*"}')}`);
    expect(r.body).toBe(
      '# TYPE scrape_duration_seconds untyped\nscrape_duration_seconds{instance="127.0.0.1:29417",job="self"} 0.004903835 1799999990000\n',
    );
  });

  it('answers nothing without match[], and a selector error as plain text', async () => {
    const s = await withData();
    const none = await request(`${s.base}/federate`);
    expect([none.status, none.body]).toEqual([200, '']);
    const bad = await request(`${s.base}/federate?match[]=up(`);
    expect([bad.status, bad.type, bad.body]).toEqual([
      400,
      'text/plain; charset=utf-8',
      '1:3: parse error: unexpected "("\n',
    ]);
  });

  it('takes the escaping scheme from the Accept header, as expfmt.Negotiate', async () => {
    const s = await withData();
    const accept =
      'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1';
    const r = await request(`${s.base}/federate?match[]=up`, { headers: { Accept: accept } });
    expect(r.type).toBe('text/plain; version=0.0.4; charset=utf-8; escaping=allow-utf-8');
  });

  it('answers GET only', async () => {
    const s = await withData();
    const r = await request(`${s.base}/federate?match[]=up`, { method: 'POST' });
    expect([r.status, r.headers.get('allow')]).toEqual([405, 'GET, OPTIONS']);
  });
});

describe('around every route', () => {
  it('answers 503 "Service Unavailable" until ready, and says whether it is stopping', async () => {
    const s = await start({ ready: false });
    const early = await request(`${s.base}/api/v1/query?query=up`);
    expect([early.status, early.body, early.headers.get('x-prometheus-stopping')]).toEqual([
      503,
      'Service Unavailable',
      'false',
    ]);
    expect((await request(`${s.base}/federate?match[]=up`)).status).toBe(503);
    s.web.setReadiness('Stopping');
    const late = await request(`${s.base}/api/v1/labels`);
    expect([late.status, late.headers.get('x-prometheus-stopping')]).toEqual([503, 'true']);
  });

  it('answers the server-only endpoints in agent mode as upstream’s agent does', async () => {
    const s = await start({ mode: 'agent' });
    for (const path of [
      '/api/v1/query?query=1',
      '/api/v1/query_range',
      '/api/v1/labels',
      '/api/v1/status/tsdb',
      '/api/v1/rules',
    ]) {
      const r = await request(`${s.base}${path}`);
      expect(r.status).toBe(422);
      expect(r.body).toBe('{"status":"error","errorType":"execution","error":"unavailable with Prometheus Agent"}');
    }
    expect((await request(`${s.base}/api/v1/metadata`)).body).toBe('{"status":"success","data":{}}');
    expect((await request(`${s.base}/api/v1/targets/metadata`)).body).toBe('{"status":"success","data":[]}');
    s.parser.selectors.set('up', [{ type: '=', name: '__name__', value: 'up' }]);
    expect(await request(`${s.base}/federate?match[]=up`)).toMatchObject({
      status: 500,
      body: 'unsupported operation with WAL-only storage\n',
    });
  });

  it('answers 405 with Allow for a method a path does not have, and Go’s 404 for no path', async () => {
    const s = await start();
    const put = await request(`${s.base}/api/v1/query`, { method: 'PUT' });
    expect([put.status, put.headers.get('allow'), put.body]).toEqual([
      405,
      'GET, OPTIONS, POST',
      'Method Not Allowed\n',
    ]);
    const get = await request(`${s.base}/api/v1/write`);
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'OPTIONS, POST']);
    const none = await request(`${s.base}/api/v1/nope`);
    expect([none.status, none.type, none.body]).toEqual([404, 'text/plain; charset=utf-8', '404 page not found\n']);
  });

  it('answers OPTIONS with 204 and CORS headers for any origin', async () => {
    const s = await start();
    const r = await request(`${s.base}/api/v1/query`, { method: 'OPTIONS', headers: { Origin: 'http://x' } });
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe('http://x');
    expect(r.headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS');
    expect(r.headers.get('vary')).toBe('Origin');
  });

  it('compresses with gzip when the client accepts it', async () => {
    const s = await start();
    const res = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      import('node:http').then(({ get }) =>
        get(`${s.base}/api/v1/status/flags`, { headers: { 'Accept-Encoding': 'br, gzip' } }, (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (d: Buffer) => chunks.push(d));
          r.on('end', () => resolve({ encoding: r.headers['content-encoding'], body: Buffer.concat(chunks) }));
        }).on('error', reject),
      );
    });
    expect(res.encoding).toBe('gzip');
    expect(gunzipSync(res.body).toString()).toBe(
      '{"status":"success","data":{"query.timeout":"2m","web.listen-address":"127.0.0.1:0"}}',
    );
  });

  it('counts requests by route pattern and status code, every route from zero', async () => {
    const s = await start();
    await request(`${s.base}/api/v1/label/job/values`);
    await request(`${s.base}/api/v1/query?query=up&time=x`);
    await request(`${s.base}/api/v1/query`, { method: 'PUT' });
    const text = await s.registry.metrics();
    expect(text).toContain('prometheus_http_requests_total{code="200",handler="/api/v1/label/:name/values"} 1');
    expect(text).toContain('prometheus_http_requests_total{code="400",handler="/api/v1/query"} 1');
    expect(text).toContain('prometheus_http_requests_total{code="200",handler="/federate"} 0');
    expect(text).not.toContain('code="405"');
    expect(text).toMatch(/prometheus_http_request_duration_seconds_count\{handler="\/api\/v1\/query"\} 1/);
    expect(text).toMatch(/prometheus_http_request_duration_seconds_bucket\{.*le="0.1".*\} 1/);
    expect(text).toContain('prometheus_ready 1');
  });
});

describe('POST /api/v1/write', () => {
  it('says how to enable the receiver when it is not', async () => {
    const s = await start();
    const r = await request(`${s.base}/api/v1/write`, { method: 'POST', body: 'x' });
    expect([r.status, r.type, r.body]).toEqual([
      404,
      'text/plain; charset=utf-8',
      'remote write receiver needs to be enabled with --web.enable-remote-write-receiver\n',
    ]);
  });

  it('hands the body and headers to the receiver, and answers with its answer', async () => {
    const seen: Array<{ contentType?: string; contentEncoding?: string; body: Buffer }> = [];
    const s = await start({
      api: {
        remoteWrite: {
          handle(req) {
            seen.push(req);
            return { status: 400, body: 'snappy: corrupt input\n' };
          },
        },
      },
    });
    const r = await request(`${s.base}/api/v1/write`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' },
      body: new Uint8Array([1, 2, 3]),
    });
    expect([r.status, r.body]).toEqual([400, 'snappy: corrupt input\n']);
    expect(seen[0]).toMatchObject({ contentType: 'application/x-protobuf', contentEncoding: 'snappy' });
    expect([...(seen[0]?.body ?? [])]).toEqual([1, 2, 3]);
  });
});
