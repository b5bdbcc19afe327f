/**
 * Prometheus's XOR chunk (tsdb/chunkenc/xor.go at v3.5.3), byte for byte: a Gorilla-style
 * encoding of float samples. The chunk starts with its sample count (uint16, big-endian); then the
 * first sample's time as a signed varint and its value's 64 bits; the second's time delta as an
 * unsigned varint; every later time as a delta of deltas in a 1-, 16-, 20-, 24- or 68-bit code;
 * every value after the first as its XOR with the previous value, written as one 0 bit (the same
 * value) or as the XOR's meaningful bits inside a window of leading and trailing zeros, the
 * previous window reused when it still fits.
 *
 * Samples cost about 1.3 bytes each in practice, against 16 for a time and a value as numbers.
 * Values travel as float64 bits (two uint32 halves), never through a JS array of numbers, so a
 * NaN's payload — the staleness marker's — comes back exactly as appended.
 */

/** Upstream's chunkenc.MaxBytesPerXORChunk: the head keeps a chunk at or under this size. */
export const MAX_BYTES_PER_XOR_CHUNK = 1024;

// One float64 seen as two uint32 halves (little-endian platforms: [0] is the low half).
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = LITTLE_ENDIAN ? 1 : 0;

const TWO_32 = 2 ** 32;

/** Trailing zero bits of a non-zero uint32. */
const ctz32 = (x: number) => 31 - Math.clz32(x & -x);

/**
 * An open XOR chunk: appends in time order, and gives out its bytes. The bytes written stay as
 * written (appending only fills bits after them, and growing copies into a new buffer), so a
 * reader that knows how many samples it may read can keep reading an older `bytes` view while
 * appends go on.
 */
export class XorAppender {
  /** The chunk's bytes; only the first `length` are the chunk. */
  buf: Uint8Array;
  /** Bits written, the 16-bit header included. */
  #bits = 16;
  #count = 0;
  /** Previous time and time delta (ms). */
  #t = 0;
  #tDelta = 0;
  /** Previous value's bits. */
  #vHi = 0;
  #vLo = 0;
  /** The current XOR window: leading zeros (0xff: none yet) and trailing zeros. */
  #leading = 0xff;
  #trailing = 0;

  /**
   * `buf`: where to write, all zeros (it grows into a new buffer of its own when full); or its
   * size in bytes (upstream's NewXORChunk starts at 128).
   */
  constructor(buf: Uint8Array | number = 128) {
    this.buf = typeof buf === 'number' ? new Uint8Array(Math.max(buf, 16)) : buf;
  }

  /** Samples in the chunk. */
  get count(): number {
    return this.#count;
  }

