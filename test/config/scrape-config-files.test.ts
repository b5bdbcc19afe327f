/**
 * scrape_config_files and the per-job naming settings, side by side with Prometheus 3.5: the same
 * config (its jobs partly in files matched by a glob, one of them hidden, which Go's `*` matches)
 * gives both servers the same scrape pools, the same health and errors per pool (a job under
 * metric_name_validation_scheme: legacy fails on a UTF-8 name that the default accepts), the same
 * naming and classic-histogram fields in /api/v1/status/config, and after a reload that adds a
 * file, the same new pool. Jobs that exceed sample_limit, label_limit, label_name_length_limit and
 * label_value_length_limit fail with the same errors on both. Black-box: needs `npm run build`; skips without the peer.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROMETHEUS, type ReferencePrometheus, startPrometheus, stopPrometheuses } from '../helpers/prometheus.js';
import { listening, removeScratchDirs, type Server } from '../helpers/server.js';
import { killAll } from '../helpers/spawn.js';

if (PROMETHEUS.missing) console.log(`scrape-config-files.test.ts: skipped, no reference: ${PROMETHEUS.missing}`);

const dir = mkdtempSync(join(tmpdir(), 'miniprom-scrape-files-'));
const jobs = join(dir, 'jobs');

/** Requests the target saw, as `<User-Agent product> <path>`, and who waits for which. */
const seen = new Map<string, number>();
const waiters = new Set<() => void>();
let target: HttpServer;
let address = '';

/** Resolves once `agent` has scraped `path` `n` times. */
const scraped = (agent: string, path: string, n = 2) =>
  new Promise<void>((resolve) => {
    const check = () => {
      if ((seen.get(`${agent} ${path}`) ?? 0) < n) return;
      waiters.delete(check);
      resolve();
    };
    waiters.add(check);
    check();
  });

