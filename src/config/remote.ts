/**
 * remote_write and remote_read: upstream's RemoteWriteConfig / RemoteReadConfig with their
 * defaults, UnmarshalYAML checks and wording, in upstream's order of checks.
 */
import { HTTP_CLIENT_FIELDS, parseHeaders, parseHTTPClient } from './http.js';
import { parseRelabelConfigs } from './targets.js';
import type { MetadataConfig, QueueConfig, RemoteReadConfig, RemoteWriteConfig } from './types.js';
import { at, type Reader, type Value } from './yaml.js';

/** upstream's validateHeaders: remote write and read take credentials from the auth fields only. */
const AUTHORIZATION_HEADER =
  'authorization header must be changed via the basic_auth, authorization, oauth2, sigv4, azuread or google_iam parameter';

/** Upstream's DefaultQueueConfig. */
const DEFAULT_QUEUE: QueueConfig = {
  capacity: 10_000,
  maxShards: 50,
  minShards: 1,
  maxSamplesPerSend: 2_000,
  batchSendDeadline: 5_000,
  minBackoff: 30,
  maxBackoff: 5_000,
  retryOnRateLimit: false,
  sampleAgeLimit: 0,
};

const DEFAULT_METADATA: MetadataConfig = { send: true, sendInterval: 60_000, maxSamplesPerSend: 2_000 };

/** The remote write messages upstream knows (`remoteapi.WriteMessageType`); miniprom sends the first. */
const WRITE_V1 = 'prometheus.WriteRequest';
const WRITE_V2 = 'io.prometheus.write.v2.Request';

export function parseRemoteWrites(r: Reader, value: Value, dir: string): RemoteWriteConfig[] {
  const names = new Set<string>();
  return r.list(value, 'remote_write').map((item, i) => {
    const path = `remote_write[${i}]`;
    if (r.isNull(item)) r.fail(item, path, 'empty or null remote write config section');
    const { config, nameNode } = parseRemoteWrite(r, item, path, dir);
    // Empty names are allowed more than once: upstream names those queues after their config's hash.
    if (config.name !== '' && names.has(config.name))
      r.fail(
        nameNode,
        at(path, 'name'),
        // "job name" is upstream's wording, copied from the scrape config check.
        `found multiple remote write configs with job name ${JSON.stringify(config.name)}`,
      );
    names.add(config.name);
    return config;
  });
}

function parseRemoteWrite(
  r: Reader,
  item: Value,
  path: string,
  dir: string,
): { config: RemoteWriteConfig; nameNode: Value } {
  const f = r.fields(item, path, 'config.plain', [
    'url',
    'remote_timeout',
    'headers',
    'write_relabel_configs',
    'name',
    'send_exemplars',
    'send_native_histograms',
    'protobuf_message',
    ...HTTP_CLIENT_FIELDS,
    'queue_config',
    'metadata_config',
  ]);
  const get = (name: string) => f.get(name);
  const url = parseURL(r, get('url'), at(path, 'url'), item, 'url for remote_write is empty');
  const writeRelabelConfigs = parseRelabelConfigs(
    r,
    get('write_relabel_configs'),
    at(path, 'write_relabel_configs'),
    'empty or null relabeling rule in remote write config',
  );
  const headers = parseHeaders(r, get('headers'), at(path, 'headers'), AUTHORIZATION_HEADER);
  const message = r.string(get('protobuf_message'), at(path, 'protobuf_message')) ?? WRITE_V1;
  if (message !== WRITE_V1) {
    const detail =
      message === WRITE_V2
        ? `protobuf_message ${message} is not supported by miniprom: it sends remote write 1.0 (${WRITE_V1})`
        : `invalid protobuf_message value: unknown type for remote write protobuf message ${message}, supported: ${WRITE_V1}, ${WRITE_V2}`;
    r.fail(get('protobuf_message'), at(path, 'protobuf_message'), detail);
  }
  const config: RemoteWriteConfig = {
    url,
    remoteTimeout: r.duration(get('remote_timeout'), at(path, 'remote_timeout')) || 30_000,
    headers,
    writeRelabelConfigs,
    name: r.string(get('name'), at(path, 'name')) ?? '',
    sendExemplars: r.bool(get('send_exemplars'), at(path, 'send_exemplars')) ?? false,
    sendNativeHistograms: r.bool(get('send_native_histograms'), at(path, 'send_native_histograms')) ?? false,
    protobufMessage: WRITE_V1,
    httpClient: parseHTTPClient(r, f, path, dir),
    queueConfig: parseQueue(r, get('queue_config'), at(path, 'queue_config')),
    metadataConfig: parseMetadata(r, get('metadata_config'), at(path, 'metadata_config')),
  };
  return { config, nameNode: get('name') };
}

