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
import { varintSize, writeVarint } from './varint.js';

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
  const pairs = Object.keys(labels)
    .sort()
    .map((name) => {
      const n = encoder.encode(name);
      const v = encoder.encode(labels[name] ?? '');
      return { n, v, size: 1 + varintSize(n.length) + n.length + 1 + varintSize(v.length) + v.length };
    });
  cached = new Uint8Array(pairs.reduce((sum, p) => sum + 1 + varintSize(p.size) + p.size, 0));
  let o = 0;
  for (const { n, v, size } of pairs) {
    cached[o++] = TAG_LABELS_OR_SERIES;
    o = writeVarint(cached, o, size);
    cached[o++] = TAG_NAME;
    o = writeVarint(cached, o, n.length);
    cached.set(n, o);
    o += n.length;
    cached[o++] = TAG_VALUE;
    o = writeVarint(cached, o, v.length);
    cached.set(v, o);
    o += v.length;
  }
  labelFields.set(labels, cached);
  return cached;
}

/**
 * A WriteRequest with one TimeSeries per sample, as upstream's queue manager builds them (a
 * series' samples rarely share a batch, so grouping would save little). Sized first, then written
 * into one buffer: nothing is allocated per sample.
 */
export function encodeWriteRequest(samples: readonly QueuedSample[]): Uint8Array {
  const encoded = samples.map((s) => encodeLabels(s.labels));
  let total = 0;
  samples.forEach((s, i) => {
    const length = seriesLength(encoded[i] as Uint8Array, s.t);
    total += 1 + varintSize(length) + length;
  });
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let o = 0;
  samples.forEach((s, i) => {
    const labels = encoded[i] as Uint8Array;
    out[o++] = TAG_LABELS_OR_SERIES;
    o = writeVarint(out, o, seriesLength(labels, s.t));
    out.set(labels, o);
    o += labels.length;
    out[o++] = TAG_SAMPLES;
    o = writeVarint(out, o, sampleLength(s.t));
    // Sample: double (fixed64, little-endian) then the int64 timestamp as a varint. setFloat64
    // keeps a NaN's payload, so the staleness marker travels bit for bit.
    out[o++] = TAG_SAMPLE_VALUE;
    view.setFloat64(o, s.v, true);
    o += 8;
    out[o++] = TAG_SAMPLE_TIMESTAMP;
    o = writeInt64(out, o, s.t);
  });
  return out;
}

/** A TimeSeries message's length: its labels, then one Sample field. */
function seriesLength(labels: Uint8Array, t: number): number {
  const sample = sampleLength(t);
  return labels.length + 1 + varintSize(sample) + sample;
}

/** A Sample message's length: tag + double, tag + int64 varint. */
function sampleLength(t: number): number {
  return 1 + 8 + 1 + int64Size(t);
}

/** Times from 1970 to 2^53 ms are plain varints; anything else takes the int64 path. */
const isPlain = (value: number) => value >= 0 && value < 2 ** 53;

function int64Size(value: number): number {
  if (isPlain(value)) return varintSize(value);
  let size = 1;
  for (let v = BigInt.asUintN(64, BigInt(Math.trunc(value))); v >= 0x80n; v >>= 7n) size++;
  return size;
}

/** An int64 varint: negative values (times before 1970) take ten bytes in two's complement. */
function writeInt64(out: Uint8Array, start: number, value: number): number {
  if (isPlain(value)) return writeVarint(out, start, value);
  let o = start;
  let v = BigInt.asUintN(64, BigInt(Math.trunc(value)));
  while (v >= 0x80n) {
    out[o++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  out[o++] = Number(v);
  return o;
}
