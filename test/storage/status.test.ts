/**
 * The TSDB status (`/api/v1/status/tsdb`'s data): by example, and beside a real Prometheus 3.5
 * given the same samples through its remote write receiver (skipped, saying why, when the peer
 * cannot be had).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import snappy from 'snappyjs';
import { afterEach, describe, expect, it } from 'vitest';
import { writeRequestV1 } from '../../src/remote/schema.js';
import { CHUNK_RANGE_MS, Head, MemSeries } from '../../src/storage/head.js';
import { hashLabels } from '../../src/storage/labels.js';
import { type Labels, openTSDB, type TSDB, type TSDBStat } from '../../src/storage/index.js';
import { PROMETHEUS, startPrometheus } from '../helpers/prometheus.js';
import { removeScratchDirs } from '../helpers/server.js';

if (PROMETHEUS.missing) console.log(`status.test.ts: the comparison with Prometheus is skipped: ${PROMETHEUS.missing}`);

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  removeScratchDirs(); // the peer's data dir
});

async function tsdb(): Promise<TSDB> {
  const dir = mkdtempSync(join(tmpdir(), 'miniprom-status-'));
  const db = await openTSDB({ dir: join(dir, 'data'), logger: pino({ level: 'silent' }), retentionMs: 0 });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => db.close());
  return db;
}

/**
 * Half an hour into the current 2h range, or into the last one if that is still ahead: recent,
 * yet the busy series' five minutes never straddle a 2h boundary, where upstream's head (and
 * ours) cuts an extra chunk — which made the expected chunk count depend on the time of day.
 */
const NOW = (() => {
  const start = Math.floor(Date.now() / CHUNK_RANGE_MS) * CHUNK_RANGE_MS + 30 * 60_000;
  return start <= Date.now() ? start : start - CHUNK_RANGE_MS;
})();

/** Series with distinct cardinalities, and a few with many samples (several chunks each). */
function dataset(): Array<{ labels: Labels; samples: Array<[number, number]> }> {
  const out: Array<{ labels: Labels; samples: Array<[number, number]> }> = [];
  const metrics: Array<[string, number]> = [
    ['http_requests_total', 7],
    ['node_cpu_seconds_total', 5],
    ['up', 3],
    ['a_very_long_metric_name_'.padEnd(300, 'x'), 1],
  ];
  for (const [name, count] of metrics) {
    for (let i = 0; i < count; i++) {
      const labels: Record<string, string> = {
        __name__: name,
        instance: `host-${i}:9100`,
        job: i < 2 ? 'api' : 'node',
      };
      if (name === 'http_requests_total') labels.code = String(200 + (i % 3));
      out.push({ labels, samples: [[NOW - 60_000, i]] });
    }
  }
  // 300 samples a second apart: upstream's head cuts these into several chunks.
  out.push({
    labels: { __name__: 'busy', job: 'node', instance: 'host-0:9100' },
    samples: Array.from({ length: 300 }, (_, k) => [NOW - 300_000 + k * 1000, k] as [number, number]),
  });
  return out;
}

async function fill(db: TSDB): Promise<void> {
  const app = db.appender();
  for (const s of dataset()) for (const [t, v] of s.samples) app.append(s.labels, t, v);
  await app.commit();
}

describe('status', () => {
  it('reports an empty head with no time range and empty statistics', async () => {
    const db = await tsdb();
    expect(db.status()).toEqual({
      headStats: { numSeries: 0, numLabelPairs: 0, chunkCount: 0, minTime: null, maxTime: null },
      seriesCountByMetricName: [],
      labelValueCountByLabelName: [],
      memoryInBytesByLabelName: [],
      seriesCountByLabelValuePair: [],
    });
  });

  it('counts series, label pairs and chunks, and ranks the top N by count', async () => {
    const db = await tsdb();
    await fill(db);
    const s = db.status(3);
    expect(s.headStats).toEqual({
      numSeries: 17,
      // __name__: 5 values, instance: 7, job: 2, code: 3
      numLabelPairs: 17,
      chunkCount: 16 + 3, // one chunk per one-sample series; 300 samples over 300s make three
      minTime: NOW - 300_000,
      maxTime: NOW - 1000,
    });
    expect(s.seriesCountByMetricName).toEqual([
      { name: 'http_requests_total', value: 7 },
      { name: 'node_cpu_seconds_total', value: 5 },
      { name: 'up', value: 3 },
    ]);
    expect(s.labelValueCountByLabelName).toEqual([
      { name: 'instance', value: 7 },
      { name: '__name__', value: 5 },
      { name: 'code', value: 3 },
    ]);
    expect(s.seriesCountByLabelValuePair[0]).toEqual({ name: 'job=node', value: 10 });
    // __name__: each series' name and its length prefix (4 bytes for the 300-byte one).
    const nameBytes =
      7 * (8 + 1 + 19 + 1) + 5 * (8 + 1 + 22 + 1) + 3 * (8 + 1 + 2 + 1) + (8 + 1 + 300 + 4) + (8 + 1 + 4 + 1);
    expect(s.memoryInBytesByLabelName.find((x) => x.name === '__name__')?.value).toBe(nameBytes);
    expect(db.status().seriesCountByMetricName).toHaveLength(5); // the default limit is 10
  });
});

