// In-process: the scrape loop alone (fetch, parse, cache, relabel-free label attach, append to a
// no-op appender) on a 100k-series ~10.8 MB text body. Prints scrape_duration_seconds per scrape.
//   npm run build && node test/scrape-bench/loop100k.mjs [repo root] [scrapes=6]
// (a measurement, not a test: vitest runs *.test.ts only)
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTarget100k } from './target100k.mjs';
const root = resolve(process.argv[2] ?? fileURLToPath(new URL('../..', import.meta.url)));
const SCRAPES = Number(process.argv[3] ?? 6);
const { createScrapeManager } = await import(join(root, 'dist/src/scrape/index.js'));
const { pino } = await import(join(root, 'node_modules/pino/pino.js'));
const target = await startTarget100k();
const { body } = target;
const durations = [];
/** Process CPU time (ms) at each scrape's report: the difference is one scrape's CPU, the target's serving included. */
const cpus = [];
let appends = 0;
let done;
const finished = new Promise((r) => {
  done = r;
});
const appendable = {
  appender() {
    return {
      append(labels, _t, v) {
        appends++;
        if (labels.__name__ === 'scrape_duration_seconds') {
          durations.push(v * 1000);
          const cpu = process.cpuUsage();
          cpus.push((cpu.user + cpu.system) / 1000);
          if (durations.length === SCRAPES) done();
        }
      },
      async commit() {},
      rollback() {},
    };
  },
};
const m = createScrapeManager({ logger: pino({ level: 'silent' }), appendable });
const PROTOCOLS = ['OpenMetricsText1.0.0', 'OpenMetricsText0.0.1', 'PrometheusText1.0.0', 'PrometheusText0.0.4'];
m.prepare({
  global: { externalLabels: {} },
  scrapeConfigs: [
    {
      jobName: 'heavy',
      scrapeInterval: 2000,
      scrapeTimeout: 2000,
      metricsPath: '/metrics',
      scheme: 'http',
      params: {},
      honorLabels: false,
      honorTimestamps: true,
      scrapeProtocols: PROTOCOLS,
      enableCompression: true,
      sampleLimit: 0,
      targetLimit: 0,
      labelLimit: 0,
      labelNameLengthLimit: 0,
      labelValueLengthLimit: 0,
      bodySizeLimit: 0,
      httpClient: { followRedirects: true },
      staticConfigs: [],
      fileSDConfigs: [],
      relabelConfigs: [],
      metricRelabelConfigs: [],
    },
  ],
})();
async function* updates() {
  yield new Map([['heavy', [{ source: '0', labels: {}, targets: [{ __address__: `127.0.0.1:${target.port}` }] }]]]);
  await finished;
}
const running = m.run(updates());
await finished;
await m.stop();
await running;
target.close();
const steady = durations.slice(1).sort((a, b) => a - b);
const cpuPer = cpus
  .slice(1)
  .map((c, i) => c - (cpus[i] ?? 0))
  .sort((a, b) => a - b);
console.log(
  `loop: body ${(body.length / 1e6).toFixed(1)} MB; first ${durations[0].toFixed(0)} ms; later ${durations
    .slice(1)
    .map((d) => d.toFixed(0))
    .join(
      ', ',
    )} ms (median ${steady[Math.floor(steady.length / 2)].toFixed(0)} ms); CPU per later scrape median ${cpuPer[
    Math.floor(cpuPer.length / 2)
  ].toFixed(0)} ms; ${appends} appends`,
);
process.exit(0);
