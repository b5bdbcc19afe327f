/**
 * The write-ahead log: numbered segment files (`00000000`, `00000001`, … as upstream) of framed
 * records `[type u8][length u32 BE][crc32 u32 BE][payload]`. A batch is encoded into one buffer and
 * written with one call; a segment is cut when the next batch would not fit.
 */
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from 'pino';

export const RECORD_SERIES = 1;
export const RECORD_SAMPLES = 2;
const HEADER = 9;
export const DEFAULT_SEGMENT_SIZE = 128 * 2 ** 20;

export interface WalRecord {
  type: number;
  payload: Buffer;
}

export function encodeRecord(type: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER + payload.length);
  out.writeUInt8(type, 0);
  out.writeUInt32BE(payload.length, 1);
  out.writeUInt32BE(crc32(payload), 5);
  payload.copy(out, HEADER);
  return out;
}

const segmentName = (n: number) => String(n).padStart(8, '0');

export function listSegments(dir: string): number[] {
  return readdirSync(dir)
    .filter((name) => /^\d{8}$/.test(name))
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * Reads every record of every segment, in order, checking `signal` between segments. A torn or
 * corrupt tail of the last segment (a crash mid-write) is truncated away; corruption anywhere else
 * is an error.
 */
export async function replay(
  dir: string,
  logger: Logger,
  signal: AbortSignal | undefined,
  onRecord: (r: WalRecord) => void,
): Promise<void> {
  const segments = listSegments(dir);
  for (const [i, n] of segments.entries()) {
    signal?.throwIfAborted();
    // Yield between segments so an abort (shutdown during a long replay) is seen promptly.
    await new Promise<void>((resolve) => setImmediate(resolve));
    signal?.throwIfAborted();
    const file = join(dir, segmentName(n));
    const data = readFileSync(file);
    let off = 0;
    while (off < data.length) {
      const ok = off + HEADER <= data.length;
      const len = ok ? data.readUInt32BE(off + 1) : 0;
      const end = off + HEADER + len;
      if (!ok || end > data.length || crc32(data.subarray(off + HEADER, end)) !== data.readUInt32BE(off + 5)) {
        if (i !== segments.length - 1) throw new Error(`WAL segment ${segmentName(n)} is corrupt at offset ${off}`);
        logger.warn({ segment: segmentName(n), offset: off }, 'WAL tail was corrupt; truncated');
        truncateSync(file, off);
        break;
      }
      onRecord({ type: data.readUInt8(off), payload: data.subarray(off + HEADER, end) });
      off = end;
    }
  }
}

export class WalWriter {
  #fd: number;
  #segment: number;
  #size = 0;
  #closed = false;

  constructor(
    readonly dir: string,
    readonly segmentSize: number,
    private readonly onSegment?: (n: number) => void,
  ) {
    const segments = listSegments(dir);
    // Always start a fresh segment after replay, as upstream does.
    this.#segment = (segments.at(-1) ?? -1) + 1;
    this.#fd = openSync(join(dir, segmentName(this.#segment)), 'a');
    onSegment?.(this.#segment);
  }

  /** Appends one batch of encoded records with a single write. */
  write(batch: Buffer): void {
    if (this.#closed) throw new Error('storage closed');
    if (this.#size > 0 && this.#size + batch.length > this.segmentSize) this.#cut();
    writeSync(this.#fd, batch);
    this.#size += batch.length;
  }

  #cut(): void {
    fsyncSync(this.#fd);
    closeSync(this.#fd);
    this.#segment++;
    this.#fd = openSync(join(this.dir, segmentName(this.#segment)), 'a');
    this.#size = statSync(join(this.dir, segmentName(this.#segment))).size;
    this.onSegment?.(this.#segment);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    fsyncSync(this.#fd);
    closeSync(this.#fd);
  }
}
