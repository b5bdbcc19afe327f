/**
 * One heavy target never stalls the rest: a target of 100,000 series scraped every 2s beside 23
 * small targets with a 1s timeout. Parsing, appending and committing the large scrape yield to
 * the event loop between slices, so every small target stays up and /-/healthy answers promptly.
 * A reload of a large config (parsed in a worker thread, its targets started in slices) holds the
 * server no more, nor does a reload of ten thousand rules (read in a worker, built in slices). The bounds here are generous (they hold on a slow, busy 2-core machine); scripts/load.mjs
 * measures the real numbers (event-loop delay, /-/healthy latency), for miniprom and Prometheus.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server as HttpServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { listenLocal } from './helpers/listen.js';
import { listening, removeScratchDirs } from './helpers/server.js';
import { killAll } from './helpers/spawn.js';

const SERIES = 100_000;
const SMALL_TARGETS = 23;

const servers: HttpServer[] = [];
afterEach(async () => {
  killAll();
  removeScratchDirs();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

/** A target answering `body`; `scraped(n)` resolves once it has been scraped n more times. */
async function target(body: string) {
  let count = 0;
  const waiters = new Set<() => void>();
  const server = createServer((_req, res) => {
    count++;
    for (const w of waiters) w();
    res.setHeader('Content-Type', 'text/plain; version=0.0.4');
    res.end(body);
  });
  servers.push(server);
  const address = `127.0.0.1:${await listenLocal(server)}`;
  return {
    address,
    scraped: (more: number) =>
      new Promise<void>((resolve) => {
        const until = count + more;
        const check = () => {
          if (count < until) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      }),
  };
}

describe('a heavy target beside small ones', () => {
  it('leaves every small target up and /-/healthy answering within 500ms', async () => {
    const lines: string[] = [];
    for (let i = 0; i < SERIES; i++)
      lines.push(`heavy_metric{idx="${i}",shard="${i % 16}",path="/api/v1/x/${i % 500}"} ${i}`);
    const heavy = await target(`${lines.join('\n')}\n`);
    const small = await target('small_metric{a="b"} 1\n');
    const config = `global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: heavy
    scrape_interval: 2s
    scrape_timeout: 2s
    static_configs:
      - targets: ['${heavy.address}']
  - job_name: small
    static_configs:
${Array.from({ length: SMALL_TARGETS }, (_, i) => `      - targets: ['${small.address}']\n        labels: { n: '${i}' }`).join('\n')}
`;
    const server = await listening({ config });
    await server.untilLog('Server is ready to receive web requests.');
    const start = Date.now();

    // Probe /-/healthy until the heavy target has been scraped (and committed) three times over.
    const latencies: number[] = [];
    let loaded = false;
    const load = heavy.scraped(4).then(() => {
      loaded = true;
    });
    while (!loaded) {
      const t0 = performance.now();
      const res = await fetch(`${server.base}/-/healthy`);
      await res.text();
      latencies.push(performance.now() - t0);
      await sleep(20); // pacing, so that the probes are not the load
    }
    await load;
    const window = Math.ceil((Date.now() - start) / 1000);
    const query = async (q: string) => {
      const res = await fetch(`${server.base}/api/v1/query?query=${encodeURIComponent(q)}`);
      return (
        (await res.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }
      ).data.result;
    };
    // Every small target was up on every scrape of the window; the heavy one too.
    const small_up = await query(`min_over_time(up{job="small"}[${window}s])`);
    expect(small_up).toHaveLength(SMALL_TARGETS);
    expect(small_up.filter((r) => r.value[1] !== '1').map((r) => r.metric.n)).toEqual([]);
    expect((await query('up{job="heavy"}'))[0]?.value[1]).toBe('1');
    expect((await query('scrape_samples_scraped{job="heavy"}'))[0]?.value[1]).toBe(String(SERIES));
    latencies.sort((a, b) => a - b);
    console.log(
      `load.test.ts: /-/healthy over ${latencies.length} probes: p50 ${latencies[Math.floor(latencies.length / 2)]?.toFixed(1)} ms, max ${latencies.at(-1)?.toFixed(1)} ms`,
    );
    expect(latencies.at(-1)).toBeLessThan(500);
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
  }, 60_000);

  it('reloads a config of 20,000 targets in 200 jobs with /-/healthy answering within 500ms', async () => {
    const server = await listening({ config: 'global:\n  scrape_interval: 1h\n', args: ['--web.enable-lifecycle'] });
    await server.untilLog('Server is ready to receive web requests.');
    const jobs = Array.from({ length: 200 }, (_, j) => {
      const targets = Array.from({ length: 100 }, (_, i) => `'10.${j}.${i >> 8}.${i & 255}:9100'`).join(', ');
      return `  - job_name: job${j}
    relabel_configs:
      - source_labels: [__address__]
        regex: '(.*):.*'
        target_label: host
    static_configs:
      - targets: [${targets}]`;
    });
    writeFileSync(server.configFile, `global:\n  scrape_interval: 1h\nscrape_configs:\n${jobs.join('\n')}\n`);
    const latencies: number[] = [];
    let reloaded = false;
    const reload = fetch(`${server.base}/-/reload`, { method: 'POST' }).then((res) => {
      reloaded = true;
      return res.status;
    });
    // Probe while the reload runs and until the 20,000 targets are there (they are started after it).
    let targets = 0;
    while (!reloaded || targets < 20_000) {
      const t0 = performance.now();
      await (await fetch(`${server.base}/-/healthy`)).text();
      latencies.push(performance.now() - t0);
      if (reloaded) {
        const res = await fetch(`${server.base}/api/v1/targets?state=active`);
        targets = ((await res.json()) as { data: { activeTargets: unknown[] } }).data.activeTargets.length;
      }
      await sleep(10);
    }
    expect(await reload).toBe(200);
    latencies.sort((a, b) => a - b);
    console.log(
      `load.test.ts: /-/healthy during the reload: max ${latencies.at(-1)?.toFixed(1)} ms over ${latencies.length} probes`,
    );
    expect(latencies.at(-1)).toBeLessThan(500);
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
  }, 60_000);

  it('reloads 10,000 rules in 100 groups with /-/healthy answering within 500ms', async () => {
    const server = await listening({ config: 'global:\n  scrape_interval: 1h\n', args: ['--web.enable-lifecycle'] });
    await server.untilLog('Server is ready to receive web requests.');
    const groups = Array.from({ length: 100 }, (_, g) => {
      const rules = Array.from(
        { length: 100 },
        (_, r) => `      - record: job:rule_${g}_${r}:sum
        expr: sum by (job) (rate(http_requests_total{code=~"5..",instance="i${r}"}[5m]))
        labels: { team: t${r % 7} }`,
      );
      return `  - name: g${g}\n    interval: 1h\n    rules:\n${rules.join('\n')}`;
    });
    const ruleFile = join(server.dir, 'big.rules.yml');
    writeFileSync(ruleFile, `groups:\n${groups.join('\n')}\n`);
    writeFileSync(server.configFile, `global:\n  scrape_interval: 1h\nrule_files: ['${ruleFile}']\n`);
    const latencies: number[] = [];
    let reloaded = false;
    const reload = fetch(`${server.base}/-/reload`, { method: 'POST' }).then((res) => {
      reloaded = true;
      return res.status;
    });
    while (!reloaded) {
      const t0 = performance.now();
      await (await fetch(`${server.base}/-/healthy`)).text();
      latencies.push(performance.now() - t0);
      await sleep(10);
    }
    expect(await reload).toBe(200);
    // The reload answered once the rules were in: all of them are served.
    const res = await fetch(`${server.base}/api/v1/rules`);
    const rules = ((await res.json()) as { data: { groups: Array<{ rules: unknown[] }> } }).data.groups;
    expect([rules.length, rules.reduce((n, g) => n + g.rules.length, 0)]).toEqual([100, 10_000]);
    latencies.sort((a, b) => a - b);
    console.log(
      `load.test.ts: /-/healthy during the rules reload: max ${latencies.at(-1)?.toFixed(1)} ms over ${latencies.length} probes`,
    );
    expect(latencies.at(-1)).toBeLessThan(500);
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
  }, 60_000);
});
