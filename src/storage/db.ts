/**
 * The storage behind both modes: the data dir's lock, the WAL, and the head. The TSDB keeps samples
 * in the head (read by `select`, trimmed by retention); the agent keeps only the series table, as
 * Prometheus's agent does: its WAL is the data.
 *
 * Commits are serialized (a promise chain): each encodes its batch into one buffer, writes it to
 * the WAL, and only then applies it to the head. One at a time keeps series records ahead of the
 * samples that use them, and keeps the head in the WAL's order, so a replay rebuilds exactly what
 * was visible. Retention runs in the same chain, so it never removes a series a commit is using.
 */
import { Float64Column } from './floats.js';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { StorageConfig } from '../config/index.js';
import { unsupportedStorageSetting } from './config.js';
import { duplicateSample, OUT_OF_BOUNDS, OUT_OF_ORDER } from './errors.js';
import { CHUNK_RANGE_MS, Head, MemSeries, SeriesTable } from './head.js';
import { hashLabels, withoutEmpty } from './labels.js';
import { acquireLock } from './lock.js';
import { type StorageMetrics, storageMetrics } from './metrics.js';
import type { Appender, AppendError, Labels, Matcher, Querier, Queryable, SeriesRefHolder, Storage } from './types.js';
import { headStatus, type TSDBStatus } from './status.js';
import { type Stone, Tombstones } from './tombstones.js';
import {
  DEFAULT_SEGMENT_SIZE,
  encodeCommit,
  encodeTombstones,
  listSegments,
  replay,
  segmentName,
  WalWriter,
} from './wal.js';

export interface AgentStorageOptions {
  dir: string;
  /** Bytes per WAL segment; 0 or unset means upstream's 128MiB. */
  walSegmentSize?: number;
  logger: Logger;
  registry?: Registry;
  /** Aborting it stops a slow open (WAL replay): the open rejects with its reason and leaves no lock. */
  signal?: AbortSignal;
  /**
   * A testing aid (MINIPROM_TEST_STORAGE_OPEN_DELAY, read by the entry): the open first waits this
   * long, abortably, as a slow WAL replay would, so a slow start can be watched and tested.
   */
  openDelayMs?: number;
  /**
   * Told the WAL replay's progress (upstream's WALReplayStatus, /api/v1/status/walreplay): the
   * segments to read before it starts, then each segment read, then the finished replay.
   */
  onWalReplay?: (status: WalReplayStatus) => void;
}

/** Upstream's WALReplayStatus: the first and last segment replay covers, and the last one read. */
export interface WalReplayStatus {
  min: number;
  max: number;
  current: number;
}

export interface TSDBOptions extends AgentStorageOptions {
  /** Samples older than now − retentionMs are dropped (at open, then every minute); ≤ 0 keeps all. */
  retentionMs: number;
  /** The clock retention reads; injected by tests. */
  now?: () => number;
}

export interface HeadStats {
  series: number;
  samples: number;
}

/** Storage opened by main: it also takes the config's `storage` section (the db_storage reloader). */
export interface LocalStorage extends Storage {
  /**
   * Throws for a setting this storage cannot honour; otherwise returns the change, to be made
   * once every reloader has prepared (a failed reload changes nothing).
   */
  prepareConfig(cfg: StorageConfig): () => void;
}

export interface AgentStorage extends LocalStorage {
  stats(): { series: number };
}

