/**
 * miniprom's own /metrics against the reference: the real promtool 3.5 lints it silently, the
 * process and build series dashboards query carry upstream's names, and an unnamed remote write
 * queue gets the same remote_name as Prometheus 3.5 gives it for the same config.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { findPeer } from '../scripts/peers.mjs';
import { PROMETHEUS, startPrometheus, stopPrometheuses } from './helpers/prometheus.js';
import { listening, removeScratchDirs } from './helpers/server.js';
import { killAll } from './helpers/spawn.js';

const PROMTOOL = findPeer('promtool') as { path?: string; missing?: string };
if (PROMTOOL.missing) console.log(`self-metrics-prometheus.test.ts: promtool skipped: ${PROMTOOL.missing}`);
if (PROMETHEUS.missing) console.log(`self-metrics-prometheus.test.ts: prometheus skipped: ${PROMETHEUS.missing}`);

afterEach(async () => {
  killAll();
  await stopPrometheuses();
  removeScratchDirs();
});

/** Runs a binary with `input` on stdin; resolves with its exit code and output. */
function run(path: string, args: string[], input: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out, err }));
    child.stdin.end(input);
  });
}

/** Metric family names of an exposition (from its TYPE lines). */
function families(text: string): Set<string> {
  return new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1] as string));
}

/** The remote_name values of one metric family. */
function remoteNames(text: string): string[] {
  const names = [...text.matchAll(/^prometheus_remote_storage_samples_pending\{[^}]*remote_name="([^"]*)"/gm)];
  return names.map((m) => m[1] as string).sort();
}

const REMOTE_WRITE = (port: number) => `
remote_write:
  - url: http://127.0.0.1:${port}/write
  - url: http://user:pass@127.0.0.1:${port}/other
    remote_timeout: 10s
    headers: { X-Scope-OrgID: tenant-1 }
    write_relabel_configs:
      - source_labels: [job]
        regex: drop.*
        action: drop
    queue_config: { capacity: 500, max_shards: 3, batch_send_deadline: 1s }
    metadata_config: { send: false }
  - url: https://127.0.0.1:${port}/write
    authorization: { credentials: secret }
    tls_config: { insecure_skip_verify: true }
`;

describe.skipIf(PROMTOOL.path === undefined)('/metrics under the real promtool', () => {
  it('lints silently: promtool check metrics exits 0 with nothing on stderr', async () => {
    const server = await listening({ config: 'global:\n  scrape_interval: 1h\n' + REMOTE_WRITE(1) });
    await server.untilLog('Server is ready to receive web requests.');
    const text = await (await fetch(`${server.base}/metrics`)).text();
    const r = await run(PROMTOOL.path as string, ['check', 'metrics'], text);
    expect(r).toEqual({ code: 0, out: '', err: '' });
  });
});

describe.skipIf(PROMETHEUS.path === undefined)('self-metrics beside Prometheus 3.5', () => {
  it('exposes every process_* family and prometheus_build_info, prometheus_ready as Prometheus does', async () => {
    const prometheus = await startPrometheus();
    const server = await listening({ config: 'global:\n  scrape_interval: 1h\n' });
    await server.untilLog('Server is ready to receive web requests.');
    const theirs = families(await (await fetch(`${prometheus.base}/metrics`)).text());
    const ours = await (await fetch(`${server.base}/metrics`)).text();
    const wanted = [...theirs].filter((n) => n.startsWith('process_') || n === 'prometheus_build_info');
    expect(wanted.length).toBeGreaterThan(8);
    expect([...families(ours)].filter((n) => wanted.includes(n)).sort()).toEqual(wanted.sort());
    expect(ours).toMatch(/^prometheus_ready 1$/m);
    expect(ours).toMatch(/^prometheus_build_info\{version="\d+\.\d+\.\d+",.*goversion="node v\d+/m);
    expect(ours).toMatch(/^process_start_time_seconds \d{10}/m);
  });

  it('names unnamed remote write queues with the same config hash as Prometheus', async () => {
    const prometheus = await startPrometheus({ config: `global:\n  scrape_interval: 1h\n${REMOTE_WRITE(1)}` });
    const server = await listening({ config: `global:\n  scrape_interval: 1h\n${REMOTE_WRITE(1)}` });
    await server.untilLog('Server is ready to receive web requests.');
    const theirs = remoteNames(await (await fetch(`${prometheus.base}/metrics`)).text());
    const ours = remoteNames(await (await fetch(`${server.base}/metrics`)).text());
    expect(theirs).toHaveLength(3);
    expect(ours).toEqual(theirs);
  });

  it("names remote write's series as Prometheus does: every one miniprom has, the peer has too", async () => {
    const config = `global:\n  scrape_interval: 1h\n${REMOTE_WRITE(1)}`;
    const prometheus = await startPrometheus({ config });
    const server = await listening({ config });
    await server.untilLog('Server is ready to receive web requests.');
    const theirs = families(await (await fetch(`${prometheus.base}/metrics`)).text());
    const ours = [...families(await (await fetch(`${server.base}/metrics`)).text())].filter((n) =>
      n.startsWith('prometheus_remote_storage_'),
    );
    expect(ours).toEqual(
      expect.arrayContaining([
        'prometheus_remote_storage_samples_in_total',
        'prometheus_remote_storage_highest_timestamp_in_seconds',
        'prometheus_remote_storage_shards',
        'prometheus_remote_storage_max_samples_per_send',
      ]),
    );
    // samples_dropped_total carries a reason label upstream and appears only once a sample drops.
    expect(ours.filter((n) => !theirs.has(n))).toEqual(['prometheus_remote_storage_samples_dropped_total']);
  });
});