describe('chunk count', () => {
  it("cuts chunks as upstream's head does, and drops those retention empties whole", () => {
    const head = new Head(true);
    const labels = { __name__: 'busy' };
    const s = head.adopt(new MemSeries(hashLabels(labels), labels));
    const T0 = 1000 * CHUNK_RANGE_MS; // the start of a 2h range
    for (let k = 0; k < 300; k++) head.add(s, T0 + k * 1000, k);
    // Samples per chunk, full ones first, then the open one.
    const sizes = () => [...s.chunks.map((c) => c.count), ...(s.open ? [s.open.count] : [])];
    // At 30 samples each chunk plans its end to spread the range's samples evenly: 117, 117, 66.
    expect(sizes()).toEqual([117, 117, 66]);
    expect(head.numChunks).toBe(3);
    head.truncate(T0 + 150_000); // the first chunk goes whole; the second only in part, so it stays
    expect(head.numChunks).toBe(2);
    expect(sizes()).toEqual([117, 66]);
    // The part of the second chunk older than the cut is no longer read or counted.
    expect(head.numSamples).toBe(150);
    const [series] = head.querier(0, T0 + 10 * CHUNK_RANGE_MS).select([]);
    const it = series?.iterator();
    expect(it?.next() && it.t).toBe(T0 + 150_000);
    expect(head.minTime).toBe(T0 + 150_000);
  });
});

describe.skipIf(PROMETHEUS.path === undefined)('status beside Prometheus 3.5', () => {
  it('matches what Prometheus reports for the same samples', async () => {
    const prometheus = await startPrometheus({ args: ['--web.enable-remote-write-receiver'] });
    cleanups.push(prometheus.stop);
    const timeseries = dataset().map((s) => ({
      labels: Object.entries(s.labels).map(([name, value]) => ({ name: Buffer.from(name), value: Buffer.from(value) })),
      samples: s.samples.map(([timestamp, value]) => ({ timestamp, value })),
    }));
    const body = snappy.compress(writeRequestV1().encode(writeRequestV1().fromObject({ timeseries })).finish());
    const res = await fetch(`${prometheus.base}/api/v1/write`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' },
      body: new Uint8Array(body),
    });
    expect(res.status).toBe(204);
    const db = await tsdb();
    await fill(db);

    const theirs = async (limit: number) => {
      const r = await fetch(`${prometheus.base}/api/v1/status/tsdb?limit=${limit}`);
      return ((await r.json()) as { data: ReturnType<TSDB['status']> }).data;
    };
    // Ties are in Go's map order upstream: compare each list sorted by count, then name.
    const order = (stats: TSDBStat[]) =>
      [...stats].sort((a, b) => b.value - a.value || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const limit of [1000, 3]) {
      const ours = db.status(limit);
      const peer = await theirs(limit);
      expect(ours.headStats).toEqual(peer.headStats);
      for (const key of [
        'seriesCountByMetricName',
        'labelValueCountByLabelName',
        'memoryInBytesByLabelName',
        'seriesCountByLabelValuePair',
      ] as const) {
        if (limit === 1000) expect(order(ours[key]), key).toEqual(order(peer[key]));
        // With a limit, which of several tied names is kept is Go's map order: compare the counts.
        else
          expect(
            ours[key].map((x) => x.value),
            key,
          ).toEqual(order(peer[key]).map((x) => x.value));
      }
    }
  });
});
