/**
 * configToYAML: a loaded config printed back in Prometheus's YAML, as upstream's
 * /api/v1/status/config shows it: snake_case names, durations and sizes in Prometheus units, every
 * default written out, and secrets as `<secret>`. Loading the output gives the same model back
 * (secrets apart: they load as the text `<secret>`).
 */
import { Scalar, stringify, YAMLSeq } from 'yaml';
import type { RelabelConfig } from '../relabel/index.js';
import type {
  AlertmanagerConfig,
  Config,
  FileSDConfig,
  GlobalConfig,
  HTTPClientConfig,
  RemoteReadConfig,
  RemoteWriteConfig,
  ScrapeConfig,
  ScrapeLimits,
  StorageConfig,
  TargetGroup,
  TracingConfig,
} from './types.js';
import { formatDuration, formatSize } from './units.js';

/** What upstream's config.Secret marshals to. */
const SECRET = '<secret>';

type YAMLMap = Record<string, unknown>;

export function configToYAML(cfg: Config): string {
  // Top-level order as upstream's Config struct; empty sections are left out, as its omitempty does.
  const out: YAMLMap = { global: printGlobal(cfg.global) };
  const { alertRelabelConfigs, alertmanagers } = cfg.alerting;
  if (alertRelabelConfigs.length > 0 || alertmanagers.length > 0) {
    out.alerting = {
      ...(alertRelabelConfigs.length > 0 && { alert_relabel_configs: alertRelabelConfigs.map(printRelabel) }),
      ...(alertmanagers.length > 0 && { alertmanagers: alertmanagers.map(printAlertmanager) }),
    };
  }
  if (cfg.ruleFiles.length > 0) out.rule_files = [...cfg.ruleFiles];
  if (cfg.scrapeConfigFiles.length > 0) out.scrape_config_files = [...cfg.scrapeConfigFiles];
  // The jobs of the scrape_config_files stay in their files: upstream prints the main file's only.
  const ownJobs = cfg.scrapeConfigs.filter((sc) => sc.fromFile === undefined);
  if (ownJobs.length > 0) out.scrape_configs = ownJobs.map(printScrapeConfig);
  out.storage = printStorage(cfg.storage);
  if (cfg.tracing.endpoint !== '') out.tracing = printTracing(cfg.tracing);
  if (cfg.remoteWrite.length > 0) out.remote_write = cfg.remoteWrite.map((w) => printRemoteWrite(w));
  if (cfg.remoteRead.length > 0) out.remote_read = cfg.remoteRead.map(printRemoteRead);
  return stringify(out, GO_YAML);
}

/** Options that make `yaml` write what Go's yaml.v2 Marshal writes. */
const GO_YAML = {
  // YAML 1.1 quoting (as Go's yaml.v2 reads it): a string such as `yes` or `0123` gets quotes.
  version: '1.1',
  // Go's yaml.v2 style: list items flush with their key, no line folding, no anchors.
  indentSeq: false,
  lineWidth: 0,
  aliasDuplicateObjects: false,
  // Go writes a flow list as `[a, b]`.
  flowCollectionPadding: false,
} as const;

/**
 * One remote_write entry as Go's yaml.Marshal writes the RemoteWriteConfig struct: what upstream's
 * storage/remote toHash takes the md5 of, whose first 6 hex digits name an unnamed queue.
 */
export function remoteWriteToYAML(w: RemoteWriteConfig): string {
  return stringify(printRemoteWrite(w, true), GO_YAML);
}

function printGlobal(g: GlobalConfig): YAMLMap {
  return {
    scrape_interval: formatDuration(g.scrapeInterval),
    scrape_timeout: formatDuration(g.scrapeTimeout),
    evaluation_interval: formatDuration(g.evaluationInterval),
    ...(g.ruleQueryOffset !== 0 && { rule_query_offset: formatDuration(g.ruleQueryOffset) }),
    ...(g.queryLogFile !== undefined && { query_log_file: g.queryLogFile }),
    ...(Object.keys(g.externalLabels).length > 0 && {
      // Values were expanded from the environment when loaded; `$$` keeps a `$` from expanding again.
      // (A replacer function, because in a replacement string `$$` itself means `$`.)
      external_labels: Object.fromEntries(
        Object.entries(g.externalLabels).map(([name, value]) => [name, value.replaceAll('$', () => '$$')]),
      ),
    }),
    ...printLimits(g),
    // As written: upstream resolves these per job and prints global's as the file has them.
    ...(g.metricNameValidationScheme !== '' && { metric_name_validation_scheme: g.metricNameValidationScheme }),
    ...(g.metricNameEscapingScheme !== '' && { metric_name_escaping_scheme: g.metricNameEscapingScheme }),
    ...(g.convertClassicHistogramsToNHCB && { convert_classic_histograms_to_nhcb: true }),
    ...(g.alwaysScrapeClassicHistograms && { always_scrape_classic_histograms: true }),
  };
}