  /** Bytes the chunk takes (upstream's len(Bytes())). */
  get length(): number {
    return (this.#bits + 7) >>> 3;
  }

  /** The newest sample's time; meaningless while the chunk is empty. */
  get lastT(): number {
    return this.#t;
  }

  /** The chunk's bytes, exactly (a copy: the open chunk's buffer keeps growing). */
  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  /**
   * Appends a sample; false (and nothing written) unless `t` is newer than the newest sample. The
   * head checks order before it gets here; the chunk refuses too, because an older time would
   * write a negative delta that the encoding cannot hold (it is unsigned, as upstream's).
   */
  append(t: number, v: number): boolean {
    const n = this.#count;
    if (n > 0 && !(t > this.#t)) return false;
    if (n === 0xffff) return false; // the header's count would overflow
    f64[0] = v;
    const hi = u32[HI] as number;
    const lo = u32[LO] as number;
    if (n === 0) {
      this.#writeVarint(t);
      this.#writeBits(hi, 32);
      this.#writeBits(lo, 32);
      this.#tDelta = 0;
    } else if (n === 1) {
      const tDelta = t - this.#t;
      this.#writeUvarint(tDelta);
      this.#writeValue(hi, lo);
      this.#tDelta = tDelta;
    } else {
      const tDelta = t - this.#t;
      const dod = tDelta - this.#tDelta;
      if (dod === 0) this.#writeBits(0, 1);
      else if (bitRange(dod, 1 << 13)) {
        this.#writeBits(0b10, 2);
        this.#writeBits(dod & 0x3fff, 14);
      } else if (bitRange(dod, 1 << 16)) {
        this.#writeBits(0b110, 3);
        this.#writeBits(dod & 0x1ffff, 17);
      } else if (bitRange(dod, 1 << 19)) {
        this.#writeBits(0b1110, 4);
        this.#writeBits(dod & 0xfffff, 20);
      } else {
        this.#writeBits(0b1111, 4);
        // Two's complement over 64 bits, from a number (exact below 2^53, as times are).
        const dhi = Math.floor(dod / TWO_32);
        this.#writeBits(dhi >>> 0, 32);
        this.#writeBits((dod - dhi * TWO_32) >>> 0, 32);
      }
      this.#writeValue(hi, lo);
      this.#tDelta = tDelta;
    }
    this.#t = t;
    this.#vHi = hi;
    this.#vLo = lo;
    this.#count = n + 1;
    this.buf[0] = (n + 1) >>> 8;
    this.buf[1] = (n + 1) & 0xff;
    return true;
  }

  /** Upstream's xorWrite: the XOR with the previous value inside a leading/trailing-zero window. */
  #writeValue(hi: number, lo: number): void {
    const dHi = (hi ^ this.#vHi) >>> 0;
    const dLo = (lo ^ this.#vLo) >>> 0;
    if (dHi === 0 && dLo === 0) {
      this.#writeBits(0, 1);
      return;
    }
    let leading = dHi !== 0 ? Math.clz32(dHi) : 32 + Math.clz32(dLo);
    const trailing = dLo !== 0 ? ctz32(dLo) : 32 + ctz32(dHi);
    // Five bits hold the leading count: clamp, as upstream does (the window just grows).
    if (leading >= 32) leading = 31;
    if (this.#leading !== 0xff && leading >= this.#leading && trailing >= this.#trailing) {
      this.#writeBits(0b10, 2);
      this.#writeField(dHi, dLo, this.#trailing, 64 - this.#leading - this.#trailing);
      return;
    }
    this.#leading = leading;
    this.#trailing = trailing;
    const sigbits = 64 - leading - trailing;
    this.#writeBits(0b11, 2);
    this.#writeBits(leading, 5);
    // 64 significant bits do not fit six bits: written as 0, read back as 64.
    this.#writeBits(sigbits & 0x3f, 6);
    this.#writeField(dHi, dLo, trailing, sigbits);
  }

  /** Writes bits [shift, shift + n) of the 64-bit hi:lo, most significant first. */
  #writeField(hi: number, lo: number, shift: number, n: number): void {
    let h = hi;
    let l = lo;
    if (shift >= 32) {
      l = hi >>> (shift - 32);
      h = 0;
    } else if (shift > 0) {
      l = ((lo >>> shift) | (hi << (32 - shift))) >>> 0;
      h = hi >>> shift;
    }
    if (n > 32) {
      this.#writeBits(h, n - 32);
      this.#writeBits(l, 32);
    } else this.#writeBits(l, n);
  }

  /** Writes the low `n` (≤ 32) bits of `v`, most significant first. */
  #writeBits(v: number, n: number): void {
    const pos = this.#bits;
    const end = pos + n;
    if ((end + 7) >>> 3 > this.buf.length) this.#grow((end + 7) >>> 3);
    const buf = this.buf;
    let i = pos >>> 3;
    const free = 8 - (pos & 7);
    this.#bits = end;
    // Bits past the written ones are still zero: the first byte is ORed into, the rest set.
    if (n <= free) {
      buf[i] = (buf[i] as number) | ((v & ((1 << n) - 1)) << (free - n));
      return;
    }
    let left = n - free;
    buf[i] = (buf[i] as number) | ((v >>> left) & ((1 << free) - 1));
    while (left >= 8) {
      left -= 8;
      buf[++i] = v >>> left;
    }
    if (left > 0) buf[++i] = v << (8 - left);
  }

  #grow(need: number): void {
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.buf.subarray(0, this.length));
    this.buf = bigger;
  }

  /** Go's binary.PutUvarint, byte-aligned or not (the first sample's is always aligned). */
  #writeUvarint(x: number): void {
    let rest = x;
    while (rest >= 0x80) {
      this.#writeBits((rest % 0x80) | 0x80, 8);
      rest = Math.floor(rest / 0x80);
    }
    this.#writeBits(rest, 8);
  }

  /** Go's binary.PutVarint: zigzag, then a uvarint. */
  #writeVarint(x: number): void {
    this.#writeUvarint(x >= 0 ? x * 2 : -x * 2 - 1);
  }
}

/** Upstream's bitRange: whether `x` fits the `nbits` delta-of-delta code (`half` is 2^(nbits−1)). */
function bitRange(x: number, half: number): boolean {
  return -(half - 1) <= x && x <= half;
}

/**
 * Reads the samples of an XOR chunk in order: at most `count` of them (the header's count, or
 * fewer: a reader of an open chunk reads only what was visible when it started). `t` and `v` are
 * the current sample's; `next()` decodes one more, allocating nothing. The value is made a float
 * only when `v` is read: a query seeking into a chunk skips samples by their times, so most of
 * the samples it passes over never pay for the conversion.
 */
export class XorReader {
  t = 0;
  #buf: Uint8Array;
  /** Bit position of the next unread bit. */
  #pos = 0;
  #read = 0;
  #count: number;
  #tDelta = 0;
  #vHi = 0;
  #vLo = 0;
  #leading = 0;
  #trailing = 0;

