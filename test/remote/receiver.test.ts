/**
 * The remote write receiver answers as upstream's write handler (v3.5.3) does: statuses, texts
 * and headers, into a real TSDB. Requests are built with protobufjs from the receiver's schema
 * and compressed with snappyjs; test/remote-receiver-prometheus.test.ts checks it against a real
 * Prometheus as the sender.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import snappy from 'snappyjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRemoteWriteReceiver, type RemoteWriteResponse } from '../../src/remote/index.js';
import { writeRequestV1, writeRequestV2 } from '../../src/remote/schema.js';
import { openTSDB, type TSDB } from '../../src/storage/index.js';
import { selectAll } from '../helpers/storage.js';

const NOW = Date.now();
const V2_TYPE = 'application/x-protobuf;proto=io.prometheus.write.v2.Request';
const text = (s: string) => Buffer.from(s);

let root: string;
let db: TSDB;
let registry: Registry;
let logs: Array<{ level: number; msg: string; [k: string]: unknown }>;

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'miniprom-receiver-'));
  logs = [];
  registry = new Registry();
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) });
  db = await openTSDB({ dir: join(root, 'data'), logger, retentionMs: 0 });
});
afterEach(async () => {
  await db.close();
  rmSync(root, { recursive: true, force: true });
});

function receiver() {
  return createRemoteWriteReceiver({
    appendable: db,
    logger: pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) }),
    registry,
    now: () => NOW,
  });
}

type Series = { labels: Record<string, string>; samples: Array<[number, number]>; histograms?: number[] };

/** A snappy-compressed prometheus.WriteRequest. */
function v1(series: Series[]): Buffer {
  const msg = writeRequestV1().fromObject({
    timeseries: series.map((s) => ({
      labels: Object.entries(s.labels).map(([name, value]) => ({ name: text(name), value: text(value) })),
      samples: s.samples.map(([timestamp, value]) => ({ timestamp, value })),
      histograms: (s.histograms ?? []).map((timestamp) => ({ timestamp, count_int: 1, sum: 1 })),
    })),
  });
  return compress(writeRequestV1().encode(msg).finish());
}

/** A snappy-compressed io.prometheus.write.v2.Request with its symbols table. */
function v2(series: Array<Series & { exemplars?: number[] }>): Buffer {
  const symbols = [''];
  const ref = (s: string) => {
    const i = symbols.indexOf(s);
    return i >= 0 ? i : symbols.push(s) - 1;
  };
  const timeseries = series.map((s) => ({
    labels_refs: Object.entries(s.labels).flatMap(([n, v]) => [ref(n), ref(v)]),
    samples: s.samples.map(([timestamp, value]) => ({ timestamp, value })),
    histograms: (s.histograms ?? []).map((timestamp) => ({ timestamp, count_int: 1, sum: 1 })),
    exemplars: (s.exemplars ?? []).map((timestamp) => ({ labels_refs: [], value: 1, timestamp })),
    metadata: { type: 2, help_ref: ref('help text'), unit_ref: 0 },
  }));
  const msg = writeRequestV2().fromObject({ symbols: symbols.map(text), timeseries });
  return compress(writeRequestV2().encode(msg).finish());
}

const compress = (raw: Uint8Array) => Buffer.from(snappy.compress(raw));

const stored = () =>
  selectAll(db, [], 0, NOW + 3_600_000).map((s) => ({
    labels: s.labels,
    samples: s.samples.map(({ t, v }) => [t, v]),
  }));

const up = (instance: string) => ({ __name__: 'up', job: 'rw', instance });

