/**
 * The package installs: `npm pack` gives a tarball whose bins work once installed into an empty
 * directory on this Node (20), with no engine warning: the dependencies that must stay on a Node
 * 20 line are pinned in `dependencies`, where they reach whoever installs the package (the
 * repository's `overrides` do not). Needs the npm registry, as `npm install` does.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers/spawn.js';

const dir = mkdtempSync(join(tmpdir(), 'miniprom-package-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(command: string, args: string[], cwd: string) {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_fund: 'false' } });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('npm pack', () => {
  it('ships dist, the bundled config and the docs, not the tests', () => {
    // dist is already built (npm test builds first): pack without running prepack's build again.
    const packed = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT);
    expect(packed.code).toBe(0);
    const files = (
      JSON.parse(packed.out.slice(packed.out.indexOf('['))) as Array<{ files: Array<{ path: string }> }>
    )[0]?.files.map((f) => f.path) as string[];
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/cmd/prometheus.js',
        'dist/cmd/promtool.js',
        'dist/web/assets/query.js',
        'prometheus.yml',
      ]),
    );
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('src/') || f.startsWith('node_modules/'))).toEqual(
      [],
    );
  });

  it('installs into an empty directory and its bins run, with no engine warning', () => {
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    expect(tarball).toBeDefined();
    const app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{ "name": "app", "private": true }\n');
    const install = run('npm', ['install', '--no-audit', join(dir, tarball as string)], app);
    expect(install.code).toBe(0);
    expect(install.out).not.toMatch(/EBADENGINE/);
    const version = run('npx', ['--no-install', 'miniprom', '--version'], app);
    expect(version.out).toMatch(/^miniprom, version \d+\.\d+\.\d+/);
    const check = run(
      'npx',
      ['--no-install', 'promtool', 'check', 'config', 'node_modules/miniprom/prometheus.yml'],
      app,
    );
    expect(check.out).toContain('SUCCESS: node_modules/miniprom/prometheus.yml is valid prometheus config file syntax');
    expect(check.code).toBe(0);
  }, 120_000);
});