function parseQueue(r: Reader, value: Value, path: string): QueueConfig {
  const f = r.fields(value, path, 'config.QueueConfig', [
    'capacity',
    'max_shards',
    'min_shards',
    'max_samples_per_send',
    'batch_send_deadline',
    'min_backoff',
    'max_backoff',
    'retry_on_http_429',
    'sample_age_limit',
  ]);
  // Go keeps a default unless the field is present (a present 0 is a 0, which Validate refuses).
  const int = (name: string, fallback: number) => r.int(f.get(name), at(path, name)) ?? fallback;
  const duration = (name: string, fallback: number) => r.duration(f.get(name), at(path, name)) ?? fallback;
  const q: QueueConfig = {
    capacity: int('capacity', DEFAULT_QUEUE.capacity),
    maxShards: int('max_shards', DEFAULT_QUEUE.maxShards),
    minShards: int('min_shards', DEFAULT_QUEUE.minShards),
    maxSamplesPerSend: int('max_samples_per_send', DEFAULT_QUEUE.maxSamplesPerSend),
    batchSendDeadline: duration('batch_send_deadline', DEFAULT_QUEUE.batchSendDeadline),
    minBackoff: duration('min_backoff', DEFAULT_QUEUE.minBackoff),
    maxBackoff: duration('max_backoff', DEFAULT_QUEUE.maxBackoff),
    retryOnRateLimit: r.bool(f.get('retry_on_http_429'), at(path, 'retry_on_http_429')) ?? false,
    sampleAgeLimit: duration('sample_age_limit', 0),
  };
  // QueueConfig.Validate, in its order; the error points at the section, as the rule spans fields.
  const problem =
    q.maxShards <= 0
      ? 'remote write queue max_shards must be positive'
      : q.minShards <= 0
        ? 'remote write queue min_shards must be positive'
        : q.minShards > q.maxShards
          ? 'remote write queue min_shards must not be greater than max_shards'
          : q.maxSamplesPerSend <= 0
            ? 'remote write queue max_samples_per_send must be positive'
            : q.capacity <= 0
              ? 'remote write queue capacity must be positive'
              : q.maxBackoff < q.minBackoff
                ? 'remote write queue max_backoff must not be less than min_backoff'
                : undefined;
  if (problem) r.fail(value, path, problem);
  return q;
}

function parseMetadata(r: Reader, value: Value, path: string): MetadataConfig {
  const f = r.fields(value, path, 'config.MetadataConfig', ['send', 'send_interval', 'max_samples_per_send']);
  return {
    send: r.bool(f.get('send'), at(path, 'send')) ?? DEFAULT_METADATA.send,
    sendInterval: r.duration(f.get('send_interval'), at(path, 'send_interval')) ?? DEFAULT_METADATA.sendInterval,
    maxSamplesPerSend:
      r.int(f.get('max_samples_per_send'), at(path, 'max_samples_per_send')) ?? DEFAULT_METADATA.maxSamplesPerSend,
  };
}

export function parseRemoteReads(r: Reader, value: Value, dir: string): RemoteReadConfig[] {
  const names = new Set<string>();
  return r.list(value, 'remote_read').map((item, i) => {
    const path = `remote_read[${i}]`;
    if (r.isNull(item)) r.fail(item, path, 'empty or null remote read config section');
    const f = r.fields(item, path, 'config.plain', [
      'url',
      'remote_timeout',
      'chunked_read_limit',
      'headers',
      'read_recent',
      'name',
      ...HTTP_CLIENT_FIELDS,
      'required_matchers',
      'filter_external_labels',
    ]);
    const get = (name: string) => f.get(name);
    const config: RemoteReadConfig = {
      url: parseURL(r, get('url'), at(path, 'url'), item, 'url for remote_read is empty'),
      remoteTimeout: r.duration(get('remote_timeout'), at(path, 'remote_timeout')) || 60_000,
      chunkedReadLimit: r.uint(get('chunked_read_limit'), at(path, 'chunked_read_limit')) || 5e7,
      headers: parseHeaders(r, get('headers'), at(path, 'headers'), AUTHORIZATION_HEADER),
      readRecent: r.bool(get('read_recent'), at(path, 'read_recent')) ?? false,
      name: r.string(get('name'), at(path, 'name')) ?? '',
      httpClient: parseHTTPClient(r, f, path, dir),
      requiredMatchers: r.labels(get('required_matchers'), at(path, 'required_matchers')),
      filterExternalLabels: r.bool(get('filter_external_labels'), at(path, 'filter_external_labels')) ?? true,
    };
    if (config.name !== '' && names.has(config.name))
      r.fail(
        get('name'),
        at(path, 'name'),
        `found multiple remote read configs with job name ${JSON.stringify(config.name)}`,
      );
    names.add(config.name);
    return config;
  });
}

/**
 * An endpoint URL, accepted when Go's url.Parse accepts it, as upstream's config.URL does: that
 * is nearly any text (`localhost:9090` parses, with "localhost" as its scheme), so that a config
 * gets the same verdict here as from promtool. Whether the URL can be sent to is remote storage's
 * check when a config is applied.
 */
function parseURL(r: Reader, value: Value, path: string, section: Value, missing: string): string {
  const text = r.string(value, path);
  if (text === undefined) return r.fail(section, path, missing);
  const problem = goURLProblem(text);
  if (problem) r.fail(value, path, `parse ${JSON.stringify(text)}: ${problem}`);
  return text;
}

/** The ways Go's url.Parse fails, in its words; undefined when it would parse. */
function goURLProblem(text: string): string | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is looked for
  if (/[\x00-\x1f\x7f]/.test(text)) return 'net/url: invalid control character in URL';
  const badEscape = /%(?![0-9a-fA-F]{2})(.{0,2})/.exec(text);
  if (badEscape) return `invalid URL escape ${JSON.stringify(`%${badEscape[1]}`)}`;
  if (text.startsWith(':')) return 'missing protocol scheme';
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:/.exec(text)?.[0];
  const rest = scheme ? text.slice(scheme.length) : text;
  if (!scheme && (rest.split('/')[0] ?? '').includes(':')) return 'first path segment in URL cannot contain colon';
  if (rest.startsWith('//')) {
    const authority = rest.slice(2).split(/[/?#]/)[0] ?? '';
    const host = authority.slice(authority.lastIndexOf('@') + 1);
    const port = host.startsWith('[') ? host.slice(host.indexOf(']') + 1) : host.slice(host.indexOf(':'));
    if (host.startsWith('[') && !host.includes(']')) return "missing ']' in host";
    if (port.startsWith(':') && !/^:\d*$/.test(port)) return `invalid port ${JSON.stringify(port)} after host`;
  }
  return undefined;
}