describe('remote write 1.0', () => {
  it('appends the samples and answers 204 with no body', async () => {
    const res = await receiver().handle({
      body: v1([
        {
          labels: up('a'),
          samples: [
            [NOW, 1],
            [NOW + 1000, 0],
          ],
        },
      ]),
    });
    expect(res).toEqual({ status: 204, headers: {}, body: '' });
    expect(stored()).toEqual([
      {
        labels: up('a'),
        samples: [
          [NOW, 1],
          [NOW + 1000, 0],
        ],
      },
    ]);
  });

  it('takes an identical resend with 204 and stores it once', async () => {
    const body = v1([{ labels: up('a'), samples: [[NOW, 1]] }]);
    const r = receiver();
    expect((await r.handle({ contentType: 'application/x-protobuf', contentEncoding: 'snappy', body })).status).toBe(
      204,
    );
    expect((await r.handle({ contentType: 'application/x-protobuf', contentEncoding: 'snappy', body })).status).toBe(
      204,
    );
    expect(stored()).toEqual([{ labels: up('a'), samples: [[NOW, 1]] }]);
  });

  it("answers 400 with storage's text for an out-of-order sample, and writes nothing of the request", async () => {
    const r = receiver();
    await r.handle({ body: v1([{ labels: up('a'), samples: [[NOW, 1]] }]) });
    const res = await r.handle({
      body: v1([
        { labels: up('b'), samples: [[NOW, 5]] },
        { labels: up('a'), samples: [[NOW - 1000, 2]] },
      ]),
    });
    expect(res).toEqual({
      status: 400,
      headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
      body: 'out of order sample\n',
    });
    expect(stored().map((s) => s.labels.instance)).toEqual(['a']);
    expect(logs.find((l) => l.msg === 'Out of order sample from remote write')).toMatchObject({
      level: 50,
      err: 'out of order sample',
      series: '{__name__="up", instance="a", job="rw"}',
      timestamp: NOW - 1000,
    });
  });

  it('answers 400 for another value at an existing timestamp', async () => {
    const r = receiver();
    await r.handle({ body: v1([{ labels: up('a'), samples: [[NOW, 1]] }]) });
    const res = await r.handle({ body: v1([{ labels: up('a'), samples: [[NOW, 2]] }]) });
    expect(res.status).toBe(400);
    expect(res.body).toBe(`duplicate sample for timestamp ${NOW}; overrides not allowed: existing 1, new value 2\n`);
  });

  it('answers 400 for a sample out of bounds: older than the head takes, or over 10 minutes ahead', async () => {
    const r = receiver();
    await r.handle({ body: v1([{ labels: up('a'), samples: [[NOW, 1]] }]) });
    expect(await r.handle({ body: v1([{ labels: up('b'), samples: [[NOW - 3_600_001, 1]] }]) })).toMatchObject({
      status: 400,
      body: 'out of bounds\n',
    });
    expect(await r.handle({ body: v1([{ labels: up('b'), samples: [[NOW + 600_001, 1]] }]) })).toMatchObject({
      status: 400,
      body: 'out of bounds: timestamp is too far in the future\n',
    });
  });

  it('skips series without a metric name or with a label given twice, counting their samples', async () => {
    const body = compress(
      writeRequestV1()
        .encode(
          writeRequestV1().fromObject({
            timeseries: [
              { labels: [{ name: text('job'), value: text('x') }], samples: [{ timestamp: NOW, value: 1 }] },
              {
                labels: [
                  { name: text('__name__'), value: text('m') },
                  { name: text('a'), value: text('1') },
                  { name: text('a'), value: text('2') },
                ],
                samples: [{ timestamp: NOW, value: 1 }],
              },
              { labels: [{ name: text('__name__'), value: text('ok') }], samples: [{ timestamp: NOW, value: 3 }] },
            ],
          }),
        )
        .finish(),
    );
    expect((await receiver().handle({ body })).status).toBe(204);
    expect(stored()).toEqual([{ labels: { __name__: 'ok' }, samples: [[NOW, 3]] }]);
    expect(await registry.metrics()).toMatch(/^prometheus_api_remote_write_invalid_labels_samples_total 2$/m);
    expect(logs.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['Invalid metric names or labels', 'Invalid labels for series.']),
    );
  });

  it('answers 500 "native histograms are disabled" for a histogram, and rolls the request back', async () => {
    const res = await receiver().handle({
      body: v1([
        { labels: up('a'), samples: [[NOW, 1]] },
        { labels: { __name__: 'h' }, samples: [], histograms: [NOW] },
      ]),
    });
    expect(res).toMatchObject({ status: 500, body: 'native histograms are disabled\n' });
    expect(stored()).toEqual([]);
  });

  it('answers 500 with the error when the commit fails', async () => {
    await db.close();
    const res = await receiver().handle({ body: v1([{ labels: up('a'), samples: [[NOW, 1]] }]) });
    expect(res).toMatchObject({ status: 500, body: 'storage closed\n' });
    expect(await registry.metrics()).toMatch(
      /^prometheus_api_remote_write_without_metadata_appended_samples_total 1$/m,
    );
  });
});

