/**
 * `promtool query` beside the real promtool 3.5: the same command against the same server gives
 * the same stdout, stderr and exit code. Against Prometheus 3.5, miniprom's promtool must answer
 * as the real promtool does; against miniprom, the real promtool must work as it does against
 * Prometheus. Skips, saying why, only when a peer cannot be had.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPeer } from '../scripts/peers.mjs';
import { PROMETHEUS, type ReferencePrometheus, startPrometheus, stopPrometheuses } from './helpers/prometheus.js';
import { listening, removeScratchDirs } from './helpers/server.js';
import { killAll, ROOT, spawnScript } from './helpers/spawn.js';

const PROMTOOL = findPeer('promtool');
const havePeers = PROMETHEUS.path !== undefined && PROMTOOL.path !== undefined;
for (const peer of [PROMETHEUS, PROMTOOL]) {
  if (peer.missing) console.log(`promtool-query.test.ts: skipped: ${peer.missing}`);
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The real promtool 3.5. */
function realPromtool(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(PROMTOOL.path as string, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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
  });
}

/** miniprom's promtool, built. */
async function ourPromtool(args: string[]): Promise<Run> {
  const p = spawnScript('dist/cmd/promtool.js', args, { cwd: ROOT });
  const { code } = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

let prometheus: ReferencePrometheus;

beforeAll(async () => {
  if (!havePeers) return;
  prometheus = await startPrometheus({ args: ['--enable-feature=promql-experimental-functions'] });
}, 30_000);

afterAll(async () => {
  killAll();
  await stopPrometheuses();
  removeScratchDirs();
});

describe.skipIf(!havePeers)("miniprom's promtool query against Prometheus 3.5, beside the real promtool", () => {
  const cases: Array<(server: string) => string[]> = [
    (s) => ['query', 'instant', '--time=1700000000', s, 'vector(1)'],
    (s) => ['query', 'instant', '--time=1700000000.5', s, '1+1'],
    (s) => ['query', 'instant', '--time=1700000000', '-o', 'json', s, 'vector(1)'],
    (s) => ['query', 'instant', '--time=1700000000', '--format=json', s, '1+1'],
    (s) => ['query', 'instant', '--time=1700000000', s, 'label_replace(vector(1e30), "a", "<&>\\"\\n", "", "")'],
    (s) => [
      'query',
      'instant',
      '--time=1700000000',
      '-ojson',
      s,
      'label_replace(vector(-1e-7), "a", "<&>\\b", "", "")',
    ],
    (s) => ['query', 'instant', '--time=1700000000', s, 'vector(1) or label_replace(vector(2), "b", "x", "", "")'],
    (s) => ['query', 'instant', '--time=1700000000', s, 'nope'],
    (s) => ['query', 'instant', '--time=1700000000', s, '"str"'],
    (s) => ['query', 'instant', s, 'up{'],
    (s) => ['query', 'instant', '--time=x', s, 'up'],
    (s) => ['query', 'range', '--start=0', '--end=3', '--step=1s', s, 'vector(1)'],
    (s) => [
      'query',
      'range',
      '--start=0',
      '--end=3',
      '--step=1s',
      s,
      'label_replace(vector(time()), "a", "b", "", "") or vector(0.5)',
    ],
    (s) => ['query', 'range', '--start=0', '--end=3', '-o', 'json', s, 'vector(1)'],
    (s) => ['query', 'range', '--start=0', '--end=600', s, 'vector(2)'],
    (s) => ['query', 'range', '--start=5', '--end=5', s, 'up'],
    (s) => ['query', 'range', '--start=x', s, 'up'],
    (s) => ['query', 'range', '--end=x', s, 'up'],
    (s) => ['query', 'range', '--start=1', '--end=2', '--step=-1s', s, 'up'],
    (s) => ['query', 'range', '--step=x', s, 'up'],
    (s) => ['query', 'range', '--header=X-A:b', '--start=0', '--end=1', s, 'vector(1)'],
    (s) => ['query', 'range', '--header=bad', s, 'up'],
    (s) => ['query', 'series', '--match=up', s],
    (s) => ['query', 'series', '--match=up', '-o', 'json', s],
    (s) => ['query', 'series', '--match=up(', s],
    (s) => ['query', 'series', '--match=up', '--start=x', s],
    (s) => ['query', 'series', s],
    (s) => ['query', 'labels', s, 'job'],
    (s) => ['query', 'labels', '-o', 'json', s, 'job'],
    (s) => ['query', 'labels', '--match=up(', s, '__name__'],
    (s) => ['query', 'labels', s],
    (s) => ['query', 'instant', `${s}/x`, 'up'],
    (s) => ['query', 'instant', s.replace('http://', ''), 'up'],
    () => ['query', 'instant', 'http://127.0.0.1:1', 'up'],
    () => ['query', 'instant', 'ftp://x', 'up'],
    (s) => ['query', 'instant', s],
    (s) => ['query', 'instant', s, 'up', 'extra'],
    (s) => ['query', 'instant', '--bogus', s, 'up'],
    (s) => ['query', 'instant', '-o', 'yaml', s, 'up'],
    () => ['query'],
    () => ['query', 'nope'],
  ];

  it.each(cases.map((c) => [c('http://SERVER').join(' '), c]))('answers %s', async (_name, command) => {
    const args = command(prometheus.base);
    const [theirs, ours] = await Promise.all([realPromtool(args), ourPromtool(args)]);
    expect(ours).toEqual(theirs);
  });
});

describe.skipIf(PROMTOOL.path === undefined)('the real promtool 3.5 against miniprom', () => {
  /** miniprom scraping a target that is down: `up` and the scrape series exist after a scrape. */
  async function scraped() {
    const server = await listening({
      config:
        "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['127.0.0.1:1']\n",
      args: ['--log.level=debug'],
    });
    // The second failed scrape is logged after the first one's samples were committed.
    await server.untilLog('Scrape failed', 2);
    return server;
  }

  it('lists series and label values, as miniprom’s promtool does too', async () => {
    const s = await scraped();
    const cases = [
      ['query', 'series', '--match=up', s.base],
      ['query', 'series', '--match=up', '-o', 'json', s.base],
      ['query', 'labels', s.base, 'job'],
      ['query', 'labels', '--match=up', '-o', 'json', s.base, '__name__'],
      ['query', 'labels', '--match=nope', s.base, 'job'],
      ['query', 'instant', `${s.base}/x`, 'up'],
    ];
    const [series, seriesJson, jobs, names, none, notFound] = await Promise.all(cases.map(realPromtool));
    expect(series).toEqual({ code: 0, stdout: '{__name__="up", instance="127.0.0.1:1", job="self"}\n', stderr: '' });
    expect(seriesJson?.stdout).toBe('[{"__name__":"up","instance":"127.0.0.1:1","job":"self"}]\n');
    expect(jobs).toEqual({ code: 0, stdout: 'self\n', stderr: '' });
    expect(names?.stdout).toBe('["up"]\n');
    expect(none).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(notFound).toEqual({
      code: 1,
      stdout: '',
      stderr: 'query error: client_error: client error: 404 (detail: 404 page not found)\n',
    });
    const ours = await Promise.all(cases.map(ourPromtool));
    expect(ours).toEqual([series, seriesJson, jobs, names, none, notFound]);
  });

  it('runs instant and range queries, as miniprom’s promtool does too', async () => {
    const s = await scraped();
    const now = String(Date.now() / 1000);
    const cases = [
      ['query', 'instant', s.base, 'up'],
      ['query', 'instant', `--time=${now}`, s.base, 'up'],
      ['query', 'instant', `--time=${now}`, '-o', 'json', s.base, 'up == 0'],
      ['query', 'instant', `--time=${now}`, s.base, 'scalar(up) + 1'],
      ['query', 'range', `--end=${now}`, '--step=1s', s.base, 'up'],
      ['query', 'range', `--end=${now}`, '--step=1s', '-o', 'json', s.base, 'count(up)'],
      ['query', 'instant', s.base, 'rate(up['],
    ];
    const theirs = await Promise.all(cases.map(realPromtool));
    expect(theirs[0]?.code).toBe(0);
    expect(theirs[0]?.stdout).toMatch(/^up\{instance="127\.0\.0\.1:1", job="self"\} => 0 @\[\d+(\.\d+)?\]\n$/);
    expect(theirs[6]).toMatchObject({ code: 1, stdout: '' });
    const ours = await Promise.all(cases.slice(1).map(ourPromtool));
    expect(ours).toEqual(theirs.slice(1));
  });
});
