/**
 * Config verdicts side by side with promtool 3.5.3 (`promtool check config`, which also reads the
 * scrape_config_files as Prometheus does): each case is written to a scratch directory, with the
 * files it names, and checked by both. They must agree on valid or invalid, and for an invalid one
 * miniprom's one-line message must carry promtool's detail word for word (Go's type names in YAML
 * errors included); only the prefix differs (miniprom's `<file>:<line>:<col>: <path>: ` against
 * Go's `parsing YAML file <file>: yaml: unmarshal errors: line <n>: `). miniprom's own promtool
 * (black-box: needs `npm run build`) gives the same exit status on the scrape_config_files and
 * naming cases. Skips, saying so, without promtool.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findPeer } from '../../scripts/peers.mjs';
import { ConfigError, loadConfigFile } from '../../src/config/index.js';
import { killAll, spawnScript } from '../helpers/spawn.js';

const PROMTOOL = findPeer('promtool');
if (PROMTOOL.missing) console.log(`peer.test.ts: skipped, promtool is missing: ${PROMTOOL.missing}`);

const root = mkdtempSync(join(tmpdir(), 'miniprom-config-peer-'));
afterAll(() => {
  killAll();
  rmSync(root, { recursive: true, force: true });
});

/** A case: the main file's text, and other files (paths relative to the main file's directory). */
interface Case {
  config: string;
  files?: Record<string, string>;
}

let counter = 0;
/** Writes a case to a directory of its own; returns the main file's path. */
function write(c: Case): string {
  const dir = join(root, String(counter++));
  for (const [name, text] of Object.entries({ 'prometheus.yml': c.config, ...c.files })) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return join(dir, 'prometheus.yml');
}

