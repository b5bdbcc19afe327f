// One scrape of a 100k-series, ~10.8 MB text body: scrape_duration_seconds of the first scrape
// (every series new) and of later ones (steady state), for miniprom and Prometheus 3.5.
//   npm run build && node test/scrape-bench/server100k.mjs [repo root] [miniprom|prometheus] [scrapes=6]
// MINIPROM_NODE_ARGS adds node flags to miniprom's command line (to profile the server:
// MINIPROM_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'; NODE_OPTIONS refuses --cpu-prof).
// (a measurement, not a test: vitest runs *.test.ts only)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTarget100k } from './target100k.mjs';
const argv = process.argv.slice(2);
const root =
  argv[0] && !['miniprom', 'prometheus'].includes(argv[0])
    ? resolve(argv.shift())
    : fileURLToPath(new URL('../..', import.meta.url));
const which = argv[0] ?? 'miniprom';
const SCRAPES = Number(argv[1] ?? 6);
const { freePort } = await import(join(root, 'scripts/free-port.mjs'));
const { findPeer } = await import(join(root, 'scripts/peers.mjs'));
const target = await startTarget100k();
const { body } = target;
const dir = mkdtempSync(join(tmpdir(), 'scrape100k-'));
writeFileSync(
  join(dir, 'p.yml'),
  `global:\n  scrape_interval: 5s\n  scrape_timeout: 5s\nscrape_configs:\n  - job_name: heavy\n    static_configs:\n      - targets: ['127.0.0.1:${target.port}']\n`,
);
const port = await freePort();
const args = [
  `--config.file=${join(dir, 'p.yml')}`,
  `--storage.tsdb.path=${join(dir, 'data')}`,
  `--web.listen-address=127.0.0.1:${port}`,
];
const child =
  which === 'prometheus'
    ? spawn(findPeer('prometheus').path, args, { stdio: 'ignore' })
    : spawn(
        process.execPath,
        [...(process.env.MINIPROM_NODE_ARGS ?? '').split(' ').filter(Boolean), join(root, 'dist/cmd/prometheus.js'), ...args],
        { stdio: 'ignore' },
      );
const base = `http://127.0.0.1:${port}`;
const durations = [];
let lastT = 0;
while (durations.length < SCRAPES) {
  await new Promise((r) => setTimeout(r, 500));
  const r = await fetch(
    `${base}/api/v1/query?query=${encodeURIComponent('scrape_duration_seconds{job="heavy"}')}`,
  ).then(
    (x) => x.json(),
    () => undefined,
  );
  const v = r?.data?.result?.[0]?.value;
  if (v && v[0] !== undefined) {
    const q = await fetch(
      `${base}/api/v1/query?query=${encodeURIComponent('timestamp(scrape_duration_seconds{job="heavy"})')}`,
    ).then((x) => x.json());
    const t = Number(q.data.result[0].value[1]);
    if (t !== lastT) {
      lastT = t;
      durations.push(Number(v[1]) * 1000);
    }
  }
}
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
target.close();
rmSync(dir, { recursive: true, force: true });
const steady = durations.slice(1).sort((a, b) => a - b);
console.log(
  `${which}: body ${(body.length / 1e6).toFixed(1)} MB; first scrape ${durations[0].toFixed(0)} ms; later scrapes ${durations
    .slice(1)
    .map((d) => d.toFixed(0))
    .join(', ')} ms (median ${steady[Math.floor(steady.length / 2)].toFixed(0)} ms)`,
);
