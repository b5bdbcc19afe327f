/**
 * scrape_protocols, fallback_scrape_protocol and enable_compression: read and checked as
 * Prometheus 3.5 reads them (config.go's validateAcceptScrapeProtocols and ScrapeProtocol.Validate
 * at v3.5.3), with upstream's messages.
 */
import { describe, expect, it } from 'vitest';
import { type Config, DEFAULT_SCRAPE_PROTOCOLS, parseConfig } from '../../src/config/index.js';

const load = (text: string): Config => parseConfig(text, 'prometheus.yml', { agentMode: false });
const error = (text: string): string => {
  try {
    load(text);
    return '';
  } catch (err) {
    return (err as Error).message;
  }
};
const SUPPORTED =
  'supported: [OpenMetricsText0.0.1 OpenMetricsText1.0.0 PrometheusProto PrometheusText0.0.4 PrometheusText1.0.0]';

describe('scrape_protocols', () => {
  it("defaults to OpenMetrics first, then the text formats, and a job inherits global's", () => {
    expect(load('scrape_configs:\n  - job_name: a\n').scrapeConfigs[0]?.scrapeProtocols).toEqual(
      DEFAULT_SCRAPE_PROTOCOLS,
    );
    const cfg = load(
      'global:\n  scrape_protocols: [PrometheusText0.0.4]\nscrape_configs:\n  - job_name: a\n  - job_name: b\n    scrape_protocols: [OpenMetricsText1.0.0, PrometheusText1.0.0]\n',
    );
    expect(cfg.global.scrapeProtocols).toEqual(['PrometheusText0.0.4']);
    expect(cfg.scrapeConfigs.map((sc) => sc.scrapeProtocols)).toEqual([
      ['PrometheusText0.0.4'],
      ['OpenMetricsText1.0.0', 'PrometheusText1.0.0'],
    ]);
  });

  it('takes a null list as unset, and refuses an empty one', () => {
    expect(load('global:\n  scrape_protocols:\n').global.scrapeProtocols).toEqual(DEFAULT_SCRAPE_PROTOCOLS);
    expect(error('global:\n  scrape_protocols: []\n')).toContain('scrape_protocols cannot be empty for global config');
    expect(error('scrape_configs:\n  - job_name: a\n    scrape_protocols: []\n')).toContain(
      'scrape_protocols cannot be empty for scrape config with job name "a"',
    );
  });

  it('refuses an unknown name (case matters) and a protocol listed twice in any case', () => {
    expect(error('global:\n  scrape_protocols: [openmetricstext1.0.0]\n')).toContain(
      `scrape_protocols: unknown scrape protocol openmetricstext1.0.0, ${SUPPORTED} for global config`,
    );
    expect(error('global:\n  scrape_protocols: [PrometheusText0.0.4, prometheustext0.0.4]\n')).toContain(
      'duplicated protocol in scrape_protocols, got [PrometheusText0.0.4 prometheustext0.0.4] for global config',
    );
  });
});

describe('fallback_scrape_protocol', () => {
  it('is unset by default, and read when given', () => {
    expect(load('scrape_configs:\n  - job_name: a\n').scrapeConfigs[0]?.fallbackScrapeProtocol).toBeUndefined();
    expect(
      load('scrape_configs:\n  - job_name: a\n    fallback_scrape_protocol: PrometheusText1.0.0\n').scrapeConfigs[0]
        ?.fallbackScrapeProtocol,
    ).toBe('PrometheusText1.0.0');
  });

  it('refuses an unknown protocol, naming the job', () => {
    expect(error('scrape_configs:\n  - job_name: a\n    fallback_scrape_protocol: text\n')).toContain(
      `invalid fallback_scrape_protocol for scrape config with job name "a": unknown scrape protocol text, ${SUPPORTED}`,
    );
  });

  it('is a job setting only, as in 3.5: global has no such field', () => {
    expect(error('global:\n  fallback_scrape_protocol: PrometheusText0.0.4\n')).toContain(
      'field fallback_scrape_protocol not found',
    );
  });
});

describe('enable_compression', () => {
  it('defaults to true; false and null (Go zero value) turn it off', () => {
    const jobs = load(
      'scrape_configs:\n  - job_name: a\n  - job_name: b\n    enable_compression: false\n  - job_name: c\n    enable_compression:\n',
    ).scrapeConfigs;
    expect(jobs.map((sc) => sc.enableCompression)).toEqual([true, false, false]);
  });
});
