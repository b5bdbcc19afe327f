/**
 * `promtool check metrics` and `promtool --version`, black box: the same inputs (test/fixtures/
 * promtool-metrics, good and bad ones) given to miniprom's promtool and to the real promtool 3.5
 * give the same exit code, stdout and stderr.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findPeer } from '../scripts/peers.mjs';
import { killAll, ROOT } from './helpers/spawn.js';

const PROMTOOL = findPeer('promtool') as { path?: string; missing?: string };
if (PROMTOOL.missing) console.log(`promtool-metrics.test.ts: comparisons skipped: ${PROMTOOL.missing}`);

const FIXTURES = join(ROOT, 'test/fixtures/promtool-metrics');
const INPUTS = readdirSync(FIXTURES).filter((f) => f.endsWith('.prom'));

afterEach(() => killAll());

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command args` with `input` on stdin. */
function run(command: string, args: string[], input: string | Buffer): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

const ours = (args: string[], input: string | Buffer = '') =>
  run(process.execPath, [join(ROOT, 'dist/cmd/promtool.js'), ...args], input);

/** The cardinality table with its rows sorted: upstream orders ties in Go's map order. */
const sortedRows = (r: Result) => ({ ...r, stdout: r.stdout.split('\n').sort().join('\n') });

describe('promtool check metrics', () => {
  it('reports lint problems on stderr, sorted by metric then text, and exits 3', async () => {
    const r = await ours(['check', 'metrics'], 'foo 1\nfoo 2\n# TYPE bar_total gauge\nbar_total 1\n');
    expect(r).toEqual({
      code: 3,
      stdout: '',
      stderr:
        'bar_total no help text\nbar_total non-counter metrics should not have "_total" suffix\nfoo metric not unique\nfoo no help text\n',
    });
  });

  it('exits 1 with the parser error and its line on input that is not the text format', async () => {
    const r = await ours(['check', 'metrics'], '# HELP a x\na 1\nfoo{a="1" 1\n');
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error while linting: text format parsing error in line 3: unexpected end of label value "1"\n',
    });
  });

  it('is silent and exits 0 on clean input; --extended prints the cardinality table', async () => {
    const input = readFileSync(join(FIXTURES, 'histogram.prom'));
    expect(await ours(['check', 'metrics'], input)).toEqual({ code: 0, stdout: '', stderr: '' });
    const extended = await ours(['check', 'metrics', '--extended'], input);
    expect(extended.stdout).toBe(
      [
        'Metric       Cardinality    Percentage    ',
        'h_seconds    8              50.00%        ',
        's_seconds    5              31.25%        ',
        'g_bytes      3              18.75%        ',
        'Total        16             100%          ',
        '',
      ].join('\n'),
    );
  });

  describe.skipIf(PROMTOOL.path === undefined)('beside the real promtool 3.5', () => {
    it.each(INPUTS)('answers %s exactly as promtool does', async (name) => {
      const input = readFileSync(join(FIXTURES, name));
      const theirs = await run(PROMTOOL.path as string, ['check', 'metrics'], input);
      expect(await ours(['check', 'metrics'], input)).toEqual(theirs);
      const theirsExtended = await run(PROMTOOL.path as string, ['check', 'metrics', '--extended'], input);
      expect(sortedRows(await ours(['check', 'metrics', '--extended'], input))).toEqual(sortedRows(theirsExtended));
    });
  });
});

describe('promtool --version', () => {
  it('prints prometheus/common version.Print lines, naming miniprom, and exits 0', async () => {
    const r = await ours(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^promtool \(miniprom\), version \d+\.\d+\.\d+ \(branch: .*, revision: .*\)\n/);
    expect(r.stdout).toContain(`  go version:       node ${process.version}\n`);
  });

  it.skipIf(PROMTOOL.path === undefined)('has the same lines, in the same order, as the real promtool', async () => {
    const theirs = await run(PROMTOOL.path as string, ['--version'], '');
    // Each line without its value: `promtool, version`, `  build user:`, …
    const labels = (text: string) =>
      text.split('\n').map((l) => l.replace(/^(\s*[a-z ]+:).*$/, '$1').replace(/^(\S+), version .*$/, '$1, version'));
    const r = await ours(['--version']);
    expect(theirs.code).toBe(0);
    expect(labels(r.stdout.replace('promtool (miniprom)', 'promtool'))).toEqual(labels(theirs.stdout));
  });
});