describe('malformed bodies', () => {
  it('answers 400 "snappy: corrupt input" for a body that is not snappy', async () => {
    for (const body of [Buffer.alloc(0), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), Buffer.from([5, 0, 1])]) {
      expect(await receiver().handle({ body })).toMatchObject({ status: 400, body: 'snappy: corrupt input\n' });
    }
  });

  it('refuses a body whose snappy header claims more than 32MiB before decoding anything', async () => {
    // A 6-byte body claiming 64MiB: refused from the header alone.
    const header = [0x80, 0x80, 0x80, 0x20];
    const res = await receiver().handle({ body: Buffer.from([...header, 0x00, 0x41]) });
    expect(res).toMatchObject({ status: 400, body: 'snappy: decoded length 67108864 exceeds limit 33554432\n' });
  });

  it("answers 400 with gogo-protobuf's words for a body that is not the message", async () => {
    const cases: Array<[number[], string]> = [
      [[0x0a, 0x05, 0x0a], 'unexpected EOF'],
      [[0x08, 0x01], 'proto: wrong wireType = 0 for field Timeseries'],
      [[0x00], 'proto: WriteRequest: illegal tag 0 (wire type 0)'],
      [[0x0c], 'proto: WriteRequest: wiretype end group for non-group'],
      [[0x0a, 0x02, 0x12, 0x05], 'unexpected EOF'],
      [[0x0a, 0x03, 0x12, 0x01, 0x09], 'unexpected EOF'],
      [[0x0a, 0x02, 0x10, 0x01], 'proto: wrong wireType = 0 for field Samples'],
      [[0x27], 'proto: illegal wireType 7'],
    ];
    for (const [raw, message] of cases) {
      const res = await receiver().handle({ body: compress(Uint8Array.from(raw)) });
      expect(res, message).toMatchObject({ status: 400, body: `${message}\n` });
    }
    // An unknown field is skipped, as gogo skips it.
    expect((await receiver().handle({ body: compress(Uint8Array.from([0x10, 0x05])) })).status).toBe(204);
  });
});

describe('content negotiation', () => {
  it('answers 415 for another media type or an unknown proto message', async () => {
    const body = v1([{ labels: up('a'), samples: [[NOW, 1]] }]);
    expect(await receiver().handle({ contentType: 'text/plain', body })).toMatchObject({
      status: 415,
      body: 'expected application/x-protobuf as the first (media) part, got text/plain content-type\n',
    });
    expect(await receiver().handle({ contentType: 'application/x-protobuf;proto=foo', body })).toMatchObject({
      status: 415,
      body: 'got application/x-protobuf;proto=foo content type; unknown remote write protobuf message foo, supported: prometheus.WriteRequest, io.prometheus.write.v2.Request\n',
    });
    expect(await receiver().handle({ contentType: 'application/x-protobuf;charset', body })).toMatchObject({
      status: 415,
      body: 'as per https://www.rfc-editor.org/rfc/rfc9110#parameter expected parameters to be key-values, got charset in application/x-protobuf;charset content-type\n',
    });
    expect(stored()).toEqual([]);
  });

  it('answers 415 for another encoding but, as upstream, still goes on with the request', async () => {
    const res = await receiver().handle({
      contentEncoding: 'gzip',
      body: v1([{ labels: up('a'), samples: [[NOW, 1]] }]),
    });
    expect(res).toMatchObject({
      status: 415,
      body: 'gzip encoding (compression) is not accepted by this server; only snappy is acceptable\n',
    });
    expect(stored()).toHaveLength(1);
  });

  it('refuses a message the server is not configured to accept, with 415', async () => {
    const r = createRemoteWriteReceiver({
      appendable: db,
      logger: pino({ level: 'silent' }),
      acceptedProtoMsgs: ['prometheus.WriteRequest'],
      now: () => NOW,
    });
    const res = await r.handle({ contentType: V2_TYPE, body: v2([{ labels: up('a'), samples: [[NOW, 1]] }]) });
    expect(res.status).toBe(415);
    expect(res.body).toBe(
      'io.prometheus.write.v2.Request protobuf message is not accepted by this server; accepted [prometheus.WriteRequest]\n',
    );
    // The stats headers came after the 415 went out: Go drops them.
    expect(res.headers).not.toHaveProperty('X-Prometheus-Remote-Write-Samples-Written');
  });

  it('reads "; proto=" with a space as no proto parameter, as upstream does: 1.0', async () => {
    const res = await receiver().handle({
      contentType: 'application/x-protobuf; proto=io.prometheus.write.v2.Request',
      body: v1([{ labels: up('a'), samples: [[NOW, 1]] }]),
    });
    expect(res.status).toBe(204);
  });
});

