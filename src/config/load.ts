/**
 * The config loader: prometheus.yml into the typed model of types.ts, as strictly as Go's
 * yaml.UnmarshalStrict (unknown fields, duplicate keys, wrong types and null entries are errors),
 * with every default applied. Each error is one line: `<file>:<line>:<col>: <path>: <detail>`.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type YAMLMap,
} from 'yaml';
import type {
  AlertmanagerConfig,
  Config,
  FileSDConfig,
  GlobalConfig,
  HTTPClientConfig,
  ScrapeConfig,
  TargetGroup,
  TracingConfig,
} from './types.js';
import { ACTIONS, type Action, DEFAULT_RELABEL, type RelabelConfig, validateRelabel } from '../relabel/index.js';
import { formatDuration, parseDuration, parseSize } from './units.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
    readonly path?: string,
  ) {
    super(message);
  }
}

/** Prometheus fields miniprom does not implement: rejected by name rather than silently ignored. */
const NOT_SUPPORTED = new Set([
  'remote_write',
  'remote_read',
  'storage',
  'otlp',
  'runtime',
  'scrape_config_files',
  'oauth2',
  'proxy_url',
  'no_proxy',
  'proxy_from_environment',
  'proxy_connect_header',
  'enable_http2',
  'http_headers',
  'kubernetes_sd_configs',
  'consul_sd_configs',
  'dns_sd_configs',
  'ec2_sd_configs',
  'azure_sd_configs',
  'gce_sd_configs',
  'http_sd_configs',
  'docker_sd_configs',
  'dockerswarm_sd_configs',
  'openstack_sd_configs',
  'nomad_sd_configs',
  'eureka_sd_configs',
  'digitalocean_sd_configs',
  'hetzner_sd_configs',
  'linode_sd_configs',
  'marathon_sd_configs',
  'serverset_sd_configs',
  'nerve_sd_configs',
  'triton_sd_configs',
  'lightsail_sd_configs',
  'kuma_sd_configs',
  'scaleway_sd_configs',
  'puppetdb_sd_configs',
  'uyuni_sd_configs',
  'vultr_sd_configs',
  'ionos_sd_configs',
  'ovhcloud_sd_configs',
  'track_timestamps_staleness',
  'rule_query_offset',
  'label_name_length_limit',
  'label_value_length_limit',
  'target_limit',
  'keep_dropped_targets',
  'native_histogram_bucket_limit',
  'scrape_protocols',
  'scrape_classic_histograms',
  'enable_compression',
]);

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Walks the YAML tree with positions; every problem becomes a one-line ConfigError. */
class Reader {
  constructor(
    readonly file: string,
    readonly lines: LineCounter,
    readonly doc: Document,
  ) {}

  /** Follows a YAML alias (`*name`) to its anchored node, as Go's yaml package does. */
  deref<T extends Node | null | undefined>(node: T): T {
    return (node && isAlias(node) ? node.resolve(this.doc) : node) as T;
  }

  fail(node: Node | null | undefined, path: string, detail: string): never {
    const pos = node?.range ? this.lines.linePos(node.range[0]) : undefined;
    const where = pos ? `${this.file}:${pos.line}:${pos.col}` : this.file;
    throw new ConfigError(`${where}: ${path ? `${path}: ` : ''}${detail}`, pos?.line, pos?.col, path);
  }

  /** A map's entries, refusing unknown fields (and naming the unimplemented ones). */
  fields(
    raw: Node | null | undefined,
    path: string,
    allowed: readonly string[],
    what: string,
  ): Map<string, Node | null> {
    const node = this.deref(raw);
    const out = new Map<string, Node | null>();
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return out;
    if (!isMap(node)) return this.fail(node, path, `expected a map for ${what}`);
    for (const pair of (node as YAMLMap).items) {
      const keyNode = pair.key as Node;
      const key = isScalar(keyNode) ? String(keyNode.value) : '';
      const at = path ? `${path}.${key}` : key;
      if (NOT_SUPPORTED.has(key)) this.fail(keyNode, at, `${key} is not supported by miniprom`);
      if (!allowed.includes(key)) this.fail(keyNode, at, `field ${key} not found in ${what}`);
      out.set(key, pair.value as Node | null);
    }
    return out;
  }

  string(raw: Node | null | undefined, path: string): string | undefined {
    const node = this.deref(raw);
    if (node === undefined || node === null || (isScalar(node) && node.value === null)) return undefined;
    if (!isScalar(node) || typeof node.value === 'object') return this.fail(node, path, 'expected a string');
    return String(node.value);
  }

