/**
 * How the loader reads scrape_config_files, as upstream's Config.GetScrapeConfigs and Go's
 * filepath.Glob do: which files a pattern finds, in which order, what their jobs inherit, where
 * their relative paths point, and where an error in one of them is reported.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Config, ConfigError, configToYAML, loadConfigFile } from '../../src/config/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'miniprom-scrape-files-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Writes files (paths relative to the scratch directory); returns the first one's path. */
function files(contents: Record<string, string>): string {
  for (const [name, text] of Object.entries(contents)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return join(dir, Object.keys(contents)[0] as string);
}

const load = (file: string): Config => loadConfigFile(file, { agentMode: false });

function errorOf(file: string): string {
  try {
    load(file);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected the config to fail');
}

const jobs = (...names: string[]) => `scrape_configs:\n${names.map((n) => `  - job_name: ${n}\n`).join('')}`;

describe('scrape_config_files', () => {
  it("appends the files' jobs after the main file's, pattern by pattern, each pattern's files in name order", () => {
    const main = files({
      'prometheus.yml': 'scrape_config_files: ["z/*.yml", "a/one.yml"]\nscrape_configs:\n  - job_name: main\n',
      'z/b.yml': jobs('zb'),
      'z/a.yml': jobs('za1', 'za2'),
      'a/one.yml': jobs('one'),
    });
    const cfg = load(main);
    expect(cfg.scrapeConfigs.map((sc) => [sc.jobName, sc.fromFile])).toEqual([
      ['main', undefined],
      ['za1', join(dir, 'z/a.yml')],
      ['za2', join(dir, 'z/a.yml')],
      ['zb', join(dir, 'z/b.yml')],
      ['one', join(dir, 'a/one.yml')],
    ]);
    expect(cfg.scrapeConfigFiles).toEqual([join(dir, 'z/*.yml'), join(dir, 'a/one.yml')]);
  });

  it('globs as Go does: * also matches names starting with a dot, ? and [] classes work, nothing found is no error', () => {
    const main = files({
      'prometheus.yml': 'scrape_config_files: ["j/*.yml", "k/job[0-9].y?l", "none/*.yml", "missing.yml"]\n',
      'j/.hidden.yml': jobs('hidden'),
      'j/not-yaml.txt': jobs('txt'),
      'k/job1.yml': jobs('k1'),
      'k/jobx.yml': jobs('kx'),
    });
    expect(load(main).scrapeConfigs.map((sc) => sc.jobName)).toEqual(['hidden', 'k1']);
  });

  it('gives the jobs of a file global defaults, and paths relative to their own file', () => {
    const main = files({
      'prometheus.yml': 'global:\n  scrape_interval: 7s\n  sample_limit: 9\nscrape_config_files: ["sub/*.yml"]\n',
      'sub/a.yml':
        'scrape_configs:\n  - job_name: a\n    file_sd_configs: [{ files: [targets.json] }]\n    authorization: { credentials_file: token }\n',
    });
    const [a] = load(main).scrapeConfigs;
    expect(a).toMatchObject({ scrapeInterval: 7_000, sampleLimit: 9 });
    expect(a?.fileSDConfigs[0]?.files).toEqual([join(dir, 'sub/targets.json')]);
    expect(a?.httpClient.authorization?.credentialsFile).toBe(join(dir, 'sub/token'));
  });

  it("prints the patterns and the main file's jobs only, and loads the same from its printed form", () => {
    const main = files({
      'prometheus.yml': 'scrape_config_files: ["sub/*.yml"]\nscrape_configs:\n  - job_name: main\n',
      'sub/a.yml': jobs('a'),
    });
    const cfg = load(main);
    const printed = configToYAML(cfg);
    expect(printed).toContain(`scrape_config_files:\n- ${join(dir, 'sub/*.yml')}\n`);
    expect(printed).toContain('job_name: main');
    expect(printed).not.toContain('job_name: a');
    writeFileSync(main, printed);
    expect(load(main)).toEqual(cfg);
  });

  it('reads the files again on every load, as a reload does', () => {
    const main = files({ 'prometheus.yml': 'scrape_config_files: ["sub/*.yml"]\n', 'sub/a.yml': jobs('a') });
    expect(load(main).scrapeConfigs.map((sc) => sc.jobName)).toEqual(['a']);
    writeFileSync(join(dir, 'sub/b.yml'), jobs('b'));
    expect(load(main).scrapeConfigs.map((sc) => sc.jobName)).toEqual(['a', 'b']);
  });

  it('reports an error in a file at its own line and column', () => {
    const main = files({
      'prometheus.yml': 'scrape_config_files: ["sub/*.yml"]\n',
      'sub/a.yml': 'scrape_configs:\n  - job_name: a\n    scrape_intervall: 1s\n',
    });
    expect(errorOf(main)).toBe(
      `${join(dir, 'sub/a.yml')}:3:5: scrape_configs[0].scrape_intervall: field scrape_intervall not found in type config.ScrapeConfig`,
    );
  });

  it('names where a repeated job was first found, in upstream words', () => {
    const main = files({
      'prometheus.yml': 'scrape_config_files: ["sub/*.yml"]\nscrape_configs:\n  - job_name: a\n',
      'sub/a.yml': jobs('b', 'b'),
      'sub/b.yml': jobs('a'),
    });
    expect(errorOf(main)).toBe(
      `${join(dir, 'sub/a.yml')}:3:15: scrape_configs[1].job_name: found multiple scrape configs with job name "b", first found in "${join(dir, 'sub/a.yml')}"`,
    );
    writeFileSync(join(dir, 'sub/a.yml'), jobs('b'));
    expect(errorOf(main)).toBe(
      `${join(dir, 'sub/b.yml')}:2:15: scrape_configs[0].job_name: found multiple scrape configs with job name "a", first found in main config file`,
    );
  });

  it("refuses a malformed pattern and a file it cannot read, in Go's words", () => {
    const bad = files({ 'prometheus.yml': 'scrape_config_files: ["sub/[.yml"]\n' });
    expect(errorOf(bad)).toBe(
      `error retrieving scrape config files for "${join(dir, 'sub/[.yml')}": syntax error in pattern`,
    );
    const unreadable = files({ 'other.yml': 'scrape_config_files: ["secret/*.yml"]\n', 'secret/a.yml': jobs('a') });
    // A directory that the glob matches cannot be read as a file.
    mkdirSync(join(dir, 'secret/d.yml'));
    const file = join(dir, 'secret/d.yml');
    expect(errorOf(unreadable)).toBe(`"${file}": read ${file}: is a directory`);
    if (process.getuid?.() !== 0) {
      rmSync(file, { recursive: true });
      chmodSync(join(dir, 'secret/a.yml'), 0o000);
      const denied = join(dir, 'secret/a.yml');
      expect(errorOf(unreadable)).toBe(`"${denied}": open ${denied}: permission denied`);
    }
  });
});
