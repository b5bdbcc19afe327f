// The storage part of `npm run bench` (issue 17): what the TSDB costs, in process, on the built
// modules (run `npm run build` first). Needs --expose-gc (it re-executes itself with it).
//
//   node scripts/bench-storage.mjs            all rows
//   BENCH_STORAGE_SERIES=10000 node …         a smaller run
//   BENCH_STORAGE_DIST=/other/dist node …     another build, for before/after on one machine
//   BENCH_STORAGE_FRESH_LABELS=1 node …       a new label object per append (no scrape cache)
//
// 1. Ingest: SERIES series (100 metric names, 10 jobs), one label object per series handed to
//    every append (as the scrape cache hands it), SAMPLES scrapes 15 s apart, each scrape one
//    appender and one commit. Prints append throughput and the memory the head holds per series
//    (V8 heap plus array buffers, after a full GC, minus the same before ingest).
// 2. WAL replay: the same data dir reopened; milliseconds per million samples.
// 3. Query: `sum by (job) (rate(x[5m]))` instant, and over 1 h at 15 s step, on the first
//    QUERY_SERIES series (10k), median of RUNS runs, through the PromQL engine in process.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

if (typeof globalThis.gc !== 'function') {
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(r.status ?? 1);
}

// BENCH_STORAGE_DIST: another build's dist/ (e.g. of main), to compare on the same machine.
const dist = process.env.BENCH_STORAGE_DIST ?? new URL('../dist/', import.meta.url).pathname;
const { openTSDB } = await import(`${dist}/src/storage/index.js`);
const { PromQLEngine } = await import(`${dist}/src/promql/index.js`);
const { pino } = await import('pino');

const SERIES = Number(process.env.BENCH_STORAGE_SERIES ?? 100_000);
const SAMPLES = Number(process.env.BENCH_STORAGE_SAMPLES ?? 120);
const QUERY_SERIES = Number(process.env.BENCH_STORAGE_QUERY_SERIES ?? 10_000);
const RUNS = Number(process.env.BENCH_STORAGE_RUNS ?? 15);
const STEP_MS = 15_000;
/** BENCH_STORAGE_FRESH_LABELS=1: a new label object every append, as the remote write receiver makes them. */
const FRESH = process.env.BENCH_STORAGE_FRESH_LABELS === '1';
const logger = pino({ level: 'silent' });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/**
 * CPU time of this process in ms. The timings are CPU time, not wall time: on a machine shared
 * with other work, wall time measures the neighbours too (GC threads do count here).
 */
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function held() {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return { js: m.heapUsed + m.arrayBuffers, rss: m.rss };
}

/**
 * The series' labels, built as a parser builds them (each string its own heap string), frozen and
 * handed to every append as the scrape cache hands them: with a holder of storage's reference to
 * the series (`refHolders`), as each cache entry is.
 */
function labelSets(n) {
  return Array.from({ length: n }, (_, i) =>
    Object.freeze({
      __name__: `bench_metric_${i % 100}`,
      job: `job-${i % 10}`,
      instance: `host-${i}:9100`,
    }),
  );
}

/** One reference holder per label set (storage's SeriesRefHolder; builds before it ignore it). */
const refHolders = (labels) => labels.map((l) => ({ seriesRef: undefined, seriesRefOwner: undefined, labels: l }));

/** A counter's value at scrape `k` for series `i`: integer increments, as most counters have. */
const value = (i, k) => ((i % 7) + 1) * k + (i % 3 === 0 ? k * 0.25 : 0);

async function ingest(dir, start) {
  const before = held();
  const db = await openTSDB({ dir, logger, retentionMs: 0 });
  let labels = labelSets(SERIES);
  let refs = refHolders(labels);
  const t0 = cpu();
  let appendMs = 0;
  for (let k = 0; k < SAMPLES; k++) {
    const t = start + k * STEP_MS;
    const a0 = cpu();
    const app = db.appender();
    if (FRESH) for (let i = 0; i < SERIES; i++) app.append({ ...labels[i] }, t, value(i, k));
    else for (let i = 0; i < SERIES; i++) app.append(refs[i].labels, t, value(i, k), refs[i]);
    appendMs += cpu() - a0;
    await app.commit();
  }
  const totalMs = cpu() - t0;
  labels = undefined; // the head keeps what it needs; the caller's objects go
  refs = undefined;
  const after = held();
  return { db, totalMs, appendMs, perSeries: (after.js - before.js) / SERIES, rssPerSeries: (after.rss - before.rss) / SERIES };
}

async function main() {
  const root = mkdtempSync(join(tmpdir(), 'miniprom-bench-storage-'));
  const dir = join(root, 'data');
  const start = Math.floor(Date.now() / 60_000) * 60_000 - SAMPLES * STEP_MS;
  const total = SERIES * SAMPLES;
  try {
    const r = await ingest(dir, start);
    console.log(`storage: ${SERIES} series × ${SAMPLES} samples at 15 s (${total} samples)`);
    console.log(
      `  memory per series after ingest: ${(r.perSeries / 1024).toFixed(2)} KiB (heap + array buffers); ` +
        `RSS grew ${(r.rssPerSeries / 1024).toFixed(2)} KiB per series`,
    );
    console.log(
      `  append (CPU time): ${((r.appendMs / total) * 1000).toFixed(3)} ms per 1000 samples (${Math.round(total / (r.appendMs / 1000))} samples/s); ` +
        `append + commit: ${((r.totalMs / total) * 1000).toFixed(3)} ms per 1000 (${Math.round(total / (r.totalMs / 1000))} samples/s)`,
    );
    await r.db.close();

    const o0 = cpu();
    const db = await openTSDB({ dir, logger, retentionMs: 0 });
    const openMs = cpu() - o0;
    console.log(`  WAL replay (CPU time): ${(openMs / (total / 1e6)).toFixed(0)} ms per million samples (${openMs.toFixed(0)} ms)`);

    // Collect what replay left behind first: its garbage is collected on other threads while the
    // queries run, and their CPU time would count it (it made the instant query's median swing
    // between ~70 and ~120 ms from run to run).
    globalThis.gc();
    globalThis.gc();
    const engine = new PromQLEngine();
    const end = start + (SAMPLES - 1) * STEP_MS;
    const expr = `sum by (job) (rate(bench_metric_0[5m]))`;
    // bench_metric_0 has SERIES/100 series: with the defaults, 1000; scale to QUERY_SERIES by regex.
    const names = Array.from({ length: Math.max(1, Math.round(QUERY_SERIES / (SERIES / 100))) }, (_, i) => `bench_metric_${i}`);
    const q = `sum by (job) (rate({__name__=~"${names.join('|')}"}[5m]))`;
    const time = async (f) => {
      await f();
      const ms = [];
      for (let i = 0; i < RUNS; i++) {
        const q0 = cpu();
        await f();
        ms.push(cpu() - q0);
      }
      return median(ms);
    };
    const selected = Math.min(SERIES, names.length * (SERIES / 100));
    const instant = await time(() => engine.instantQuery(db, q, end));
    const range = await time(() => engine.rangeQuery(db, q, end - Math.min(3_600_000, end - start), end, STEP_MS));
    console.log(`  query CPU time over ${selected} series (${expr.replace('bench_metric_0', '…')}), median of ${RUNS}:`);
    console.log(`    instant: ${instant.toFixed(1)} ms; range at 15 s step: ${range.toFixed(1)} ms`);
    await db.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