  bool(raw: Node | null | undefined, path: string): boolean | undefined {
    const node = this.deref(raw);
    if (node === undefined || node === null || (isScalar(node) && node.value === null)) return undefined;
    if (!isScalar(node) || typeof node.value !== 'boolean')
      return this.fail(node, path, `cannot unmarshal ${describe(node)} into bool`);
    return node.value;
  }

  uint(raw: Node | null | undefined, path: string): number | undefined {
    const node = this.deref(raw);
    if (node === undefined || node === null || (isScalar(node) && node.value === null)) return undefined;
    if (!isScalar(node) || typeof node.value !== 'number' || !Number.isInteger(node.value) || node.value < 0) {
      return this.fail(node, path, `cannot unmarshal ${describe(node)} into uint`);
    }
    return node.value;
  }

  duration(node: Node | null | undefined, path: string): number | undefined {
    const text = this.string(node, path);
    if (text === undefined) return undefined;
    try {
      return parseDuration(text);
    } catch (err) {
      return this.fail(node, path, (err as Error).message);
    }
  }

  size(node: Node | null | undefined, path: string): number | undefined {
    const text = this.string(node, path);
    if (text === undefined) return undefined;
    try {
      return parseSize(text);
    } catch (err) {
      return this.fail(node, path, (err as Error).message);
    }
  }

  list(raw: Node | null | undefined, path: string): Node[] {
    const node = this.deref(raw);
    if (node === undefined || node === null || (isScalar(node) && node.value === null)) return [];
    if (!isSeq(node)) return this.fail(node, path, `cannot unmarshal ${describe(node)} into a list`);
    return (node.items as Node[]).map((item) => this.deref(item));
  }

  /** A map of strings (HTTP headers, say): keys may be any string. */
  stringMap(
    raw: Node | null | undefined,
    path: string,
    checkKey?: (key: string, node: Node) => void,
  ): Record<string, string> {
    const node = this.deref(raw);
    const out: Record<string, string> = {};
    if (node === undefined || node === null || (isScalar(node) && node.value === null)) return out;
    if (!isMap(node)) return this.fail(node, path, `cannot unmarshal ${describe(node)} into a map of strings`);
    for (const pair of (node as YAMLMap).items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      checkKey?.(key, pair.key as Node);
      out[key] = this.string(pair.value as Node | null, `${path}.${key}`) ?? '';
    }
    return out;
  }

  /** A label set: keys must be valid label names; values optionally get `${VAR}` expansion. */
  labels(raw: Node | null | undefined, path: string, expand = false): Record<string, string> {
    const node = this.deref(raw);
    if (node && !isMap(node) && !(isScalar(node) && node.value === null)) {
      return this.fail(node, path, `cannot unmarshal ${describe(node)} into labels`);
    }
    const out = this.stringMap(node, path, (name, keyNode) => {
      if (!LABEL_NAME.test(name))
        this.fail(keyNode, `${path}.${name}`, `${JSON.stringify(name)} is not a valid label name`);
    });
    if (expand) for (const [k, v] of Object.entries(out)) out[k] = expandEnv(v);
    return out;
  }
}

function describe(node: Node): string {
  if (isAlias(node)) return 'an alias';
  if (isMap(node)) return '!!map';
  if (isSeq(node)) return '!!seq';
  if (isScalar(node))
    return `!!${typeof node.value === 'number' ? 'int' : typeof node.value === 'boolean' ? 'bool' : 'str'} ${JSON.stringify(String(node.value))}`;
  return 'a value';
}

/** `${VAR}` and `$VAR` from the environment, as upstream expands external labels (missing → ""). */
function expandEnv(text: string): string {
  return text.replace(
    /\$(?:\{(\w+)\}|(\w+))/g,
    (_, braced?: string, bare?: string) => process.env[braced ?? bare ?? ''] ?? '',
  );
}

const GLOBAL_FIELDS = [
  'scrape_interval',
  'scrape_timeout',
  'evaluation_interval',
  'external_labels',
  'query_log_file',
  'body_size_limit',
  'sample_limit',
  'label_limit',
] as const;
const SCRAPE_FIELDS = [
  'job_name',
  'scrape_interval',
  'scrape_timeout',
  'metrics_path',
  'scheme',
  'params',
  'honor_labels',
  'honor_timestamps',
  'sample_limit',
  'label_limit',
  'body_size_limit',
  'basic_auth',
  'authorization',
  'bearer_token',
  'bearer_token_file',
  'tls_config',
  'follow_redirects',
  'static_configs',
  'file_sd_configs',
  'relabel_configs',
  'metric_relabel_configs',
] as const;
const HTTP_FIELDS = [
  'basic_auth',
  'authorization',
  'bearer_token',
  'bearer_token_file',
  'tls_config',
  'follow_redirects',
];

