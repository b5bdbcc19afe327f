/**
 * Remote write's protobuf messages, 1.0 (`prometheus.WriteRequest`) and 2.0
 * (`io.prometheus.write.v2.Request`), loaded by protobufjs from their .proto text on first use
 * (reflection: no generated code). The receiver imports this module on its first request, so a
 * server that never receives remote write loads neither protobufjs nor the text. The text is upstream's prompb/types.proto, remote.proto and
 * io/prometheus/write/v2/types.proto at v3.5.3 (Apache-2.0, The Prometheus Authors), without the
 * gogoproto options and the messages remote write does not use, with one change: label names,
 * label values and v2 symbols are `bytes` rather than `string`, so the receiver can tell invalid
 * UTF-8 (which upstream refuses as invalid labels) from a replacement character.
 */
import protobuf from 'protobufjs';

const PROTO = `
syntax = "proto3";

package prometheus;

message WriteRequest {
  repeated TimeSeries timeseries = 1;
  reserved 2;
  repeated MetricMetadata metadata = 3;
}

message MetricMetadata {
  enum MetricType {
    UNKNOWN = 0; COUNTER = 1; GAUGE = 2; HISTOGRAM = 3; GAUGEHISTOGRAM = 4; SUMMARY = 5; INFO = 6; STATESET = 7;
  }
  MetricType type = 1;
  string metric_family_name = 2;
  string help = 4;
  string unit = 5;
}

message Sample {
  double value = 1;
  int64 timestamp = 2;
}

message Exemplar {
  repeated Label labels = 1;
  double value = 2;
  int64 timestamp = 3;
}

message Histogram {
  enum ResetHint { UNKNOWN = 0; YES = 1; NO = 2; GAUGE = 3; }
  oneof count { uint64 count_int = 1; double count_float = 2; }
  double sum = 3;
  sint32 schema = 4;
  double zero_threshold = 5;
  oneof zero_count { uint64 zero_count_int = 6; double zero_count_float = 7; }
  repeated BucketSpan negative_spans = 8;
  repeated sint64 negative_deltas = 9;
  repeated double negative_counts = 10;
  repeated BucketSpan positive_spans = 11;
  repeated sint64 positive_deltas = 12;
  repeated double positive_counts = 13;
  ResetHint reset_hint = 14;
  int64 timestamp = 15;
  repeated double custom_values = 16;
}

message BucketSpan {
  sint32 offset = 1;
  uint32 length = 2;
}

message TimeSeries {
  repeated Label labels = 1;
  repeated Sample samples = 2;
  repeated Exemplar exemplars = 3;
  repeated Histogram histograms = 4;
}

message Label {
  bytes name = 1;
  bytes value = 2;
}
`;

const PROTO_V2 = `
syntax = "proto3";

package io.prometheus.write.v2;

message Request {
  reserved 1 to 3;
  repeated bytes symbols = 4;
  repeated TimeSeries timeseries = 5;
}

message TimeSeries {
  repeated uint32 labels_refs = 1;
  repeated Sample samples = 2;
  repeated Histogram histograms = 3;
  repeated Exemplar exemplars = 4;
  Metadata metadata = 5;
  int64 created_timestamp = 6;
}

message Exemplar {
  repeated uint32 labels_refs = 1;
  double value = 2;
  int64 timestamp = 3;
}

message Sample {
  double value = 1;
  int64 timestamp = 2;
}

message Metadata {
  enum MetricType {
    METRIC_TYPE_UNSPECIFIED = 0; METRIC_TYPE_COUNTER = 1; METRIC_TYPE_GAUGE = 2; METRIC_TYPE_HISTOGRAM = 3;
    METRIC_TYPE_GAUGEHISTOGRAM = 4; METRIC_TYPE_SUMMARY = 5; METRIC_TYPE_INFO = 6; METRIC_TYPE_STATESET = 7;
  }
  MetricType type = 1;
  uint32 help_ref = 3;
  uint32 unit_ref = 4;
}

message Histogram {
  enum ResetHint { RESET_HINT_UNSPECIFIED = 0; RESET_HINT_YES = 1; RESET_HINT_NO = 2; RESET_HINT_GAUGE = 3; }
  oneof count { uint64 count_int = 1; double count_float = 2; }
  double sum = 3;
  sint32 schema = 4;
  double zero_threshold = 5;
  oneof zero_count { uint64 zero_count_int = 6; double zero_count_float = 7; }
  repeated BucketSpan negative_spans = 8;
  repeated sint64 negative_deltas = 9;
  repeated double negative_counts = 10;
  repeated BucketSpan positive_spans = 11;
  repeated sint64 positive_deltas = 12;
  repeated double positive_counts = 13;
  ResetHint reset_hint = 14;
  int64 timestamp = 15;
  repeated double custom_values = 16;
}

message BucketSpan {
  sint32 offset = 1;
  uint32 length = 2;
}
`;

/**
 * The two message types, parsed on first use: parsing the .proto text takes ~9 ms, which a server
 * that never receives remote write should not spend at startup.
 */
let types: { v1: protobuf.Type; v2: protobuf.Type } | undefined;
function loaded(): { v1: protobuf.Type; v2: protobuf.Type } {
  if (!types) {
    const root = new protobuf.Root();
    protobuf.parse(PROTO, root, { keepCase: true });
    protobuf.parse(PROTO_V2, root, { keepCase: true });
    root.resolveAll();
    types = { v1: root.lookupType('prometheus.WriteRequest'), v2: root.lookupType('io.prometheus.write.v2.Request') };
  }
  return types;
}

/** `prometheus.WriteRequest` (remote write 1.0). */
export const writeRequestV1 = (): protobuf.Type => loaded().v1;
/** `io.prometheus.write.v2.Request` (remote write 2.0). */
export const writeRequestV2 = (): protobuf.Type => loaded().v2;

/** An int64 as protobufjs gives it: a number, or a Long (long.js is installed) for any 64-bit value. */
export type Int64 = number | { toNumber(): number };

/** Decoded 1.0 messages, as far as the receiver reads them. */
export interface V1Request {
  timeseries: Array<{
    labels: Array<{ name: Uint8Array; value: Uint8Array }>;
    samples: Array<{ value: number; timestamp: Int64 }>;
    exemplars: unknown[];
    histograms: Array<{ timestamp: Int64 }>;
  }>;
}

/** Decoded 2.0 messages, as far as the receiver reads them. */
export interface V2Request {
  symbols: Uint8Array[];
  timeseries: Array<{
    labels_refs: number[];
    samples: Array<{ value: number; timestamp: Int64 }>;
    histograms: Array<{ timestamp: Int64 }>;
    exemplars: Array<{ labels_refs: number[]; value: number; timestamp: Int64 }>;
    metadata?: { type: number; help_ref: number; unit_ref: number } | null;
    created_timestamp: Int64;
  }>;
}

