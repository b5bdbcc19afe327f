/**
 * Whatever body, content type or malformed request a client sends, the answer is upstream's (no
 * fastify error code or JSON error shape ever reaches a client). Each expected answer below is
 * what Prometheus 3.5 gives; where the peer is available the same requests go to it as well.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROMETHEUS, type ReferencePrometheus, startPrometheus, stopPrometheuses } from './helpers/prometheus.js';
import { listening, removeScratchDirs, type Server } from './helpers/server.js';
import { killAll } from './helpers/spawn.js';

if (PROMETHEUS.missing) console.log(`web-bodies.test.ts: the reference is not asked: ${PROMETHEUS.missing}`);

const CONFIG = 'global:\n  scrape_interval: 1h\n';
const ARGS = ['--web.enable-lifecycle', '--web.enable-remote-write-receiver'];

let server: Server;
let prometheus: ReferencePrometheus | undefined;
beforeAll(async () => {
  server = await listening({ config: CONFIG, args: ARGS });
  await server.untilLog('Server is ready to receive web requests.');
  if (PROMETHEUS.path) prometheus = await startPrometheus({ config: CONFIG, args: ARGS });
});
afterAll(async () => {
  killAll();
  await stopPrometheuses();
  removeScratchDirs();
});

interface Answer {
  status: number;
  type: string | null;
  body: string;
}

async function ask(base: string, path: string, init: { method?: string; type?: string; body?: Buffer | string }) {
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? 'POST',
    headers: init.type === undefined ? {} : { 'content-type': init.type },
    body: typeof init.body === 'string' || init.body === undefined ? init.body : new Uint8Array(init.body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() } satisfies Answer;
}

/** Sends `request` as it is on a new connection; resolves to everything the server wrote before closing. */
function raw(base: string, request: string): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let out = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      out += d;
    });
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
  });
}

/** The answer of miniprom, and of Prometheus 3.5 when it is here: both must be `expected`. */
async function bothAnswer(path: string, init: Parameters<typeof ask>[2], expected: Answer): Promise<void> {
  expect(await ask(server.base, path, init)).toEqual(expected);
  if (prometheus) expect(await ask(prometheus.base, path, init)).toEqual(expected);
}

const NO_EXPRESSION: Answer = {
  status: 400,
  type: 'application/json',
  body: '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"query\\": unknown position: parse error: no expression found in input"}',
};
const ONE_AT_100: Answer = {
  status: 200,
  type: 'application/json',
  body: '{"status":"success","data":{"resultType":"scalar","result":[100,"1"]}}',
};
const RELOADED: Answer = { status: 200, type: null, body: '' };
/** Just over Go's 10MB form limit. */
const BIG = Buffer.alloc((10 << 20) + 100, 'a');

describe('/-/reload and /-/quit take any body and content type', () => {
  it.each([
    ['a form, empty (curl -X POST -d "")', 'application/x-www-form-urlencoded', ''],
    ['application/octet-stream', 'application/octet-stream', 'xx'],
    ['a JSON body', 'application/json', '{"reload":true}'],
    ['invalid JSON', 'application/json', '{bad'],
    ['an invalid media type', 'garbage/;;;', 'x'],
    ['no content type', undefined, 'x'],
  ])('POST /-/reload with %s reloads', async (_what, type, body) => {
    const before = server.msgs().filter((m) => m === 'Completed loading of configuration file').length;
    await bothAnswer('/-/reload', { type, body }, RELOADED);
    expect(server.msgs().filter((m) => m === 'Completed loading of configuration file')).toHaveLength(before + 1);
  });

  it('PUT /-/reload with a body over every body limit reloads', async () => {
    await bothAnswer('/-/reload', { method: 'PUT', type: 'application/x-www-form-urlencoded', body: BIG }, RELOADED);
  });
});

