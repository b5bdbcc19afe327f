/**
 * Remote write 1.0's protobuf message, encoded by hand (the schema is four small messages, not
 * worth a protobuf library at startup):
 *
 *   WriteRequest { repeated TimeSeries timeseries = 1; }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }
 */
import type { Labels } from '../storage/index.js';

/** One sample to send, its labels final (external labels attached, write relabeling applied). */
export interface QueuedSample {
  labels: Labels;
  t: number;
  v: number;
}

const encoder = new TextEncoder();
/** Tags: (field number << 3) | wire type (0 varint, 1 fixed64, 2 length-delimited). */
const TAG_LABELS_OR_SERIES = (1 << 3) | 2;
const TAG_SAMPLES = (2 << 3) | 2;
const TAG_NAME = (1 << 3) | 2;
const TAG_VALUE = (2 << 3) | 2;
const TAG_SAMPLE_VALUE = (1 << 3) | 1;
const TAG_SAMPLE_TIMESTAMP = (2 << 3) | 0;

/**
 * The encoded `labels` fields of a TimeSeries, sorted by name as the spec requires. Cached per
 * label set object: scrape loops reuse one object per series, so each series is encoded once.
 */
const labelFields = new WeakMap<Labels, Uint8Array>();

function encodeLabels(labels: Labels): Uint8Array {
  let cached = labelFields.get(labels);
  if (cached) return cached;
  const parts: number[] = [];
  for (const name of Object.keys(labels).sort()) {
    const n = encoder.encode(name);
    const v = encoder.encode(labels[name] ?? '');
    const label: number[] = [TAG_NAME];
    pushVarint(label, n.length);
    label.push(...n, TAG_VALUE);
    pushVarint(label, v.length);
    label.push(...v);
    parts.push(TAG_LABELS_OR_SERIES);
    pushVarint(parts, label.length);
    parts.push(...label);
  }
  cached = Uint8Array.from(parts);
  labelFields.set(labels, cached);
  return cached;
}

/**
 * A WriteRequest with one TimeSeries per sample, as upstream's queue manager builds them (a
 * series' samples rarely share a batch, so grouping would save little).
 */
export function encodeWriteRequest(samples: readonly QueuedSample[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const sampleBytes = new Uint8Array(32);
  const view = new DataView(sampleBytes.buffer);
  const header: number[] = [];
  for (const s of samples) {
    const labels = encodeLabels(s.labels);
    // Sample: double (fixed64, little-endian) then the int64 timestamp as a varint. setFloat64
    // keeps a NaN's payload, so the staleness marker travels bit for bit.
    let n = 0;
    sampleBytes[n++] = TAG_SAMPLE_VALUE;
    view.setFloat64(n, s.v, true);
    n += 8;
    sampleBytes[n++] = TAG_SAMPLE_TIMESTAMP;
    n = writeInt64(sampleBytes, n, s.t);
    const seriesLength = labels.length + 1 + varintSize(n) + n;
    header.length = 0;
    header.push(TAG_LABELS_OR_SERIES);
    pushVarint(header, seriesLength);
    const series = new Uint8Array(header.length + seriesLength);
    series.set(header, 0);
    series.set(labels, header.length);
    let o = header.length + labels.length;
    series[o++] = TAG_SAMPLES;
    const len: number[] = [];
    pushVarint(len, n);
    series.set(len, o);
    o += len.length;
    series.set(sampleBytes.subarray(0, n), o);
    chunks.push(series);
    total += series.length;
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function pushVarint(out: number[], value: number): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function varintSize(value: number): number {
  let size = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 128)) size++;
  return size;
}

/** An int64 varint: negative values (times before 1970) take ten bytes in two's complement. */
function writeInt64(out: Uint8Array, start: number, value: number): number {
  let o = start;
  if (value >= 0 && value < 2 ** 53) {
    let n = value;
    while (n >= 0x80) {
      out[o++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    out[o++] = n;
    return o;
  }
  let v = BigInt.asUintN(64, BigInt(Math.trunc(value)));
  while (v >= 0x80n) {
    out[o++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  out[o++] = Number(v);
  return o;
}
