import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseLogs, removeScratchDirs, scratchDir } from './helpers/server.js';
import { killAll, spawnScript } from './helpers/spawn.js';

afterEach(() => {
  killAll();
  removeScratchDirs();
});

async function promtool(...args: string[]) {
  const p = spawnScript('dist/cmd/promtool.js', args);
  const { code } = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

describe('promtool check config (black box)', () => {
  it('accepts the bundled prometheus.yml and checks its rule files', async () => {
    const r = await promtool('check', 'config', 'prometheus.yml');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'Checking prometheus.yml\n  SUCCESS: 1 rule files found\n SUCCESS: prometheus.yml is valid prometheus config file syntax\n',
    );
    expect(r.stdout).toMatch(/Checking .*rules\/example\.rules\.yml\n {2}SUCCESS: 2 rules found\n/);
    expect(r.stderr).toBe('');
  });

  it('fails with exit 1 and the same message prometheus exits 2 with', async () => {
    const dir = scratchDir();
    const file = join(dir, 'bad.yml');
    writeFileSync(file, 'scrape_configs:\n  - job_name: x\n  - job_name: x\n');
    const r = await promtool('check', 'config', file);
    expect(r.code).toBe(1);
    const failed = /^ {2}FAILED: (.*)$/m.exec(r.stderr)?.[1];
    expect(failed).toContain('found multiple scrape configs with job name "x"');

    const server = spawnScript('dist/cmd/prometheus.js', [`--config.file=${file}`, '--log.format=json'], { cwd: dir });
    expect((await server.exited).code).toBe(2);
    expect(parseLogs(server.stderr()).at(-1)?.err).toBe(failed);
  });

  it('reports a broken rule file and exits 1', async () => {
    const dir = scratchDir();
    writeFileSync(join(dir, 'r.yml'), 'groups:\n  - name: g\n    rules:\n      - record: x\n');
    writeFileSync(join(dir, 'p.yml'), "rule_files: ['r.yml']\n");
    const r = await promtool('check', 'config', join(dir, 'p.yml'));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('SUCCESS: 1 rule files found');
    // As upstream's promtool: `FAILED:`, then each error on a line of its own, file first.
    expect(r.stderr).toBe(
      `  FAILED:\n${join(dir, 'r.yml')}: 0:0: group "g", rule 1, "x": field 'expr' must be set in rule\n`,
    );
  });

  it('applies agent-mode rules with --agent', async () => {
    const dir = scratchDir();
    writeFileSync(join(dir, 'p.yml'), "rule_files: ['r.yml']\n");
    const r = await promtool('check', 'config', '--agent', join(dir, 'p.yml'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('field rule_files is not allowed in agent mode');
  });
});
