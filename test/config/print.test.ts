/**
 * configToYAML: what /api/v1/status/config serves. Printing and loading again must give the same
 * model (secrets apart), and no secret may appear in the output.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Config, configToYAML, loadConfigFile, parseConfig } from '../../src/config/index.js';

const FILE = '/etc/prometheus/prometheus.yml';
const load = (text: string): Config => parseConfig(text, FILE, { agentMode: false });

const FULL = `global:
  scrape_interval: 15s
  external_labels: { monitor: m, price: $$5 }
  query_log_file: q.log
  sample_limit: 7
rule_files: ['rules/*.yml']
alerting:
  alert_relabel_configs:
    - action: dropequal
      source_labels: [severity]
      target_label: ignored_severity
  alertmanagers:
    - path_prefix: /am
      timeout: 5s
      scheme: https
      authorization: { type: Token, credentials: am-secret }
      static_configs: [{ targets: ['am:9093'] }]
scrape_configs:
  - job_name: a
    scrape_interval: 1m30s
    params: { module: [http_2xx], 'match[]': ['{job="x"}', 'up'] }
    basic_auth: { username: u, password: hunter2 }
    tls_config: { insecure_skip_verify: true, server_name: s }
    body_size_limit: 10MB
    static_configs:
      - targets: ['x:1']
        labels: { env: prod, 'yes': 'no' }
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
  - job_name: '0123'
    honor_labels: true
    bearer_token: tok3n
    file_sd_configs:
      - files: ['targets/*.json']
        refresh_interval: 30s
  - job_name: c
    authorization: { credentials_file: /tok }
    follow_redirects: false
tracing:
  endpoint: localhost:4317
  sampling_fraction: 0.25
  headers: { X-Team: obs }
  compression: gzip
`;

/** What loading the printed config gives: inline secrets read back as the text `<secret>`. */
function masked(cfg: Config): Config {
  const copy = structuredClone(cfg);
  for (const { httpClient: h } of [...copy.scrapeConfigs, ...copy.alerting.alertmanagers]) {
    if (h.basicAuth?.password !== undefined) h.basicAuth.password = '<secret>';
    if (h.authorization?.credentials !== undefined) h.authorization.credentials = '<secret>';
  }
  return copy;
}

describe('configToYAML', () => {
  it('round-trips a full config: loading its output gives the same model, secrets masked', () => {
    const cfg = load(FULL);
    expect(load(configToYAML(cfg))).toEqual(masked(cfg));
  });

  it('is stable: printing the reloaded config gives the same text', () => {
    const yaml = configToYAML(load(FULL));
    expect(configToYAML(load(yaml))).toBe(yaml);
  });

  it('shows every secret as <secret>, and file paths as they are', () => {
    const yaml = configToYAML(load(FULL));
    for (const secret of ['hunter2', 'am-secret', 'tok3n']) expect(yaml).not.toContain(secret);
    const doc = parse(yaml);
    expect(doc.scrape_configs[0].basic_auth).toEqual({ username: 'u', password: '<secret>' });
    expect(doc.scrape_configs[1].authorization).toEqual({ type: 'Bearer', credentials: '<secret>' });
    expect(doc.scrape_configs[2].authorization).toEqual({ type: 'Bearer', credentials_file: '/tok' });
    expect(doc.alerting.alertmanagers[0].authorization).toEqual({ type: 'Token', credentials: '<secret>' });
  });

  it('writes every default out, in Prometheus units and snake_case; zero limits are left out, as upstream', () => {
    const doc = parse(configToYAML(load('scrape_configs:\n  - job_name: a\n')));
    expect(doc.global).toEqual({
      scrape_interval: '1m',
      scrape_timeout: '10s',
      evaluation_interval: '1m',
      // No global section: upstream's DefaultGlobalConfig, which names the default schemes.
      metric_name_validation_scheme: 'utf8',
      metric_name_escaping_scheme: 'allow-utf-8',
    });
    expect(doc.scrape_configs[0]).toEqual({
      job_name: 'a',
      honor_labels: false,
      honor_timestamps: true,
      scrape_interval: '1m',
      scrape_timeout: '10s',
      always_scrape_classic_histograms: false,
      convert_classic_histograms_to_nhcb: false,
      metrics_path: '/metrics',
      scheme: 'http',
      metric_name_validation_scheme: 'utf8',
      metric_name_escaping_scheme: 'allow-utf-8',
      follow_redirects: true,
    });
  });

  it('escapes $ in external labels so that they are not expanded twice', () => {
    const cfg = load('global:\n  external_labels: { price: $$5 }\n');
    expect(cfg.global.externalLabels.price).toBe('$5');
    expect(configToYAML(cfg)).toContain('price: $$5');
  });

  describe('the bundled prometheus.yml', () => {
    let dir: string | undefined;
    afterEach(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('loads, and loads the same from its printed form in another directory', () => {
      const cfg = loadConfigFile(new URL('../../prometheus.yml', import.meta.url).pathname, { agentMode: false });
      expect(cfg.scrapeConfigs.map((s) => s.jobName)).toEqual(['prometheus', 'node']);
      dir = mkdtempSync(join(tmpdir(), 'miniprom-cfg-'));
      writeFileSync(join(dir, 'p.yml'), configToYAML(cfg));
      const again = loadConfigFile(join(dir, 'p.yml'), { agentMode: false });
      // Paths were printed absolute, so they survive the move.
      expect({ ...again, sourceFile: cfg.sourceFile }).toEqual(cfg);
    });
  });
});
