/**
 * The write-ahead log: a directory of numbered segment files (`00000000`, `00000001`, … as
 * upstream names them), each a sequence of framed records
 *
 *   [type u8][length u32 BE][crc32 u32 BE of the payload][payload: length bytes]
 *
 * of three types:
 *
 *   1 series      JSON `[[ref, labels], …]`: the label sets of series first seen in a commit
 *   2 samples     `count` × 20 bytes, each `ref u32 BE, t f64 BE (ms), v f64 BE`
 *   3 tombstones  upstream's encoding, per series `ref uvarint, mint varint, maxt varint`: a
 *                 delete_series (tombstones.ts)
 *
 * A commit is one buffer of whole records, written with one write. Records never span segments:
 * a segment is cut before a write that would take it past the segment size (so a commit larger
 * than a segment gets a segment of its own). On open every segment is replayed in order; a record
 * that cannot be read (a torn tail after a crash, damage anywhere) is repaired as upstream repairs
 * it: the log is cut back to the last whole record before it (see `replay`).
 */
import { decodeStones, encodeStones, RECORD_TOMBSTONES, type Stone } from './tombstones.js';
import { type FileHandle, open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import type { Logger } from 'pino';
import type { Labels } from './types.js';

export const RECORD_SERIES = 1;
export const RECORD_SAMPLES = 2;
const HEADER_SIZE = 9;
const SAMPLE_SIZE = 20;
/** Upstream's default `--storage.tsdb.wal-segment-size`. */
export const DEFAULT_SEGMENT_SIZE = 128 * 2 ** 20;
/** Replay yields to the event loop after this many bytes, so an abort (shutdown) is seen promptly. */
const REPLAY_YIELD_BYTES = 2 ** 20;

/** What a series record holds per series; the head's series satisfy it. */
export interface SeriesRef {
  readonly ref: number;
  readonly labels: Labels;
}

export const segmentName = (n: number): string => String(n).padStart(8, '0');

/** Fills in the header of the record whose payload (`length` bytes) is already at `off + HEADER_SIZE`. */
function seal(buf: Buffer, off: number, type: number, length: number): number {
  const end = off + HEADER_SIZE + length;
  buf[off] = type;
  buf.writeUInt32BE(length, off + 1);
  buf.writeUInt32BE(crc32(buf.subarray(off + HEADER_SIZE, end)), off + 5);
  return end;
}

/**
 * Encodes one commit into a single buffer: a series record for `created` (if any) first, so replay
 * knows every ref before its samples, then one samples record for the first `n` entries of the
 * parallel arrays `series`, `ts`, `vs`. `pause` is called every few thousand samples: a promise it
 * returns is awaited (a large commit yields to the event loop between slices).
 */
export async function encodeCommit(
  created: readonly SeriesRef[],
  series: readonly SeriesRef[],
  ts: readonly number[],
  vs: { at(i: number): number | undefined },
  n: number,
  pause: () => Promise<void> | undefined = () => undefined,
): Promise<Buffer> {
  // The series record's JSON, built in slices too: a first scrape of a large target creates
  // every series at once.
  const parts: string[] = [];
  for (let i = 0; i < created.length; i += 4096) {
    const slice = created.slice(i, i + 4096).map((s) => [s.ref, s.labels]);
    parts.push(JSON.stringify(slice).slice(1, -1));
    const wait = pause();
    if (wait) await wait;
  }
  const json = parts.length > 0 ? `[${parts.join(',')}]` : '';
  const seriesBytes = json === '' ? 0 : HEADER_SIZE + Buffer.byteLength(json);
  const buf = Buffer.allocUnsafe(seriesBytes + HEADER_SIZE + n * SAMPLE_SIZE);
  const off = json === '' ? 0 : seal(buf, 0, RECORD_SERIES, buf.write(json, HEADER_SIZE, 'utf8'));
  let p = off + HEADER_SIZE;
  for (let i = 0; i < n; i++) {
    buf.writeUInt32BE((series[i] as SeriesRef).ref, p);
    buf.writeDoubleBE(ts[i] as number, p + 4);
    buf.writeDoubleBE(vs.at(i) as number, p + 12);
    p += SAMPLE_SIZE;
    if ((i & 4095) === 4095) {
      const wait = pause();
      if (wait) await wait;
    }
  }
  seal(buf, off, RECORD_SAMPLES, n * SAMPLE_SIZE);
  return buf;
}

/** Segment numbers in `dir`, ascending; a gap means a lost segment, which replay cannot fill. */
export async function listSegments(dir: string): Promise<number[]> {
  const segments = (await readdir(dir))
    .filter((name) => /^\d{8,}$/.test(name))
    .map(Number)
    .sort((a, b) => a - b);
  for (let i = 1; i < segments.length; i++) {
    const [prev, cur] = [segments[i - 1] as number, segments[i] as number];
    if (cur !== prev + 1)
      throw new Error(`WAL segments are not sequential: ${segmentName(cur)} follows ${segmentName(prev)}`);
  }
  return segments;
}

export interface ReplayHandlers {
  series(ref: number, labels: Labels): void;
  sample(ref: number, t: number, v: number): void;
  /** A tombstone record (delete_series), in the order it was logged. */
  tombstones?(stones: Stone[]): void;
  /** Segment `n` has been read, just before `WAL segment loaded` is logged (upstream's loadWAL ends there). */
  segmentDone(n: number): void;
}

/** A record whose CRC holds but whose content does not decode. */
class InvalidRecord extends Error {}

function decodeTombstones(payload: Buffer): Stone[] {
  try {
    return decodeStones(payload);
  } catch (err) {
    throw new InvalidRecord((err as Error).message);
  }
}

/** One tombstone record (upstream's type 3), framed as every record of this WAL. */
export function encodeTombstones(stones: readonly Stone[]): Buffer {
  const payload = encodeStones(stones);
  const buf = Buffer.alloc(HEADER_SIZE + payload.length);
  payload.copy(buf, HEADER_SIZE);
  seal(buf, 0, RECORD_TOMBSTONES, payload.length);
  return buf;
}

/** Decodes a series record whole before applying any of it: a bad entry must leave nothing half-applied. */
function decodeSeries(payload: Buffer): Array<[number, Labels]> {
  let list: unknown;
  try {
    list = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new InvalidRecord('decode series: not JSON');
  }
  if (!Array.isArray(list)) throw new InvalidRecord('decode series: not a list');
  for (const entry of list) {
    const [ref, labels] = Array.isArray(entry) ? entry : [];
    const valid =
      Number.isInteger(ref) &&
      typeof labels === 'object' &&
      labels !== null &&
      Object.values(labels).every((v) => typeof v === 'string');
    if (!valid) throw new InvalidRecord('decode series: bad entry');
  }
  return list as Array<[number, Labels]>;
}

function applySamples(payload: Buffer, on: ReplayHandlers): void {
  // A DataView, not Buffer's readDoubleBE/readUInt32BE: those validate their arguments and
  // assemble the double byte by byte in JS, and were a quarter of replay; DataView's getters
  // compile to a load and a byte swap. (The value's bits, NaN payloads included, come through.)
  const view = new DataView(payload.buffer, payload.byteOffset, payload.length);
  for (let p = 0; p < payload.length; p += SAMPLE_SIZE)
    on.sample(view.getUint32(p), view.getFloat64(p + 4), view.getFloat64(p + 12));
}

/**
 * Reads one whole segment. A directory (or anything else that is not a file) where a segment
 * should be is named in Go's words, with its path: `read <path>: is a directory`.
 */
async function readSegment(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw goFileError('read', file, err);
  }
}

