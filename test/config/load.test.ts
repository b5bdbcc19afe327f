/**
 * The loader's rules beyond "this file loads / this file fails" (which the corpus covers): upstream's
 * defaults and inheritance, environment expansion, relative paths, YAML 1.1 as Go reads it, agent
 * mode, the fields miniprom refuses, and the shape of ConfigError.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Config,
  ConfigError,
  configToYAML,
  loadConfigFile,
  NOT_SUPPORTED,
  parseConfig,
  whyNotSupported,
} from '../../src/config/index.js';

const FILE = '/etc/prometheus/prometheus.yml';
const load = (text: string, agentMode = false): Config => parseConfig(text, FILE, { agentMode });
const job = (text: string) => load(`scrape_configs:\n  - job_name: j\n${text}`).scrapeConfigs[0];

/** The ConfigError that loading `text` throws (fails the test if none). */
function errorOf(text: string, agentMode = false): ConfigError {
  try {
    load(text, agentMode);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).not.toMatch(/[\r\n]/);
    return err as ConfigError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe('defaults', () => {
  it('accepts an empty file (and one with only comments) with upstream defaults', () => {
    for (const text of ['', '# nothing\n', '---\n']) {
      const cfg = load(text);
      expect(cfg.sourceFile).toBe(FILE);
      expect(cfg.global).toEqual({
        scrapeInterval: 60_000,
        scrapeTimeout: 10_000,
        evaluationInterval: 60_000,
        ruleQueryOffset: 0,
        externalLabels: {},
        sampleLimit: 0,
        targetLimit: 0,
        labelLimit: 0,
        labelNameLengthLimit: 0,
        labelValueLengthLimit: 0,
        bodySizeLimit: 0,
        metricNameValidationScheme: 'utf8',
        metricNameEscapingScheme: 'allow-utf-8',
        convertClassicHistogramsToNHCB: false,
        alwaysScrapeClassicHistograms: false,
        scrapeProtocols: ['OpenMetricsText1.0.0', 'OpenMetricsText0.0.1', 'PrometheusText1.0.0', 'PrometheusText0.0.4'],
      });
      expect(cfg.ruleFiles).toEqual([]);
      expect(cfg.scrapeConfigFiles).toEqual([]);
      expect(cfg.scrapeConfigs).toEqual([]);
      expect(cfg.alerting).toEqual({ alertRelabelConfigs: [], alertmanagers: [] });
      expect(cfg.tracing).toEqual({
        endpoint: '',
        clientType: 'grpc',
        samplingFraction: 0,
        insecure: false,
        timeout: 10_000,
        headers: {},
        compression: '',
      });
    }
  });

  it('never lets an unset global scrape_timeout exceed the interval', () => {
    expect(load('global:\n  scrape_interval: 5s\n').global.scrapeTimeout).toBe(5_000);
    expect(load('global:\n  scrape_interval: 30s\n').global.scrapeTimeout).toBe(10_000);
    expect(load('global:\n  scrape_interval: 30s\n  scrape_timeout: 30s\n').global.scrapeTimeout).toBe(30_000);
  });

  it('fills every scrape config default, inheriting interval and timeout from global', () => {
    const cfg = load('global:\n  scrape_interval: 30s\n  scrape_timeout: 20s\nscrape_configs:\n  - job_name: a\n');
    expect(cfg.scrapeConfigs[0]).toEqual({
      jobName: 'a',
      scrapeInterval: 30_000,
      scrapeTimeout: 20_000,
      metricsPath: '/metrics',
      scheme: 'http',
      params: {},
      honorLabels: false,
      honorTimestamps: true,
      scrapeProtocols: ['OpenMetricsText1.0.0', 'OpenMetricsText0.0.1', 'PrometheusText1.0.0', 'PrometheusText0.0.4'],
      enableCompression: true,
      sampleLimit: 0,
      targetLimit: 0,
      labelLimit: 0,
      labelNameLengthLimit: 0,
      labelValueLengthLimit: 0,
      bodySizeLimit: 0,
      metricNameValidationScheme: 'utf8',
      metricNameEscapingScheme: 'allow-utf-8',
      alwaysScrapeClassicHistograms: false,
      convertClassicHistogramsToNHCB: false,
      httpClient: { followRedirects: true },
      staticConfigs: [],
      fileSDConfigs: [],
      relabelConfigs: [],
      metricRelabelConfigs: [],
    });
  });

  it("caps an inherited timeout at the job's own interval, as upstream", () => {
    const cfg = load('global:\n  scrape_timeout: 20s\nscrape_configs:\n  - job_name: a\n    scrape_interval: 15s\n');
    expect(cfg.scrapeConfigs[0]).toMatchObject({ scrapeInterval: 15_000, scrapeTimeout: 15_000 });
    expect(job('    scrape_interval: 2s\n')).toMatchObject({ scrapeInterval: 2_000, scrapeTimeout: 2_000 });
    expect(job('    scrape_timeout: 30s\n')).toMatchObject({ scrapeInterval: 60_000, scrapeTimeout: 30_000 });
  });

  it('takes a zero interval or timeout as unset, as upstream', () => {
    expect(load('global:\n  scrape_interval: 0s\n').global.scrapeInterval).toBe(60_000);
    expect(job('    scrape_interval: 0s\n    scrape_timeout: 0s\n')).toMatchObject({
      scrapeInterval: 60_000,
      scrapeTimeout: 10_000,
    });
  });

  it('inherits every limit from global unless the job sets it (0 counts as unset)', () => {
    const cfg = load(`global:
  sample_limit: 100
  target_limit: 3
  label_limit: 20
  label_name_length_limit: 30
  label_value_length_limit: 40
  body_size_limit: 1MB
scrape_configs:
  - job_name: inherits
  - job_name: own
    sample_limit: 5
    target_limit: 0
    label_value_length_limit: 41
    body_size_limit: 2KB
`);
    expect(cfg.scrapeConfigs[0]).toMatchObject({
      sampleLimit: 100,
      targetLimit: 3,
      labelLimit: 20,
      labelNameLengthLimit: 30,
      labelValueLengthLimit: 40,
      bodySizeLimit: 2 ** 20,
    });
    expect(cfg.scrapeConfigs[1]).toMatchObject({
      sampleLimit: 5,
      targetLimit: 3,
      labelLimit: 20,
      labelNameLengthLimit: 30,
      labelValueLengthLimit: 41,
      bodySizeLimit: 2048,
    });
  });

  it('defaults an Alertmanager config as the brief and upstream do', () => {
    const cfg = load("alerting:\n  alertmanagers:\n    - static_configs: [{ targets: ['am:9093'] }]\n");
    expect(cfg.alerting.alertmanagers[0]).toEqual({
      scheme: 'http',
      pathPrefix: '/',
      timeout: 10_000,
      apiVersion: 'v2',
      httpClient: { followRedirects: true },
      staticConfigs: [{ source: '0', targets: [{ __address__: 'am:9093' }], labels: {} }],
      fileSDConfigs: [],
      relabelConfigs: [],
      alertRelabelConfigs: [],
    });
  });

  it('numbers static groups in order, each target a label set with __address__', () => {
    const sc = job(
      "    static_configs:\n      - targets: ['a:1', 'b:2']\n      - targets: ['c:3']\n        labels: { env: x }\n",
    );
    expect(sc?.staticConfigs).toEqual([
      { source: '0', targets: [{ __address__: 'a:1' }, { __address__: 'b:2' }], labels: {} },
      { source: '1', targets: [{ __address__: 'c:3' }], labels: { env: 'x' } },
    ]);
  });

  it('turns bearer_token and bearer_token_file into a Bearer authorization, as upstream', () => {
    expect(job('    bearer_token: s3cret\n')?.httpClient.authorization).toEqual({
      type: 'Bearer',
      credentials: 's3cret',
    });
    expect(job('    bearer_token_file: tok\n')?.httpClient.authorization).toEqual({
      type: 'Bearer',
      credentialsFile: '/etc/prometheus/tok',
    });
    expect(job('    authorization: { credentials: c }\n')?.httpClient.authorization).toEqual({
      type: 'Bearer',
      credentials: 'c',
    });
  });
});

describe('storage', () => {
  const FIFTEEN_DAYS = 15 * 24 * 3600 * 1000;
  const withFlags = (text: string) =>
    parseConfig(text, FILE, { agentMode: false, defaultRetention: { time: FIFTEEN_DAYS, size: 0, percentage: 0 } });

  it('has upstream defaults: no out-of-order window, encoding left to the flags, no exemplars section', () => {
    expect(load('').storage).toEqual({
      tsdb: {
        outOfOrderTimeWindow: 0,
        staleSeriesCompactionThreshold: 0,
        chunkEncoding: { floats: '' },
        retention: { time: 0, size: 0, percentage: 0 },
      },
    });
  });

  it('takes the retention flags as the default, and a retention section replaces them whole', () => {
    // Upstream's main sets DefaultTSDBRetentionConfig from --storage.tsdb.retention.* before loading.
    expect(withFlags('').storage.tsdb.retention.time).toBe(FIFTEEN_DAYS);
    expect(withFlags('storage:\n  tsdb:\n    retention:\n').storage.tsdb.retention.time).toBe(FIFTEEN_DAYS);
    expect(withFlags('storage:\n  tsdb:\n    retention:\n      size: 1GB\n').storage.tsdb.retention).toEqual({
      time: 0,
      size: 2 ** 30,
      percentage: 0,
    });
  });

  it('prints the retention it runs with, so the status page reloads to the same model without the flags', () => {
    const cfg = withFlags('');
    const yaml = configToYAML(cfg);
    expect(yaml).toContain('storage:\n  tsdb:\n    retention:\n      time: 15d\n');
    expect(load(yaml).storage).toEqual(cfg.storage);
  });

  it("follows Go's comparisons: a NaN percentage is no error to the loader", () => {
    expect(
      load('storage:\n  tsdb:\n    retention:\n      percentage: .nan\n').storage.tsdb.retention.percentage,
    ).toBeNaN();
  });
});

describe('external labels', () => {
  afterEach(() => {
    delete process.env.MINIPROM_TEST_REGION;
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: the name of the syntax under test
  it('expands $VAR and ${VAR} from the environment (unset: empty), and $$ to $, as os.Expand', () => {
    process.env.MINIPROM_TEST_REGION = 'eu-1';
    const cfg = load(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: ${VAR} is YAML for the loader to expand
      "global:\n  external_labels:\n    region: ${MINIPROM_TEST_REGION}\n    zone: $MINIPROM_TEST_REGION-a\n    none: '${MINIPROM_TEST_UNSET}x'\n    price: $$5\n    plain: a$\n",
    );
    expect(cfg.global.externalLabels).toEqual({ region: 'eu-1', zone: 'eu-1-a', none: 'x', price: '$5', plain: 'a$' });
  });

  it('accepts any UTF-8 label name and value, as Prometheus 3.5 does, but not an empty name', () => {
    expect(load('global:\n  external_labels:\n    city: Zürich 🌧\n').global.externalLabels).toEqual({
      city: 'Zürich 🌧',
    });
    // Legacy names no longer bound label names: Prometheus 3 validates them as UTF-8.
    expect(load('global:\n  external_labels:\n    a-b: x\n    0c.d: y\n').global.externalLabels).toEqual({
      'a-b': 'x',
      '0c.d': 'y',
    });
    expect(errorOf('global:\n  external_labels:\n    "": x\n').message).toContain(
      '3:5: global.external_labels.: "" is not a valid label name',
    );
  });
});

describe('relative paths', () => {
  it('resolves every file path against the config file directory; absolute ones stay', () => {
    const cfg = load(`global:
  query_log_file: queries.log
rule_files: ['rules/*.yml', '/abs/r.yml']
scrape_configs:
  - job_name: a
    basic_auth: { username: u, password_file: pw }
    tls_config: { ca_file: ca.pem, cert_file: /c.pem, key_file: k.pem }
    file_sd_configs: [{ files: ['sd/*.json'] }]
  - job_name: b
    authorization: { credentials_file: ../tok }
`);
    expect(cfg.global.queryLogFile).toBe('/etc/prometheus/queries.log');
    expect(cfg.ruleFiles).toEqual(['/etc/prometheus/rules/*.yml', '/abs/r.yml']);
    const [a, b] = cfg.scrapeConfigs;
    expect(a?.httpClient.basicAuth?.passwordFile).toBe('/etc/prometheus/pw');
    expect(a?.httpClient.tlsConfig).toEqual({
      caFile: '/etc/prometheus/ca.pem',
      certFile: '/c.pem',
      keyFile: '/etc/prometheus/k.pem',
      insecureSkipVerify: false,
    });
    expect(a?.fileSDConfigs[0]?.files).toEqual(['/etc/prometheus/sd/*.json']);
    expect(b?.httpClient.authorization?.credentialsFile).toBe('/etc/tok');
  });

  it('resolves a relative config file name against the working directory', () => {
    const cfg = parseConfig("rule_files: ['r.yml']\n", 'conf/p.yml', { agentMode: false });
    expect(cfg.sourceFile).toBe(join(process.cwd(), 'conf/p.yml'));
    expect(cfg.ruleFiles).toEqual([join(process.cwd(), 'conf/r.yml')]);
  });

  it('checks rule file patterns as upstream and Go globbing do, without expanding them', () => {
    expect(load("rule_files: ['r/*.yml', 'r/[a-c]?.yml', 'r/\\[x.yml']\n").ruleFiles).toEqual([
      '/etc/prometheus/r/*.yml',
      '/etc/prometheus/r/[a-c]?.yml',
      '/etc/prometheus/r/\\[x.yml',
    ]);
    for (const bad of ['r/[x.yml', 'r/[].yml', '*/r.yml', 'r\\']) {
      expect(errorOf(`rule_files: [${JSON.stringify(bad)}]\n`).message).toContain(
        `rule_files[0]: invalid rule file path ${JSON.stringify(bad)}`,
      );
    }
  });
});

describe('YAML as Go reads it', () => {
  it('reads an explicit null boolean as false, over a default of true, as yaml.v2 sets the zero value', () => {
    expect(job('    honor_timestamps:\n    follow_redirects: ~\n')).toMatchObject({
      honorTimestamps: false,
      httpClient: { followRedirects: false },
    });
    // Absent, the defaults stay.
    expect(job('')).toMatchObject({ honorTimestamps: true, httpClient: { followRedirects: true } });
    const [rr] = load('remote_read:\n  - url: http://r/read\n    filter_external_labels:\n').remoteRead;
    expect(rr?.filterExternalLabels).toBe(false);
  });

  it('reads YAML 1.1 booleans, and keeps the text of scalars that go into strings', () => {
    const sc = job(
      '    honor_labels: yes\n    follow_redirects: off\n    basic_auth: { username: 007, password: 0123 }\n',
    );
    expect(sc?.honorLabels).toBe(true);
    expect(sc?.httpClient.followRedirects).toBe(false);
    expect(sc?.httpClient.basicAuth).toEqual({ username: '007', password: '0123' });
    expect(load('scrape_configs:\n  - job_name: 1.10\n').scrapeConfigs[0]?.jobName).toBe('1.10');
  });

  it('follows aliases and << merge keys; explicit keys win', () => {
    const cfg = load(`scrape_configs:
  - &base
    job_name: a
    scrape_interval: 5s
    static_configs: &targets
      - targets: ['x:1']
  - <<: *base
    job_name: b
  - <<: [{ metrics_path: /m1 }, { metrics_path: /m2, scheme: https }]
    job_name: c
    static_configs: *targets
`);
    expect(cfg.scrapeConfigs.map((s) => [s.jobName, s.scrapeInterval, s.staticConfigs.length])).toEqual([
      ['a', 5_000, 1],
      ['b', 5_000, 1],
      ['c', 60_000, 1],
    ]);
    expect(cfg.scrapeConfigs[2]).toMatchObject({ metricsPath: '/m1', scheme: 'https' });
  });

  it('refuses duplicate keys, naming field and position', () => {
    expect(errorOf('global:\n  scrape_interval: 1s\n  scrape_interval: 2s\n').message).toBe(
      `${FILE}:3:3: global.scrape_interval: field scrape_interval already set in type config.plain`,
    );
    expect(errorOf('tracing:\n  endpoint: x\n  headers: { a: b, a: c }\n').message).toContain(
      '3:20: tracing.headers.a: key "a" already set in map',
    );
  });

  it('names the YAML type in type errors, as Go does', () => {
    expect(errorOf('global:\n  scrape_interval: [1m]\n').message).toContain('cannot unmarshal !!seq into duration');
    expect(errorOf('scrape_configs:\n  - job_name: x\n    sample_limit: "10"\n').message).toContain(
      '3:19: scrape_configs[0].sample_limit: cannot unmarshal !!str `10` into uint',
    );
  });
});

describe('agent mode', () => {
  it.each([
    ["alerting:\n  alertmanagers:\n    - static_configs: [{ targets: ['a:9093'] }]\n", '1:1: alerting: field alerting'],
    ['alerting:\n  alert_relabel_configs:\n    - action: drop\n', '1:1: alerting: field alerting'],
    ["rule_files: ['r.yml']\n", '1:1: rule_files: field rule_files'],
  ])('refuses %j in agent mode only', (text, message) => {
    expect(errorOf(text, true).message).toContain(`${message} is not allowed in agent mode`);
    expect(() => load(text, false)).not.toThrow();
  });

  it('allows empty alerting and rule_files sections', () => {
    expect(() => load('alerting:\n  alertmanagers: []\nrule_files: []\n', true)).not.toThrow();
  });

  it('refuses remote_read in agent mode only, and accepts remote_write in both', () => {
    const text = 'remote_read:\n  - url: http://x\n';
    expect(errorOf(text, true).message).toContain('1:1: remote_read: field remote_read is not allowed in agent mode');
    expect(load(text).remoteRead).toMatchObject([
      { url: 'http://x', remoteTimeout: 60_000, filterExternalLabels: true },
    ]);
    const write = 'remote_write:\n  - url: http://x/w\n';
    expect(parseConfig(write, FILE, { agentMode: true }).remoteWrite).toHaveLength(1);
  });
});

describe('fields miniprom does not implement', () => {
  it.each([...NOT_SUPPORTED])('refuses %s as not supported, not as unknown, saying why', (name) => {
    const why = whyNotSupported(name);
    expect(why).not.toBe('not implemented');
    expect(errorOf(`${name}: {}\n`).message).toBe(`${FILE}:1:1: ${name}: ${name} is not supported by miniprom: ${why}`);
  });

  it.each([
    [
      'scrape_configs:\n  - job_name: x\n    kubernetes_sd_configs: []\n',
      '3:5: scrape_configs[0]',
      'kubernetes_sd_configs',
    ],
    ['scrape_configs:\n  - job_name: x\n    oauth2: {}\n', '3:5: scrape_configs[0]', 'oauth2'],
    [
      'scrape_configs:\n  - job_name: x\n    tls_config: { min_version: TLS13 }\n',
      '3:19: scrape_configs[0].tls_config',
      'min_version',
    ],
    ['global:\n  keep_dropped_targets: 1\n', '2:3: global', 'keep_dropped_targets'],
    ['alerting:\n  alertmanagers:\n    - sigv4: {}\n', '3:7: alerting.alertmanagers[0]', 'sigv4'],
    ['tracing:\n  endpoint: x\n  tls_config: {}\n', '3:3: tracing', 'tls_config'],
  ])('refuses it where upstream has it: %j', (text, where, name) => {
    expect(errorOf(text).message).toContain(`${where}.${name}: ${name} is not supported by miniprom`);
  });

  it('still calls a field that upstream lacks too unknown', () => {
    expect(errorOf('scrape_configs:\n  - job_name: x\n    colour: red\n').message).toContain(
      '3:5: scrape_configs[0].colour: field colour not found in type config.ScrapeConfig',
    );
  });
});

describe('ConfigError', () => {
  it('carries line, column and path besides the one-line message', () => {
    const err = errorOf('global:\n  scrape_intervall: 1s\n');
    expect(err.message).toBe(
      `${FILE}:2:3: global.scrape_intervall: field scrape_intervall not found in type config.plain`,
    );
    expect([err.name, err.line, err.column, err.path]).toEqual(['ConfigError', 2, 3, 'global.scrape_intervall']);
  });

  it('turns a YAML syntax error into one line with its position', () => {
    const err = errorOf('global:\n  scrape_interval: [\n');
    expect(err.message).toMatch(new RegExp(`^${FILE}:\\d+:\\d+: \\S`));
    expect(err.line).toBeGreaterThan(0);
  });

  it('keeps a message on one line whatever the values quoted in it', () => {
    expect(errorOf('"a\\nb": 1\n').message).toContain('field a\\nb not found in type config.plain');
    expect(errorOf('tracing:\n  endpoint: x\n  compression: "z\\nstd"\n').message).toContain(
      'invalid compression type z\\nstd',
    );
  });

  describe('loadConfigFile', () => {
    let dir: string | undefined;
    afterEach(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    });

    it('reports a missing file or a directory as Go does', () => {
      expect(() => loadConfigFile('/nonexistent/prometheus.yml', { agentMode: false })).toThrow(
        new ConfigError('open /nonexistent/prometheus.yml: no such file or directory'),
      );
      dir = mkdtempSync(join(tmpdir(), 'miniprom-cfg-'));
      const directory = join(dir, 'd.yml');
      mkdirSync(directory);
      expect(() => loadConfigFile(directory, { agentMode: false })).toThrow(`read ${directory}: is a directory`);
    });
  });
});

describe('reading a file again (a reload)', () => {
  const A = 'scrape_configs:\n  - job_name: a\n';
  const B = 'scrape_configs:\n  - job_name: b\n';

  it('answers the same for the same text, and reads a changed text anew', () => {
    expect(load(A)).toEqual(load(A));
    expect(load(B).scrapeConfigs.map((c) => c.jobName)).toEqual(['b']);
    expect(load(A).scrapeConfigs.map((c) => c.jobName)).toEqual(['a']);
  });

  it('checks an unchanged text again: a refused file is refused every time, with the same error', () => {
    const bad = 'scrape_configs:\n  - job_name: a\n    scrape_interval: soon\n';
    expect(errorOf(bad).message).toBe(errorOf(bad).message);
    expect(load(A).scrapeConfigs).toHaveLength(1);
  });

  it('expands the environment on every read, even of an unchanged text', () => {
    const text = 'global:\n  external_labels:\n    where: $MINIPROM_TEST_WHERE\n';
    process.env.MINIPROM_TEST_WHERE = 'here';
    try {
      expect(load(text).global.externalLabels).toEqual({ where: 'here' });
      process.env.MINIPROM_TEST_WHERE = 'there';
      expect(load(text).global.externalLabels).toEqual({ where: 'there' });
    } finally {
      delete process.env.MINIPROM_TEST_WHERE;
    }
  });
});