/**
 * Always printed, as upstream prints it (its tsdb section is never nil once loaded); zero values
 * are left out as its omitempty does, so an empty retention prints as `retention: {}`.
 */
function printStorage(storage: StorageConfig): YAMLMap {
  const { outOfOrderTimeWindow, staleSeriesCompactionThreshold, chunkEncoding, retention } = storage.tsdb;
  return {
    tsdb: {
      ...(outOfOrderTimeWindow !== 0 && { out_of_order_time_window: formatDuration(outOfOrderTimeWindow) }),
      ...(staleSeriesCompactionThreshold !== 0 && {
        stale_series_compaction_threshold: staleSeriesCompactionThreshold,
      }),
      ...(chunkEncoding.floats !== '' && { chunk_encoding: { floats: chunkEncoding.floats } }),
      retention: {
        ...(retention.time !== 0 && { time: formatDuration(retention.time) }),
        ...(retention.size !== 0 && { size: formatSize(retention.size) }),
        ...(retention.percentage !== 0 && { percentage: retention.percentage }),
      },
    },
    ...(storage.exemplars && {
      exemplars: storage.exemplars.maxExemplars !== 0 ? { max_exemplars: storage.exemplars.maxExemplars } : {},
    }),
  };
}

/**
 * The limits, shared by global and scrape configs. 0 ("no limit") is left out, as upstream's
 * omitempty leaves it out.
 */
function printLimits(l: ScrapeLimits): YAMLMap {
  return {
    ...(l.bodySizeLimit !== 0 && { body_size_limit: formatSize(l.bodySizeLimit) }),
    ...(l.sampleLimit !== 0 && { sample_limit: l.sampleLimit }),
    ...(l.targetLimit !== 0 && { target_limit: l.targetLimit }),
    ...(l.labelLimit !== 0 && { label_limit: l.labelLimit }),
    ...(l.labelNameLengthLimit !== 0 && { label_name_length_limit: l.labelNameLengthLimit }),
    ...(l.labelValueLengthLimit !== 0 && { label_value_length_limit: l.labelValueLengthLimit }),
  };
}

function printScrapeConfig(sc: ScrapeConfig): YAMLMap {
  return {
    job_name: sc.jobName,
    honor_labels: sc.honorLabels,
    honor_timestamps: sc.honorTimestamps,
    ...(Object.keys(sc.params).length > 0 && { params: sc.params }),
    scrape_interval: formatDuration(sc.scrapeInterval),
    scrape_timeout: formatDuration(sc.scrapeTimeout),
    // Always printed, resolved: upstream's fields are pointers that Validate always sets.
    always_scrape_classic_histograms: sc.alwaysScrapeClassicHistograms,
    convert_classic_histograms_to_nhcb: sc.convertClassicHistogramsToNHCB,
    metrics_path: sc.metricsPath,
    scheme: sc.scheme,
    ...printLimits(sc),
    metric_name_validation_scheme: sc.metricNameValidationScheme,
    metric_name_escaping_scheme: sc.metricNameEscapingScheme,
    ...printHTTPClient(sc.httpClient),
    ...printTargets(sc.staticConfigs, sc.fileSDConfigs),
    ...(sc.relabelConfigs.length > 0 && { relabel_configs: sc.relabelConfigs.map(printRelabel) }),
    ...(sc.metricRelabelConfigs.length > 0 && { metric_relabel_configs: sc.metricRelabelConfigs.map(printRelabel) }),
  };
}

function printAlertmanager(am: AlertmanagerConfig): YAMLMap {
  return {
    scheme: am.scheme,
    path_prefix: am.pathPrefix,
    timeout: formatDuration(am.timeout),
    api_version: am.apiVersion,
    ...printHTTPClient(am.httpClient),
    ...printTargets(am.staticConfigs, am.fileSDConfigs),
    ...(am.relabelConfigs.length > 0 && { relabel_configs: am.relabelConfigs.map(printRelabel) }),
    ...(am.alertRelabelConfigs.length > 0 && { alert_relabel_configs: am.alertRelabelConfigs.map(printRelabel) }),
  };
}

function printHTTPClient(h: HTTPClientConfig): YAMLMap {
  const { basicAuth: basic, authorization: auth, tlsConfig: tls } = h;
  return {
    ...(basic && {
      basic_auth: {
        username: basic.username,
        ...(basic.password !== undefined && { password: SECRET }),
        ...(basic.passwordFile !== undefined && { password_file: basic.passwordFile }),
      },
    }),
    ...(auth && {
      authorization: {
        type: auth.type,
        ...(auth.credentials !== undefined && { credentials: SECRET }),
        ...(auth.credentialsFile !== undefined && { credentials_file: auth.credentialsFile }),
      },
    }),
    ...(tls && {
      tls_config: {
        ...(tls.caFile !== undefined && { ca_file: tls.caFile }),
        ...(tls.certFile !== undefined && { cert_file: tls.certFile }),
        ...(tls.keyFile !== undefined && { key_file: tls.keyFile }),
        ...(tls.serverName !== undefined && { server_name: tls.serverName }),
        insecure_skip_verify: tls.insecureSkipVerify,
      },
    }),
    follow_redirects: h.followRedirects,
  };
}