beforeAll(async () => {
  target = createServer((req, res) => {
    const key = `${String(req.headers['user-agent']).split('/')[0]} ${req.url}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    for (const w of [...waiters]) w();
    // A name only UTF-8 validation allows: legacy refuses the series, and with it the scrape.
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end('{"m.x"} 1\nok 1\n');
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const a = target.address();
  address = typeof a === 'object' && a ? `127.0.0.1:${a.port}` : '';
  mkdirSync(jobs);
  const job = (name: string, extra = '') =>
    `  - job_name: ${name}\n    metrics_path: /${name}\n${extra}    static_configs: [{ targets: ['${address}'] }]\n`;
  writeFileSync(
    join(jobs, 'a.yml'),
    `scrape_configs:\n${job('legacy', '    metric_name_validation_scheme: legacy\n    metric_name_escaping_scheme: underscores\n')}${job('utf8')}`,
  );
  writeFileSync(join(jobs, '.hidden.yml'), `scrape_configs:\n${job('hidden')}`);
  writeFileSync(join(jobs, 'ignored.yaml'), `scrape_configs:\n${job('ignored')}`);
  // Each limit exceeded, so that both servers' errors for it can be compared.
  writeFileSync(
    join(jobs, 'limits.yml'),
    `scrape_configs:\n${Object.entries(LIMITS)
      .map(([name, limit]) => job(name, `    ${limit}\n`))
      .join('')}`,
  );
});
afterAll(async () => {
  killAll();
  await stopPrometheuses();
  removeScratchDirs();
  target.closeAllConnections();
  await new Promise((resolve) => target.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** Jobs (and their metrics paths) that each exceed one limit on the target's three series labels. */
const LIMITS = {
  'sample-limit': 'sample_limit: 1',
  'label-limit': 'label_limit: 2',
  'label-name-length-limit': 'label_name_length_limit: 5',
  'label-value-length-limit': 'label_value_length_limit: 3',
};

const config = () => `global:
  scrape_interval: 1s
  always_scrape_classic_histograms: true
  sample_limit: 5
scrape_config_files:
  - ${jobs}/*.yml
scrape_configs:
  - job_name: main
    metrics_path: /main
    convert_classic_histograms_to_nhcb: true
    static_configs: [{ targets: ['${address}'] }]
`;

interface ActiveTarget {
  scrapePool: string;
  health: string;
  lastError: string;
}

/** Each scrape pool's health and last error, by pool name. */
async function pools(base: string): Promise<Record<string, [string, string]>> {
  const res = await fetch(`${base}/api/v1/targets`);
  const body = (await res.json()) as { data: { activeTargets: ActiveTarget[] } };
  return Object.fromEntries(body.data.activeTargets.map((t) => [t.scrapePool, [t.health, t.lastError]]));
}

/** The printed config, parsed. */
async function printed(base: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}/api/v1/status/config`);
  return parse(((await res.json()) as { data: { yaml: string } }).data.yaml) as Record<string, unknown>;
}

/** The fields of a printed section that this feature adds, and the limits (0 is left out). */
function naming(section: unknown): Record<string, unknown> {
  const keys = [
    'sample_limit',
    'target_limit',
    'label_limit',
    'label_name_length_limit',
    'label_value_length_limit',
    'metric_name_validation_scheme',
    'metric_name_escaping_scheme',
    'always_scrape_classic_histograms',
    'convert_classic_histograms_to_nhcb',
  ];
  const s = section as Record<string, unknown>;
  return Object.fromEntries(keys.filter((k) => k in s).map((k) => [k, s[k]]));
}

describe.skipIf(!PROMETHEUS.path)('scrape_config_files, side by side with Prometheus 3.5', () => {
  let ours: Server;
  let theirs: ReferencePrometheus;
  const scrapedByBoth = (path: string, n = 2) =>
    Promise.all([scraped('miniprom', path, n), scraped('Prometheus', path, n)]);

  beforeAll(async () => {
    const args = ['--web.enable-lifecycle'];
    [ours, theirs] = await Promise.all([listening({ config: config(), args }), startPrometheus({ config, args })]);
  });

  it('gives both the same scrape pools, with the same health and errors', async () => {
    const names = ['main', 'legacy', 'utf8', 'hidden', ...Object.keys(LIMITS)];
    await Promise.all(names.map((name) => scrapedByBoth(`/${name}`)));
    const [mine, upstream] = await Promise.all([pools(ours.base), pools(theirs.base)]);
    expect(Object.keys(upstream).sort()).toEqual([...names].sort());
    expect(mine).toEqual(upstream);
    for (const name of Object.keys(LIMITS)) expect(upstream[name]?.[0], name).toBe('down');
    expect(upstream.legacy?.[1]).toMatch(/^invalid metric name or label names: /);
    expect(upstream.utf8).toEqual(['up', '']);
  });

  it('prints scrape_config_files, the main file jobs only, and the naming fields as upstream does', async () => {
    const [mine, upstream] = await Promise.all([printed(ours.base), printed(theirs.base)]);
    expect(mine.scrape_config_files).toEqual(upstream.scrape_config_files);
    const jobsOf = (c: Record<string, unknown>) =>
      (c.scrape_configs as Array<{ job_name: string }>).map((j) => j.job_name);
    expect(jobsOf(mine)).toEqual(jobsOf(upstream));
    expect(jobsOf(upstream)).toEqual(['main']);
    expect(naming(mine.global)).toEqual(naming(upstream.global));
    const main = (c: Record<string, unknown>) => (c.scrape_configs as unknown[])[0];
    expect(naming(main(mine))).toEqual(naming(main(upstream)));
    expect(naming(main(upstream))).toEqual({
      sample_limit: 5,
      metric_name_validation_scheme: 'utf8',
      metric_name_escaping_scheme: 'allow-utf-8',
      always_scrape_classic_histograms: true,
      convert_classic_histograms_to_nhcb: true,
    });
  });

  it('reads the files again on reload: a new file adds its job to both', async () => {
    writeFileSync(
      join(jobs, 'b.yml'),
      `scrape_configs:\n  - job_name: added\n    metrics_path: /added\n    static_configs: [{ targets: ['${address}'] }]\n`,
    );
    const reloads = await Promise.all([ours.base, theirs.base].map((b) => fetch(`${b}/-/reload`, { method: 'POST' })));
    expect(reloads.map((r) => r.status)).toEqual([200, 200]);
    await scrapedByBoth('/added');
    const [mine, upstream] = await Promise.all([pools(ours.base), pools(theirs.base)]);
    expect(Object.keys(mine).sort()).toEqual(Object.keys(upstream).sort());
    expect(Object.keys(upstream)).toContain('added');
  });
});