/** Truncates `file` at `size` durably: the repaired segment must not grow its bad tail back after a crash. */
async function truncateDurably(file: string, size: number): Promise<void> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r+');
  } catch (err) {
    throw goFileError('open', file, err);
  }
  try {
    await fh.truncate(size);
    await fh.sync();
  } catch (err) {
    throw goFileError('truncate', file, err);
  } finally {
    await fh.close();
  }
}

/** How replay reports a corruption it repaired, in the words of the mode's upstream. */
export interface ReplayOptions {
  logger: Logger;
  signal: AbortSignal | undefined;
  /** Upstream's agent words its two repair lines in lower case; everything else is the same. */
  mode: 'tsdb' | 'agent';
  /** A corruption was found (upstream's `prometheus_tsdb_wal_corruptions_total`). */
  onCorruption(): void;
}

/**
 * Replays every segment of `dir` in order into `on`. Checks `signal` before each segment and every
 * REPLAY_YIELD_BYTES, yielding to the event loop so the abort can arrive; rejects with its reason.
 * Returns the last segment's number (-1 if there is none): the writer starts after it.
 *
 * A record that cannot be read (torn by a crash, a checksum mismatch, an undecodable payload) in
 * any segment is repaired as upstream's WAL repairs it: what was read before it stays replayed,
 * every later segment is deleted, and the damaged segment is cut at the last whole record —
 * records after a damaged one cannot be trusted to follow it. The log says how much was dropped.
 */