/** miniprom's verdict: '' when the file loads, else the error's message. */
function ours(file: string): string {
  try {
    loadConfigFile(file, { agentMode: false });
    return '';
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
}

/**
 * promtool's verdict: '' when valid, else the detail of its first error, without the prefixes
 * that name the file (`parsing YAML file …: `, `error loading scrape configs: "<file>": `,
 * `yaml: unmarshal errors:\n  line N: `).
 */
function theirs(file: string): string {
  const run = spawnSync(PROMTOOL.path as string, ['check', 'config', file], { encoding: 'utf8' });
  if (run.status === 0) return '';
  const failed = `${run.stdout}${run.stderr}`.split('FAILED: ')[1] ?? '';
  const unmarshal = /yaml: unmarshal errors:\n\s+line \d+: (.*)/.exec(failed);
  if (unmarshal) return unmarshal[1] as string;
  return (failed.split('\n')[0] ?? '')
    .replace(/^parsing YAML file \S+: /, '')
    .replace(/^error loading scrape configs: /, '')
    .replace(/^"[^"]+": /, '');
}

const job = (extra = '') => `scrape_configs:\n  - job_name: a\n${extra}`;

/** Unknown and repeated fields: go-yaml names the Go type being filled, as 3.5.3 has it. */
const TYPE_NAMES: Record<string, Case> = {
  'top level': { config: 'bogus: 1\n' },
  'a repeated top-level section': { config: 'global: {}\nglobal: {}\n' },
  global: { config: 'global:\n  bogus: 1\n' },
  'a repeated global field': { config: 'global:\n  scrape_interval: 1s\n  scrape_interval: 1s\n' },
  'a scrape config': { config: job('    bogus: 1\n') },
  'a repeated scrape config field': { config: job('    job_name: b\n') },
  'a relabel config': { config: job('    relabel_configs:\n      - bogus: 1\n') },
  'a repeated relabel config field': {
    config: job('    relabel_configs:\n      - action: keep\n        action: drop\n'),
  },
  'a static config': { config: job('    static_configs:\n      - bogus: 1\n') },
  'a file_sd config': { config: job('    file_sd_configs:\n      - bogus: 1\n') },
  basic_auth: { config: job('    basic_auth:\n      bogus: 1\n') },
  authorization: { config: job('    authorization:\n      bogus: 1\n') },
  tls_config: { config: job('    tls_config:\n      bogus: 1\n') },
  alerting: { config: 'alerting:\n  bogus: 1\n' },
  'an alertmanager config': { config: 'alerting:\n  alertmanagers:\n    - bogus: 1\n' },
  alert_relabel_configs: { config: 'alerting:\n  alert_relabel_configs:\n    - bogus: 1\n' },
  remote_write: { config: 'remote_write:\n  - url: http://a\n    bogus: 1\n' },
  queue_config: { config: 'remote_write:\n  - url: http://a\n    queue_config:\n      bogus: 1\n' },
  metadata_config: { config: 'remote_write:\n  - url: http://a\n    metadata_config:\n      bogus: 1\n' },
  write_relabel_configs: { config: 'remote_write:\n  - url: http://a\n    write_relabel_configs:\n      - bogus: 1\n' },
  remote_read: { config: 'remote_read:\n  - url: http://a\n    bogus: 1\n' },
  storage: { config: 'storage:\n  bogus: 1\n' },
  'storage.tsdb': { config: 'storage:\n  tsdb:\n    bogus: 1\n' },
  'storage.exemplars': { config: 'storage:\n  exemplars:\n    bogus: 1\n' },
  tracing: { config: 'tracing:\n  bogus: 1\n' },
  'a global that is not a map': { config: 'global: [1]\n' },
  'a scrape config that is not a map': { config: 'scrape_configs: [1]\n' },
  'a queue_config that is not a map': { config: 'remote_write:\n  - url: http://a\n    queue_config: [1]\n' },
  'a long text where a number goes (cut as go-yaml cuts it)': { config: 'global:\n  sample_limit: abcdefghijklmnop\n' },
  'a field that only later versions have': { config: 'global:\n  scrape_native_histograms: true\n' },
  'extra_scrape_metrics, also later': { config: job('    extra_scrape_metrics: true\n') },
};

/** metric_name_validation_scheme, metric_name_escaping_scheme and the classic-histogram switches. */
const NAMING: Record<string, Case> = {
  'legacy validation with underscores escaping': {
    config: `global:\n  metric_name_validation_scheme: legacy\n${job()}`,
  },
  'utf8 validation with every escaping scheme': {
    config: `${job()}  - job_name: b\n    metric_name_escaping_scheme: underscores\n  - job_name: c\n    metric_name_escaping_scheme: dots\n  - job_name: d\n    metric_name_escaping_scheme: values\n  - job_name: e\n    metric_name_escaping_scheme: allow-utf-8\n`,
  },
  'an unknown global validation scheme with no job to inherit it': {
    config: 'global:\n  metric_name_validation_scheme: bogus\n',
  },
  'an unknown global validation scheme': { config: `global:\n  metric_name_validation_scheme: bogus\n${job()}` },
  'an unknown job validation scheme (case matters)': { config: job('    metric_name_validation_scheme: UTF8\n') },
  'an unknown global escaping scheme': { config: `global:\n  metric_name_escaping_scheme: bogus\n${job()}` },
  'an unknown global escaping scheme under legacy': {
    config: `global:\n  metric_name_validation_scheme: legacy\n  metric_name_escaping_scheme: bogus\n${job()}`,
  },
  'an unknown job escaping scheme': { config: job('    metric_name_escaping_scheme: bogus\n') },
  'legacy validation with allow-utf-8 escaping': {
    config: `global:\n  metric_name_validation_scheme: legacy\n  metric_name_escaping_scheme: allow-utf-8\n${job()}`,
  },
  'a job that sets legacy alone (escaping inherited from utf8 global)': {
    config: job('    metric_name_validation_scheme: legacy\n'),
  },
  'a job that sets legacy and underscores': {
    config: job('    metric_name_validation_scheme: legacy\n    metric_name_escaping_scheme: underscores\n'),
  },
  'a job that sets utf8 under a legacy global': {
    config: `global:\n  metric_name_validation_scheme: legacy\n${job('    metric_name_validation_scheme: utf8\n')}`,
  },
  'the classic-histogram switches, global and per job': {
    config: `global:\n  always_scrape_classic_histograms: true\n  convert_classic_histograms_to_nhcb: yes\n${job('    always_scrape_classic_histograms: false\n    convert_classic_histograms_to_nhcb: ~\n')}`,
  },
  'a classic-histogram switch that is not a boolean': {
    config: 'global:\n  convert_classic_histograms_to_nhcb: 1\n',
  },
  'UTF-8 names in external labels, static labels and required matchers': {
    config: `global:\n  external_labels: { "foo.bar": x, 0a: y }\n${job('    static_configs: [{ targets: ["a:1"], labels: { "a-b": c } }]\n')}remote_read:\n  - url: http://r\n    required_matchers: { "x.y": z }\n`,
  },
  'UTF-8 names in relabeling, under legacy validation too': {
    config: `global:\n  metric_name_validation_scheme: legacy\n  metric_name_escaping_scheme: underscores\n${job('    relabel_configs:\n      - { source_labels: [a.b], target_label: c.d }\n      - { action: lowercase, source_labels: [x], target_label: 1t }\n      - { action: labelmap, regex: "(.*)", replacement: "0$1" }\n    metric_relabel_configs:\n      - { action: hashmod, source_labels: [x], target_label: h-m, modulus: 2 }\n')}`,
  },
  'an empty label name': { config: 'global:\n  external_labels: { "": x }\n' },
  'an empty relabel source label': {
    config: job('    relabel_configs:\n      - { source_labels: [""], target_label: y }\n'),
  },
  'a per-job classic-histogram switch that is a string': {
    config: job('    always_scrape_classic_histograms: "true"\n'),
  },
};

const JOBS_A = 'scrape_configs:\n  - job_name: a\n    static_configs: [{ targets: ["127.0.0.1:1"] }]\n';
const JOBS_B = 'scrape_configs:\n  - job_name: b\n  - job_name: c\n';

/** scrape_config_files: globs, path checks, what the files may hold, duplicate jobs. */
const FILES: Record<string, Case> = {
  'a glob of files next to the config': {
    config: 'scrape_config_files: ["jobs/*.yml"]\n',
    files: { 'jobs/a.yml': JOBS_A, 'jobs/b.yml': JOBS_B },
  },
  'files and jobs of the main file together': {
    config: `scrape_config_files: ["jobs/*.yml"]\nscrape_configs:\n  - job_name: main\n`,
    files: { 'jobs/a.yml': JOBS_A },
  },
  'a pattern that matches nothing': { config: 'scrape_config_files: ["none/*.yml"]\n' },
  'a literal path to a missing file': { config: 'scrape_config_files: ["missing.yml"]\n' },
  'an empty entry': { config: 'scrape_config_files: [""]\n' },
  'a * in a directory': { config: 'scrape_config_files: ["jobs/*/a.yml"]\n' },
  'a malformed glob': { config: 'scrape_config_files: ["jobs/[.yml"]\n' },
  "a hidden file, which Go's * matches": {
    config: 'scrape_config_files: ["jobs/*.yml"]\n',
    files: { 'jobs/.hidden.yml': 'scrape_configs:\n  - job_name: a\n  - job_name: a\n' },
  },
  'a job of a file that repeats one of the main file': {
    config: 'scrape_config_files: ["jobs/*.yml"]\nscrape_configs:\n  - job_name: a\n',
    files: { 'jobs/a.yml': JOBS_A },
  },
  'a job repeated across two files': {
    config: 'scrape_config_files: ["jobs/*.yml"]\n',
    files: { 'jobs/a.yml': JOBS_A, 'jobs/b.yml': 'scrape_configs:\n  - job_name: a\n' },
  },
  'the same file named twice': {
    config: 'scrape_config_files: ["jobs/a.yml", "jobs/*.yml"]\n',
    files: { 'jobs/a.yml': JOBS_A },
  },
  'an unknown field in a file': {
    config: 'scrape_config_files: ["jobs/*.yml"]\n',
    files: { 'jobs/a.yml': 'global: {}\n' },
  },
  'an unknown field in a job of a file': {
    config: 'scrape_config_files: ["jobs/*.yml"]\n',
    files: { 'jobs/a.yml': 'scrape_configs:\n  - job_name: x\n    bogus: 1\n' },
  },
  'a job of a file checked against global': {
    config: 'global:\n  scrape_interval: 5s\nscrape_config_files: ["jobs/*.yml"]\n',
    files: { 'jobs/a.yml': 'scrape_configs:\n  - job_name: x\n    scrape_timeout: 10s\n' },
  },
  'a job of a file that inherits global legacy validation': {
    config: 'global:\n  metric_name_validation_scheme: legacy\nscrape_config_files: ["jobs/*.yml"]\n',
    files: { 'jobs/a.yml': 'scrape_configs:\n  - job_name: x\n    metric_name_escaping_scheme: allow-utf-8\n' },
  },
  'a null job in a file': {
    config: 'scrape_config_files: ["jobs/*.yml"]\n',
    files: { 'jobs/a.yml': 'scrape_configs:\n  -\n' },
  },
  'an empty file': { config: 'scrape_config_files: ["jobs/*.yml"]\n', files: { 'jobs/a.yml': '' } },
  'a file that is not YAML': {
    config: 'scrape_config_files: ["jobs/*.yml"]\n',
    files: { 'jobs/a.yml': 'scrape_configs: [\n' },
  },
  'scrape_config_files that is not a list': { config: 'scrape_config_files: jobs/a.yml\n' },
};

describe.skipIf(!PROMTOOL.path)('config verdicts, side by side with promtool 3.5.3', () => {
  describe.each([
    ['Go type names in YAML errors', TYPE_NAMES],
    ['name validation, escaping and classic histograms', NAMING],
    ['scrape_config_files', FILES],
  ])('%s', (_, cases) => {
    it.each(Object.entries(cases))('%s', (_name, c) => {
      const file = write(c);
      const upstream = theirs(file);
      const mine = ours(file);
      if (upstream === '') {
        expect(mine).toBe('');
        return;
      }
      expect(mine, `promtool says: ${upstream}`).not.toBe('');
      // A syntax error is the YAML library's own wording on both sides: the verdict is what counts.
      if (upstream.startsWith('yaml: ')) return;
      expect(mine).toContain(upstream);
    });
  });
});

describe.skipIf(!PROMTOOL.path)("miniprom's promtool check config, side by side with promtool 3.5.3", () => {
  it.each(Object.entries({ ...NAMING, ...FILES }))('%s', async (_name, c) => {
    const file = write(c);
    const upstream = spawnSync(PROMTOOL.path as string, ['check', 'config', file], { encoding: 'utf8' });
    const mine = spawnScript('dist/cmd/promtool.js', ['check', 'config', file]);
    const { code } = await mine.exited;
    expect(code, mine.stdout() + mine.stderr()).toBe(upstream.status);
  });
});
