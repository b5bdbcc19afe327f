/**
 * The remote write receiver with the real thing as the sender: Prometheus 3.5 (the reference peer
 * from scripts/peers.sh) scrapes itself and remote-writes to `handle()` behind a small node:http
 * server, in remote write 1.0 and in 2.0. The samples must arrive in the TSDB, and Prometheus must
 * count none as failed. Skips, saying why, only when the peer cannot be had.
 */
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { listenLocal } from './helpers/listen.js';
import { PROMETHEUS, startPrometheus as startReferencePrometheus } from './helpers/prometheus.js';
import { removeScratchDirs, scratchDir } from './helpers/server.js';
import { selectAll } from './helpers/storage.js';
import snappy from 'snappyjs';
import { createRemoteWriteReceiver } from '../src/remote/index.js';
import { writeRequestV1, writeRequestV2 } from '../src/remote/schema.js';
import { openTSDB, type TSDB } from '../src/storage/index.js';

const havePrometheus = PROMETHEUS.path !== undefined;
if (PROMETHEUS.missing) console.log(`remote-receiver-prometheus.test.ts: skipped: ${PROMETHEUS.missing}`);

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  removeScratchDirs();
});

/** A TSDB behind the receiver behind node:http; `arrived()` resolves after each answered request. */
async function startReceiver() {
  const db: TSDB = await openTSDB({
    dir: join(scratchDir(), 'data'),
    logger: pino({ level: 'silent' }),
    retentionMs: 0,
  });
  const receiver = createRemoteWriteReceiver({ appendable: db, logger: pino({ level: 'silent' }) });
  const statuses: number[] = [];
  const contentTypes = new Set<string>();
  let wake: (() => void) | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      contentTypes.add(req.headers['content-type'] ?? '');
      const answer = await receiver.handle({
        contentType: req.headers['content-type'],
        contentEncoding: req.headers['content-encoding'],
        body: Buffer.concat(chunks),
        headers: req.headers,
      });
      statuses.push(answer.status);
      res.writeHead(answer.status, answer.headers).end(answer.body);
      wake?.();
    });
  });
  const port = await listenLocal(server);
  stops.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await db.close();
  });
  return {
    url: `http://127.0.0.1:${port}/api/v1/write`,
    db,
    statuses,
    contentTypes,
    /** Resolves once `test()` holds, checked after every request the receiver answers. */
    async until(test: () => boolean) {
      while (!test()) await new Promise<void>((resolve) => (wake = resolve));
    },
  };
}

/** Prometheus 3.5 scraping itself every second and remote-writing with `protobufMessage`. */
async function startPrometheus(url: string, protobufMessage: string, args: string[] = []) {
  const prometheus = await startReferencePrometheus({
    config: (port) => `global:
  scrape_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:${port}']
remote_write:
  - url: ${url}
    protobuf_message: ${protobufMessage}
    queue_config: { batch_send_deadline: 1s }
`,
    args,
  });
  stops.push(prometheus.stop);
  return {
    ...prometheus,
    /** The value of an instant query with one result (its own metrics), as a number. */
    async value(query: string): Promise<number> {
      const res = await fetch(`${prometheus.base}/api/v1/query?query=${encodeURIComponent(query)}`);
      const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
      return Number(body.data.result[0]?.value[1] ?? Number.NaN);
    },
  };
}

const upOf = (db: TSDB) =>
  selectAll(db, [{ type: '=', name: '__name__', value: 'up' }], 0, Number.MAX_SAFE_INTEGER).flatMap((s) =>
    s.samples.map((x) => ({ labels: s.labels, v: x.v })),
  );

/** The largest `prometheus_remote_storage_samples_total` the receiver has been sent so far. */
const sentOf = (db: TSDB) =>
  Math.max(
    0,
    ...selectAll(
      db,
      [{ type: '=', name: '__name__', value: 'prometheus_remote_storage_samples_total' }],
      0,
      Number.MAX_SAFE_INTEGER,
    ).flatMap((s) => s.samples.map((x) => x.v)),
  );

describe.skipIf(!havePrometheus)('a real Prometheus remote-writing to the receiver', () => {
  for (const [version, message, contentType] of [
    ['1.0', 'prometheus.WriteRequest', 'application/x-protobuf'],
    ['2.0', 'io.prometheus.write.v2.Request', 'application/x-protobuf;proto=io.prometheus.write.v2.Request'],
  ] as const) {
    it(`takes remote write ${version}: the scraped samples arrive and Prometheus counts none as failed`, async () => {
      const receiver = await startReceiver();
      const prometheus = await startPrometheus(receiver.url, message);
      // Its own `up` arrives, and then a good number of its other series.
      await receiver.until(() => upOf(receiver.db).length >= 2);
      const up = upOf(receiver.db);
      expect(up[0]).toEqual({ labels: { __name__: 'up', job: 'prometheus', instance: expect.any(String) }, v: 1 });
      const series = selectAll(
        receiver.db,
        [{ type: '=~', name: '__name__', value: 'prometheus_.+' }],
        0,
        Number.MAX_SAFE_INTEGER,
      );
      expect(series.length).toBeGreaterThan(100);
      expect(receiver.contentTypes).toEqual(new Set([contentType]));
      expect(receiver.statuses.every((s) => s === 204)).toBe(true);

      // Prometheus counts what it sent only after the receiver answered, and its own query sees
      // that count only after its next self-scrape; that scrape is itself remote-written here, so
      // wait for a nonzero count to arrive at the receiver rather than asking Prometheus too early.
      await receiver.until(() => sentOf(receiver.db) > 0);
      expect(await prometheus.value('sum(prometheus_remote_storage_samples_total)')).toBeGreaterThan(0);
      expect(await prometheus.value('sum(prometheus_remote_storage_samples_failed_total)')).toBe(0);
      // (2.0 logs one WARN about metadata_config being redundant: a config remark, not a failure.)
      expect(prometheus.log()).not.toMatch(/level=ERROR.*remote/i);
    });
  }
});

