// The query part of `npm run bench`: PromQL latency of miniprom beside Prometheus 3.5 on the same
// data. SERIES counters (10 jobs) sampled every 15 s for 70 minutes, ending a minute ago, are
// written to each server through remote write 1.0 in time order (as the differential test feeds
// its workload), then each query is asked once to warm up and RUNS times to measure; the table
// shows each server's median and miniprom's time as a multiple of Prometheus's.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.mjs';
import { encodeWriteRequest, remoteWrite } from './remote-write.mjs';

const SERIES = Number(process.env.BENCH_QUERY_SERIES ?? 10_000);
const RUNS = Number(process.env.BENCH_QUERY_RUNS ?? 7);
const JOBS = 10;
const STEP_MS = 15_000;
const HISTORY_MS = 70 * 60_000;
/** Samples per series per request: one minute of every series. */
const STEPS_PER_REQUEST = 4;
const READY = 'Server is ready to receive web requests.';
const FLAGS = ['--web.enable-remote-write-receiver', '--enable-feature=promql-experimental-functions'];
const EXPR = 'sum by (job) (rate(bench_requests_total[5m]))';

/** The queries timed, with the parameters of each (times filled in from the data's end). */
function queries(endMs) {
  const s = (ms) => String(ms / 1000);
  return [
    { name: 'instant', path: '/api/v1/query', params: { time: s(endMs) } },
    {
      name: '1 h range, 15 s step',
      path: '/api/v1/query_range',
      params: { start: s(endMs - 3_600_000), end: s(endMs), step: '15' },
    },
  ].map((q) => ({ ...q, params: { query: EXPR, ...q.params } }));
}

/** The remote write requests, oldest first: each a minute of all SERIES series. */
function requests(startMs, endMs) {
  const labels = Array.from({ length: SERIES }, (_, i) => ({
    __name__: 'bench_requests_total',
    job: `job-${i % JOBS}`,
    instance: `host-${i}`,
  }));
  const bodies = [];
  for (let t0 = startMs; t0 <= endMs; t0 += STEPS_PER_REQUEST * STEP_MS) {
    const series = labels.map((l, i) => {
      const samples = [];
      for (let t = t0; t < t0 + STEPS_PER_REQUEST * STEP_MS && t <= endMs; t += STEP_MS) {
        samples.push({ value: ((i % 7) + 1) * ((t - startMs) / STEP_MS), timestamp: t });
      }
      return { labels: l, samples };
    });
    bodies.push(encodeWriteRequest(series));
  }
  return bodies;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One server: start it, write the data, time the queries, stop it. Resolves to its medians, or why not. */
async function measure(server, bodies, qs) {
  const dir = mkdtempSync(join(tmpdir(), 'miniprom-bench-query-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  writeFileSync(join(dir, 'bench.yml'), 'global:\n  scrape_interval: 1h\n');
  const args = [
    '--config.file=bench.yml',
    `--web.listen-address=127.0.0.1:${port}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    ...FLAGS,
  ];
  const child = spawn(server.command, [...server.args, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  let log = '';
  try {
    await new Promise((resolve, reject) => {
      child.stderr.on('data', (d) => {
        log += d;
        if (log.includes(READY)) resolve();
      });
      exited.then(() => reject(new Error(log.split('\n').find((l) => l.trim() !== '') ?? 'exited')));
    });
    const w0 = performance.now();
    for (const body of bodies) await remoteWrite(`${base}/api/v1/write`, body);
    const writeS = (performance.now() - w0) / 1000;
    const medians = [];
    const sizes = [];
    for (const q of qs) {
      const ask = async () => {
        const t0 = performance.now();
        const res = await fetch(`${base}${q.path}`, { method: 'POST', body: new URLSearchParams(q.params) });
        const body = await res.json();
        const ms = performance.now() - t0;
        if (body.status !== 'success') throw new Error(`${server.name}: ${q.name}: ${body.error}`);
        return { ms, size: body.data.result.length };
      };
      sizes.push((await ask()).size);
      const times = [];
      for (let i = 0; i < RUNS; i++) times.push((await ask()).ms);
      medians.push(median(times));
    }
    return { medians, sizes, writeS };
  } catch (err) {
    return { error: err.message };
  } finally {
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the query benchmark on `servers` ({ name, command, args }, miniprom first) and prints the table. */
export async function queryBench(servers) {
  const endMs = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
  const startMs = endMs - HISTORY_MS;
  const e0 = performance.now();
  const bodies = requests(startMs, endMs);
  const samples = SERIES * (HISTORY_MS / STEP_MS + 1);
  console.log(
    `\nquery latency: ${SERIES} series × ${HISTORY_MS / 60_000} min at 15 s (${samples} samples, ${bodies.length} ` +
      `remote write requests, encoded in ${((performance.now() - e0) / 1000).toFixed(1)} s), median of ${RUNS} runs:\n` +
      `  ${EXPR}`,
  );
  const qs = queries(endMs);
  const results = [];
  for (const server of servers) {
    const result = await measure(server, bodies, qs);
    if (result.error) console.log(`(${server.name} left out: ${result.error})`);
    else results.push({ server, ...result });
  }
  const [mini, prom] = [results.find((r) => r.server.name === 'miniprom'), results.find((r) => r.server.name !== 'miniprom')];
  const header = ['query', ...results.map((r) => r.server.name), ...(mini && prom ? ['miniprom ÷ prometheus'] : [])];
  const rows = qs.map((q, i) => [
    q.name,
    ...results.map((r) => `${r.medians[i].toFixed(1)} ms (${r.sizes[i]} series)`),
    ...(mini && prom ? [`${(mini.medians[i] / prom.medians[i]).toFixed(1)}×`] : []),
  ]);
  rows.push([
    'remote write of the data',
    ...results.map((r) => `${r.writeS.toFixed(1)} s (${Math.round(samples / r.writeS)} samples/s)`),
    ...(mini && prom ? [`${(mini.writeS / prom.writeS).toFixed(1)}×`] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log([line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n'));
}