export async function replay(dir: string, on: ReplayHandlers, opts: ReplayOptions): Promise<number> {
  const { logger, signal } = opts;
  const segments = await listSegments(dir);
  const maxSegment = segments.at(-1) ?? -1;
  for (const [index, n] of segments.entries()) {
    signal?.throwIfAborted();
    const file = join(dir, segmentName(n));
    const data = await readSegment(file);
    signal?.throwIfAborted();
    let off = 0;
    let sinceYield = 0;
    while (off < data.length) {
      let problem = corruption(data, off);
      const length = problem ? 0 : data.readUInt32BE(off + 1);
      if (!problem) {
        const payload = data.subarray(off + HEADER_SIZE, off + HEADER_SIZE + length);
        try {
          if (data[off] === RECORD_SERIES) for (const [ref, labels] of decodeSeries(payload)) on.series(ref, labels);
          else if (data[off] === RECORD_TOMBSTONES) on.tombstones?.(decodeTombstones(payload));
          else if (payload.length % SAMPLE_SIZE !== 0) throw new InvalidRecord('decode samples: bad length');
          else applySamples(payload, on);
        } catch (err) {
          if (!(err instanceof InvalidRecord)) throw err;
          problem = err.message;
        }
      }
      if (problem) {
        on.segmentDone(n);
        await repair(dir, { segment: n, offset: off, reason: problem, data, later: segments.slice(index + 1) }, opts);
        return n;
      }
      off += HEADER_SIZE + length;
      sinceYield += HEADER_SIZE + length;
      if (sinceYield >= REPLAY_YIELD_BYTES) {
        sinceYield = 0;
        await nextTurn();
        signal?.throwIfAborted();
      }
    }
    on.segmentDone(n);
    logger.info({ segment: n, maxSegment }, 'WAL segment loaded');
  }
  return maxSegment;
}

interface Corruption {
  segment: number;
  offset: number;
  reason: string;
  /** The damaged segment's bytes. */
  data: Buffer;
  /** The segments after it. */
  later: number[];
}

/**
 * Upstream's WAL repair (wlog.Repair, called by the TSDB's open), with its log lines: deletes
 * every segment after the damaged one and cuts the damaged one at `offset`. Upstream rewrites
 * the segment's records up to the damage into a fresh file; truncating leaves the same bytes.
 * Adds what upstream does not say: how many records (and bytes, and segments) were dropped.
 */
