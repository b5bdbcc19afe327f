// The query part of `npm run bench`: PromQL latency of miniprom beside Prometheus 3.5 on the same
// data, then WAL replay. SERIES counters (10 jobs) sampled every 15 s for 70 minutes, ending a
// minute ago, are written to each server through remote write 1.0 in time order (as the
// differential test feeds its workload), then each query is asked once to warm up and RUNS times
// to measure; the table shows each server's median and miniprom's time as a multiple of
// Prometheus's. Then the server is stopped and started again on the same data directory, and its
// WAL replay is the duration its own "WAL replay completed" line reports (upstream's
// total_replay_duration, miniprom's duration), given per million samples written. (Subtracting the
// empty start's time to ready from the restart's was tried first: both are one noisy sample, and
// Prometheus's ~30 ms replay came out negative.)
import { encodeWriteRequest, remoteWrite } from './remote-write.mjs';
import { http, median, startServer } from './bench-proc.mjs';

const SERIES = Number(process.env.BENCH_QUERY_SERIES ?? 10_000);
// 15: a JIT warms up over its first few queries (on a fresh head miniprom's first five instant
// queries took 246, 175, 102, 82 and 124 ms, then ~60), and a median of 7 after one warm-up sat in
// that stretch; both servers get the same runs, and dashboards ask the same queries again and again.
const RUNS = Number(process.env.BENCH_QUERY_RUNS ?? 15);
const JOBS = 10;
const STEP_MS = 15_000;
const HISTORY_MS = 70 * 60_000;
/** Samples per series per request: one minute of every series. */
const STEPS_PER_REQUEST = 4;
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

/**
 * The WAL replay a server's log reports: Prometheus's `total_replay_duration=…` or miniprom's
 * `duration=…` on the "WAL replay completed" line, a Go duration string, in milliseconds.
 */
export function replayDurationMs(log) {
  const line = log.split('\n').find((l) => l.includes('WAL replay completed'));
  const text = line && (/total_replay_duration=(\S+)/.exec(line) ?? / duration=(\S+)/.exec(line))?.[1];
  if (!text) throw new Error(`no "WAL replay completed" line with a duration in:\n${log}`);
  const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, µs: 1e-3, us: 1e-3, ns: 1e-6 };
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/([\d.]+)(h|ms|m|s|µs|us|ns)/g)) ms += Number(n) * UNIT_MS[unit];
  return ms;
}

/** One server: start it, write the data, time the queries, stop it, replay. Resolves to its medians, or why not. */
async function measure(server, bodies, qs, samples) {
  let s;
  try {
    s = await startServer(server, { config: 'global:\n  scrape_interval: 1h\n', extra: FLAGS });
    const w0 = performance.now();
    for (const body of bodies) await remoteWrite(`${s.base}/api/v1/write`, body);
    const writeS = (performance.now() - w0) / 1000;
    const medians = [];
    const sizes = [];
    for (const q of qs) {
      const ask = async () => {
        const t0 = performance.now();
        const res = await http(`${s.base}${q.path}`, { method: 'POST', body: new URLSearchParams(q.params).toString() });
        const ms = performance.now() - t0;
        const body = JSON.parse(res.body);
        if (body.status !== 'success') throw new Error(`${server.name}: ${q.name}: ${body.error}`);
        return { ms, size: body.data.result.length };
      };
      sizes.push((await ask()).size);
      const times = [];
      for (let i = 0; i < RUNS; i++) times.push((await ask()).ms);
      medians.push(median(times));
    }
    await s.stop();
    await s.dispose({ keep: true });
    s = await startServer(server, { config: 'global:\n  scrape_interval: 1h\n', extra: FLAGS, dir: s.dir });
    const replayMs = (replayDurationMs(s.log()) * 1e6) / samples;
    return { medians, sizes, writeS, replayMs, readyAfterMs: s.readyMs };
  } catch (err) {
    return { error: err.message };
  } finally {
    if (s) {
      await s.stop();
      await s.dispose();
    }
  }
}

/**
 * Runs the query benchmark on `servers` ({ name, command, args }, miniprom first). Resolves to
 * `{ text, names, get(server, name) }`: its table, the queries' names, and a median in ms by
 * server ('miniprom' or 'prometheus') and query name, or 'replay' for WAL replay per million samples.
 */
export async function queryBench(servers, progress = () => {}) {
  const endMs = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
  const startMs = endMs - HISTORY_MS;
  const e0 = performance.now();
  const bodies = requests(startMs, endMs);
  const samples = SERIES * (HISTORY_MS / STEP_MS + 1);
  const intro =
    `query latency: ${SERIES} series × ${HISTORY_MS / 60_000} min at 15 s (${samples} samples, ${bodies.length} ` +
    `remote write requests, encoded in ${((performance.now() - e0) / 1000).toFixed(1)} s), median of ${RUNS} runs:\n` +
    `  ${EXPR}`;
  const qs = queries(endMs);
  const results = [];
  const notes = [];
  for (const server of servers) {
    const result = await measure(server, bodies, qs, samples);
    if (result.error) notes.push(`(${server.name} left out: ${result.error})`);
    else results.push({ server, ...result });
    progress(`query: ${server.name} done`);
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
  rows.push([
    'WAL replay per million samples',
    ...results.map((r) => `${r.replayMs.toFixed(0)} ms (ready after ${r.readyAfterMs.toFixed(0)} ms)`),
    ...(mini && prom ? [`${(mini.replayMs / prom.replayMs).toFixed(1)}×`] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  const text = [intro, ...notes, line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
  const pick = (who) => results.find((r) => (who === 'miniprom') === (r.server.name === 'miniprom'));
  return {
    text,
    names: qs.map((q) => q.name),
    get(who, name) {
      const r = pick(who);
      if (!r) return undefined;
      return name === 'replay' ? r.replayMs : r.medians[qs.findIndex((q) => q.name === name)];
    },
  };
}
