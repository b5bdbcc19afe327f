/**
 * The configuration model: what a prometheus.yml loads into. Field names are the YAML names in
 * camelCase; durations are milliseconds, sizes bytes. Every default is already applied, so consumers
 * never re-derive one (e.g. a scrape config's `scrapeTimeout` is always set).
 */

/** A set of targets sharing labels: what static_configs and every discovery provider produce. */
export interface TargetGroup {
  /** Identifies the group within its provider (upstream: `Source`), e.g. `0` for the first static config. */
  source: string;
  /** One label set per target; each has at least `__address__`. */
  targets: Array<Record<string, string>>;
  /** Labels common to every target of the group. */
  labels: Record<string, string>;
}

/** file_sd_configs: target groups from JSON/YAML files (globs allowed in the file name). */
export interface FileSDConfig {
  /** Absolute paths (relative ones are resolved against the config file's directory). */
  files: string[];
  refreshInterval: number;
}

/**
 * A scrape's limits; 0 means no limit, as upstream. Set in global, they are the defaults of every
 * scrape config that leaves one unset (or 0).
 */
export interface ScrapeLimits {
  sampleLimit: number;
  /** More targets than this (after relabeling) fail every scrape of the job. */
  targetLimit: number;
  /** Per sample, after metric relabeling; lengths are in bytes, as upstream's len(). */
  labelLimit: number;
  labelNameLengthLimit: number;
  labelValueLengthLimit: number;
  bodySizeLimit: number;
}

/** metric_name_validation_scheme: which metric and label names scrapes accept. */
export type NameValidationScheme = 'utf8' | 'legacy';

/**
 * metric_name_escaping_scheme: how a target is asked (through content negotiation) to escape
 * names that are not legacy-valid; `allow-utf-8` asks for none.
 */
export type NameEscapingScheme = 'allow-utf-8' | 'underscores' | 'dots' | 'values';

/**
 * The per-job settings that a scrape config inherits from global when it leaves them unset, as
 * upstream resolves them in ScrapeConfig.Validate.
 */
export interface ScrapeNaming {
  /** `legacy` fails a scrape whose series has a name only UTF-8 allows (src/scrape checks it). */
  metricNameValidationScheme: NameValidationScheme;
  /**
   * TODO(scrape branch, issue 16): upstream sends this in the scrape request's Accept header, as
   * `;escaping=<scheme>` on the PrometheusText1.0.0 and OpenMetricsText1.0.0 media types only
   * (scrape.go's acceptHeader, v3.5.3); src/scrape's request does not send it yet. The value is
   * already upstream's spelling (model.EscapingScheme's String()).
   */
  metricNameEscapingScheme: NameEscapingScheme;
  /**
   * Accepted as upstream accepts it; miniprom scrapes only classic histograms (it ingests no native
   * histograms), so classic series are scraped whatever this says.
   */
  alwaysScrapeClassicHistograms: boolean;
  /**
   * Accepted as upstream accepts it, but miniprom stores no native histograms: classic histograms
   * are kept as their classic series, never converted.
   */
  convertClassicHistogramsToNHCB: boolean;
}

export interface GlobalConfig extends ScrapeLimits {
  scrapeInterval: number;
  scrapeTimeout: number;
  evaluationInterval: number;
  /** rule_query_offset (ms): how far back rule groups without their own query_offset evaluate; 0. */
  ruleQueryOffset: number;
  externalLabels: Record<string, string>;
  queryLogFile?: string;
  /**
   * As written ('' when unset), not resolved: upstream keeps global's naming fields as the file
   * has them (and prints them so), checks them only when a scrape config inherits them, and each
   * scrape config holds the resolved value. Without a global section they are upstream's defaults,
   * `utf8` and `allow-utf-8`.
   */
  metricNameValidationScheme: string;
  metricNameEscapingScheme: string;
  convertClassicHistogramsToNHCB: boolean;
  alwaysScrapeClassicHistograms: boolean;
}

export interface BasicAuth {
  username: string;
  password?: string;
  passwordFile?: string;
}

export interface HTTPClientConfig {
  basicAuth?: BasicAuth;
  authorization?: { type: string; credentials?: string; credentialsFile?: string };
  tlsConfig?: {
    caFile?: string;
    certFile?: string;
    keyFile?: string;
    serverName?: string;
    insecureSkipVerify: boolean;
  };
  followRedirects: boolean;
}

import type { RelabelConfig } from '../relabel/index.js';

export type { RelabelConfig } from '../relabel/index.js';

export interface ScrapeConfig extends ScrapeLimits, ScrapeNaming {
  jobName: string;
  /**
   * The scrape_config_files file this job came from (absolute); absent for a job of the main file.
   * Upstream shows only the main file's jobs in the config it prints.
   */
  fromFile?: string;
  scrapeInterval: number;
  scrapeTimeout: number;
  metricsPath: string;
  scheme: 'http' | 'https';
  params: Record<string, string[]>;
  honorLabels: boolean;
  honorTimestamps: boolean;
  httpClient: HTTPClientConfig;
  staticConfigs: TargetGroup[];
  fileSDConfigs: FileSDConfig[];
  /** Applied to each discovered target before it is scraped. */
  relabelConfigs: RelabelConfig[];
  /** Applied to each scraped sample before it is stored. */
  metricRelabelConfigs: RelabelConfig[];
}

