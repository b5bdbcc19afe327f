#!/usr/bin/env node
// Where the server's startup goes: starts the built server RUNS times (default 10) with
// `node --cpu-prof` until `/-/ready` answers, stops it, and prints the CPU time of the average
// start by package or source file (through dist/cmd/main.cjs.map, the bundle's source map), split
// into the bundle's loading (module top-level code), main() up to ready, and the rest (Node's own
// bootstrap, the code cache, garbage collection, idle waits). The same 10 scrape jobs as
// `npm run bench -- startup` are configured (their targets down). A first, unprofiled start writes
// the code cache, as a first run does. `npm run build` first.
//
//   node scripts/profile-startup.mjs [runs]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './bench-proc.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.argv[2] ?? 10);
const BUNDLE = join(root, 'dist/cmd/main.cjs');
/** The bundle's first line starts with CommonJS's wrapper (scripts/build-cmd.mjs), which the map does not know. */
const WRAPPER = '(function (exports, require, module, __filename, __dirname) {'.length;
const map = new SourceMap(JSON.parse(readFileSync(`${BUNDLE}.map`, 'utf8')));

const config = `global:\n  scrape_interval: 1s\nscrape_configs:\n${Array.from(
  { length: 10 },
  (_, i) => `  - job_name: bench-${i}\n    static_configs:\n      - targets: ['127.0.0.1:9']\n`,
).join('')}`;
const profiles = mkdtempSync(join(tmpdir(), 'miniprom-profile-'));

/** One start to ready and a SIGTERM (bench-proc's startServer); with `profile`, under --cpu-prof. */
async function start(profile) {
  const flags = profile ? ['--cpu-prof', `--cpu-prof-dir=${profiles}`, '--cpu-prof-interval=250'] : [];
  const server = { name: 'miniprom', command: process.execPath, args: [...flags, join(root, 'dist/cmd/prometheus.js')], prometheus: true };
  const s = await startServer(server, { config });
  await s.stop();
  await s.dispose();
}

/** The package (node_modules/<name>) or our source file a profile frame's code comes from. */
function origin(frame) {
  if (frame.url === '') return `(${frame.functionName || 'native'})`;
  if (!frame.url.endsWith('main.cjs')) return frame.url.startsWith('node:') ? 'node (built-in modules)' : frame.url.replace(/^.*\/dist\//, 'dist/');
  const entry = map.findEntry(frame.lineNumber, frame.lineNumber === 0 ? frame.columnNumber - WRAPPER : frame.columnNumber);
  const source = entry?.originalSource ?? '';
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(source);
  if (pkg) return pkg[1];
  return /\/(src|cmd)\//.test(source) ? source.replace(/^.*?\/(src|cmd)\//, '$1/') : '(bundle helpers)';
}

await start(false); // writes the code cache
for (let i = 0; i < RUNS; i++) await start(true);

// Each sample is charged to its phase (main() up to ready, or the bundle's top-level code, or
// neither) and to the origin of its innermost frame (self time) and of every frame (total time).
const phases = { main: new Map(), load: new Map(), other: new Map() };
const totals = { main: 0, load: 0, other: 0 };
let all = 0;
for (const file of readdirSync(profiles)) {
  const profile = JSON.parse(readFileSync(join(profiles, file), 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  for (let i = 0; i < profile.samples.length; i++) {
    const weight = profile.timeDeltas[i + 1] ?? 0;
    const frames = [];
    for (let id = profile.samples[i]; id !== undefined; id = parent.get(id)) frames.push(byId.get(id).callFrame);
    const inBundle = frames.some((f) => f.url.endsWith('main.cjs'));
    const inMain = frames.some((f) => f.url.endsWith('main.cjs') && f.functionName === 'main');
    const phase = inMain ? 'main' : inBundle ? 'load' : 'other';
    const key = origin(frames[0]);
    phases[phase].set(key, (phases[phase].get(key) ?? 0) + weight);
    totals[phase] += weight;
    all += weight;
  }
}
const ms = (us) => (us / 1000 / RUNS).toFixed(1).padStart(6);
const top = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${ms(v)} ms  ${k}`).join('\n');
console.log(`CPU of one start to ready and stop, mean of ${RUNS} profiled runs (profiling adds its own): ${ms(all).trim()} ms`);
console.log(`\nmain() until ready (and what it awaits synchronously): ${ms(totals.main).trim()} ms, by where the time is spent\n${top(phases.main, 12)}`);
console.log(`\nthe bundle's top-level code and its asynchronous work: ${ms(totals.load).trim()} ms\n${top(phases.load, 12)}`);
console.log(`\neverything else (Node's bootstrap, loading the bundle and its code cache, GC, idle): ${ms(totals.other).trim()} ms\n${top(phases.other, 10)}`);
rmSync(profiles, { recursive: true, force: true });
