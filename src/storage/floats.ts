/**
 * A growable column of float64 values that keeps every value's bits. A plain JS array of numbers
 * does not: V8 stores it as a double array and may canonicalize a NaN written into it (its
 * FixedDoubleArray::set turns every NaN into the one quiet NaN, depending on which code path
 * the store takes), which turns the staleness marker (NaN with bits 0x7ff0000000000002) into an
 * ordinary NaN. A Float64Array stores the bits as given.
 */
export class Float64Column {
  #buf: Float64Array;
  /** How many values the column holds. */
  length = 0;

  constructor(capacity = 8) {
    this.#buf = new Float64Array(Math.max(capacity, 1));
  }

  push(v: number): void {
    if (this.length === this.#buf.length) {
      const bigger = new Float64Array(this.#buf.length * 2);
      bigger.set(this.#buf);
      this.#buf = bigger;
    }
    this.#buf[this.length++] = v;
  }

  /** The value at `i` (undefined past the end, as Array.prototype.at). */
  at(i: number): number | undefined {
    return i >= 0 && i < this.length ? this.#buf[i] : undefined;
  }

  set(i: number, v: number): void {
    this.#buf[i] = v;
  }

  /** A new column with the values from `from` on. */
  slice(from: number): Float64Column {
    const out = new Float64Column(this.length - from);
    out.#buf.set(this.#buf.subarray(from, this.length));
    out.length = Math.max(this.length - from, 0);
    return out;
  }
}
