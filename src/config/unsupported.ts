/**
 * Upstream Prometheus fields that miniprom does not implement. A config using one is refused with
 * `<field> is not supported by miniprom` rather than upstream's behaviour being silently skipped, or
 * a misleading `field … not found`. To implement one: drop it from this list and add it to the
 * allowed fields of its section in the loader.
 *
 * The list is flat: a name is only looked up after the section at hand has refused it, so a name
 * that miniprom implements in one section (tls_config in a scrape config) can still be listed for a
 * section where it does not (tls_config under tracing).
 *
 * Only fields that Prometheus 3.5.3 has are listed: a field it lacks too (scrape_native_histograms,
 * extra_scrape_metrics, which later versions add) is refused as it refuses it, `field … not found
 * in type …`.
 */

/** Service discovery mechanisms (`<name>_sd_configs`) other than static_configs and file_sd_configs. */
const SERVICE_DISCOVERY = [
  'aws',
  'azure',
  'consul',
  'digitalocean',
  'dns',
  'docker',
  'dockerswarm',
  'ec2',
  'ecs',
  'elasticache',
  'eureka',
  'gce',
  'hetzner',
  'http',
  'ionos',
  'kubernetes',
  'kuma',
  'lightsail',
  'linode',
  'marathon',
  'msk',
  'nerve',
  'nomad',
  'oci',
  'openstack',
  'outscale',
  'ovhcloud',
  'puppetdb',
  'rds',
  'scaleway',
  'serverset',
  'stackit',
  'triton',
  'uyuni',
  'vultr',
];

export const NOT_SUPPORTED: ReadonlySet<string> = new Set([
  // Top level.
  'otlp',
  'runtime',
  // global (and the scrape-config fields of the same names).
  'scrape_failure_log_file',
  'keep_dropped_targets',
  'scrape_protocols',
  // scrape_configs.
  'track_timestamps_staleness',
  'fallback_scrape_protocol',
  'native_histogram_bucket_limit',
  'native_histogram_min_bucket_factor',
  'enable_compression',
  ...SERVICE_DISCOVERY.map((name) => `${name}_sd_configs`),
  // The HTTP client (scrape configs and Alertmanagers).
  'oauth2',
  'proxy_url',
  'no_proxy',
  'proxy_from_environment',
  'proxy_connect_header',
  'enable_http2',
  'http_headers',
  'username_file',
  'username_ref',
  'password_ref',
  'credentials_ref',
  // tls_config.
  'ca',
  'cert',
  'key',
  'ca_ref',
  'cert_ref',
  'key_ref',
  'min_version',
  'max_version',
  // remote_write.
  'round_robin_dns',
  'azuread',
  'google_iam',
  // alerting.alertmanagers (and remote_write).
  'sigv4',
  // tracing.
  'tls_config',
]);

/** Why a NOT_SUPPORTED field is refused, for its error message (`… is not supported by miniprom: <why>`). */
export function whyNotSupported(name: string): string {
  if (name.endsWith('_sd_configs')) return 'only static_configs and file_sd_configs discover targets';
  return REASONS.get(name) ?? 'not implemented';
}

const PROXY = 'targets are reached directly, through no proxy';
const SECRET_REFS = 'secrets come inline or from files (password_file, credentials_file), not from a secret manager';
const TLS_INLINE = 'TLS material is read from files (ca_file, cert_file, key_file), not inline';
const CLOUD_AUTH = 'cloud providers’ request signing is not implemented';
const NATIVE = 'miniprom ingests no native histograms';
const PROTOCOLS = 'scrape protocol negotiation is not implemented';

const REASONS: ReadonlyMap<string, string> = new Map([
  ['otlp', 'there is no OTLP receiver'],
  ['runtime', 'it tunes the Go runtime (gogc); miniprom runs on Node.js'],
  ['scrape_failure_log_file', 'scrape failures are reported by the targets API and the logs only'],
  ['keep_dropped_targets', 'the targets API keeps no dropped targets to limit'],
  ['scrape_protocols', PROTOCOLS],
  ['fallback_scrape_protocol', PROTOCOLS],
  ['enable_compression', PROTOCOLS],
  ['track_timestamps_staleness', 'samples with their own timestamps are never marked stale'],
  ['native_histogram_bucket_limit', NATIVE],
  ['native_histogram_min_bucket_factor', NATIVE],
  ['oauth2', 'OAuth 2.0 client credentials are not implemented'],
  ['proxy_url', PROXY],
  ['no_proxy', PROXY],
  ['proxy_from_environment', PROXY],
  ['proxy_connect_header', PROXY],
  ['enable_http2', 'its HTTP client speaks HTTP/1.1 only'],
  ['http_headers', 'custom request headers are not implemented'],
  ['username_file', 'the basic auth username comes inline only'],
  ['username_ref', SECRET_REFS],
  ['password_ref', SECRET_REFS],
  ['credentials_ref', SECRET_REFS],
  ['ca', TLS_INLINE],
  ['cert', TLS_INLINE],
  ['key', TLS_INLINE],
  ['ca_ref', SECRET_REFS],
  ['cert_ref', SECRET_REFS],
  ['key_ref', SECRET_REFS],
  ['min_version', 'the TLS versions are Node.js’s defaults'],
  ['max_version', 'the TLS versions are Node.js’s defaults'],
  ['round_robin_dns', 'remote write connects as Node.js resolves the host'],
  ['azuread', CLOUD_AUTH],
  ['google_iam', CLOUD_AUTH],
  ['sigv4', CLOUD_AUTH],
  ['tls_config', 'the tracing exporter has no TLS settings'],
]);
