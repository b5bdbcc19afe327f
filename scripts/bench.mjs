#!/usr/bin/env node
// npm run bench: miniprom side by side with the real Prometheus (3.5 LTS, the reference peer from
// scripts/peers.sh, when it is there) and, where the row applies, a bare node:http server (the Node
// floor, scripts/bench-floor.mjs), on the same machine and the same config. It prints issue 17's
// table first (each row's medians, the ratio and the goal), then each part's own table:
//   startup  spawn → `/-/ready` answers 200; RSS then; POST /-/reload a moment later (the answer
//            comes once the whole reload has run); SIGTERM → the process has exited. The servers
//            take turns, STARTUP_RUNS times each.
//   scrape   samples appended per second and CPU time per 1000 samples, scraping JOBS jobs of
//            SERIES series each every second for WINDOW seconds (after a 7 s warm-up), RUNS
//            alternating runs; then SIGTERM → exit again, now that both have a WAL to flush
//   big      one target of BIG_SERIES series (10.6 MB of text) scraped every 5 s: the scrape's
//            duration as each server reports it (scrape_duration_seconds: fetch, parse and append),
//            and memory per series (RSS after the scrapes less RSS at ready, over the series)
//   query    PromQL latency and WAL replay per million samples (scripts/bench-query.mjs)
//   storage  the TSDB in process (scripts/bench-storage.mjs, miniprom only): memory per series,
//            WAL replay and query CPU time on the built modules; its lines are printed as they are
//   parser   the text parser alone: samples per second, and the time for twice the lines over the
//            time for half (about 2 when parsing is linear; a quadratic slip makes it about 4)
// Nothing leaves 127.0.0.1. `npm run bench -- startup` (or scrape, big, query, storage, parser) runs some
// parts only. BENCH_MINIPROM=<path to a built dist/cmd/prometheus.js> measures another build (an
// older checkout's, to compare before and after).
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, http, median, rssMiB, startServer } from './bench-proc.mjs';
import { queryBench } from './bench-query.mjs';
import { findPeer } from './peers.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const JOBS = Number(process.env.BENCH_JOBS ?? 10);
const SERIES = Number(process.env.BENCH_SERIES ?? 1000);
const WINDOW_S = Number(process.env.BENCH_WINDOW ?? 10);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const STARTUP_RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 7);
const BIG_SERIES = Number(process.env.BENCH_BIG_SERIES ?? 100_000);
const BIG_SCRAPES = Number(process.env.BENCH_BIG_SCRAPES ?? 5);
const WARMUP_MS = 7000;
const PROMETHEUS = findPeer('prometheus');
const MINIPROM = resolve(process.env.BENCH_MINIPROM ?? join(root, 'dist/cmd/prometheus.js'));

const miniprom = { name: 'miniprom', command: process.execPath, args: [MINIPROM], prometheus: true };
const prometheus = PROMETHEUS.path
  ? { name: `prometheus ${PROMETHEUS.version}`, command: PROMETHEUS.path, args: [], prometheus: true }
  : undefined;
const floor = { name: 'node floor', command: process.execPath, args: [join(root, 'scripts/bench-floor.mjs')] };
const servers = prometheus ? [miniprom, prometheus] : [miniprom];

/** Progress goes to stderr; the tables to stdout, the summary first. */
const progress = (line) => process.stderr.write(`bench: ${line}\n`);
const details = [];

