#!/usr/bin/env node
// The load of issue 12, item 2, measured: a target of 100,000 series scraped every 2s beside 23
// small targets (1s interval and timeout), for DURATION ms (default 30s) after the server is ready.
// Reports /-/healthy latency (probed every 50ms), how often a small target was seen down, the
// heavy scrape's duration and, for miniprom, the event-loop delay (perf_hooks'
// monitorEventLoopDelay at 10ms resolution, reset once the server is ready: its p50 of ~10ms is
// the resolution itself). Build first (npm run build).
//
//   node scripts/load.mjs [miniprom|prometheus]      SERIES=100000 DURATION=30000
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.mjs';
import { findPeer } from './peers.mjs';

const which = process.argv[2] ?? 'miniprom';
const SERIES = Number(process.env.SERIES ?? 100_000);
const DURATION = Number(process.env.DURATION ?? 30_000);
const root = fileURLToPath(new URL('..', import.meta.url));

// Preloaded into miniprom: the event-loop delay histogram, reset on SIGUSR2, written at exit.
const PRELOAD = `
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
const h = monitorEventLoopDelay({ resolution: 10 });
h.enable();
process.on('SIGUSR2', () => h.reset());
process.on('exit', () => writeFileSync(process.env.LOAD_ELD_OUT, JSON.stringify({
  p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6 })));
`;

const text = (body) => (_req, res) => {
  res.setHeader('Content-Type', 'text/plain; version=0.0.4');
  res.end(body);
};
const lines = [];
for (let i = 0; i < SERIES; i++) lines.push(`heavy_metric{idx="${i}",shard="${i % 16}",path="/api/v1/x/${i % 500}"} ${i}`);
const heavy = createServer(text(`${lines.join('\n')}\n`));
const small = createServer(text('small_metric{a="b"} 1\n'));
await Promise.all([heavy, small].map((s) => new Promise((resolve) => s.listen(0, '127.0.0.1', resolve))));

const dir = mkdtempSync(join(tmpdir(), 'miniprom-load-'));
const config = join(dir, 'prometheus.yml');
writeFileSync(
  config,
  `global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: heavy
    scrape_interval: 2s
    scrape_timeout: 2s
    static_configs:
      - targets: ['127.0.0.1:${heavy.address().port}']
  - job_name: small
    static_configs:
${Array.from({ length: 23 }, (_, i) => `      - targets: ['127.0.0.1:${small.address().port}']\n        labels: { n: '${i}' }`).join('\n')}
`,
);
const port = await freePort();
const args = [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`];
const eldOut = join(dir, 'eld.json');
let child;
if (which === 'prometheus') {
  const peer = findPeer('prometheus');
  if (!peer.path) throw new Error(peer.missing);
  child = spawn(peer.path, args, { stdio: 'ignore' });
} else {
  const preload = `data:text/javascript,${encodeURIComponent(PRELOAD)}`;
  child = spawn(process.execPath, ['--import', preload, join(root, 'dist/cmd/prometheus.js'), ...args], {
    stdio: 'ignore',
    env: { ...process.env, LOAD_ELD_OUT: eldOut },
  });
}
const base = `http://127.0.0.1:${port}`;
for (;;) {
  const ready = await fetch(`${base}/-/ready`).then((r) => r.status === 200, () => false);
  if (ready) break;
  await new Promise((resolve) => setTimeout(resolve, 100));
}
if (which !== 'prometheus') child.kill('SIGUSR2');

const latencies = [];
let checks = 0;
let down = 0;
const start = Date.now();
while (Date.now() - start < DURATION) {
  const t0 = performance.now();
  await (await fetch(`${base}/-/healthy`)).text();
  latencies.push(performance.now() - t0);
  if (latencies.length % 10 === 0) {
    const { data } = await (await fetch(`${base}/api/v1/targets`)).json();
    for (const t of data.activeTargets) {
      if (t.scrapePool !== 'small' || t.health === 'unknown') continue;
      checks++;
      if (t.health !== 'up') down++;
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
}
const query = async (q) =>
  (await (await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`)).json()).data.result[0]?.value[1];
const seconds = Math.floor(DURATION / 1000);
const smallMinUp = await query(`min(min_over_time(up{job="small"}[${seconds}s]))`);
const heavyDuration = await query(`max_over_time(scrape_duration_seconds{job="heavy"}[${seconds}s])`);
child.kill('SIGTERM');
await new Promise((resolve) => child.once('exit', resolve));
heavy.close();
small.close();
latencies.sort((a, b) => a - b);
const pct = (p) => Number(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))].toFixed(1));
const eventLoop = which === 'prometheus' ? undefined : JSON.parse(readFileSync(eldOut, 'utf8'));
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    server: which,
    series: SERIES,
    seconds,
    healthy_ms: { p50: pct(0.5), p99: pct(0.99), max: pct(1), probes: latencies.length },
    small_targets: { checks, down, min_up: smallMinUp },
    heavy_scrape_duration_max_s: Number(Number(heavyDuration).toFixed(3)),
    ...(eventLoop && { event_loop_delay_ms: Object.fromEntries(Object.entries(eventLoop).map(([k, v]) => [k, Number(v.toFixed(1))])) }),
  }),
);