describe('remote write 2.0', () => {
  const written = (res: RemoteWriteResponse) => [
    res.headers?.['X-Prometheus-Remote-Write-Samples-Written'],
    res.headers?.['X-Prometheus-Remote-Write-Histograms-Written'],
    res.headers?.['X-Prometheus-Remote-Write-Exemplars-Written'],
  ];

  it('resolves labels through the symbols table and says how much it wrote', async () => {
    const res = await receiver().handle({
      contentType: V2_TYPE,
      contentEncoding: 'snappy',
      body: v2([
        { labels: up('a'), samples: [[NOW, 1]], exemplars: [NOW] },
        {
          labels: up('b'),
          samples: [
            [NOW, 2],
            [NOW + 1, 3],
          ],
        },
      ]),
    });
    expect(res.status).toBe(204);
    expect(res.body).toBe('');
    expect(written(res)).toEqual(['3', '0', '1']);
    expect(stored()).toEqual([
      { labels: up('a'), samples: [[NOW, 1]] },
      {
        labels: up('b'),
        samples: [
          [NOW, 2],
          [NOW + 1, 3],
        ],
      },
    ]);
  });

  it('writes what it can and lists every refused sample and invalid series in a 400', async () => {
    const r = receiver();
    await r.handle({ contentType: V2_TYPE, body: v2([{ labels: up('a'), samples: [[NOW, 1]] }]) });
    const res = await r.handle({
      contentType: V2_TYPE,
      body: v2([
        {
          labels: up('a'),
          samples: [
            [NOW - 5, 1],
            [NOW + 5, 2],
          ],
        },
        { labels: { job: 'nameless' }, samples: [[NOW, 1]] },
        { labels: up('c'), samples: [[NOW, 7]] },
      ]),
    });
    expect(res.status).toBe(400);
    expect(res.body).toBe(
      'out of order sample for series {__name__="up", instance="a", job="rw"}\n' +
        'invalid metric name or labels, got {job="nameless"}\n',
    );
    expect(written(res)).toEqual(['2', '0', '0']);
    expect(stored()).toEqual([
      {
        labels: up('a'),
        samples: [
          [NOW, 1],
          [NOW + 5, 2],
        ],
      },
      { labels: up('c'), samples: [[NOW, 7]] },
    ]);
  });

  it('answers 500 and writes nothing for a native histogram, with zero counts', async () => {
    const res = await receiver().handle({
      contentType: V2_TYPE,
      body: v2([
        { labels: up('a'), samples: [[NOW, 1]] },
        { labels: { __name__: 'h' }, samples: [], histograms: [NOW] },
      ]),
    });
    expect(res).toMatchObject({ status: 500, body: 'native histograms are disabled\n' });
    expect(written(res)).toEqual(['0', '0', '0']);
    expect(stored()).toEqual([]);
  });

  it("answers 400 naming Go's runtime error for a label reference outside the symbols table", async () => {
    const body = compress(
      writeRequestV2()
        .encode(
          writeRequestV2().fromObject({ symbols: [text(''), text('__name__')], timeseries: [{ labels_refs: [1, 9] }] }),
        )
        .finish(),
    );
    const res = await receiver().handle({ contentType: V2_TYPE, body });
    expect(res).toMatchObject({ status: 400, body: 'runtime error: index out of range [9] with length 2\n' });
  });
});
