/**
 * What the API needs from the rest of miniprom, as small interfaces main satisfies (the web module
 * imports no engine, parser, scrape or storage implementation): upstream's API struct takes the
 * same things as arguments to NewAPI.
 */
import type { Expr, QueryEngine } from '../../promql/index.js';
import type { Labels, Matcher, Queryable } from '../../storage/index.js';
import type { AdminSources } from './admin.js';

/** The PromQL parser, bound by main to --enable-feature=promql-experimental-functions. */
export interface PromQLParser {
  /** Parses and checks a query; throws the parser's `ParseError`. */
  parseExpr(query: string): Expr;
  /** The query formatted as upstream's `Pretty(0)` (format_query). */
  prettify(expr: Expr): string;
  /** A series selector (`match[]`) as its label matchers; throws `ParseError`. */
  parseMetricSelector(text: string): Matcher[];
}

/** One metric family's metadata, as a scrape saw it. */
export interface MetricMetadata {
  metric: string;
  /** counter, gauge, histogram, gaugehistogram, summary, info, stateset or unknown. */
  type: string;
  help: string;
  unit: string;
}

/** A scrape target's labels (upstream's target.Labels: no `__` labels) and its metadata. */
export interface TargetMetadata {
  labels: Labels;
  metadata: MetricMetadata[];
}

/** One line of a cardinality table of /api/v1/status/tsdb. */
export interface TSDBStat {
  name: string;
  value: number;
}

/** The TSDB's statistics as upstream's tsdb.Stats(statsByLabelName = __name__, limit) has them. */
export interface TSDBStats {
  numSeries: number;
  numLabelPairs: number;
  /** Head chunks; upstream reads it from its prometheus_tsdb_head_chunks gauge. */
  chunkCount: number;
  /** The head's oldest and newest sample times (ms); null while it has none (upstream then prints int64's extremes). */
  minTime: number | null;
  maxTime: number | null;
  seriesCountByMetricName: TSDBStat[];
  labelValueCountByLabelName: TSDBStat[];
  memoryInBytesByLabelName: TSDBStat[];
  seriesCountByLabelValuePair: TSDBStat[];
}

/** A remote write request as the receiver sees it, and its answer. */
export interface RemoteWriteRequest {
  contentType: string | undefined;
  contentEncoding: string | undefined;
  body: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

export interface RemoteWriteResponse {
  status: number;
  headers?: Record<string, string>;
  body: string | Buffer;
}

/** The remote write receiver (`--web.enable-remote-write-receiver`). */
export interface RemoteWriteReceiver {
  handle(request: RemoteWriteRequest): Promise<RemoteWriteResponse> | RemoteWriteResponse;
}

/** The storage's "not ready" error, as upstream's tsdb.ErrNotReady: the API answers `unavailable`. */
export class StorageNotReadyError extends Error {
  constructor() {
    super('TSDB not ready');
  }
}

/** Everything the API serves from; main builds it. */
/** Upstream's WAL replay status: the first and last segment and the last one read. */
export interface WalReplayStatus {
  min: number;
  max: number;
  current: number;
}

export interface ApiSources {
  /** The TSDB's admin side (delete_series, clean_tombstones, snapshot); throws until the TSDB is open. */
  admin?(): AdminSources;
  /** The TSDB's WAL replay progress; absent in agent mode (upstream's agent has no TSDB stats). */
  walReplayStatus?(): WalReplayStatus;
  /** Server mode's engine; undefined in agent mode, where the query endpoints answer as upstream's agent. */
  engine?: QueryEngine;
  /** The parser; undefined in agent mode. */
  parser?: PromQLParser;
  /**
   * The storage as main holds it: its `querier()` throws `StorageNotReadyError` until storage is
   * open (upstream's readyStorage).
   */
  queryable: Queryable;
  /** --query.lookback-delta in ms: how far back /federate looks for a series' latest sample. */
  lookbackDeltaMs: number;
  /** The running configuration's external labels (federation adds them). */
  externalLabels(): Labels;
  /** The metadata of every active scrape target. */
  targetMetadata(): TargetMetadata[];
  /** TSDB statistics (server mode). */
  tsdbStats?(limit: number): TSDBStats;
  /** Every flag with its value as upstream prints it (`/api/v1/status/flags`). */
  flags: Readonly<Record<string, string>>;
  /** The retention as upstream's runtimeinfo shows it (`15d`, `512MB`, `15d or 512MB`); '' in agent mode. */
  storageRetention(): string;
  /** The remote write receiver, when enabled (`--web.enable-remote-write-receiver`). */
  remoteWrite?: RemoteWriteReceiver;
  /** The clock (ms since the epoch); tests inject one. */
  now?: () => number;
}