export interface TSDB extends LocalStorage, Queryable {
  stats(): HeadStats;
  /**
   * What upstream's `/api/v1/status/tsdb` reports: head statistics and the `limit` (default 10)
   * largest of each cardinality statistic, computed from the postings index.
   */
  status(limit?: number): TSDBStatus;
  /** Samples older than now − this are dropped; 0 keeps everything. */
  readonly retentionMs: number;
  /**
   * Upstream's DB.Delete: marks [mint, maxt] of every series the matchers select deleted
   * (tombstones, logged to the WAL first); queries no longer see those samples.
   */
  deleteSeries(matchers: readonly Matcher[], mint: number, maxt: number): Promise<void>;
  /**
   * Upstream's DB.CleanTombstones rewrites persisted blocks without their deleted samples; the
   * head keeps its tombstones until it is compacted. miniprom's TSDB is a head only, with no
   * blocks and no compaction: there is nothing to rewrite, and, as for upstream's head, the
   * tombstones stay (queries keep honouring them, a restart replays them).
   */
  cleanTombstones(): Promise<void>;
  /**
   * Upstream's DB.Snapshot into `dir`: its persisted blocks, and with `withHead` the head too. Here
   * the head is the WAL: with `withHead` its segments are copied to `dir/wal` between commits, so
   * a TSDB opened on `dir` replays the same samples and tombstones; without, there are no blocks
   * to copy and `dir` stays empty.
   */
  snapshot(dir: string, withHead: boolean): Promise<void>;
}

const RETENTION_INTERVAL_MS = 60_000;

/** The agent's storage, and the base of the TSDB: lock, WAL, head, serialized commits. */
class WalStorage implements AgentStorage {
  /** The tail of the commit chain: every commit and retention pass runs after the one before. */
  #tail: Promise<unknown> = Promise.resolve();
  #commitId = 0;
  #closing: Promise<void> | undefined;

  constructor(
    protected readonly head: Head,
    private readonly wal: WalWriter,
    protected readonly metrics: StorageMetrics,
    private readonly releaseLock: () => void,
  ) {}

