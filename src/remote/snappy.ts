/**
 * Snappy's block format (https://github.com/google/snappy/blob/main/format_description.txt), which
 * remote write bodies use (`Content-Encoding: snappy`), through snappyjs.
 *
 * snappyjs decodes without checking that a block fills exactly the length it announces, or that
 * each copy stays inside what was decoded before it; Go's snappy (upstream's) refuses such a
 * block with `snappy: corrupt input`. So a decode first walks the block's elements doing those
 * checks (without producing bytes), then lets snappyjs produce them.
 */
import snappy from 'snappyjs';

/** Compresses `src` into one snappy block. */
export function snappyCompress(src: Uint8Array): Uint8Array<ArrayBuffer> {
  return snappy.compress(src) as Uint8Array<ArrayBuffer>;
}

/** Decodes a snappy block; throws `snappy: corrupt input` for one Go's snappy would refuse. */
export function snappyDecompress(src: Uint8Array): Uint8Array<ArrayBuffer> {
  const h = header(src);
  if (!h || !fillsExactly(src, h[1], h[0])) throw new Error(SNAPPY_CORRUPT);
  // A view, not a Buffer: snappyjs answers in the input's type.
  const view = new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
  return snappy.uncompress(view) as Uint8Array<ArrayBuffer>;
}

/** Go's snappy.ErrCorrupt text. */
export const SNAPPY_CORRUPT = 'snappy: corrupt input';

/**
 * Go's snappy.DecodedLen: the uvarint length header (at most 2^32 − 1) and where the data starts,
 * or undefined for a header that is not one. Reads only the header: a caller checks a length limit
 * with it before anything is allocated.
 */
function header(src: Uint8Array): [number, number] | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < src.length && i < 10; i++) {
    const b = src[i] as number;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return value > 0xffffffff ? undefined : [value, i + 1];
    scale *= 128;
  }
  return undefined;
}

/** The decoded length a snappy block announces, or undefined when its header is corrupt. */
export function snappyDecodedLength(src: Uint8Array): number | undefined {
  return header(src)?.[0];
}

/**
 * Whether the snappy elements from `start` produce exactly `length` bytes with every copy inside
 * what was produced before it: Go's decoder's checks, without producing the bytes.
 */
function fillsExactly(src: Uint8Array, start: number, length: number): boolean {
  let s = start;
  let d = 0;
  while (s < src.length) {
    const tag = src[s] as number;
    let n: number;
    switch (tag & 3) {
      case 0: {
        let x = tag >>> 2;
        s++;
        if (x >= 60) {
          const bytes = x - 59;
          if (s + bytes > src.length) return false;
          x = 0;
          for (let k = 0; k < bytes; k++) x += (src[s + k] as number) * 2 ** (8 * k);
          s += bytes;
        }
        n = x + 1;
        if (n > length - d || n > src.length - s) return false;
        s += n;
        d += n;
        continue;
      }
      case 1: {
        if (s + 2 > src.length) return false;
        n = 4 + ((tag >>> 2) & 7);
        const offset = ((tag & 0xe0) << 3) | (src[s + 1] as number);
        s += 2;
        if (offset <= 0 || d < offset || n > length - d) return false;
        break;
      }
      case 2: {
        if (s + 3 > src.length) return false;
        n = 1 + (tag >>> 2);
        const offset = (src[s + 1] as number) | ((src[s + 2] as number) << 8);
        s += 3;
        if (offset <= 0 || d < offset || n > length - d) return false;
        break;
      }
      default: {
        if (s + 5 > src.length) return false;
        n = 1 + (tag >>> 2);
        const offset =
          (src[s + 1] as number) +
          (src[s + 2] as number) * 2 ** 8 +
          (src[s + 3] as number) * 2 ** 16 +
          (src[s + 4] as number) * 2 ** 24;
        s += 5;
        if (offset <= 0 || d < offset || n > length - d) return false;
      }
    }
    d += n;
  }
  return d === length;
}