/** A markdown table of `rows` under `header`. */
function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** An exporter serving `body` (built once) on 127.0.0.1; resolves to `{ address, served(), close() }`. */
async function exporter(body) {
  let served = 0;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(body, () => served++);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${server.address().port}`,
    served: () => served,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** The JOBS×SERIES exporter's body: SERIES gauges. */
function smallBody() {
  const lines = ['# TYPE bench_value gauge'];
  for (let i = 0; i < SERIES; i++) lines.push(`bench_value{series="${i}",shard="${i % 16}"} ${i}.5`);
  return `${lines.join('\n')}\n`;
}

/** The big target's body: BIG_SERIES series of about 106 bytes each (10.6 MB for 100k), as a large exporter has them. */
function bigBody() {
  const lines = ['# HELP bench_http_request_duration_seconds_total Time spent serving requests.'];
  lines.push('# TYPE bench_http_request_duration_seconds_total counter');
  for (let i = 0; i < BIG_SERIES; i++) {
    const id = String(i).padStart(6, '0');
    lines.push(
      `bench_http_request_duration_seconds_total{handler="/api/v1/items/${id}",method="GET",pod="web-${i % 97}"} ${i}.25`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function jobsConfig(target, jobs, interval) {
  const list = Array.from(
    { length: jobs },
    (_, i) => `  - job_name: bench-${i}\n    static_configs:\n      - targets: ['${target}']\n`,
  );
  return `global:\n  scrape_interval: ${interval}\n  scrape_timeout: ${interval}\nscrape_configs:\n${list.join('')}`;
}

async function samplesAppended(base) {
  const { body } = await http(`${base}/metrics`);
  const m = /^prometheus_tsdb_head_samples_appended_total(?:\{type="float"\})? (\S+)$/m.exec(body);
  // Before its first append a server may not show the series at all.
  return Number(m?.[1] ?? 0);
}

/** Startup, reload, RSS at ready and stop: the servers and the floor take turns. */
async function startupBench(target) {
  const config = jobsConfig(target, JOBS, '1s');
  const results = new Map([...servers, floor].map((s) => [s, []]));
  for (let i = 0; i < STARTUP_RUNS; i++) {
    for (const server of [...servers, floor]) {
      const s = await startServer(server, { config });
      try {
        // CPU time to ready as well: unlike wall time, a busy machine hardly changes it.
        const r = { readyMs: s.readyMs, rss: rssMiB(s.child.pid), cpuMs: cpuSeconds(s.child.pid) * 1000 };
        if (server.prometheus) {
          // A moment of scraping first, so that the reload meets running pools.
          await sleep(1500);
          const r0 = performance.now();
          const reload = await http(`${s.base}/-/reload`, { method: 'POST' });
          r.reloadMs = performance.now() - r0;
          if (reload.status !== 200) throw new Error(`${server.name}: reload answered ${reload.status}`);
        }
        r.stopMs = await s.stop();
        results.get(server).push(r);
      } finally {
        await s.dispose();
      }
    }
    progress(`startup run ${i + 1}/${STARTUP_RUNS}`);
  }
  const m = (server, key) => median(results.get(server).map((r) => r[key]));
  const rows = [...servers, floor].map((server) => [
    server.name,
    `${m(server, 'readyMs').toFixed(0)} ms`,
    `${m(server, 'cpuMs').toFixed(0)} ms`,
    `${m(server, 'rss').toFixed(1)} MiB`,
    server.prometheus ? `${m(server, 'reloadMs').toFixed(1)} ms` : '—',
    `${m(server, 'stopMs').toFixed(0)} ms`,
  ]);
  details.push(
    `startup: ${JOBS} jobs × ${SERIES} series every 1 s configured, median of ${STARTUP_RUNS} alternating runs\n` +
      table(['server', 'spawn → /-/ready 200', 'CPU to ready', 'RSS at ready', 'POST /-/reload', 'SIGTERM → exit'], rows),
  );
  return (server, key) => (server ? m(server, key) : undefined);
}

/** CPU per 1000 samples and samples per second, JOBS jobs of SERIES series every second. */
async function scrapeBench(target) {
  const config = jobsConfig(target, JOBS, '1s');
  const results = new Map(servers.map((s) => [s, []]));
  for (let i = 0; i < RUNS; i++) {
    for (const server of servers) {
      const s = await startServer(server, { config });
      try {
        // Warm-up: Prometheus hands discovered targets to its scrape manager at most every 5 s, and
        // every target's first scrape comes at its own offset within the interval.
        await sleep(WARMUP_MS);
        const [s0, c0, w0] = [await samplesAppended(s.base), cpuSeconds(s.child.pid), performance.now()];
        await sleep(WINDOW_S * 1000);
        const [s1, c1, w1] = [await samplesAppended(s.base), cpuSeconds(s.child.pid), performance.now()];
        const samples = s1 - s0;
        results.get(server).push({
          samplesPerS: samples / ((w1 - w0) / 1000),
          cpuMsPer1k: samples > 0 ? ((c1 - c0) * 1000) / (samples / 1000) : Number.NaN,
          rss: rssMiB(s.child.pid),
          // Stopped while scraping, with a WAL to flush, as a server is stopped in earnest.
          stopMs: await s.stop(),
        });
      } finally {
        await s.dispose();
      }
    }
    progress(`scrape run ${i + 1}/${RUNS}`);
  }
  const m = (server, key) => median(results.get(server).map((r) => r[key]));
  details.push(
    `scrape: ${JOBS} jobs × ${SERIES} series every 1 s (${JOBS * SERIES} samples/s offered, plus each job's report ` +
      `series), ${WINDOW_S} s window, median of ${RUNS} alternating runs\n` +
      table(
        ['server', 'samples/s', 'CPU per 1k samples', 'RSS after', 'SIGTERM → exit'],
        servers.map((s) => [
          s.name,
          m(s, 'samplesPerS').toFixed(0),
          `${m(s, 'cpuMsPer1k').toFixed(2)} ms`,
          `${m(s, 'rss').toFixed(0)} MiB`,
          `${m(s, 'stopMs').toFixed(0)} ms`,
        ]),
      ),
  );
  return (server, key) => (server ? m(server, key) : undefined);
}