async function repair(dir: string, c: Corruption, opts: ReplayOptions): Promise<void> {
  const { logger } = opts;
  const file = join(dir, segmentName(c.segment));
  opts.onCorruption();
  const err = `corruption in segment ${file} at ${c.offset}: ${c.reason}`;
  const agent = opts.mode === 'agent';
  logger.warn(
    { err },
    agent ? 'encountered WAL read error, attempting repair' : 'Encountered WAL read error, attempting repair',
  );
  try {
    logger.warn({ segment: c.segment, offset: c.offset }, 'Starting corruption repair');
    logger.warn({ segment: c.segment }, 'Deleting all segments newer than corrupted segment');
    let records = countRecords(c.data, c.offset);
    let bytes = c.data.length - c.offset;
    for (const n of c.later) {
      const later = join(dir, segmentName(n));
      const data = await readSegment(later);
      records += countRecords(data, 0);
      bytes += data.length;
      try {
        await rm(later);
      } catch (e) {
        throw new Error(`delete segment:${n}: ${goFileError('remove', later, e).message}`);
      }
    }
    logger.warn({ segment: c.segment }, 'Rewrite corrupted segment');
    await truncateDurably(file, c.offset);
    logger.info(
      { dropped_records: records, dropped_bytes: bytes, deleted_segments: c.later.length },
      agent ? 'successfully repaired WAL' : 'Successfully repaired WAL',
    );
  } catch (e) {
    throw new Error(`repair corrupted WAL: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * How many records `data` holds from `off` on, the damaged one included: whole frames are
 * counted as far as their headers lead, and whatever follows the last one counts as one more.
 */
function countRecords(data: Buffer, off: number): number {
  let count = 0;
  while (off < data.length) {
    count++;
    if (off + HEADER_SIZE > data.length) break;
    off += HEADER_SIZE + data.readUInt32BE(off + 1);
  }
  return count;
}

/**
 * Why the record at `off` cannot be read, or undefined if it is whole, in the words of upstream's
 * WAL reader where it has them. The CRC covers the payload only.
 */
function corruption(data: Buffer, off: number): string | undefined {
  if (off + HEADER_SIZE > data.length) return 'read remaining header: unexpected EOF';
  const type = data[off] as number;
  if (type !== RECORD_SERIES && type !== RECORD_SAMPLES && type !== RECORD_TOMBSTONES)
    return `unexpected record type ${type}`;
  const end = off + HEADER_SIZE + data.readUInt32BE(off + 1);
  if (end > data.length) return 'last record is torn';
  const crc = crc32(data.subarray(off + HEADER_SIZE, end));
  const expected = data.readUInt32BE(off + 5);
  if (crc !== expected) return `unexpected checksum ${crc.toString(16)}, expected ${expected.toString(16)}`;
  return undefined;
}

/** What the writer reports to its owner: the segment it writes to, and each write that failed. */
export interface WalWriterHooks {
  onSegment(n: number): void;
  /** A write failed; the log is as it was before it (upstream's `prometheus_tsdb_wal_writes_failed_total`). */
  onWriteFailed(): void;
  logger: Logger;
}

/**
 * Appends commits to the newest segment. Not safe for concurrent use: the storage serializes its
 * commits, which also keeps series records ahead of the samples that use them.
 *
 * A failed write (a full disk) leaves the log exactly as it was before it: every write goes to an
 * explicit position (`#size`), never to the file's own position, and whatever part of the failed
 * one landed is cut off again — before the next write, if cutting failed the first time. So the
 * next write follows the last whole record with no gap, and writing resumes once space is back.
 * A segment that cannot be created yet (no space for it either) is created by the next write.
 */
export class WalWriter {
  /** The open segment; undefined once closed, or while the next segment could not be created yet. */
  #fh: FileHandle | undefined;
  /** The open segment's number (or the last closed one's, while the next is still to be created). */
  #segment: number;
  /** Bytes of whole records in the open segment: where the next write goes. */
  #size = 0;
  /** Bytes of a failed write may still lie past `#size`: cut them off before anything else. */
  #tornTail = false;
  #closed = false;

  private constructor(
    readonly dir: string,
    readonly segmentSize: number,
    fh: FileHandle,
    segment: number,
    private readonly hooks: WalWriterHooks,
  ) {
    this.#fh = fh;
    this.#segment = segment;
    hooks.onSegment(segment);
  }

  /** Opens a new segment `segment` for writing (it must not exist: we never append to a replayed one). */
  static async open(dir: string, segmentSize: number, segment: number, hooks: WalWriterHooks) {
    const fh = await open(join(dir, segmentName(segment)), 'wx');
    return new WalWriter(dir, segmentSize, fh, segment, hooks);
  }

  /**
   * Appends `buf` (whole records) with one write, cutting a new segment first if it would
   * overflow. Rejects with Go's `write <file>: <reason>` when it fails; the log is then unchanged.
   */
  async write(buf: Buffer): Promise<void> {
    if (this.#closed) throw new Error('WAL closed');
    try {
      if (this.#fh && this.#tornTail) await this.#cutTornTail(this.#fh);
      if (this.#fh && this.#size > 0 && this.#size + buf.length > this.segmentSize) await this.#finishSegment(this.#fh);
      const fh = this.#fh ?? (await this.#startSegment());
      await this.#writeAt(fh, buf);
    } catch (err) {
      this.hooks.onWriteFailed();
      throw err;
    }
  }

  /** Writes `buf` at `#size`; on failure cuts off what landed (or remembers to). */
  async #writeAt(fh: FileHandle, buf: Buffer): Promise<void> {
    let done = 0;
    try {
      // A regular file takes the whole buffer at once; the loop only guards against a short write.
      while (done < buf.length) {
        done += (await fh.write(buf, done, buf.length - done, this.#size + done)).bytesWritten;
      }
    } catch (err) {
      // Part of it may have landed (a short write before the failing one, or a failing one
      // that wrote some bytes): cut back to the last whole record.
      this.#tornTail = true;
      await this.#cutTornTail(fh).catch(() => {});
      throw goFileError('write', this.#file(), err);
    }
    this.#size += buf.length;
  }

  async #cutTornTail(fh: FileHandle): Promise<void> {
    try {
      await fh.truncate(this.#size);
    } catch (err) {
      throw goFileError('truncate', this.#file(), err);
    }
    this.#tornTail = false;
  }

  /** Makes the full segment durable and closes it; the next write creates the next one. */
  async #finishSegment(full: FileHandle): Promise<void> {
    // As upstream's nextSegment: a failed sync of the previous segment is logged, not fatal.
    await full.sync().catch((err) => this.hooks.logger.error({ err: message(err) }, 'sync previous segment'));
    this.#fh = undefined;
    await full.close().catch(() => {});
  }

  async #startSegment(): Promise<FileHandle> {
    const n = this.#segment + 1;
    const file = join(this.dir, segmentName(n));
    let fh: FileHandle;
    try {
      fh = await open(file, 'wx');
    } catch (err) {
      throw goFileError('open', file, err);
    }
    this.#fh = fh;
    this.#segment = n;
    this.#size = 0;
    this.hooks.onSegment(n);
    return fh;
  }

  #file(): string {
    return join(this.dir, segmentName(this.#segment));
  }

  /** Flushes the open segment to disk and closes it; the caller guarantees no write is in flight. */
  async close(): Promise<void> {
    this.#closed = true;
    const fh = this.#fh;
    this.#fh = undefined;
    if (!fh) return;
    try {
      if (this.#tornTail) await this.#cutTornTail(fh);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}

/**
 * A file operation's error as Go's os.PathError prints it, `write /data/wal/00000003: no space
 * left on device`, from Node's `ENOSPC: no space left on device, write`.
 */
function goFileError(op: string, file: string, err: unknown): Error {
  const text = message(err);
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const reason = GO_ERRNO[code] ?? /^[A-Z0-9]+: (.*), \w+(?: '[^']*')?$/.exec(text)?.[1] ?? text;
  return new Error(`${op} ${file}: ${reason}`, { cause: err });
}

/** Go's texts for the errnos a file operation meets, where libuv words them otherwise. */
const GO_ERRNO: Readonly<Record<string, string>> = {
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
};

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
