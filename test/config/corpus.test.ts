/**
 * The config corpus: every file under test/fixtures/config/good must load, every file under bad
 * must fail with a ConfigError whose one-line message contains the text of its `.err` sibling
 * (which names the line:column and the field path wherever the loader can point at one).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  type Config,
  ConfigError,
  configToYAML,
  type HTTPClientConfig,
  loadConfigFile,
  parseConfig,
} from '../../src/config/index.js';

const corpus = fileURLToPath(new URL('../fixtures/config/', import.meta.url));
const files = (dir: string) =>
  readdirSync(join(corpus, dir))
    .filter((f) => f.endsWith('.yml'))
    .sort();

/** The config as printing back shows it: inline secrets become `<secret>`, as upstream's API shows them. */
function masked(cfg: Config): Config {
  const copy = structuredClone(cfg);
  const mask = (h: HTTPClientConfig) => {
    if (h.basicAuth?.password !== undefined) h.basicAuth.password = '<secret>';
    if (h.authorization?.credentials !== undefined) h.authorization.credentials = '<secret>';
  };
  for (const sc of copy.scrapeConfigs) mask(sc.httpClient);
  for (const am of copy.alerting.alertmanagers) mask(am.httpClient);
  for (const remote of [...copy.remoteWrite, ...copy.remoteRead]) {
    mask(remote.httpClient);
    // A URL's password shows as Go's url.Redacted prints it.
    const url = new URL(remote.url);
    if (url.password !== '') {
      url.password = 'xxxxx';
      remote.url = url.toString();
    }
  }
  return copy;
}

describe('good configs', () => {
  it.each(files('good'))('%s loads, and loads the same after printing back', (name) => {
    const file = join(corpus, 'good', name);
    const cfg = loadConfigFile(file, { agentMode: false });
    const yaml = configToYAML(cfg);
    const again = parseConfig(yaml, file, { agentMode: false });
    expect(again).toEqual(masked(cfg));
    // Printing is stable: what the status page shows reloads into a config that prints the same.
    expect(configToYAML(again)).toBe(yaml);
  });
});

describe('bad configs', () => {
  it.each(files('bad'))('%s is rejected with its expected one-line message', (name) => {
    const file = join(corpus, 'bad', name);
    const expected = readFileSync(`${file}.err`, 'utf8').trim();
    let error: unknown;
    try {
      loadConfigFile(file, { agentMode: false });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain(expected);
    expect(message.startsWith(file)).toBe(true);
    expect(message).not.toContain('\n');
  });
});