  appender(): Appender {
    return new HeadAppender(this.head, this.metrics, (series, ts, vs) => this.#commit(series, ts, vs));
  }

  stats(): HeadStats {
    return { series: this.head.numSeries, samples: this.head.numSamples };
  }

  prepareConfig(cfg: StorageConfig): () => void {
    const problem = unsupportedStorageSetting(cfg, 'agent');
    if (problem) throw new Error(problem);
    return () => {};
  }

  /** Runs `task` after every commit (and retention pass) queued before it. */
  protected serialize<T>(task: () => T | Promise<T>): Promise<T> {
    const run = this.#tail.then(task);
    this.#tail = run.catch(() => {}); // one failed commit must not fail the ones queued behind it
    return run;
  }

  protected get closing(): boolean {
    return this.#closing !== undefined;
  }

  #commit(series: MemSeries[], ts: number[], vs: Float64Column): Promise<void> {
    if (this.#closing) return Promise.reject(new Error('storage closed'));
    if (series.length === 0) return Promise.resolve();
    return this.serialize(() => this.#write(series, ts, vs));
  }

  /** Logs one record of its own (a tombstone record); call from a serialized task. */
  protected async writeRecord(record: Buffer): Promise<void> {
    try {
      await this.wal.write(record);
    } catch (err) {
      throw new Error(`write to WAL: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * One commit: drops out-of-order samples, then logs what is left (new series first) with one
   * WAL write, then applies it to the head. The arrays are the appender's, handed over; accepted
   * samples are compacted to their front so no second set of arrays is needed.
   */
  async #write(series: MemSeries[], ts: number[], vs: Float64Column): Promise<void> {
    const id = ++this.#commitId;
    const created: MemSeries[] = [];
    let n = 0;
    let outOfOrder = 0;
    // A large commit prepares its record in slices: nothing of it is visible until the head
    // takes it below, in one go (a query sees a commit whole or not at all), and commits are
    // serialized, so the series it reads cannot change meanwhile.
    const pause = slicer();
    for (let i = 0; i < series.length; i++) {
      if ((i & 4095) === 4095) {
        const wait = pause();
        if (wait) await wait;
      }
      let s = series[i] as MemSeries;
      if (s.ref < 0 || s.removed) s = this.head.adopt(s);
      const t = ts[i] as number;
      // A series may occur more than once in a batch: compare with what this commit accepted.
      const last = s.commitId === id ? s.commitT : s.lastT;
      if (!(t > last)) {
        if (t < last) outOfOrder++; // an equal time is a duplicate: dropped, but not out of order
        continue;
      }
      if (s.commitId !== id) {
        s.commitId = id;
        if (!s.logged) created.push(s);
      }
      s.commitT = t;
      series[n] = s;
      ts[n] = t;
      vs.set(n, vs.at(i) as number);
      n++;
    }
    if (outOfOrder > 0) this.metrics.outOfOrder.inc(outOfOrder);
    this.metrics.series.set(this.head.numSeries);
    if (n === 0) return;
    try {
      await this.wal.write(await encodeCommit(created, series, ts, vs, n, pause));
    } catch (err) {
      // Nothing of this commit is applied or acknowledged; the WAL is as it was before it, so the
      // next commit (once space is back) follows the last whole record. Upstream's wording.
      throw new Error(`write to WAL: ${(err as Error).message}`, { cause: err });
    }
    for (const s of created) s.logged = true;
    // Applied in slices too, hidden from queries until published whole: isolation, as upstream's.
    for (let i = 0; i < n; i++) {
      this.head.stage(series[i] as MemSeries, ts[i] as number, vs.at(i) as number);
      if ((i & 4095) === 4095) {
        const wait = pause();
        if (wait) await wait;
      }
    }
    this.head.publish(series, n);
    this.metrics.appended.inc(n);
  }

  /** Lets queued commits land, then flushes and closes the WAL and removes the lock. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#tail;
      try {
        await this.wal.close();
      } finally {
        this.releaseLock();
      }
      // Node reports a file request until just after its promise settles: one turn of the event
      // loop lets it go, so close() resolves with nothing of ours in getActiveResourcesInfo().
      await nextTurn();
    })();
    return this.#closing;
  }
}

class Tsdb extends WalStorage implements TSDB {
  #retention: NodeJS.Timeout | undefined;
  #retentionMs = 0;

  constructor(
    head: Head,
    wal: WalWriter,
    metrics: StorageMetrics,
    releaseLock: () => void,
    private readonly now: () => number,
    private readonly logger: Logger,
    private readonly tombstones: Tombstones,
    private readonly walDir: string,
  ) {
    super(head, wal, metrics, releaseLock);
  }

  deleteSeries(matchers: readonly Matcher[], mint: number, maxt: number): Promise<void> {
    // Between commits: the series selected are all in the WAL, and the record follows theirs.
    return this.serialize(async () => {
      const stones: Stone[] = [];
      const labels: Labels[] = [];
      for (const series of this.head.querier(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY).select(matchers)) {
        const ref = this.head.get(series.labels, hashLabels(series.labels))?.ref;
        if (ref === undefined || ref < 0) continue;
        stones.push({ ref, interval: { mint, maxt } });
        labels.push(series.labels);
      }
      if (stones.length === 0) return;
      await this.writeRecord(encodeTombstones(stones));
      for (const l of labels) this.tombstones.add(l, { mint, maxt });
    });
  }

  async cleanTombstones(): Promise<void> {
    // No blocks to rewrite (see the interface): what upstream does for its head, which is nothing.
  }

  snapshot(dir: string, withHead: boolean): Promise<void> {
    if (!withHead) return Promise.resolve();
    // Between commits, so every segment copied ends on a whole record.
    return this.serialize(async () => {
      const target = join(dir, 'wal');
      await mkdir(target, { recursive: true });
      for (const n of await listSegments(this.walDir)) {
        await copyFile(join(this.walDir, segmentName(n)), join(target, segmentName(n)));
      }
    });
  }

  get retentionMs(): number {
    return this.#retentionMs;
  }

  querier(mint: number, maxt: number): Querier {
    return this.tombstones.filter(this.head.querier(mint, maxt));
  }

  status(limit = 10): TSDBStatus {
    return headStatus(this.head, limit);
  }

  override prepareConfig(cfg: StorageConfig): () => void {
    const problem = unsupportedStorageSetting(cfg, 'tsdb');
    if (problem) throw new Error(problem);
    const { time } = cfg.tsdb.retention;
    // Upstream's DB.ApplyConfig takes a new retention at runtime; so does this head.
    return () => this.setRetention(time, false);
  }

  /**
   * Drops what is older than now − `retentionMs` right away, then every minute. At open nothing
   * can race the first pass; later passes, and the first after a change, queue behind commits.
   */
  setRetention(retentionMs: number, atOpen: boolean): void {
    if (retentionMs === this.#retentionMs && !atOpen) return;
    clearInterval(this.#retention);
    this.#retention = undefined;
    this.#retentionMs = retentionMs;
    this.metrics.retentionLimit?.set(retentionMs / 1000);
    if (!(retentionMs > 0) || this.closing) return;
    const retain = () => {
      this.head.truncate(this.now() - retentionMs);
      this.metrics.series.set(this.head.numSeries);
    };
    const retainQueued = () => {
      if (!this.closing) this.serialize(retain).catch((err) => this.logger.error({ err }, 'Applying retention failed'));
    };
    if (atOpen) retain();
    else retainQueued();
    this.#retention = setInterval(retainQueued, RETENTION_INTERVAL_MS);
    // Retention alone must not keep the process alive; close() clears it as well.
    this.#retention.unref();
  }

  override close(): Promise<void> {
    clearInterval(this.#retention);
    return super.close();
  }
}

/**
 * Collects one batch. Each append finds its series by label hash (no key string is built); a label
 * set new to the head gets one MemSeries per batch, adopted into the head only if the batch commits.
 *
 * Each append is checked against what is committed, as upstream's Append checks (a few number
 * comparisons, nothing allocated unless a duplicate's message is needed): the TSDB refuses a
 * sample older than its series' newest, older than the head's newest time − 1h (upstream's
 * appendable minimum: half the 2h chunk range), or at its series' newest time with other value
 * bits; the agent, like upstream's, refuses anything not newer than the series' newest.
 */
class HeadAppender implements Appender {
  #series: MemSeries[] = [];
  #ts: number[] = [];
  /** Values in a Float64Column: a plain array may lose a staleness marker's NaN bits. */
  #vs = new Float64Column();
  /** Series new to the head that this batch created, so a label set appended twice gets one. */
  #created: SeriesTable | undefined;
  /** The oldest time the TSDB takes, fixed by this batch's first append (upstream: at Appender()). */
  #minValidTime: number | undefined;

  constructor(
    private readonly head: Head,
    private readonly metrics: StorageMetrics,
    private readonly commitBatch: (series: MemSeries[], ts: number[], vs: Float64Column) => Promise<void>,
  ) {}

  append(labels: Labels, t: number, v: number, ref?: SeriesRefHolder): AppendError | undefined {
    const { head } = this;
    if (head.keepSamples) {
      // An empty head takes its bound from the first sample, as upstream's initAppender does.
      this.#minValidTime ??= (head.maxTime === Number.NEGATIVE_INFINITY ? t : head.maxTime) - CHUNK_RANGE_MS / 2;
      if (t < this.#minValidTime) {
        this.metrics.outOfBounds.inc(1);
        return OUT_OF_BOUNDS;
      }
    }
    // The series this holder was found to be (the scrape cache passes each entry, every scrape),
    // unless retention has dropped it since: no hashing or comparing. Otherwise by label hash. A
    // series new to the head is remembered once a later append finds it adopted.
    let s = ref?.seriesRefOwner === head ? (ref.seriesRef as MemSeries) : undefined;
    if (s?.removed) s = undefined;
    let hash = 0;
    if (!s) {
      hash = hashLabels(labels);
      s = head.get(labels, hash);
      if (s && ref) {
        ref.seriesRef = s;
        ref.seriesRefOwner = head;
        // The head's equal label set, kept by the caller instead of its own copy (a scrape
        // cache of 100k series held a second set of label strings); not if the head dropped an
        // empty label, so that the caller's labels stay exactly what it appended.
        if (ref.labels === labels && Object.keys(labels).length === s.size) ref.labels = s.labels;
      }
    }
    if (s) {
      if (t <= s.lastT) {
        if (t < s.lastT || !head.keepSamples) {
          this.metrics.outOfOrder.inc();
          return OUT_OF_ORDER;
        }
        if (!sameBits(v, s.lastV)) return duplicateSample(t, s.lastV, v);
      }
    } else {
      s = this.#created?.get(labels, hash);
      if (!s) {
        s = new MemSeries(hash, head.intern(withoutEmpty(labels)));
        this.#created ??= new SeriesTable();
        this.#created.add(s);
      }
    }
    this.#series.push(s);
    this.#ts.push(t);
    this.#vs.push(v);
    return undefined;
  }

  commit(): Promise<void> {
    // The batch is handed over whole; appends made while it is written start the next one.
    const [series, ts, vs] = [this.#series, this.#ts, this.#vs];
    this.#series = [];
    this.#ts = [];
    this.#vs = new Float64Column();
    this.#created = undefined;
    return this.commitBatch(series, ts, vs);
  }

  rollback(): void {
    this.#series.length = 0;
    this.#ts.length = 0;
    this.#vs = new Float64Column();
    this.#created = undefined;
  }
}

/**
 * Locks `opts.dir`, replays its WAL into a new head and opens a new segment. Samples older than
 * `minT` are skipped (retention would drop them at once: why hold them even briefly). On any
 * failure, abort included, releases what it took (the lock) before rejecting.
 */
async function open(opts: AgentStorageOptions, mode: 'tsdb' | 'agent', minT = Number.NEGATIVE_INFINITY) {
  const { signal, logger } = opts;
  signal?.throwIfAborted(); // aborted before we start: touch nothing
  if (opts.openDelayMs) await sleep(opts.openDelayMs, undefined, { signal });
  await mkdir(opts.dir, { recursive: true });
  const releaseLock = await acquireLock(opts.dir, logger);
  try {
    const walDir = join(opts.dir, 'wal');
    await mkdir(walDir, { recursive: true });
    const metrics = storageMetrics(opts.registry, mode);
    const head = new Head(mode === 'tsdb');
    const started = performance.now();
    logger.info('Replaying WAL, this may take a while');
    // Replay-only map from WAL refs to series; dropped once replay is done.
    const byRef: Array<MemSeries | undefined> = [];
    // Samples whose series record replay has not seen (a lost or emptied segment): skipped, and
    // reported per segment as upstream's loadWAL reports them, never silently.
    const unknownSeries = new Set<number>();
    // Deletions replay in the order they were logged, onto the series their records name.
    const tombstones = new Tombstones();
    let unknownSamples = 0;
    // Upstream opens its new segment before replaying, so its replay's last segment is that one.
    const segments = await listSegments(walDir);
    const first = segments[0] ?? 0;
    const status: WalReplayStatus = { min: first, max: (segments.at(-1) ?? -1) + 1, current: first };
    opts.onWalReplay?.({ ...status });
    const last = await replay(
      walDir,
      {
        series: (ref, labels) => {
          byRef[ref] = head.restore(ref, labels);
        },
        sample: (ref, t, v) => {
          const s = byRef[ref];
          if (!s) {
            unknownSamples++;
            unknownSeries.add(ref);
          } else if (t >= minT) head.add(s, t, v);
        },
        tombstones: (stones) => {
          if (mode !== 'tsdb') return;
          for (const { ref, interval } of stones) {
            const s = byRef[ref];
            if (s) tombstones.add(s.labels, interval);
          }
        },
        segmentDone: (n) => {
          opts.onWalReplay?.({ ...status, current: n });
          if (unknownSamples === 0) return;
          reportUnknownRefs(mode, logger, metrics, unknownSeries.size, unknownSamples);
          unknownSeries.clear();
          unknownSamples = 0;
        },
      },
      { logger, signal, mode, onCorruption: () => metrics.walCorruptions?.inc() },
    );
    logger.info(
      {
        series: head.numSeries,
        samples: head.numSamples,
        duration: `${(performance.now() - started).toFixed(3)}ms`,
      },
      'WAL replay completed',
    );
    signal?.throwIfAborted();
    opts.onWalReplay?.({ ...status, current: status.max });
    metrics.series.set(head.numSeries);
    // Like upstream, always write into a new segment: replayed ones stay as they are.
    const wal = await WalWriter.open(walDir, opts.walSegmentSize || DEFAULT_SEGMENT_SIZE, last + 1, {
      onSegment: (n) => metrics.segment.set(n),
      onWriteFailed: () => metrics.walWritesFailed.inc(),
      logger,
    });
    return { head, wal, metrics, releaseLock, tombstones, walDir };
  } catch (err) {
    releaseLock();
    throw err;
  }
}

/** Logs (and counts) one segment's samples whose series are unknown, in upstream's words for each mode. */
function reportUnknownRefs(
  mode: 'tsdb' | 'agent',
  logger: Logger,
  metrics: StorageMetrics,
  series: number,
  samples: number,
): void {
  if (mode === 'agent') {
    // Upstream's agent names the sample count `skipped_series`.
    logger.warn({ skipped_series: samples }, 'found sample referencing non-existing series');
    return;
  }
  logger.warn(
    { series, samples, exemplars: 0, histograms: 0, metadata: 0, tombstones: 0 },
    'Unknown series references',
  );
  metrics.replayUnknownRefs?.inc({ type: 'series' }, series);
  metrics.replayUnknownRefs?.inc({ type: 'samples' }, samples);
}

/** Opens (or creates) a TSDB in `opts.dir`: lock, WAL replay into the head, retention. */
export async function openTSDB(opts: TSDBOptions): Promise<TSDB> {
  const now = opts.now ?? Date.now;
  const minT = opts.retentionMs > 0 ? now() - opts.retentionMs : undefined;
  const { head, wal, metrics, releaseLock, tombstones, walDir } = await open(opts, 'tsdb', minT);
  const db = new Tsdb(head, wal, metrics, releaseLock, now, opts.logger, tombstones, walDir);
  db.setRetention(opts.retentionMs, true);
  return db;
}

/** Opens (or creates) the agent's WAL storage in `opts.dir`: lock, WAL replay into the series table. */
export async function openAgentStorage(opts: AgentStorageOptions): Promise<AgentStorage> {
  const { head, wal, metrics, releaseLock } = await open(opts, 'agent');
  return new WalStorage(head, wal, metrics, releaseLock);
}

/** How long a commit's preparation runs before it lets the event loop serve others. */
const SLICE_MS = 10;

/** A pause for long work: undefined until SLICE_MS have passed since the last pause, then a turn of the event loop. */
function slicer(): () => Promise<void> | undefined {
  let since = performance.now();
  return () => {
    if (performance.now() - since < SLICE_MS) return undefined;
    return nextTurn().then(() => {
      since = performance.now();
    });
  };
}

const bits = new DataView(new ArrayBuffer(16));

/**
 * Whether two values have the same float64 bits, as upstream compares a duplicate's value. NaNs
 * compare by payload without the quiet bit, which V8 may set when it stores one (see isStaleNaN):
 * a resent staleness marker is the same value.
 */
function sameBits(a: number, b: number): boolean {
  if (a === b) return a !== 0 || Object.is(a, b);
  if (!Number.isNaN(a) || !Number.isNaN(b)) return false;
  bits.setFloat64(0, a);
  bits.setFloat64(8, b);
  return (
    (bits.getUint32(0) & ~0x00080000) === (bits.getUint32(8) & ~0x00080000) && bits.getUint32(4) === bits.getUint32(12)
  );
}
