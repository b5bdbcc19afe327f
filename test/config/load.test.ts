import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, configToYAML, loadConfigFile, parseConfig } from '../../src/config/index.js';

const FILE = '/etc/prometheus/prometheus.yml';
const load = (text: string, agentMode = false) => parseConfig(text, FILE, { agentMode });

describe('defaults', () => {
  it('accepts an empty file with upstream defaults', () => {
    const cfg = load('');
    expect(cfg.global).toEqual({
      scrapeInterval: 60_000,
      scrapeTimeout: 10_000,
      evaluationInterval: 60_000,
      externalLabels: {},
      sampleLimit: 0,
      labelLimit: 0,
      bodySizeLimit: 0,
    });
    expect(cfg.scrapeConfigs).toEqual([]);
    expect(cfg.tracing.endpoint).toBe('');
  });

  it('never lets an unset scrape_timeout exceed the interval', () => {
    expect(load('global:\n  scrape_interval: 5s\n').global.scrapeTimeout).toBe(5_000);
    const cfg = load(
      "scrape_configs:\n  - job_name: a\n    scrape_interval: 2s\n    static_configs: [{ targets: ['x:1'] }]\n",
    );
    expect(cfg.scrapeConfigs[0]).toMatchObject({ scrapeInterval: 2_000, scrapeTimeout: 2_000 });
  });

  it('inherits the global interval and timeout, and fills every scrape default', () => {
    const cfg = load(
      "global:\n  scrape_interval: 30s\n  scrape_timeout: 20s\nscrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: ['x:1', 'y:2']\n        labels: { env: prod }\n",
    );
    expect(cfg.scrapeConfigs[0]).toEqual({
      jobName: 'a',
      scrapeInterval: 30_000,
      scrapeTimeout: 20_000,
      metricsPath: '/metrics',
      scheme: 'http',
      params: {},
      honorLabels: false,
      honorTimestamps: true,
      sampleLimit: 0,
      labelLimit: 0,
      bodySizeLimit: 0,
      httpClient: { followRedirects: true },
      staticConfigs: [
        { source: '0', targets: [{ __address__: 'x:1' }, { __address__: 'y:2' }], labels: { env: 'prod' } },
      ],
      fileSDConfigs: [],
      relabelConfigs: [],
      metricRelabelConfigs: [],
    });
  });

  it('lets scrape configs inherit the global limits they do not set', () => {
    const cfg = load(
      'global:\n  sample_limit: 100\n  body_size_limit: 1MB\nscrape_configs:\n  - job_name: a\n  - job_name: b\n    sample_limit: 5\n',
    );
    expect(cfg.scrapeConfigs.map((s) => [s.sampleLimit, s.bodySizeLimit])).toEqual([
      [100, 2 ** 20],
      [5, 2 ** 20],
    ]);
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: the name of the syntax under test
  it('expands ${VAR} and $VAR in external labels', () => {
    process.env.MINIPROM_TEST_REGION = 'eu-1';
    const cfg = load(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: ${VAR} is YAML for the loader to expand
      'global:\n  external_labels:\n    region: ${MINIPROM_TEST_REGION}\n    zone: $MINIPROM_TEST_REGION-a\n    none: ${MINIPROM_TEST_UNSET}\n',
    );
    expect(cfg.global.externalLabels).toEqual({ region: 'eu-1', zone: 'eu-1-a', none: '' });
  });

  it('resolves rule files and credential files against the config file directory', () => {
    const cfg = load(
      "rule_files: ['rules/*.yml', '/abs/r.yml']\nscrape_configs:\n  - job_name: a\n    basic_auth: { username: u, password_file: pw }\n",
    );
    expect(cfg.ruleFiles).toEqual(['/etc/prometheus/rules/*.yml', '/abs/r.yml']);
    expect(cfg.scrapeConfigs[0]?.httpClient.basicAuth?.passwordFile).toBe('/etc/prometheus/pw');
  });

  it('turns bearer_token into a Bearer authorization, as upstream', () => {
    const cfg = load('scrape_configs:\n  - job_name: a\n    bearer_token: s3cret\n');
    expect(cfg.scrapeConfigs[0]?.httpClient.authorization).toEqual({ type: 'Bearer', credentials: 's3cret' });
  });
});

describe('errors', () => {
  it.each([
    ['global:\n  scrape_intervall: 1s\n', '2:3: global.scrape_intervall: field scrape_intervall not found in global'],
    ['global:\n  scrape_interval: 1s\n  scrape_interval: 2s\n', '3:3: Map keys must be unique'],
    ['global:\n  scrape_interval: [\n', 'prometheus.yml:'],
    ['global:\n  scrape_interval: 1 minute\n', '2:20: global.scrape_interval: not a valid duration string: "1 minute"'],
    ['global:\n  scrape_interval: 5s\n  scrape_timeout: 10s\n', 'global scrape timeout greater than scrape interval'],
    ['global:\n  external_labels:\n    0bad: x\n', '"0bad" is not a valid label name'],
    ['scrape_configs:\n  -\n', 'empty or null scrape config section'],
    ['scrape_configs:\n  - scrape_interval: 1s\n', 'job_name is empty'],
    [
      'scrape_configs:\n  - job_name: x\n  - job_name: x\n',
      '3:5: scrape_configs[1].job_name: found multiple scrape configs with job name "x"',
    ],
    [
      'scrape_configs:\n  - job_name: x\n    scrape_interval: 5s\n    scrape_timeout: 10s\n',
      'scrape timeout greater than scrape interval for scrape config with job name "x"',
    ],
    ['scrape_configs:\n  - job_name: x\n    scheme: ftp\n', 'invalid scheme "ftp"'],
    [
      'scrape_configs:\n  - job_name: x\n    honor_labels: yes please\n',
      'cannot unmarshal !!str "yes please" into bool',
    ],
    ['scrape_configs:\n  - job_name: x\n    sample_limit: -1\n', 'cannot unmarshal !!int "-1" into uint'],
    ['scrape_configs:\n  - job_name: x\n    body_size_limit: 10 apples\n', 'invalid size "10 apples"'],
    [
      "scrape_configs:\n  - job_name: x\n    static_configs:\n      - targets: ['http://x:9']\n",
      '"http://x:9" is not a valid hostname',
    ],
    ['scrape_configs:\n  - job_name: x\n    static_configs:\n      - targets: [~]\n', 'empty or null target'],
    [
      'scrape_configs:\n  - job_name: x\n    kubernetes_sd_configs: []\n',
      '3:5: scrape_configs[0].kubernetes_sd_configs: kubernetes_sd_configs is not supported by miniprom',
    ],
    [
      'scrape_configs:\n  - job_name: x\n    relabel_configs:\n      - action: replace\n',
      "relabel configuration for replace action requires 'target_label' value",
    ],
    [
      'scrape_configs:\n  - job_name: x\n    relabel_configs:\n      - action: hashmod\n        target_label: t\n',
      'relabel configuration for hashmod requires non-zero modulus',
    ],
    [
      'scrape_configs:\n  - job_name: x\n    relabel_configs:\n      - action: lowercase\n        target_label: 1t\n',
      '"1t" is invalid \'target_label\' for lowercase action',
    ],
    [
      'scrape_configs:\n  - job_name: x\n    relabel_configs:\n      - action: labeldrop\n        source_labels: [a]\n',
      "labeldrop action requires only 'regex', and no other fields",
    ],
    [
      'scrape_configs:\n  - job_name: x\n    relabel_configs:\n      - action: keepequal\n        target_label: t\n        regex: x\n',
      "keepequal action requires only 'source_labels' and `target_label`, and no other fields",
    ],
    [
      'scrape_configs:\n  - job_name: x\n    relabel_configs:\n      - action: labelmap\n        replacement: 0bad\n',
      '"0bad" is invalid \'replacement\' for labelmap action',
    ],
    [
      'scrape_configs:\n  - job_name: x\n    metric_relabel_configs:\n      - action: teleport\n',
      'unknown relabel action "teleport"',
    ],
    [
      'scrape_configs:\n  - job_name: x\n    relabel_configs:\n      - action: drop\n        regex: "(unclosed"\n',
      'invalid regex "(unclosed"',
    ],
    [
      'scrape_configs:\n  - job_name: x\n    relabel_configs:\n      - source_labels: [0a]\n',
      '"0a" is not a valid label name',
    ],
    [
      'scrape_configs:\n  - job_name: x\n    relabel_configs:\n      - colour: red\n',
      'field colour not found in relabel_config',
    ],
    ['remote_write:\n  - url: http://x\n', '1:1: remote_write: remote_write is not supported by miniprom'],
    [
      'scrape_configs:\n  - job_name: x\n    basic_auth: { username: u }\n    bearer_token: t\n',
      'at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured',
    ],
    [
      'scrape_configs:\n  - job_name: x\n    authorization: { type: Basic, credentials: c }\n',
      'authorization type cannot be set to "basic"',
    ],
    ['alerting:\n  alertmanagers:\n    - api_version: v1\n', 'expected Alertmanager api version to be one of [v2]'],
    [
      'alerting:\n  alert_relabel_configs:\n    - action: uppercase\n',
      "relabel configuration for uppercase action requires 'target_label' value",
    ],
    ['alerting:\n  alertmanagers:\n    - relabel_configs: [~]\n', 'empty or null relabel config'],
    ['tracing:\n  client_type: carrier-pigeon\n', 'expected tracing client type'],
    ["rule_files: ['[unclosed']\n", 'invalid rule file path "[unclosed"'],
    ['scrape_configs: {}\n', 'cannot unmarshal !!map into a list'],
  ])('rejects %j with one line containing %j', (text, message) => {
    let error: unknown;
    try {
      load(text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const msg = (error as ConfigError).message;
    expect(msg).toContain(message);
    expect(msg.startsWith(`${FILE}:`) || msg.startsWith(FILE)).toBe(true);
    expect(msg).not.toContain('\n');
  });

  it.each([
    [
      "alerting:\n  alertmanagers:\n    - static_configs: [{ targets: ['a:9093'] }]\n",
      'field alerting is not allowed in agent mode',
    ],
    ["rule_files: ['r.yml']\n", 'field rule_files is not allowed in agent mode'],
  ])('rejects in agent mode %j', (text, message) => {
    expect(() => load(text, true)).toThrow(message);
    expect(() => load(text, false)).not.toThrow();
  });

  it('reports a missing file as upstream does', () => {
    expect(() => loadConfigFile('/nonexistent/prometheus.yml', { agentMode: false })).toThrow(
      'open /nonexistent/prometheus.yml: no such file or directory',
    );
  });
});

describe('printing back', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips a full config, with secrets masked', () => {
    const text = `global:
  scrape_interval: 15s
  external_labels: { monitor: m }
rule_files: ['rules/*.yml']
alerting:
  alert_relabel_configs:
    - action: dropequal
      source_labels: [severity]
      target_label: ignored_severity
  alertmanagers:
    - path_prefix: /am
      timeout: 5s
      static_configs: [{ targets: ['am:9093'] }]
scrape_configs:
  - job_name: a
    scrape_interval: 1m30s
    params: { module: [http_2xx] }
    basic_auth: { username: u, password: hunter2 }
    tls_config: { insecure_skip_verify: true }
    sample_limit: 100
    static_configs:
      - targets: ['x:1']
        labels: { env: prod }
    relabel_configs:
      - source_labels: [__address__]
        regex: '([^:]+):.*'
        target_label: host
      - action: hashmod
        source_labels: [host]
        modulus: 4
        target_label: shard
    metric_relabel_configs:
      - action: labeldrop
        regex: 'tmp_.*'
  - job_name: b
    authorization: { credentials_file: /tok }
    file_sd_configs:
      - files: ['targets/*.json']
        refresh_interval: 30s
tracing:
  endpoint: localhost:4317
  headers: { a: b }
`;
    const cfg = load(text);
    const yaml = configToYAML(cfg);
    expect(yaml).toContain('password: <secret>');
    expect(yaml).not.toContain('hunter2');
    const again = load(yaml);
    const withoutSecrets = structuredClone(cfg);
    (withoutSecrets.scrapeConfigs[0]?.httpClient.basicAuth as { password?: string }).password = '<secret>';
    expect(again).toEqual(withoutSecrets);
  });

  it('loads the bundled prometheus.yml', () => {
    const cfg = loadConfigFile(new URL('../../prometheus.yml', import.meta.url).pathname, { agentMode: false });
    expect(cfg.scrapeConfigs.map((s) => s.jobName)).toEqual(['prometheus', 'node']);
    dir = mkdtempSync(join(tmpdir(), 'miniprom-cfg-'));
    writeFileSync(join(dir, 'p.yml'), configToYAML(cfg));
    expect(loadConfigFile(join(dir, 'p.yml'), { agentMode: false }).scrapeConfigs).toEqual(cfg.scrapeConfigs);
  });
});