/** One big target: each scrape's reported duration, and memory per series once it is stored. */
async function bigBench() {
  const body = bigBody();
  const target = await exporter(body);
  const config =
    'global:\n  scrape_interval: 5s\n  scrape_timeout: 5s\n' +
    `scrape_configs:\n  - job_name: big\n    static_configs:\n      - targets: ['${target.address}']\n`;
  const results = new Map();
  for (const server of servers) {
    const s = await startServer(server, { config });
    try {
      const rssReady = rssMiB(s.child.pid);
      const start = target.served();
      while (target.served() - start < BIG_SCRAPES) await sleep(100);
      // The last scrape's parse and append, after its body was sent.
      await sleep(3000);
      const rssAfter = rssMiB(s.child.pid);
      const q = new URLSearchParams({ query: 'scrape_duration_seconds{job="big"}[10m]' }).toString();
      const answer = JSON.parse((await http(`${s.base}/api/v1/query`, { method: 'POST', body: q })).body);
      const values = answer.data.result[0].values.map(([, v]) => Number(v) * 1000);
      results.set(server, {
        first: values[0],
        steady: median(values.slice(1)),
        bytesPerSeries: ((rssAfter - rssReady) * 1024 * 1024) / BIG_SERIES,
        scrapes: values.length,
      });
      await s.stop();
    } finally {
      await s.dispose();
    }
    progress(`big scrape: ${server.name} done`);
  }
  await target.close();
  details.push(
    `big scrape: one target of ${BIG_SERIES} series (${(body.length / 1e6).toFixed(1)} MB) every 5 s, ` +
      `scrape_duration_seconds as each server reports it; memory per series = (RSS after ${BIG_SCRAPES} scrapes − RSS at ready) / series\n` +
      table(
        ['server', 'first scrape', 'later scrapes (median)', 'memory per series'],
        servers.map((s) => {
          const r = results.get(s);
          return [
            s.name,
            `${r.first.toFixed(0)} ms`,
            `${r.steady.toFixed(0)} ms (${r.scrapes - 1})`,
            `${(r.bytesPerSeries / 1000).toFixed(2)} KB`,
          ];
        }),
      ),
  );
  return (server, key) => (server ? results.get(server)[key] : undefined);
}

