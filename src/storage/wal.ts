/**
 * The write-ahead log: a directory of numbered segment files (`00000000`, `00000001`, … as
 * upstream names them), each a sequence of framed records
 *
 *   [type u8][length u32 BE][crc32 u32 BE of the payload][payload: length bytes]
 *
 * of two types:
 *
 *   1 series   JSON `[[ref, labels], …]`: the label sets of series first seen in a commit
 *   2 samples  `count` × 20 bytes, each `ref u32 BE, t f64 BE (ms), v f64 BE`
 *
 * A commit is one buffer of whole records, written with one write. Records never span segments:
 * a segment is cut before a write that would take it past the segment size (so a commit larger
 * than a segment gets a segment of its own). On open every segment is replayed in order; a torn or
 * corrupt tail of the newest segment (a crash mid-write) is truncated away, corruption anywhere
 * else is an error.
 */
import { type FileHandle, open, readdir, readFile, stat } from 'node:fs/promises';
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
 * parallel arrays `series`, `ts`, `vs`.
 */
export function encodeCommit(
  created: readonly SeriesRef[],
  series: readonly SeriesRef[],
  ts: readonly number[],
  vs: { at(i: number): number | undefined },
  n: number,
): Buffer {
  const json = created.length > 0 ? JSON.stringify(created.map((s) => [s.ref, s.labels])) : '';
  const seriesBytes = json === '' ? 0 : HEADER_SIZE + Buffer.byteLength(json);
  const buf = Buffer.allocUnsafe(seriesBytes + HEADER_SIZE + n * SAMPLE_SIZE);
  const off = json === '' ? 0 : seal(buf, 0, RECORD_SERIES, buf.write(json, HEADER_SIZE, 'utf8'));
  let p = off + HEADER_SIZE;
  for (let i = 0; i < n; i++) {
    buf.writeUInt32BE((series[i] as SeriesRef).ref, p);
    buf.writeDoubleBE(ts[i] as number, p + 4);
    buf.writeDoubleBE(vs.at(i) as number, p + 12);
    p += SAMPLE_SIZE;
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
}

/** A record whose CRC holds but whose content does not decode: a bug, never a torn write. */
class InvalidRecord extends Error {}

function decodeSeries(payload: Buffer, on: ReplayHandlers): void {
  let list: unknown;
  try {
    list = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new InvalidRecord('invalid series record: not JSON');
  }
  if (!Array.isArray(list)) throw new InvalidRecord('invalid series record: not a list');
  for (const entry of list) {
    const [ref, labels] = Array.isArray(entry) ? entry : [];
    const valid =
      Number.isInteger(ref) &&
      typeof labels === 'object' &&
      labels !== null &&
      Object.values(labels).every((v) => typeof v === 'string');
    if (!valid) throw new InvalidRecord('invalid series record: bad entry');
    on.series(ref as number, labels as Labels);
  }
}

function decodeSamples(payload: Buffer, on: ReplayHandlers): void {
  if (payload.length % SAMPLE_SIZE !== 0) throw new InvalidRecord('invalid samples record: bad length');
  for (let p = 0; p < payload.length; p += SAMPLE_SIZE)
    on.sample(payload.readUInt32BE(p), payload.readDoubleBE(p + 4), payload.readDoubleBE(p + 12));
}

/** Truncates `file` at `size` durably: the repaired segment must not grow its bad tail back after a crash. */
async function truncateDurably(file: string, size: number): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    await fh.truncate(size);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** True if every segment after `index` (of `segments`) is empty: then `index` holds the newest records. */
async function newestNonEmpty(dir: string, segments: readonly number[], index: number): Promise<boolean> {
  for (const n of segments.slice(index + 1)) if ((await stat(join(dir, segmentName(n)))).size > 0) return false;
  return true;
}

/**
 * Replays every segment of `dir` in order into `on`. Checks `signal` before each segment and every
 * REPLAY_YIELD_BYTES, yielding to the event loop so the abort can arrive; rejects with its reason.
 * Returns the last segment's number (-1 if there is none): the writer starts after it.
 */
export async function replay(
  dir: string,
  on: ReplayHandlers,
  logger: Logger,
  signal: AbortSignal | undefined,
): Promise<number> {
  const segments = await listSegments(dir);
  const maxSegment = segments.at(-1) ?? -1;
  for (const [index, n] of segments.entries()) {
    signal?.throwIfAborted();
    const file = join(dir, segmentName(n));
    const data = await readFile(file);
    signal?.throwIfAborted();
    let off = 0;
    let sinceYield = 0;
    while (off < data.length) {
      const corrupt = corruption(data, off);
      if (corrupt) {
        // Every open starts a new (possibly still empty) segment, so the torn record of a crash is
        // in the newest segment that has any data, not necessarily in the last file.
        if (!(await newestNonEmpty(dir, segments, index)))
          throw new Error(`WAL segment ${segmentName(n)} is corrupt at offset ${off}: ${corrupt}`);
        logger.warn({ segment: segmentName(n), offset: off, reason: corrupt }, 'WAL tail was corrupt; truncated');
        await truncateDurably(file, off);
        break;
      }
      const length = data.readUInt32BE(off + 1);
      const payload = data.subarray(off + HEADER_SIZE, off + HEADER_SIZE + length);
      try {
        if (data[off] === RECORD_SERIES) decodeSeries(payload, on);
        else decodeSamples(payload, on);
      } catch (err) {
        if (err instanceof InvalidRecord)
          throw new Error(`WAL segment ${segmentName(n)} at offset ${off}: ${err.message}`);
        throw err;
      }
      off += HEADER_SIZE + length;
      sinceYield += HEADER_SIZE + length;
      if (sinceYield >= REPLAY_YIELD_BYTES) {
        sinceYield = 0;
        await nextTurn();
        signal?.throwIfAborted();
      }
    }
    logger.info({ segment: n, maxSegment }, 'WAL segment loaded');
  }
  return maxSegment;
}

/** Why the record at `off` cannot be read, or undefined if it is whole. The CRC covers the payload only. */
function corruption(data: Buffer, off: number): string | undefined {
  if (off + HEADER_SIZE > data.length) return 'torn record header';
  const type = data[off];
  if (type !== RECORD_SERIES && type !== RECORD_SAMPLES) return `unknown record type ${type}`;
  const end = off + HEADER_SIZE + data.readUInt32BE(off + 1);
  if (end > data.length) return 'torn record';
  if (crc32(data.subarray(off + HEADER_SIZE, end)) !== data.readUInt32BE(off + 5)) return 'checksum mismatch';
  return undefined;
}

/**
 * Appends commits to the newest segment. Not safe for concurrent use: the storage serializes its
 * commits, which also keeps series records ahead of the samples that use them.
 */
export class WalWriter {
  /** Undefined once closed, or while a segment cut that failed left no segment open. */
  #fh: FileHandle | undefined;
  #segment: number;
  #size = 0;
  /** Set when the log cannot take more writes: after an undone failure, appending would corrupt its middle. */
  #broken: Error | undefined;

  private constructor(
    readonly dir: string,
    readonly segmentSize: number,
    fh: FileHandle,
    segment: number,
    private readonly onSegment: (n: number) => void,
  ) {
    this.#fh = fh;
    this.#segment = segment;
    onSegment(segment);
  }

  /** Opens a new segment `segment` for writing (it must not exist: we never append to a replayed one). */
  static async open(dir: string, segmentSize: number, segment: number, onSegment: (n: number) => void) {
    const fh = await open(join(dir, segmentName(segment)), 'wx');
    return new WalWriter(dir, segmentSize, fh, segment, onSegment);
  }

  /** Appends `buf` (whole records) with one write, cutting a new segment first if it would overflow. */
  async write(buf: Buffer): Promise<void> {
    if (this.#size > 0 && this.#size + buf.length > this.segmentSize) await this.#cut();
    const fh = this.#fh;
    if (this.#broken || !fh) throw this.#broken ?? new Error('WAL closed');
    try {
      let done = 0;
      // A regular file takes the whole buffer at once; the loop only guards against a short write.
      while (done < buf.length) done += (await fh.write(buf, done, buf.length - done)).bytesWritten;
      this.#size += buf.length;
    } catch (err) {
      // Cut off whatever part landed, so the next commit does not follow a torn record.
      await fh.truncate(this.#size).catch(() => {
        this.#broken = new Error(`WAL unusable after a failed write: ${(err as Error).message}`);
      });
      throw err;
    }
  }

  async #cut(): Promise<void> {
    const full = this.#fh;
    if (this.#broken || !full) throw this.#broken ?? new Error('WAL closed');
    this.#fh = undefined;
    try {
      // The full segment is made durable before the next one starts, as upstream does.
      try {
        await full.sync();
      } finally {
        await full.close();
      }
      this.#fh = await open(join(this.dir, segmentName(this.#segment + 1)), 'wx');
    } catch (err) {
      this.#broken = new Error(`WAL unusable after a failed segment cut: ${(err as Error).message}`);
      throw this.#broken;
    }
    this.#segment++;
    this.#size = 0;
    this.onSegment(this.#segment);
  }

  /** Flushes the open segment to disk and closes it; the caller guarantees no write is in flight. */
  async close(): Promise<void> {
    const fh = this.#fh;
    this.#fh = undefined;
    if (!fh) return;
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}