export function parseConfig(text: string, file: string, opts: { agentMode: boolean }): Config {
  const sourceFile = resolve(file);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  const r = new Reader(sourceFile, lines, doc);
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    const message = (first.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigError(
      `${pos ? `${sourceFile}:${pos.line}:${pos.col}` : sourceFile}: ${message}`,
      pos?.line,
      pos?.col,
    );
  }
  const dir = dirname(sourceFile);
  const top = r.fields(
    doc.contents as Node | null,
    '',
    ['global', 'rule_files', 'scrape_configs', 'alerting', 'tracing'],
    'config',
  );

  const global = parseGlobal(r, top.get('global'));

  const ruleFiles = r.list(top.get('rule_files'), 'rule_files').map((node, i) => {
    const pattern = r.string(node, `rule_files[${i}]`);
    if (!pattern) return r.fail(node, `rule_files[${i}]`, 'empty or null rule file path');
    if (/\[[^\]]*$/.test(pattern))
      return r.fail(node, `rule_files[${i}]`, `invalid rule file path ${JSON.stringify(pattern)}`);
    return isAbsolute(pattern) ? pattern : join(dir, pattern);
  });

  const jobs = new Set<string>();
  const scrapeConfigs = r.list(top.get('scrape_configs'), 'scrape_configs').map((node, i) => {
    const path = `scrape_configs[${i}]`;
    if (node === null || (isScalar(node) && node.value === null))
      return r.fail(node, path, 'empty or null scrape config section');
    const sc = parseScrapeConfig(r, node, path, global, dir);
    if (jobs.has(sc.jobName)) {
      return r.fail(
        node,
        `${path}.job_name`,
        `found multiple scrape configs with job name ${JSON.stringify(sc.jobName)}`,
      );
    }
    jobs.add(sc.jobName);
    return sc;
  });

  const alertingFields = r.fields(
    top.get('alerting'),
    'alerting',
    ['alertmanagers', 'alert_relabel_configs'],
    'alerting',
  );
  const alertRelabelConfigs = parseRelabelConfigs(
    r,
    alertingFields.get('alert_relabel_configs'),
    'alerting.alert_relabel_configs',
  );
  const alertmanagers = r
    .list(alertingFields.get('alertmanagers'), 'alerting.alertmanagers')
    .map((node, i) => parseAlertmanager(r, node, `alerting.alertmanagers[${i}]`, dir));

  const tracing = parseTracing(r, top.get('tracing'));

  if (opts.agentMode) {
    if (alertmanagers.length > 0)
      r.fail(top.get('alerting'), 'alerting', 'field alerting is not allowed in agent mode');
    if (ruleFiles.length > 0)
      r.fail(top.get('rule_files'), 'rule_files', 'field rule_files is not allowed in agent mode');
  }
  return { sourceFile, global, ruleFiles, scrapeConfigs, alerting: { alertRelabelConfigs, alertmanagers }, tracing };
}