/** The exposition parser alone, on the built module: its rate, and how it scales with the body. */
async function parserBench() {
  const { parseTextFormat } = await import(join(root, 'dist/src/scrape/index.js'));
  const body = (n) => {
    const lines = [];
    for (let i = 0; i < n; i++) lines.push(`http_requests_total{method="get",code="200",handler="/api/v1/q${i % 100}"} ${i}`);
    // Bytes, as a scrape hands them to the parser.
    return Buffer.from(lines.join('\n'));
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
  details.push(
    `parser: 100k samples in ${full.toFixed(1)} ms (${Math.round(100_000 / (full / 1000)).toLocaleString('en')} samples/s); ` +
      `100k/50k time ratio ${(full / half).toFixed(2)} (linear ≈ 2)`,
  );
}

/** Issue 17's table: one row per measurement, miniprom beside its reference, the ratio and the goal. */
function summary({ startup, scrape, big, query }) {
  const rows = [];
  const fmt = (v, unit, digits = 0) => (v === undefined || Number.isNaN(v) ? '—' : `${v.toFixed(digits)} ${unit}`);
  /** A row: miniprom's value, the references, and miniprom ÷ the reference the goal names. */
  const row = (what, mini, refs, against, goal, unit, digits) => {
    const ratio = mini !== undefined && against !== undefined ? mini / against : undefined;
    const refText = refs
      .filter(([, v]) => v !== undefined)
      .map(([name, v]) => `${name} ${fmt(v, unit, digits)}`)
      .join('; ');
    const met = ratio === undefined ? '—' : ratio <= goal ? 'met' : 'not met';
    rows.push([what, fmt(mini, unit, digits), refText || '—', ratio === undefined ? '—' : `${ratio.toFixed(2)}×`, `≤ ${goal}×`, met]);
  };
  const P = prometheus;
  if (startup) {
    row('spawn → /-/ready 200', startup(miniprom, 'readyMs'), [['node floor', startup(floor, 'readyMs')], ['Prometheus', startup(P, 'readyMs')]], startup(floor, 'readyMs'), 1.3, 'ms');
    row('CPU time to ready', startup(miniprom, 'cpuMs'), [['node floor', startup(floor, 'cpuMs')], ['Prometheus', startup(P, 'cpuMs')]], startup(floor, 'cpuMs'), 1.3, 'ms');
    row('POST /-/reload', startup(miniprom, 'reloadMs'), [['Prometheus', startup(P, 'reloadMs')]], startup(P, 'reloadMs'), 1.0, 'ms', 1);
    row('SIGTERM → exit, 1.5 s after ready', startup(miniprom, 'stopMs'), [['node floor', startup(floor, 'stopMs')], ['Prometheus', startup(P, 'stopMs')]], startup(P, 'stopMs'), 1.5, 'ms');
    row('RSS at ready', startup(miniprom, 'rss'), [['node floor', startup(floor, 'rss')], ['Prometheus', startup(P, 'rss')]], startup(P, 'rss'), 1.0, 'MiB', 1);
  }
  if (big) {
    row(`one scrape of ${BIG_SERIES / 1000}k series (later scrapes)`, big(miniprom, 'steady'), [['Prometheus', big(P, 'steady')]], big(P, 'steady'), 1.0, 'ms');
    const kb = (server) => (server ? big(server, 'bytesPerSeries') / 1000 : undefined);
    row('memory per series after ingest', kb(miniprom), [['Prometheus', kb(P)]], kb(P), 1.0, 'KB', 2);
  }
  if (scrape) {
    // Prometheus hands its first targets over after up to 5 s: 1.5 s after ready it has scraped
    // nothing, so this is the stop where both have a WAL to flush.
    row('SIGTERM → exit, after scraping', scrape(miniprom, 'stopMs'), [['Prometheus', scrape(P, 'stopMs')]], scrape(P, 'stopMs'), 1.5, 'ms');
    row(`CPU per 1000 samples (${JOBS} jobs × ${SERIES} series)`, scrape(miniprom, 'cpuMsPer1k'), [['Prometheus', scrape(P, 'cpuMsPer1k')]], scrape(P, 'cpuMsPer1k'), 1.0, 'ms', 2);
  }
  if (query) {
    for (const name of query.names) {
      row(`query: ${name}`, query.get('miniprom', name), [['Prometheus', query.get('prometheus', name)]], query.get('prometheus', name), 1.0, 'ms', 1);
    }
    row('WAL replay per million samples', query.get('miniprom', 'replay'), [['Prometheus', query.get('prometheus', 'replay')]], query.get('prometheus', 'replay'), 1.0, 'ms');
  }
  return table(['', 'miniprom', 'reference', 'ratio', 'goal', ''], rows);
}

const parts = process.argv.slice(2);
const want = (part) => parts.length === 0 || parts.includes(part);
const load0 = loadavg();
const measured = {};
if (!prometheus) progress(`${PROMETHEUS.missing}: miniprom alone`);
if (want('startup') || want('scrape')) {
  const target = await exporter(smallBody());
  if (want('startup')) measured.startup = await startupBench(target.address);
  if (want('scrape')) measured.scrape = await scrapeBench(target.address);
  await target.close();
}
if (want('big')) measured.big = await bigBench();
if (want('query')) {
  const q = await queryBench(servers, progress);
  details.push(q.text);
  measured.query = q;
}
if (want('storage')) {
  progress('storage (scripts/bench-storage.mjs)');
  // The same build as the rest: dist/ of the measured dist/cmd/prometheus.js.
  const env = { ...process.env, BENCH_STORAGE_DIST: dirname(dirname(MINIPROM)) };
  const r = spawnSync(process.execPath, [join(root, 'scripts/bench-storage.mjs')], { env, encoding: 'utf8' });
  details.push(r.status === 0 ? r.stdout.trimEnd() : `storage: failed (${r.status}): ${r.stderr.trim()}`);
}
if (want('parser')) await parserBench();
const load1 = loadavg();
console.log(
  `miniprom ${MINIPROM}, node ${process.version}; load average (1 min) ${load0[0].toFixed(2)} at the start, ` +
    `${load1[0].toFixed(2)} at the end\n`,
);
console.log(summary(measured));
for (const text of details) console.log(`\n${text}`);
