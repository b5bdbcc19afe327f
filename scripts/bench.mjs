#!/usr/bin/env node
// npm run bench: miniprom side by side with the real Prometheus (3.5 LTS, the reference peer from
// scripts/peers.sh, when it is there), on the same machine and the same config:
//   time to ready   spawn → the "Server is ready to receive web requests." log line
//   reload          POST /-/reload while scraping → its answer (the whole reload runs before it)
//   RSS             resident memory once ready, and after the scrape window
//   scrape          samples appended per second and CPU time per 1000 samples, scraping JOBS jobs
//                   of SERIES series each every second for WINDOW seconds (after a 7 s warm-up)
//   stop            SIGTERM → the process has exited
// Each server runs RUNS times; the table shows medians. Then query latency (scripts/bench-query.mjs):
// the same series written to both through remote write, the same PromQL asked of both. Then the
// text parser alone (`parser`): samples per second, and the time for twice the lines over the time
// for half (about 2 when parsing is linear; a quadratic slip makes it about 4). Nothing leaves
// 127.0.0.1. `npm run bench -- scrape`, `-- query` or `-- parser` runs one part only.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.mjs';
import { findPeer } from './peers.mjs';
import { queryBench } from './bench-query.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const JOBS = Number(process.env.BENCH_JOBS ?? 10);
const SERIES = Number(process.env.BENCH_SERIES ?? 1000);
const WINDOW_S = Number(process.env.BENCH_WINDOW ?? 10);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const WARMUP_MS = 7000;
const PROMETHEUS = findPeer('prometheus');
const READY = 'Server is ready to receive web requests.';
const CLOCK_TICKS = 100; // USER_HZ on Linux: /proc/<pid>/stat counts CPU time in these