  /** The chunk at `offset` in `buf`; `count` defaults to the header's. */
  constructor(buf: Uint8Array, count?: number, offset = 0) {
    this.#buf = buf;
    this.#count = 0;
    this.reset(buf, count, offset);
  }

  /** Starts again on another chunk (so one reader serves every chunk of a series). */
  reset(buf: Uint8Array, count?: number, offset = 0): void {
    this.#buf = buf;
    this.#count = count ?? ((buf[offset] as number) << 8) | (buf[offset + 1] as number);
    this.#pos = (offset + 2) * 8;
    this.#read = 0;
    this.#tDelta = 0;
    this.#leading = 0;
    this.#trailing = 0;
  }

  /** Samples read so far. */
  get read(): number {
    return this.#read;
  }

  /** The current sample's value, from its bits (a NaN's payload kept). */
  get v(): number {
    u32[HI] = this.#vHi;
    u32[LO] = this.#vLo;
    return f64[0] as number;
  }

  /**
   * Decodes on to the first sample at or after `t`, staying on the current sample if it already
   * is; false when the chunk (as far as this reader may read) has none. Much faster per sample
   * than `next()`: a query reads a chunk from its start to its window this way.
   */
  seek(t: number): boolean {
    if (this.#read > 0 && this.t >= t) return true;
    while (this.#read < 2) {
      if (!this.next()) return false;
      if (this.t >= t) return true;
    }
    // The loop works on local variables and stores the state back once: reading 32 bits at a
    // time (`peek32`), a sample's control bits come out of one word with shifts, not bit by bit.
    const buf = this.#buf;
    const count = this.#count;
    let n = this.#read;
    let pos = this.#pos;
    let cur = this.t;
    let tDelta = this.#tDelta;
    let vHi = this.#vHi;
    let vLo = this.#vLo;
    let leading = this.#leading;
    let trailing = this.#trailing;
    while (n < count && cur < t) {
      // A delta of deltas: '0' (most samples), or up to four 1 bits ended by a 0, then 14, 17 or
      // 20 bits, or 64 after four 1s.
      let w = peek32(buf, pos);
      if (w >= 0) pos += 1;
      else {
        const ones = Math.clz32(~w);
        if (ones === 1) {
          tDelta += signed((w << 2) >>> 18, 14);
          pos += 16;
        } else if (ones === 2) {
          tDelta += signed((w << 3) >>> 15, 17);
          pos += 20;
        } else if (ones === 3) {
          tDelta += signed((w << 4) >>> 12, 20);
          pos += 24;
        } else {
          // The top half signed: it carries the sign.
          tDelta += peek32(buf, pos + 4) * TWO_32 + (peek32(buf, pos + 36) >>> 0);
          pos += 68;
        }
      }
      cur += tDelta;
      // The value: '0' the same; '10' an XOR in the last window; '11' a new window.
      w = peek32(buf, pos);
      if (w >= 0) pos += 1;
      else {
        let mbits: number;
        if ((w & 0x40000000) === 0) {
          pos += 2;
          mbits = 64 - leading - trailing;
        } else {
          leading = (w << 2) >>> 27;
          mbits = (w << 7) >>> 26;
          if (mbits === 0) mbits = 64;
          trailing = 64 - leading - mbits;
          pos += 13;
        }
        let hi = 0;
        let lo: number;
        if (mbits > 32) {
          hi = peek32(buf, pos) >>> (64 - mbits);
          lo = peek32(buf, pos + mbits - 32) >>> 0;
        } else lo = peek32(buf, pos) >>> (32 - mbits);
        pos += mbits;
        const s = trailing;
        if (s >= 32) {
          hi = s === 32 ? lo : lo << (s - 32);
          lo = 0;
        } else if (s > 0) {
          hi = (hi << s) | (lo >>> (32 - s));
          lo = lo << s;
        }
        vHi = (vHi ^ hi) >>> 0;
        vLo = (vLo ^ lo) >>> 0;
      }
      n++;
    }
    this.#read = n;
    this.#pos = pos;
    this.t = cur;
    this.#tDelta = tDelta;
    this.#vHi = vHi;
    this.#vLo = vLo;
    this.#leading = leading;
    this.#trailing = trailing;
    return cur >= t;
  }

  /** Decodes the next sample; false when the chunk (as far as this reader may read) is done. */
  next(): boolean {
    const n = this.#read;
    if (n >= this.#count) return false;
    if (n === 0) {
      const z = this.#readUvarint();
      // Zigzag back: even → x/2, odd → −(x+1)/2.
      this.t = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      this.#vHi = this.#readBits(32);
      this.#vLo = this.#readBits(32);
    } else {
      if (n === 1) this.#tDelta = this.#readUvarint();
      else this.#tDelta += this.#readDod();
      this.t += this.#tDelta;
      this.#readValue();
    }
    this.#read = n + 1;
    return true;
  }

  #readDod(): number {
    // The prefix: up to four 1 bits ended by a 0.
    let d = 0;
    for (let i = 0; i < 4; i++) {
      d <<= 1;
      if (this.#readBit() === 0) break;
      d |= 1;
    }
    let sz = 0;
    switch (d) {
      case 0b0:
        return 0;
      case 0b10:
        sz = 14;
        break;
      case 0b110:
        sz = 17;
        break;
      case 0b1110:
        sz = 20;
        break;
      default: {
        const hi = this.#readBits(32) | 0; // signed: the top half carries the sign
        const lo = this.#readBits(32);
        return hi * TWO_32 + lo;
      }
    }
    const bits = this.#readBits(sz);
    // Negative deltas come back as large unsigned numbers (upstream's docs/bstream.md).
    return bits > 1 << (sz - 1) ? bits - (1 << sz) : bits;
  }

  #readValue(): void {
    if (this.#readBit() === 0) return; // the same value
    let mbits: number;
    if (this.#readBit() === 0) {
      mbits = 64 - this.#leading - this.#trailing;
    } else {
      this.#leading = this.#readBits(5);
      mbits = this.#readBits(6);
      if (mbits === 0) mbits = 64;
      this.#trailing = 64 - this.#leading - mbits;
    }
    let hi = 0;
    let lo: number;
    if (mbits > 32) {
      hi = this.#readBits(mbits - 32);
      lo = this.#readBits(32);
    } else lo = this.#readBits(mbits);
    // (hi:lo) << trailing, then XOR into the previous value.
    const s = this.#trailing;
    if (s >= 32) {
      hi = s === 32 ? lo : lo << (s - 32);
      lo = 0;
    } else if (s > 0) {
      hi = (hi << s) | (lo >>> (32 - s));
      lo = lo << s;
    }
    this.#vHi = (this.#vHi ^ hi) >>> 0;
    this.#vLo = (this.#vLo ^ lo) >>> 0;
  }

  /** Reads one bit. */
  #readBit(): number {
    const pos = this.#pos++;
    return ((this.#buf[pos >>> 3] as number) >>> (7 - (pos & 7))) & 1;
  }

  /** Reads `n` (≤ 32) bits as an unsigned number. */
  #readBits(n: number): number {
    const buf = this.#buf;
    const pos = this.#pos;
    this.#pos = pos + n;
    let i = pos >>> 3;
    const avail = 8 - (pos & 7);
    const first = (buf[i] ?? 0) & ((1 << avail) - 1);
    if (n <= avail) return first >>> (avail - n);
    let left = n - avail;
    // Multiply rather than shift: 32 bits would overflow a signed shift.
    let out = first;
    while (left >= 8) {
      out = out * 256 + (buf[++i] ?? 0);
      left -= 8;
    }
    if (left > 0) out = out * (1 << left) + ((buf[++i] ?? 0) >>> (8 - left));
    return out;
  }

  #readUvarint(): number {
    let x = 0;
    let scale = 1;
    for (;;) {
      const b = this.#readBits(8);
      x += (b & 0x7f) * scale;
      if (b < 0x80) return x;
      scale *= 0x80;
    }
  }
}

/**
 * The 32 bits of `buf` from bit `pos` on, as an int32 (the first bit is the sign bit); bytes past
 * the end read as zeros (a reader never uses bits past its last sample's).
 */
function peek32(buf: Uint8Array, pos: number): number {
  const i = pos >>> 3;
  const s = pos & 7;
  // Reading past a typed array's end is slow in V8, even now and then: the last bytes go apart.
  if (i + 4 >= buf.length) return peek32Tail(buf, i, s);
  const w =
    ((buf[i] as number) << 24) |
    ((buf[i + 1] as number) << 16) |
    ((buf[i + 2] as number) << 8) |
    (buf[i + 3] as number);
  // A byte shifted right by 8 is 0: no branch for an aligned position.
  return (w << s) | ((buf[i + 4] as number) >>> (8 - s));
}

function peek32Tail(buf: Uint8Array, i: number, s: number): number {
  const at = (k: number) => (k < buf.length ? (buf[k] as number) : 0);
  const w = (at(i) << 24) | (at(i + 1) << 16) | (at(i + 2) << 8) | at(i + 3);
  return (w << s) | (at(i + 4) >>> (8 - s));
}

/** `bits`, the low `n` bits of a delta of deltas, signed (upstream's docs/bstream.md: unsigned past half). */
function signed(bits: number, n: number): number {
  return bits > 1 << (n - 1) ? bits - (1 << n) : bits;
}
