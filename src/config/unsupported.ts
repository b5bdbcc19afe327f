/**
 * Upstream Prometheus fields that miniprom does not implement. A config using one is refused with
 * `<field> is not supported by miniprom` rather than upstream's behaviour being silently skipped, or
 * a misleading `field … not found`. To implement one: drop it from this list and add it to the
 * allowed fields of its section in the loader.
 *
 * The list is flat: a name is only looked up after the section at hand has refused it, so a name
 * that miniprom implements in one section (tls_config in a scrape config) can still be listed for a
 * section where it does not (tls_config under tracing).
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
  'scrape_config_files',
  // global (and the scrape-config fields of the same names).
  'scrape_failure_log_file',
  'keep_dropped_targets',
  'metric_name_validation_scheme',
  'metric_name_escaping_scheme',
  'scrape_native_histograms',
  'convert_classic_histograms_to_nhcb',
  'always_scrape_classic_histograms',
  'extra_scrape_metrics',
  // scrape_configs.
  'track_timestamps_staleness',
  'scrape_classic_histograms',
  'native_histogram_bucket_limit',
  'native_histogram_min_bucket_factor',
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
  'failed_request_logging',
  'azuread',
  'google_iam',
  // alerting.alertmanagers (and remote_write).
  'sigv4',
  // tracing.
  'tls_config',
]);