describe('the API reads bodies as Go does', () => {
  it('a form over 10MB is "http: POST too large": the query in it is not read', async () => {
    await bothAnswer('/api/v1/query', { type: 'application/x-www-form-urlencoded', body: BIG }, NO_EXPRESSION);
  });

  it("a form over 10MB still leaves the URL's parameters", async () => {
    await bothAnswer(
      '/api/v1/query?query=1&time=100',
      { type: 'application/x-www-form-urlencoded', body: BIG },
      ONE_AT_100,
    );
  });

  it('a body with an invalid media type is ignored, not refused', async () => {
    await bothAnswer('/api/v1/query?query=1&time=100', { type: 'garbage/;;;', body: 'query=2' }, ONE_AT_100);
  });

  it('a form is read', async () => {
    await bothAnswer(
      '/api/v1/query',
      { type: 'application/x-www-form-urlencoded', body: 'query=1&time=100' },
      ONE_AT_100,
    );
  });

  it("a remote write over the limit gets a plain-text 400 in Go's words (upstream reads any size)", async () => {
    const answer = await ask(server.base, '/api/v1/write', {
      type: 'application/x-protobuf',
      body: Buffer.alloc(40 << 20, 'a'),
    });
    expect(answer).toEqual({ status: 400, type: 'text/plain; charset=utf-8', body: 'http: request body too large\n' });
  });
});

describe("requests fastify or Node would answer themselves get Go's answers", () => {
  const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\n';

  it('a URL with an invalid escape', async () => {
    await bothAnswer(
      '/%zz',
      { method: 'GET' },
      { status: 400, type: 'text/plain; charset=utf-8', body: '400 Bad Request' },
    );
  });

  it.each([
    ['a request line that is not HTTP', 'GARBAGE\r\n\r\n'],
    ['an invalid Content-Length', 'POST /-/reload HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'],
  ])('%s', async (_what, request) => {
    for (const base of [server.base, prometheus?.base]) {
      if (base === undefined) continue;
      const out = await raw(base, request);
      expect(out.startsWith(BAD_REQUEST)).toBe(true);
      expect(out).toMatch(/\r\nContent-Type: text\/plain; charset=utf-8\r\n/i);
      expect(out).toMatch(/\r\nConnection: close\r\n/i);
      expect(out.endsWith('\r\n\r\n400 Bad Request')).toBe(true);
    }
  });

  it('an HTTP/1.1 request without Host', async () => {
    for (const base of [server.base, prometheus?.base]) {
      if (base === undefined) continue;
      const out = await raw(base, 'GET /-/healthy HTTP/1.1\r\n\r\n');
      expect(out.startsWith('HTTP/1.1 400 Bad Request: missing required Host header\r\n')).toBe(true);
      expect(out.endsWith('\r\n\r\n400 Bad Request: missing required Host header')).toBe(true);
    }
  });

  it('never a fastify error code', async () => {
    const answers = await Promise.all([
      ask(server.base, '/-/reload', { type: 'application/json', body: '{' }),
      ask(server.base, '/api/v1/query', { type: '', body: 'x' }),
      ask(server.base, '/api/v1/series', { type: 'application/x-www-form-urlencoded', body: BIG }),
      ask(server.base, '/%', { method: 'GET' }),
    ]);
    for (const a of answers) expect(a.body).not.toMatch(/FST_ERR|"statusCode"/);
  });
});

describe('/-/quit', () => {
  it('takes a JSON body and quits', async () => {
    const answer = await ask(server.base, '/-/quit', { type: 'application/json', body: '{"bye":1}' });
    expect(answer).toEqual({
      status: 200,
      type: 'text/plain; charset=utf-8',
      body: 'Requesting termination... Goodbye!',
    });
    expect((await server.exited).code).toBe(0);
    if (prometheus) {
      const theirs = await ask(prometheus.base, '/-/quit', { type: 'application/json', body: '{"bye":1}' });
      expect(theirs).toEqual(answer);
    }
  });
});