function printTargets(groups: TargetGroup[], fileSD: FileSDConfig[]): YAMLMap {
  return {
    ...(groups.length > 0 && {
      static_configs: groups.map((g) => ({
        targets: g.targets.map((t) => t.__address__ ?? ''),
        ...(Object.keys(g.labels).length > 0 && { labels: g.labels }),
      })),
    }),
    ...(fileSD.length > 0 && {
      file_sd_configs: fileSD.map((c) => ({ files: c.files, refresh_interval: formatDuration(c.refreshInterval) })),
    }),
  };
}

function printRelabel(c: RelabelConfig): YAMLMap {
  // Go's relabel.Config: source_labels in flow style, and every field omitempty (a zero modulus,
  // an empty target_label or replacement is left out), as Go's yaml.Marshal writes it.
  const sourceLabels = new YAMLSeq();
  sourceLabels.flow = true;
  sourceLabels.items = c.sourceLabels.map((l) => new Scalar(l));
  return {
    // Written only when set: labeldrop and labelkeep refuse source_labels, even an empty list.
    ...(c.sourceLabels.length > 0 && { source_labels: sourceLabels }),
    ...(c.separator !== '' && { separator: c.separator }),
    regex: c.regex,
    ...(c.modulus !== 0 && { modulus: c.modulus }),
    ...(c.targetLabel !== '' && { target_label: c.targetLabel }),
    ...(c.replacement !== '' && { replacement: c.replacement }),
    action: c.action,
  };
}

function printTracing(t: TracingConfig): YAMLMap {
  return {
    client_type: t.clientType,
    endpoint: t.endpoint,
    sampling_fraction: t.samplingFraction,
    insecure: t.insecure,
    ...(Object.keys(t.headers).length > 0 && { headers: t.headers }),
    ...(t.compression !== '' && { compression: t.compression }),
    timeout: formatDuration(t.timeout),
  };
}

function printRemoteWrite(w: RemoteWriteConfig, forHash = false): YAMLMap {
  const q = w.queueConfig;
  return {
    url: redactURL(w.url),
    remote_timeout: formatDuration(w.remoteTimeout),
    ...(Object.keys(w.headers).length > 0 && { headers: w.headers }),
    ...(w.writeRelabelConfigs.length > 0 && { write_relabel_configs: w.writeRelabelConfigs.map(printRelabel) }),
    ...(w.name !== '' && { name: w.name }),
    ...(w.sendExemplars && { send_exemplars: true }),
    ...(w.sendNativeHistograms && { send_native_histograms: true }),
    protobuf_message: w.protobufMessage,
    ...printHTTPClient(w.httpClient),
    // Remote write's default (upstream's DefaultRemoteWriteHTTPClientConfig): Go prints the field
    // even when false, and it counts in the queue's name hash. Left out of /api/v1/status/config
    // while the loader refuses enable_http2, so that the printed config loads back.
    ...(forHash && { enable_http2: false }),
    queue_config: {
      capacity: q.capacity,
      max_shards: q.maxShards,
      min_shards: q.minShards,
      max_samples_per_send: q.maxSamplesPerSend,
      batch_send_deadline: formatDuration(q.batchSendDeadline),
      min_backoff: formatDuration(q.minBackoff),
      max_backoff: formatDuration(q.maxBackoff),
      ...(q.retryOnRateLimit && { retry_on_http_429: true }),
      ...(q.sampleAgeLimit > 0 && { sample_age_limit: formatDuration(q.sampleAgeLimit) }),
    },
    metadata_config: {
      send: w.metadataConfig.send,
      send_interval: formatDuration(w.metadataConfig.sendInterval),
      max_samples_per_send: w.metadataConfig.maxSamplesPerSend,
    },
  };
}

function printRemoteRead(rr: RemoteReadConfig): YAMLMap {
  return {
    url: redactURL(rr.url),
    remote_timeout: formatDuration(rr.remoteTimeout),
    chunked_read_limit: rr.chunkedReadLimit,
    ...(Object.keys(rr.headers).length > 0 && { headers: rr.headers }),
    ...(rr.readRecent && { read_recent: true }),
    ...(rr.name !== '' && { name: rr.name }),
    ...printHTTPClient(rr.httpClient),
    ...(Object.keys(rr.requiredMatchers).length > 0 && { required_matchers: rr.requiredMatchers }),
    // Always written: upstream's omitempty drops `false`, which then reloads as the default true.
    filter_external_labels: rr.filterExternalLabels,
  };
}

/** A password in a URL shows as `xxxxx`, as Go's url.Redacted prints it (in the API and in logs). */
export function redactURL(text: string): string {
  const url = new URL(text);
  if (url.password === '') return text;
  url.password = 'xxxxx';
  return url.toString();
}
