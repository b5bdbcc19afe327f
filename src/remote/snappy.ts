/**
 * Snappy's block format (https://github.com/google/snappy/blob/main/format_description.txt), which
 * remote write bodies use (`Content-Encoding: snappy`). The compressor is the format's simplest
 * honest form: a greedy search for 4-byte matches through a hash table, emitting literals and
 * 2-byte-offset copies. It compresses less tightly than Go's snappy but any decoder reads it.
 */
import { writeVarint } from './varint.js';

const TABLE_BITS = 14;
const MAX_OFFSET = 65_535; // what a 2-byte-offset copy can reach

export function snappyCompress(src: Uint8Array): Uint8Array<ArrayBuffer> {
  // Worst case: every byte a literal, plus the length preamble and literal tags.
  const out = new Uint8Array(32 + src.length + Math.ceil(src.length / 6));
  let o = writeVarint(out, 0, src.length);
  const table = new Int32Array(1 << TABLE_BITS).fill(-1);
  let literalStart = 0;
  let i = 0;
  while (i + 4 <= src.length) {
    const word = read32(src, i);
    const h = Math.imul(word, 0x1e35a7bd) >>> (32 - TABLE_BITS);
    const candidate = table[h] as number;
    table[h] = i;
    if (candidate >= 0 && i - candidate <= MAX_OFFSET && read32(src, candidate) === word) {
      o = emitLiteral(out, o, src, literalStart, i);
      let length = 4;
      while (i + length < src.length && src[candidate + length] === src[i + length]) length++;
      o = emitCopy(out, o, i - candidate, length);
      i += length;
      literalStart = i;
    } else {
      i++;
    }
  }
  o = emitLiteral(out, o, src, literalStart, src.length);
  return out.subarray(0, o);
}

/** Decodes a snappy block; throws on a corrupt one. (Used by tests, and to read what we send.) */
export function snappyDecompress(src: Uint8Array): Uint8Array<ArrayBuffer> {
  const [length, start] = readVarint(src, 0);
  let i = start;
  const out = new Uint8Array(length);
  let o = 0;
  while (i < src.length) {
    const tag = src[i++] as number;
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >>> 2;
      if (n >= 60) {
        const bytes = n - 59;
        n = 0;
        for (let b = 0; b < bytes; b++) n |= (src[i++] as number) << (8 * b);
        n >>>= 0;
      }
      n += 1;
      if (i + n > src.length || o + n > length) throw new Error('snappy: corrupt input');
      out.set(src.subarray(i, i + n), o);
      i += n;
      o += n;
      continue;
    }
    let n: number;
    let offset: number;
    if (kind === 1) {
      n = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | (src[i++] as number);
    } else if (kind === 2) {
      n = 1 + (tag >>> 2);
      offset = (src[i] as number) | ((src[i + 1] as number) << 8);
      i += 2;
    } else {
      n = 1 + (tag >>> 2);
      offset =
        ((src[i] as number) |
          ((src[i + 1] as number) << 8) |
          ((src[i + 2] as number) << 16) |
          ((src[i + 3] as number) << 24)) >>>
        0;
      i += 4;
    }
    if (offset === 0 || offset > o || o + n > length) throw new Error('snappy: corrupt input');
    // Byte by byte: a copy may overlap its own output (offset < length repeats a pattern).
    for (let k = 0; k < n; k++, o++) out[o] = out[o - offset] as number;
  }
  if (o !== length) throw new Error('snappy: corrupt input');
  return out;
}

function emitLiteral(out: Uint8Array, o: number, src: Uint8Array, start: number, end: number): number {
  const n = end - start;
  if (n === 0) return o;
  const m = n - 1;
  if (m < 60) {
    out[o++] = m << 2;
  } else {
    const bytes = m < 1 << 8 ? 1 : m < 1 << 16 ? 2 : m < 1 << 24 ? 3 : 4;
    out[o++] = (59 + bytes) << 2;
    for (let b = 0; b < bytes; b++) out[o++] = (m >>> (8 * b)) & 0xff;
  }
  out.set(src.subarray(start, end), o);
  return o + n;
}

/** Copies of up to 64 bytes each; the split keeps every piece at least 4 bytes long, as snappy's own. */
function emitCopy(out: Uint8Array, o: number, offset: number, length: number): number {
  let rest = length;
  while (rest >= 68) {
    o = copy2(out, o, offset, 64);
    rest -= 64;
  }
  if (rest > 64) {
    o = copy2(out, o, offset, 60);
    rest -= 60;
  }
  return copy2(out, o, offset, rest);
}

function copy2(out: Uint8Array, o: number, offset: number, length: number): number {
  out[o++] = ((length - 1) << 2) | 2;
  out[o++] = offset & 0xff;
  out[o++] = offset >>> 8;
  return o;
}

function read32(src: Uint8Array, i: number): number {
  return (
    ((src[i] as number) |
      ((src[i + 1] as number) << 8) |
      ((src[i + 2] as number) << 16) |
      ((src[i + 3] as number) << 24)) >>>
    0
  );
}

function readVarint(src: Uint8Array, start: number): [number, number] {
  let value = 0;
  let scale = 1;
  let i = start;
  for (;;) {
    if (i >= src.length || scale > 2 ** 35) throw new Error('snappy: corrupt input');
    const byte = src[i++] as number;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, i];
    scale *= 128;
  }
}
