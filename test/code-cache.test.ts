/**
 * The entry points' code cache (cmd/code-cache.ts, built into dist/cmd): a bundle runs the same
 * with or without it; the cache is written whole when the first run exits and taken as it is by
 * the next; one V8 refuses is ignored and rewritten; a rebuilt bundle or another Node has a cache
 * of its own. Each run is a child process (the cache is written on exit), on the built module.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cachePath } from '../cmd/code-cache.js';
import { ROOT } from './helpers/spawn.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'miniprom-code-cache-'));
  // A bundle shaped as build-cmd.mjs writes them: a module inside CommonJS's wrapper function.
  writeFileSync(
    join(dir, 'bundle.cjs'),
    '(function (exports, require, module, __filename, __dirname) {const { join } = require("node:path");\n' +
      'function double(x) { return x * 2; }\nmodule.exports.answer = double(21);\n' +
      'module.exports.where = join(__dirname, "x");\n})',
  );
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the bundle through the built runBundle in a fresh process; returns what it exported. */
function run(buildId = 'build1', { untilReady = false, ready = false } = {}): { answer: number; where: string } {
  const loader = pathToFileURL(join(ROOT, 'dist/cmd/code-cache.js')).href;
  const bundle = pathToFileURL(join(dir, 'bundle.cjs')).href;
  const script =
    `import { markReady, runBundle } from ${JSON.stringify(loader)};\n` +
    `const e = runBundle(new URL(${JSON.stringify(bundle)}), ${JSON.stringify(buildId)}, { untilReady: ${untilReady} });\n` +
    (ready ? 'markReady();\n' : '') +
    'console.log(JSON.stringify({ answer: e.answer, where: e.where }));\n';
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

const cacheFiles = () => readdirSync(join(dir, '.v8-cache'));

describe('runBundle', () => {
  it('runs a bundle as CommonJS runs a module: its own require, module.exports and __dirname', () => {
    expect(run()).toEqual({ answer: 42, where: join(dir, 'x') });
  });

  it('writes the cache whole when the first run exits, and leaves no temporary file', () => {
    run();
    expect(cacheFiles()).toEqual([cachePath(join(dir, 'bundle.cjs'), 'build1').split('/').pop()]);
    expect(statSync(cachePath(join(dir, 'bundle.cjs'), 'build1')).size).toBeGreaterThan(0);
  });

  it('takes the cache as it is on the next run (it is not written again)', () => {
    run();
    const cache = cachePath(join(dir, 'bundle.cjs'), 'build1');
    const first = readFileSync(cache);
    writeFileSync(cache, first); // a new mtime to compare against
    const before = statSync(cache).mtimeMs;
    expect(run()).toEqual({ answer: 42, where: join(dir, 'x') });
    expect(statSync(cache).mtimeMs).toBe(before);
  });

  it('ignores a cache V8 refuses (here, garbage) and writes a good one over it', () => {
    run();
    const cache = cachePath(join(dir, 'bundle.cjs'), 'build1');
    const good = readFileSync(cache);
    writeFileSync(cache, Buffer.alloc(good.length, 7));
    expect(run()).toEqual({ answer: 42, where: join(dir, 'x') });
    expect(readFileSync(cache).equals(Buffer.alloc(good.length, 7))).toBe(false);
  });

  it('with untilReady, leaves the cache to the first run that got ready', () => {
    const cache = cachePath(join(dir, 'bundle.cjs'), 'build1');
    expect(run('build1', { untilReady: true })).toEqual({ answer: 42, where: join(dir, 'x') });
    expect(existsSync(cache)).toBe(false);
    run('build1', { untilReady: true, ready: true });
    expect(statSync(cache).size).toBeGreaterThan(0);
  });

  it('gives a rebuilt bundle a cache of its own instead of reading the old one', () => {
    run('build1');
    run('build2');
    expect(cacheFiles().sort()).toEqual(
      [cachePath(join(dir, 'bundle.cjs'), 'build1'), cachePath(join(dir, 'bundle.cjs'), 'build2')]
        .map((p) => p.split('/').pop())
        .sort(),
    );
  });
});

describe('cachePath', () => {
  it("names the build, V8's version and the architecture", () => {
    const path = cachePath('/x/main.cjs', 'abc123');
    expect(path).toBe(`/x/.v8-cache/main.cjs-abc123-v8-${process.versions.v8}-${process.arch}.bin`);
  });
});
