/**
 * Unsigned varints (7 bits per byte, low first), as both protobuf and snappy's length preamble
 * write them. Values up to 2^53 (any JavaScript integer that is exact).
 */

export function varintSize(value: number): number {
  let size = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 128)) size++;
  return size;
}

/** Writes `value` at `o`; returns the offset after it. */
export function writeVarint(out: Uint8Array, o: number, value: number): number {
  let at = o;
  let v = value;
  while (v >= 0x80) {
    out[at++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  out[at++] = v;
  return at;
}