/** The exporter every job scrapes: SERIES gauges, one body built once. */
function exporter() {
  const lines = ['# TYPE bench_value gauge'];
  for (let i = 0; i < SERIES; i++) lines.push(`bench_value{series="${i}",shard="${i % 16}"} ${i}.5`);
  const body = `${lines.join('\n')}\n`;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function config(target) {
  const jobs = Array.from(
    { length: JOBS },
    (_, i) => `  - job_name: bench-${i}\n    static_configs:\n      - targets: ['${target}']\n`,
  );
  return `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n${jobs.join('')}`;
}

const rssMiB = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
/** utime + stime of a process, in seconds. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

async function samplesAppended(base) {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = /^prometheus_tsdb_head_samples_appended_total(?:\{type="float"\})? (\S+)$/m.exec(text);
  // Before its first append a server may not show the series at all (Prometheus 2.42 does not).
  return Number(m?.[1] ?? 0);
}

/** One run of one server: spawn, ready, reload, scrape window, stop. */
async function once(server, target) {
  const dir = mkdtempSync(join(tmpdir(), 'miniprom-bench-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  writeFileSync(join(dir, 'bench.yml'), config(target));
  const args = [
    '--config.file=bench.yml',
    `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-lifecycle',
    `--storage.tsdb.path=${join(dir, 'data')}`,
  ];
  const t0 = performance.now();
  const child = spawn(server.command, [...server.args, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  let log = '';
  const ready = new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      log += d;
      if (log.includes(READY)) resolve(performance.now() - t0);
    });
    exited.then(() => reject(new Error(`${server.name} exited before ready:\n${log}`)));
  });
  try {
    const toReady = await ready;
    const rssReady = rssMiB(child.pid);
    // Warm-up: Prometheus hands discovered targets to its scrape manager at most every 5 s, and
    // every target's first scrape comes at its own offset within the interval.
    await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
    // The scrape window: samples appended and CPU spent between two readings WINDOW_S apart.
    const [s0, c0, w0] = [await samplesAppended(base), cpuSeconds(child.pid), performance.now()];
    await new Promise((resolve) => setTimeout(resolve, WINDOW_S * 1000));
    const [s1, c1, w1] = [await samplesAppended(base), cpuSeconds(child.pid), performance.now()];
    const rssAfter = rssMiB(child.pid);

    // A reload of the same file while scraping: the cost of re-reading and re-applying it.
    const r0 = performance.now();
    const reload = await fetch(`${base}/-/reload`, { method: 'POST' });
    const reloadMs = performance.now() - r0;
    if (reload.status !== 200) throw new Error(`${server.name}: reload answered ${reload.status}`);

    const s = performance.now();
    child.kill('SIGTERM');
    await exited;
    const stopMs = performance.now() - s;
    const samples = s1 - s0;
    return {
      toReady,
      reloadMs,
      rssReady,
      rssAfter,
      samplesPerS: samples / ((w1 - w0) / 1000),
      cpuMsPer1k: samples > 0 ? ((c1 - c0) * 1000) / (samples / 1000) : Number.NaN,
      stopMs,
    };
  } finally {
    child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const servers = [{ name: 'miniprom', command: process.execPath, args: [join(root, 'dist/cmd/prometheus.js')] }];
if (PROMETHEUS.path) servers.push({ name: `prometheus ${PROMETHEUS.version}`, command: PROMETHEUS.path, args: [] });
else console.log(`(${PROMETHEUS.missing}: miniprom alone)`);

/** A markdown table of `rows` under `header`. */
function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Startup, reload, memory and scrape throughput, each server RUNS times. */
async function scrapeBench() {
  const target = await exporter();
  const address = `127.0.0.1:${target.address().port}`;
  console.log(
    `${JOBS} jobs × ${SERIES} series every 1s (${JOBS * SERIES} samples/s offered, plus each job's report series), ` +
      `${WINDOW_S}s window, median of ${RUNS} runs, node ${process.version}`,
  );
  const rows = [];
  for (const server of servers) {
    const results = [];
    for (let i = 0; i < RUNS; i++) results.push(await once(server, address));
    const m = (key) => median(results.map((r) => r[key]));
    rows.push([
      server.name,
      `${m('toReady').toFixed(0)} ms`,
      `${m('reloadMs').toFixed(1)} ms`,
      `${m('rssReady').toFixed(0)} / ${m('rssAfter').toFixed(0)} MiB`,
      `${m('samplesPerS').toFixed(0)}`,
      `${m('cpuMsPer1k').toFixed(2)} ms`,
      `${m('stopMs').toFixed(0)} ms`,
    ]);
  }
  target.close();
  const header = ['server', 'to ready', 'reload', 'RSS ready / after', 'samples/s', 'CPU per 1k samples', 'stop'];
  console.log(table(header, rows));
}

/** The exposition parser alone, on the built module: its rate, and how it scales with the body. */
async function parserBench() {
  const { parseTextFormat } = await import(join(root, 'dist/src/scrape/index.js'));
  const body = (n) => {
    const lines = [];
    for (let i = 0; i < n; i++) lines.push(`http_requests_total{method="get",code="200",handler="/api/v1/q${i % 100}"} ${i}`);
    return lines.join('\n');
  };
  const best = (text) => {
    let ms = Number.POSITIVE_INFINITY;
    for (let i = 0; i < RUNS + 2; i++) {
      const t0 = performance.now();
      parseTextFormat(text);
      ms = Math.min(ms, performance.now() - t0);
    }
    return ms;
  };
  const half = best(body(50_000));
  const full = best(body(100_000));
  console.log(
    `parser: 100k samples in ${full.toFixed(1)} ms (${Math.round(100_000 / (full / 1000)).toLocaleString('en')} samples/s); ` +
      `100k/50k time ratio ${(full / half).toFixed(2)} (linear ≈ 2)`,
  );
}

const parts = process.argv.slice(2);
if (parts.length === 0 || parts.includes('scrape')) await scrapeBench();
if (parts.length === 0 || parts.includes('query')) await queryBench(servers);
if (parts.length === 0 || parts.includes('parser')) await parserBench();
