/**
 * The database behind both modes: a lock, a WAL, and a series table. The TSDB keeps samples in
 * an in-memory head (queried by PromQL later, trimmed by retention); the agent keeps only series
 * refs, as Prometheus's agent does, and its WAL is the data.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { acquireLock } from './lock.js';
import type { Appender, Labels, Matcher, Queryable, Series, Storage } from './types.js';
import { DEFAULT_SEGMENT_SIZE, encodeRecord, RECORD_SAMPLES, RECORD_SERIES, replay, WalWriter } from './wal.js';

interface MemSeries {
  ref: number;
  labels: Labels;
  ts: number[];
  vs: number[];
}

export interface OpenOptions {
  dir: string;
  /** Bytes; 0 or unset means upstream's 128MiB. */
  walSegmentSize?: number;
  logger: Logger;
  registry?: Registry;
  /** Aborting it stops a slow open (WAL replay) and releases the lock. */
  signal?: AbortSignal;
  now?: () => number;
}

/** A canonical key for a label set: sorted names, NUL-separated. */
function labelsKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0000${labels[k]}`)
    .join('\u0001');
}

const SAMPLE_BYTES = 20; // ref u32, t f64, v f64

class Db implements Storage, Queryable {
  readonly #byKey = new Map<string, MemSeries>();
  readonly #byRef: MemSeries[] = [];
  readonly #wal: WalWriter;
  readonly #release: () => void;
  readonly #keepSamples: boolean;
  readonly #metrics: ReturnType<typeof dbMetrics> | undefined;
  #retentionTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(opts: {
    wal: WalWriter;
    release: () => void;
    keepSamples: boolean;
    metrics?: ReturnType<typeof dbMetrics>;
  }) {
    this.#wal = opts.wal;
    this.#release = opts.release;
    this.#keepSamples = opts.keepSamples;
    this.#metrics = opts.metrics;
  }

  /** Replay: a series record. */
  loadSeries(ref: number, labels: Labels): void {
    const s = { ref, labels, ts: [], vs: [] };
    this.#byRef[ref] = s;
    this.#byKey.set(labelsKey(labels), s);
  }

  /** Replay and commit: a sample; out-of-order ones are dropped (and counted), as upstream. */
  loadSample(ref: number, t: number, v: number): boolean {
    const s = this.#byRef[ref];
    if (!s || !this.#keepSamples) return s !== undefined;
    const last = s.ts.at(-1);
    if (last !== undefined && t <= last) {
      if (t < last) this.#metrics?.outOfOrder.inc();
      return false;
    }
    s.ts.push(t);
    s.vs.push(v);
    return true;
  }

  get seriesCount(): number {
    return this.#byKey.size;
  }

  appender(): Appender {
    const pending: Array<{ labels: Labels; t: number; v: number }> = [];
    return {
      append: (labels, t, v) => {
        pending.push({ labels, t, v });
      },
      rollback: () => {
        pending.length = 0;
      },
      commit: async () => {
        if (this.#closed) throw new Error('storage closed');
        const batch = pending.splice(0);
        if (batch.length === 0) return;
        const created: Array<[number, Labels]> = [];
        const refs = new Array<number>(batch.length);
        batch.forEach((s, i) => {
          const key = labelsKey(s.labels);
          let series = this.#byKey.get(key);
          if (!series) {
            series = { ref: this.#byRef.length, labels: s.labels, ts: [], vs: [] };
            this.#byRef.push(series);
            this.#byKey.set(key, series);
            created.push([series.ref, s.labels]);
          }
          refs[i] = series.ref;
        });
        const samples = Buffer.allocUnsafe(batch.length * SAMPLE_BYTES);
        batch.forEach((s, i) => {
          const o = i * SAMPLE_BYTES;
          samples.writeUInt32BE(refs[i] as number, o);
          samples.writeDoubleBE(s.t, o + 4);
          samples.writeDoubleBE(s.v, o + 12);
        });
        const records = [encodeRecord(RECORD_SAMPLES, samples)];
        if (created.length > 0) records.unshift(encodeRecord(RECORD_SERIES, Buffer.from(JSON.stringify(created))));
        // The WAL first: a sample is visible only once it is durable in the log.
        this.#wal.write(Buffer.concat(records));
        let appended = 0;
        batch.forEach((s, i) => {
          if (this.loadSample(refs[i] as number, s.t, s.v)) appended++;
        });
        this.#metrics?.appended.inc(appended);
        this.#metrics?.series.set(this.#byKey.size);
      },
    };
  }

  select(matchers: Matcher[], mint: number, maxt: number): Series[] {
    const tests = matchers.map(compileMatcher);
    const out: Series[] = [];
    for (const s of this.#byKey.values()) {
      if (!tests.every((test) => test(s.labels))) continue;
      const samples = [];
      for (let i = 0; i < s.ts.length; i++) {
        const t = s.ts[i] as number;
        if (t >= mint && t <= maxt) samples.push({ t, v: s.vs[i] as number });
      }
      out.push({ labels: s.labels, samples });
    }
    return out;
  }

  /** Drops samples older than `before`, and series left empty (they stay in the WAL's series table). */
  truncate(before: number): void {
    for (const [key, s] of this.#byKey) {
      let drop = 0;
      while (drop < s.ts.length && (s.ts[drop] as number) < before) drop++;
      if (drop > 0) {
        s.ts.splice(0, drop);
        s.vs.splice(0, drop);
      }
      if (s.ts.length === 0 && drop > 0) this.#byKey.delete(key);
    }
    this.#metrics?.series.set(this.#byKey.size);
  }

  startRetention(retentionMs: number, now: () => number): void {
    if (!this.#keepSamples || !(retentionMs > 0)) return;
    const trim = () => this.truncate(now() - retentionMs);
    trim();
    this.#retentionTimer = setInterval(trim, 60_000);
    this.#retentionTimer.unref();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#retentionTimer);
    this.#wal.close();
    this.#release();
  }
}

function compileMatcher(m: Matcher): (labels: Labels) => boolean {
  const get = (labels: Labels) => labels[m.name] ?? '';
  switch (m.type) {
    case '=':
      return (l) => get(l) === m.value;
    case '!=':
      return (l) => get(l) !== m.value;
    case '=~': {
      const re = new RegExp(`^(?:${m.value})$`);
      return (l) => re.test(get(l));
    }
    case '!~': {
      const re = new RegExp(`^(?:${m.value})$`);
      return (l) => !re.test(get(l));
    }
  }
}

function dbMetrics(registry: Registry, agent: boolean) {
  const registers = [registry];
  return agent
    ? {
        series: new Gauge({
          name: 'prometheus_agent_active_series',
          help: 'Number of active series being tracked by the WAL storage',
          registers,
        }),
        appended: new Counter({
          name: 'prometheus_agent_samples_appended_total',
          help: 'Total number of samples appended to the storage',
          registers,
        }),
        outOfOrder: new Counter({
          name: 'prometheus_agent_out_of_order_samples_total',
          help: 'Total number of out of order samples ingestion failed attempts.',
          registers,
        }),
        segment: new Gauge({
          name: 'prometheus_agent_wal_segment_current',
          help: 'Write log segment index that TSDB is currently writing to.',
          registers,
        }),
      }
    : {
        series: new Gauge({
          name: 'prometheus_tsdb_head_series',
          help: 'Total number of series in the head block.',
          registers,
        }),
        appended: new Counter({
          name: 'prometheus_tsdb_head_samples_appended_total',
          help: 'Total number of appended samples.',
          registers,
        }),
        outOfOrder: new Counter({
          name: 'prometheus_tsdb_out_of_order_samples_total',
          help: 'Total number of out of order samples ingestion failed attempts.',
          registers,
        }),
        segment: new Gauge({
          name: 'prometheus_tsdb_wal_segment_current',
          help: 'Write log segment index that TSDB is currently writing to.',
          registers,
        }),
      };
}

async function open(opts: OpenOptions, agent: boolean): Promise<Db> {
  opts.signal?.throwIfAborted();
  const walDir = join(opts.dir, 'wal');
  mkdirSync(walDir, { recursive: true });
  const release = acquireLock(opts.dir, opts.logger);
  const metrics = opts.registry ? dbMetrics(opts.registry, agent) : undefined;
  let db: Db | undefined;
  const pending: { wal?: WalWriter } = {};
  try {
    // Records are replayed into a Db whose WAL writer is created after replay, so the new segment
    // number follows the replayed ones.
    const replayed: Array<(d: Db) => void> = [];
    let samples = 0;
    opts.logger.info('Replaying WAL, this may take a while');
    await replay(walDir, opts.logger, opts.signal, (r) => {
      if (r.type === RECORD_SERIES) {
        const list = JSON.parse(r.payload.toString()) as Array<[number, Labels]>;
        replayed.push((d) => {
          for (const [ref, labels] of list) d.loadSeries(ref, labels);
        });
      } else if (r.type === RECORD_SAMPLES && !agent) {
        const p = r.payload;
        samples += p.length / SAMPLE_BYTES;
        replayed.push((d) => {
          for (let o = 0; o + SAMPLE_BYTES <= p.length; o += SAMPLE_BYTES)
            d.loadSample(p.readUInt32BE(o), p.readDoubleBE(o + 4), p.readDoubleBE(o + 12));
        });
      }
    });
    pending.wal = new WalWriter(walDir, opts.walSegmentSize || DEFAULT_SEGMENT_SIZE, (n) => metrics?.segment.set(n));
    db = new Db({ wal: pending.wal, release, keepSamples: !agent, ...(metrics ? { metrics } : {}) });
    for (const apply of replayed) apply(db);
    metrics?.series.set(db.seriesCount);
    opts.logger.info({ series: db.seriesCount, samples }, 'WAL replay completed');
    opts.signal?.throwIfAborted();
    return db;
  } catch (err) {
    if (db) await db.close();
    else {
      pending.wal?.close();
      release();
    }
    throw err;
  }
}

export interface TSDB extends Storage, Queryable {}

/** Opens (or creates) a TSDB in `dir`: lock, WAL replay into the head, retention. */
export async function openTSDB(opts: OpenOptions & { retentionMs: number }): Promise<TSDB> {
  const db = await open(opts, false);
  db.startRetention(opts.retentionMs, opts.now ?? Date.now);
  return db;
}

/** Opens (or creates) the agent's WAL storage in `dir`. */
export async function openAgentStorage(opts: OpenOptions): Promise<Storage> {
  return open(opts, true);
}