describe.skipIf(!havePrometheus)('the receiver beside a real Prometheus receiver', () => {
  it('answers every request of a sequence with the same status, text and written-counts headers', async () => {
    const receiver = await startReceiver();
    // Prometheus sends its own samples to our receiver; we send the sequence to its receiver.
    const prometheus = await startPrometheus(receiver.url, 'prometheus.WriteRequest', [
      '--web.enable-remote-write-receiver',
    ]);
    const NOW = Date.now();
    const text = (s: string) => Buffer.from(s);
    const compress = (raw: Uint8Array) => Buffer.from(snappy.compress(raw));
    const labels = (o: Record<string, string>) =>
      Object.entries(o).map(([name, value]) => ({ name: text(name), value: text(value) }));
    const v1 = (timeseries: unknown[]) =>
      compress(writeRequestV1().encode(writeRequestV1().fromObject({ timeseries })).finish());
    const V2 = { 'Content-Type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request' };
    const v2 = (symbols: string[], timeseries: unknown[]) =>
      compress(
        writeRequestV2()
          .encode(writeRequestV2().fromObject({ symbols: symbols.map(text), timeseries }))
          .finish(),
      );
    const m = (a: string, timestamp: number, value: number) => ({
      labels: labels({ __name__: 'rw_test', a }),
      samples: [{ timestamp, value }],
    });
    const sequence: Array<[string, Record<string, string>, Buffer]> = [
      ['a sample', {}, v1([m('b', NOW, 1)])],
      ['the same again', {}, v1([m('b', NOW, 1)])],
      ['another value at its time', {}, v1([m('b', NOW, 2)])],
      ['an older one', {}, v1([m('b', NOW - 10, 2)])],
      ['one older than the head takes', {}, v1([m('c', NOW - 3_700_000, 2)])],
      ['one too far ahead', {}, v1([m('c', NOW + 700_000, 2)])],
      [
        'a native histogram',
        {},
        v1([{ labels: labels({ __name__: 'h' }), histograms: [{ timestamp: NOW, count_int: 1 }] }]),
      ],
      ['an empty body', {}, Buffer.alloc(0)],
      ['a truncated message', {}, compress(Uint8Array.from([0x0a, 0x05, 0x0a]))],
      ['a wrong wire type', {}, compress(Uint8Array.from([0x08, 0x01]))],
      ['tag 0', {}, compress(Uint8Array.from([0x00]))],
      ['wire type 7', {}, compress(Uint8Array.from([0x27]))],
      ['a snappy bomb', {}, Buffer.from([0x80, 0x80, 0x80, 0x20, 0x00, 0x41])],
      ['gzip', { 'Content-Encoding': 'gzip' }, v1([m('d', NOW, 1)])],
      ['text/plain', { 'Content-Type': 'text/plain' }, Buffer.alloc(1)],
      ['an unknown proto', { 'Content-Type': 'application/x-protobuf;proto=x' }, Buffer.alloc(1)],
      [
        '2.0, partly refused',
        V2,
        v2(
          ['', '__name__', 'rw_test', 'a', 'b', 'job'],
          [
            {
              labels_refs: [1, 2, 3, 4],
              samples: [
                { timestamp: NOW - 10, value: 1 },
                { timestamp: NOW + 10, value: 1 },
              ],
            },
            { labels_refs: [5, 4], samples: [{ timestamp: NOW, value: 1 }] },
          ],
        ),
      ],
      [
        '2.0, a histogram',
        V2,
        v2(['', '__name__', 'h'], [{ labels_refs: [1, 2], histograms: [{ timestamp: NOW, count_int: 1 }] }]),
      ],
      [
        '2.0, an exemplar',
        V2,
        v2(
          ['', '__name__', 'e'],
          [{ labels_refs: [1, 2], samples: [{ timestamp: NOW, value: 1 }], exemplars: [{ value: 1, timestamp: NOW }] }],
        ),
      ],
    ];
    const ask = async (base: string, headers: Record<string, string>, body: Buffer) => {
      const res = await fetch(`${base}/api/v1/write`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', ...headers },
        body: new Uint8Array(body),
      });
      const counts: Array<[string, string]> = [];
      res.headers.forEach((value, key) => {
        if (key.startsWith('x-prometheus-remote-write')) counts.push([key, value]);
      });
      return { status: res.status, body: await res.text(), counts: Object.fromEntries(counts) };
    };
    const ours = receiver.url.replace('/api/v1/write', '');
    for (const [what, headers, body] of sequence) {
      expect(await ask(ours, headers, body), what).toEqual(await ask(prometheus.base, headers, body));
    }
  });
});