export function loadConfigFile(file: string, opts: { agentMode: boolean }): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`open ${file}: ${code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
  }
  return parseConfig(text, file, opts);
}

function parseGlobal(r: Reader, node: Node | null | undefined): GlobalConfig {
  const f = r.fields(node, 'global', GLOBAL_FIELDS, 'global');
  const scrapeInterval = r.duration(f.get('scrape_interval'), 'global.scrape_interval') ?? 60_000;
  const timeout = r.duration(f.get('scrape_timeout'), 'global.scrape_timeout');
  if (timeout !== undefined && timeout > scrapeInterval)
    r.fail(f.get('scrape_timeout'), 'global.scrape_timeout', 'global scrape timeout greater than scrape interval');
  const queryLogFile = r.string(f.get('query_log_file'), 'global.query_log_file');
  return {
    scrapeInterval,
    // Unset, the timeout is 10s but never more than the interval, as upstream.
    scrapeTimeout: timeout ?? Math.min(10_000, scrapeInterval),
    evaluationInterval: r.duration(f.get('evaluation_interval'), 'global.evaluation_interval') ?? 60_000,
    externalLabels: r.labels(f.get('external_labels'), 'global.external_labels', true),
    ...(queryLogFile ? { queryLogFile } : {}),
    sampleLimit: r.uint(f.get('sample_limit'), 'global.sample_limit') ?? 0,
    labelLimit: r.uint(f.get('label_limit'), 'global.label_limit') ?? 0,
    bodySizeLimit: r.size(f.get('body_size_limit'), 'global.body_size_limit') ?? 0,
  };
}

function parseHTTPClient(r: Reader, f: Map<string, Node | null>, path: string, dir: string): HTTPClientConfig {
  const at = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : join(dir, p));
  const ba = f.has('basic_auth')
    ? r.fields(f.get('basic_auth'), `${path}.basic_auth`, ['username', 'password', 'password_file'], 'basic_auth')
    : undefined;
  const au = f.has('authorization')
    ? r.fields(
        f.get('authorization'),
        `${path}.authorization`,
        ['type', 'credentials', 'credentials_file'],
        'authorization',
      )
    : undefined;
  const bearer = r.string(f.get('bearer_token'), `${path}.bearer_token`);
  const bearerFile = r.string(f.get('bearer_token_file'), `${path}.bearer_token_file`);
  const auths = [ba, au, bearer ?? bearerFile].filter((x) => x !== undefined).length;
  if (auths > 1)
    r.fail(
      f.get('basic_auth') ?? f.get('authorization'),
      path,
      'at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured',
    );
  if (bearer !== undefined && bearerFile !== undefined)
    r.fail(f.get('bearer_token'), path, 'at most one of bearer_token & bearer_token_file must be configured');
  const tls = f.has('tls_config')
    ? r.fields(
        f.get('tls_config'),
        `${path}.tls_config`,
        ['ca_file', 'cert_file', 'key_file', 'server_name', 'insecure_skip_verify'],
        'tls_config',
      )
    : undefined;
  const out: HTTPClientConfig = {
    followRedirects: r.bool(f.get('follow_redirects'), `${path}.follow_redirects`) ?? true,
  };
  if (ba) {
    const username = r.string(ba.get('username'), `${path}.basic_auth.username`) ?? '';
    const password = r.string(ba.get('password'), `${path}.basic_auth.password`);
    const passwordFile = at(r.string(ba.get('password_file'), `${path}.basic_auth.password_file`));
    if (password !== undefined && passwordFile !== undefined)
      r.fail(
        f.get('basic_auth'),
        `${path}.basic_auth`,
        'at most one of basic_auth password & password_file must be configured',
      );
    out.basicAuth = {
      username,
      ...(password !== undefined ? { password } : {}),
      ...(passwordFile ? { passwordFile } : {}),
    };
  }
  if (au || bearer !== undefined || bearerFile !== undefined) {
    // Upstream turns bearer_token(_file) into an authorization of type Bearer.
    const credentials = au ? r.string(au.get('credentials'), `${path}.authorization.credentials`) : bearer;
    const credentialsFile = at(
      au ? r.string(au.get('credentials_file'), `${path}.authorization.credentials_file`) : bearerFile,
    );
    const type = (au && r.string(au.get('type'), `${path}.authorization.type`)) || 'Bearer';
    if (type.toLowerCase() === 'basic')
      r.fail(
        f.get('authorization'),
        `${path}.authorization.type`,
        `authorization type cannot be set to "basic", use "basic_auth" instead`,
      );
    out.authorization = {
      type,
      ...(credentials !== undefined ? { credentials } : {}),
      ...(credentialsFile ? { credentialsFile } : {}),
    };
  }
  if (tls) {
    const s = (k: string) => r.string(tls.get(k), `${path}.tls_config.${k}`);
    out.tlsConfig = {
      ...(s('ca_file') ? { caFile: at(s('ca_file')) } : {}),
      ...(s('cert_file') ? { certFile: at(s('cert_file')) } : {}),
      ...(s('key_file') ? { keyFile: at(s('key_file')) } : {}),
      ...(s('server_name') ? { serverName: s('server_name') } : {}),
      insecureSkipVerify: r.bool(tls.get('insecure_skip_verify'), `${path}.tls_config.insecure_skip_verify`) ?? false,
    };
  }
  return out;
}

function parseStaticConfigs(r: Reader, node: Node | null | undefined, path: string): TargetGroup[] {
  return r.list(node, path).map((groupNode, i) => {
    const at = `${path}[${i}]`;
    if (groupNode === null || (isScalar(groupNode) && groupNode.value === null))
      return r.fail(groupNode, at, 'empty or null static config');
    const f = r.fields(groupNode, at, ['targets', 'labels'], 'static_config');
    const targets = r.list(f.get('targets'), `${at}.targets`).map((t, j) => {
      const address = r.string(t, `${at}.targets[${j}]`);
      if (!address) return r.fail(t, `${at}.targets[${j}]`, 'empty or null target');
      if (address.includes('/')) r.fail(t, `${at}.targets[${j}]`, `${JSON.stringify(address)} is not a valid hostname`);
      return { __address__: address };
    });
    return { source: String(i), targets, labels: r.labels(f.get('labels'), `${at}.labels`) };
  });
}

const RELABEL_FIELDS = ['source_labels', 'separator', 'regex', 'modulus', 'target_label', 'replacement', 'action'];

function parseRelabelConfigs(r: Reader, node: Node | null | undefined, path: string): RelabelConfig[] {
  return r.list(node, path).map((item, i) => {
    const at = `${path}[${i}]`;
    if (item === null || (isScalar(item) && item.value === null))
      return r.fail(item, at, 'empty or null relabel config');
    const f = r.fields(item, at, RELABEL_FIELDS, 'relabel_config');
    const sourceNode = f.get('source_labels');
    const sourceLabels = r.list(sourceNode, `${at}.source_labels`).map((n, j) => {
      const name = r.string(n, `${at}.source_labels[${j}]`) ?? '';
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name))
        r.fail(n, `${at}.source_labels[${j}]`, `${JSON.stringify(name)} is not a valid label name`);
      return name;
    });
    const action = (r.string(f.get('action'), `${at}.action`) ?? 'replace').toLowerCase();
    if (f.has('action') && action === '') r.fail(f.get('action'), `${at}.action`, 'relabel action cannot be empty');
    if (!(ACTIONS as readonly string[]).includes(action))
      r.fail(f.get('action'), `${at}.action`, `unknown relabel action ${JSON.stringify(action)}`);
    const config: RelabelConfig = {
      sourceLabels,
      separator: r.string(f.get('separator'), `${at}.separator`) ?? DEFAULT_RELABEL.separator,
      regex: r.string(f.get('regex'), `${at}.regex`) ?? DEFAULT_RELABEL.regex,
      modulus: r.uint(f.get('modulus'), `${at}.modulus`) ?? 0,
      targetLabel: r.string(f.get('target_label'), `${at}.target_label`) ?? '',
      replacement: r.string(f.get('replacement'), `${at}.replacement`) ?? DEFAULT_RELABEL.replacement,
      action: action as Action,
    };
    try {
      validateRelabel({ ...config, sourceLabelsSet: sourceNode !== undefined && sourceNode !== null });
    } catch (err) {
      r.fail(item, at, (err as Error).message);
    }
    return config;
  });
}

/** Upstream's rule for file_sd file names: a JSON or YAML extension, `*` only in the last element. */
const FILE_SD_NAME = /^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$/;

function parseFileSDConfigs(r: Reader, node: Node | null | undefined, path: string, dir: string): FileSDConfig[] {
  return r.list(node, path).map((item, i) => {
    const at = `${path}[${i}]`;
    if (item === null || (isScalar(item) && item.value === null))
      return r.fail(item, at, 'empty or null file_sd config');
    const f = r.fields(item, at, ['files', 'refresh_interval'], 'file_sd_config');
    const filesNode = f.get('files');
    const files = r.list(filesNode, `${at}.files`).map((n, j) => {
      const name = r.string(n, `${at}.files[${j}]`) ?? '';
      if (!FILE_SD_NAME.test(name))
        r.fail(n, `${at}.files[${j}]`, `path name ${JSON.stringify(name)} is not valid for file discovery`);
      return isAbsolute(name) ? name : join(dir, name);
    });
    if (files.length === 0)
      r.fail(item, `${at}.files`, 'file service discovery config must contain at least one path name');
    return { files, refreshInterval: r.duration(f.get('refresh_interval'), `${at}.refresh_interval`) ?? 5 * 60_000 };
  });
}

function parseScheme(r: Reader, node: Node | null | undefined, path: string): 'http' | 'https' {
  const scheme = r.string(node, path) ?? 'http';
  if (scheme !== 'http' && scheme !== 'https')
    r.fail(node, path, `invalid scheme ${JSON.stringify(scheme)}: want http or https`);
  return scheme as 'http' | 'https';
}

function parseScrapeConfig(r: Reader, node: Node, path: string, global: GlobalConfig, dir: string): ScrapeConfig {
  const f = r.fields(node, path, SCRAPE_FIELDS, 'scrape_config');
  const jobName = r.string(f.get('job_name'), `${path}.job_name`);
  if (!jobName) return r.fail(node, `${path}.job_name`, 'job_name is empty');
  const interval = r.duration(f.get('scrape_interval'), `${path}.scrape_interval`);
  const timeout = r.duration(f.get('scrape_timeout'), `${path}.scrape_timeout`);
  const scrapeInterval = interval ?? global.scrapeInterval;
  let scrapeTimeout = timeout ?? global.scrapeTimeout;
  if (timeout === undefined && scrapeTimeout > scrapeInterval) scrapeTimeout = scrapeInterval; // as upstream
  if (scrapeTimeout > scrapeInterval) {
    r.fail(
      f.get('scrape_timeout'),
      `${path}.scrape_timeout`,
      `scrape timeout greater than scrape interval for scrape config with job name ${JSON.stringify(jobName)}`,
    );
  }
  const params: Record<string, string[]> = {};
  const paramsNode = f.get('params');
  if (paramsNode && isMap(paramsNode)) {
    for (const pair of paramsNode.items) {
      const name = isScalar(pair.key) ? String(pair.key.value) : '';
      params[name] = r
        .list(pair.value as Node, `${path}.params.${name}`)
        .map((v, i) => r.string(v, `${path}.params.${name}[${i}]`) ?? '');
    }
  } else if (paramsNode && !(isScalar(paramsNode) && paramsNode.value === null))
    r.fail(paramsNode, `${path}.params`, 'expected a map of string lists');
  const metricsPath = r.string(f.get('metrics_path'), `${path}.metrics_path`) ?? '/metrics';
  const int = (k: string) => r.uint(f.get(k), `${path}.${k}`) ?? 0;
  return {
    jobName,
    scrapeInterval,
    scrapeTimeout,
    metricsPath,
    scheme: parseScheme(r, f.get('scheme'), `${path}.scheme`),
    params,
    honorLabels: r.bool(f.get('honor_labels'), `${path}.honor_labels`) ?? false,
    honorTimestamps: r.bool(f.get('honor_timestamps'), `${path}.honor_timestamps`) ?? true,
    // Unset (or 0), a limit is inherited from global, as upstream.
    sampleLimit: int('sample_limit') || global.sampleLimit,
    labelLimit: int('label_limit') || global.labelLimit,
    bodySizeLimit: r.size(f.get('body_size_limit'), `${path}.body_size_limit`) || global.bodySizeLimit,
    httpClient: parseHTTPClient(r, f, path, dir),
    staticConfigs: parseStaticConfigs(r, f.get('static_configs'), `${path}.static_configs`),
    fileSDConfigs: parseFileSDConfigs(r, f.get('file_sd_configs'), `${path}.file_sd_configs`, dir),
    relabelConfigs: parseRelabelConfigs(r, f.get('relabel_configs'), `${path}.relabel_configs`),
    metricRelabelConfigs: parseRelabelConfigs(r, f.get('metric_relabel_configs'), `${path}.metric_relabel_configs`),
  };
}

function parseAlertmanager(r: Reader, node: Node, path: string, dir: string): AlertmanagerConfig {
  const f = r.fields(
    node,
    path,
    [
      'scheme',
      'path_prefix',
      'timeout',
      'api_version',
      'static_configs',
      'file_sd_configs',
      'relabel_configs',
      ...HTTP_FIELDS,
    ],
    'alertmanager_config',
  );
  const apiVersion = r.string(f.get('api_version'), `${path}.api_version`) ?? 'v2';
  if (apiVersion !== 'v2')
    r.fail(f.get('api_version'), `${path}.api_version`, 'expected Alertmanager api version to be one of [v2]');
  return {
    scheme: parseScheme(r, f.get('scheme'), `${path}.scheme`),
    pathPrefix: r.string(f.get('path_prefix'), `${path}.path_prefix`) ?? '/',
    timeout: r.duration(f.get('timeout'), `${path}.timeout`) ?? 10_000,
    apiVersion: 'v2',
    httpClient: parseHTTPClient(r, f, path, dir),
    staticConfigs: parseStaticConfigs(r, f.get('static_configs'), `${path}.static_configs`),
    fileSDConfigs: parseFileSDConfigs(r, f.get('file_sd_configs'), `${path}.file_sd_configs`, dir),
    relabelConfigs: parseRelabelConfigs(r, f.get('relabel_configs'), `${path}.relabel_configs`),
  };
}

function parseTracing(r: Reader, node: Node | null | undefined): TracingConfig {
  const f = r.fields(
    node,
    'tracing',
    ['endpoint', 'client_type', 'sampling_fraction', 'insecure', 'timeout', 'headers', 'compression'],
    'tracing',
  );
  const clientType = r.string(f.get('client_type'), 'tracing.client_type') ?? 'grpc';
  if (clientType !== 'grpc' && clientType !== 'http')
    r.fail(
      f.get('client_type'),
      'tracing.client_type',
      `expected tracing client type to be to be one of [grpc http], but got "${clientType}"`,
    );
  const compression = r.string(f.get('compression'), 'tracing.compression') ?? '';
  if (compression !== '' && compression !== 'gzip')
    r.fail(
      f.get('compression'),
      'tracing.compression',
      `invalid compression type ${compression} provided, valid options: gzip`,
    );
  const fraction = r.string(f.get('sampling_fraction'), 'tracing.sampling_fraction');
  const samplingFraction = fraction === undefined ? 0 : Number(fraction);
  if (!Number.isFinite(samplingFraction))
    r.fail(f.get('sampling_fraction'), 'tracing.sampling_fraction', 'expected a number');
  return {
    endpoint: r.string(f.get('endpoint'), 'tracing.endpoint') ?? '',
    clientType,
    samplingFraction,
    insecure: r.bool(f.get('insecure'), 'tracing.insecure') ?? false,
    timeout: r.duration(f.get('timeout'), 'tracing.timeout') ?? 10_000,
    headers: r.stringMap(f.get('headers'), 'tracing.headers'),
    compression: compression as '' | 'gzip',
  };
}

/** Prints a config back as Prometheus YAML, every default explicit and secrets as `<secret>`. */
export function configToYAML(cfg: Config): string {
  const d = formatDuration;
  const q = (s: string) => JSON.stringify(s);
  const labels = (indent: string, l: Record<string, string>) =>
    Object.entries(l)
      .map(([k, v]) => `${indent}${k}: ${q(v)}\n`)
      .join('');
  const http = (indent: string, h: HTTPClientConfig) => {
    let out = '';
    if (h.basicAuth) {
      out += `${indent}basic_auth:\n${indent}  username: ${q(h.basicAuth.username)}\n`;
      if (h.basicAuth.password !== undefined) out += `${indent}  password: <secret>\n`;
      if (h.basicAuth.passwordFile) out += `${indent}  password_file: ${q(h.basicAuth.passwordFile)}\n`;
    }
    if (h.authorization) {
      out += `${indent}authorization:\n${indent}  type: ${q(h.authorization.type)}\n`;
      if (h.authorization.credentials !== undefined) out += `${indent}  credentials: <secret>\n`;
      if (h.authorization.credentialsFile)
        out += `${indent}  credentials_file: ${q(h.authorization.credentialsFile)}\n`;
    }
    if (h.tlsConfig) {
      out += `${indent}tls_config:\n`;
      for (const [k, v] of [
        ['ca_file', h.tlsConfig.caFile],
        ['cert_file', h.tlsConfig.certFile],
        ['key_file', h.tlsConfig.keyFile],
        ['server_name', h.tlsConfig.serverName],
      ] as const) {
        if (v) out += `${indent}  ${k}: ${q(v)}\n`;
      }
      out += `${indent}  insecure_skip_verify: ${h.tlsConfig.insecureSkipVerify}\n`;
    }
    return `${out}${indent}follow_redirects: ${h.followRedirects}\n`;
  };
  const groups = (indent: string, gs: TargetGroup[]) =>
    gs.length === 0
      ? ''
      : `${indent}static_configs:\n${gs
          .map((g) => {
            let out = `${indent}- targets:\n${g.targets.map((t) => `${indent}  - ${q(t.__address__ ?? '')}\n`).join('')}`;
            if (Object.keys(g.labels).length > 0) out += `${indent}  labels:\n${labels(`${indent}    `, g.labels)}`;
            return out;
          })
          .join('')}`;
  const relabels = (indent: string, key: string, steps: RelabelConfig[]) =>
    steps.length === 0
      ? ''
      : `${indent}${key}:\n${steps
          .map((c) => {
            let out = `${indent}- `;
            const lines: string[] = [];
            if (c.sourceLabels.length > 0) lines.push(`source_labels: [${c.sourceLabels.map(q).join(', ')}]`);
            lines.push(`separator: ${q(c.separator)}`, `regex: ${q(c.regex)}`);
            if (c.modulus) lines.push(`modulus: ${c.modulus}`);
            if (c.targetLabel) lines.push(`target_label: ${q(c.targetLabel)}`);
            lines.push(`replacement: ${q(c.replacement)}`, `action: ${c.action}`);
            out += lines.join(`\n${indent}  `);
            return `${out}\n`;
          })
          .join('')}`;
  const fileSD = (indent: string, configs: FileSDConfig[]) =>
    configs.length === 0
      ? ''
      : `${indent}file_sd_configs:\n${configs
          .map(
            (c) =>
              `${indent}- files: [${c.files.map(q).join(', ')}]\n${indent}  refresh_interval: ${d(c.refreshInterval)}\n`,
          )
          .join('')}`;
  let y = `global:\n  scrape_interval: ${d(cfg.global.scrapeInterval)}\n  scrape_timeout: ${d(cfg.global.scrapeTimeout)}\n  evaluation_interval: ${d(cfg.global.evaluationInterval)}\n`;
  if (Object.keys(cfg.global.externalLabels).length > 0)
    y += `  external_labels:\n${labels('    ', cfg.global.externalLabels)}`;
  if (cfg.global.queryLogFile) y += `  query_log_file: ${q(cfg.global.queryLogFile)}\n`;
  if (cfg.global.sampleLimit) y += `  sample_limit: ${cfg.global.sampleLimit}\n`;
  if (cfg.global.labelLimit) y += `  label_limit: ${cfg.global.labelLimit}\n`;
  if (cfg.global.bodySizeLimit) y += `  body_size_limit: ${cfg.global.bodySizeLimit}B\n`;
  if (cfg.ruleFiles.length > 0) y += `rule_files:\n${cfg.ruleFiles.map((f) => `- ${q(f)}\n`).join('')}`;
  if (cfg.alerting.alertmanagers.length > 0 || cfg.alerting.alertRelabelConfigs.length > 0) {
    y += `alerting:\n${relabels('  ', 'alert_relabel_configs', cfg.alerting.alertRelabelConfigs)}  alertmanagers:\n`;
    for (const am of cfg.alerting.alertmanagers) {
      y += `  - scheme: ${am.scheme}\n    path_prefix: ${q(am.pathPrefix)}\n    timeout: ${d(am.timeout)}\n    api_version: ${am.apiVersion}\n${http('    ', am.httpClient)}${groups('    ', am.staticConfigs)}${fileSD('    ', am.fileSDConfigs)}${relabels('    ', 'relabel_configs', am.relabelConfigs)}`;
    }
  }
  if (cfg.scrapeConfigs.length > 0) {
    y += 'scrape_configs:\n';
    for (const sc of cfg.scrapeConfigs) {
      y += `- job_name: ${q(sc.jobName)}\n  honor_labels: ${sc.honorLabels}\n  honor_timestamps: ${sc.honorTimestamps}\n  scrape_interval: ${d(sc.scrapeInterval)}\n  scrape_timeout: ${d(sc.scrapeTimeout)}\n  metrics_path: ${q(sc.metricsPath)}\n  scheme: ${sc.scheme}\n`;
      if (Object.keys(sc.params).length > 0)
        y += `  params:\n${Object.entries(sc.params)
          .map(([k, vs]) => `    ${k}: [${vs.map(q).join(', ')}]\n`)
          .join('')}`;
      if (sc.sampleLimit) y += `  sample_limit: ${sc.sampleLimit}\n`;
      if (sc.labelLimit) y += `  label_limit: ${sc.labelLimit}\n`;
      if (sc.bodySizeLimit) y += `  body_size_limit: ${sc.bodySizeLimit}B\n`;
      y += http('  ', sc.httpClient) + groups('  ', sc.staticConfigs) + fileSD('  ', sc.fileSDConfigs);
      y +=
        relabels('  ', 'relabel_configs', sc.relabelConfigs) +
        relabels('  ', 'metric_relabel_configs', sc.metricRelabelConfigs);
    }
  }
  if (cfg.tracing.endpoint) {
    y += `tracing:\n  endpoint: ${q(cfg.tracing.endpoint)}\n  client_type: ${cfg.tracing.clientType}\n  sampling_fraction: ${cfg.tracing.samplingFraction}\n  insecure: ${cfg.tracing.insecure}\n  timeout: ${d(cfg.tracing.timeout)}\n`;
    if (Object.keys(cfg.tracing.headers).length > 0) y += `  headers:\n${labels('    ', cfg.tracing.headers)}`;
    if (cfg.tracing.compression) y += `  compression: ${cfg.tracing.compression}\n`;
  }
  return y;
}