export interface AlertmanagerConfig {
  scheme: 'http' | 'https';
  pathPrefix: string;
  timeout: number;
  apiVersion: 'v2';
  httpClient: HTTPClientConfig;
  staticConfigs: TargetGroup[];
  fileSDConfigs: FileSDConfig[];
  /** Applied to each discovered Alertmanager. */
  relabelConfigs: RelabelConfig[];
  /** Applied to the alerts sent to this entry's Alertmanagers (after alerting.alert_relabel_configs). */
  alertRelabelConfigs: RelabelConfig[];
}

export interface AlertingConfig {
  /** Applied to every alert before it is sent. */
  alertRelabelConfigs: RelabelConfig[];
  alertmanagers: AlertmanagerConfig[];
}

export interface TracingConfig {
  /** Empty when tracing is not configured: the tracing manager then exports nothing. */
  endpoint: string;
  clientType: 'grpc' | 'http';
  samplingFraction: number;
  insecure: boolean;
  timeout: number;
  headers: Record<string, string>;
  compression: '' | 'gzip';
}

/** queue_config of a remote_write: how samples are batched and retried (times in ms). */
export interface QueueConfig {
  /** Samples buffered before new ones are dropped (upstream blocks its WAL reader instead). */
  capacity: number;
  maxShards: number;
  minShards: number;
  maxSamplesPerSend: number;
  batchSendDeadline: number;
  minBackoff: number;
  maxBackoff: number;
  retryOnRateLimit: boolean;
  /** Samples older than this when sent are dropped; 0 keeps them all. */
  sampleAgeLimit: number;
}

export interface MetadataConfig {
  send: boolean;
  sendInterval: number;
  maxSamplesPerSend: number;
}

export interface RemoteWriteConfig {
  url: string;
  remoteTimeout: number;
  headers: Record<string, string>;
  /** Applied to each series (external labels attached) before it is queued. */
  writeRelabelConfigs: RelabelConfig[];
  /** "" when unset: the queue is then named after a hash of its config, as upstream. */
  name: string;
  sendExemplars: boolean;
  sendNativeHistograms: boolean;
  /** Remote write 1.0, the only message miniprom sends. */
  protobufMessage: 'prometheus.WriteRequest';
  httpClient: HTTPClientConfig;
  queueConfig: QueueConfig;
  metadataConfig: MetadataConfig;
}

export interface RemoteReadConfig {
  url: string;
  remoteTimeout: number;
  chunkedReadLimit: number;
  headers: Record<string, string>;
  readRecent: boolean;
  name: string;
  httpClient: HTTPClientConfig;
  requiredMatchers: Record<string, string>;
  filterExternalLabels: boolean;
}

/** storage.tsdb.retention: how much the TSDB keeps; 0 is "no limit of this kind". */
export interface TSDBRetentionConfig {
  /** Milliseconds. */
  time: number;
  /** Bytes (upstream counts blocks, WAL and head chunks). */
  size: number;
  /** Of the data directory's disk, in [0, 100]. */
  percentage: number;
}

/** The `storage` section: TSDB settings upstream applies at startup and on every reload. */
export interface StorageConfig {
  tsdb: {
    /** Milliseconds back from a series' newest sample within which older samples are still taken. */
    outOfOrderTimeWindow: number;
    /** Share of stale series in the head, in [0, 1], that triggers a compaction; 0 never does. */
    staleSeriesCompactionThreshold: number;
    /** '' leaves the encoding to the flags (XOR, unless --enable-feature=xor2-encoding upstream). */
    chunkEncoding: { floats: '' | 'xor' | 'xor2' };
    /** When the file sets none, the retention flags' values (LoadOptions.defaultRetention). */
    retention: TSDBRetentionConfig;
  };
  /** Present only when the file has the section (upstream reads it only with exemplar storage on). */
  exemplars?: { maxExemplars: number };
}

export interface Config {
  /** Absolute path of the file this was loaded from. */
  sourceFile: string;
  global: GlobalConfig;
  /** Glob patterns, resolved against the config file's directory as upstream does. */
  ruleFiles: string[];
  /** scrape_config_files: glob patterns, resolved as ruleFiles; read on every (re)load. */
  scrapeConfigFiles: string[];
  /**
   * Every job: the main file's, then those of the scrape_config_files (in pattern order, each
   * pattern's files sorted), as upstream's GetScrapeConfigs returns them.
   */
  scrapeConfigs: ScrapeConfig[];
  alerting: AlertingConfig;
  remoteWrite: RemoteWriteConfig[];
  remoteRead: RemoteReadConfig[];
  storage: StorageConfig;
  tracing: TracingConfig;
}
