/**
 * Durability, black box: scrapes run into a small filesystem (a tmpfs) until it is full; space is
 * freed; the server stops cleanly and starts again. Every sample it acknowledged (made visible to
 * queries) is there after the restart, and the log told the operator what happened while the disk
 * was full. Mounting needs root (or CAP_SYS_ADMIN): where it is not permitted the test skips and
 * says why; the injected-failure unit test (test/storage/durability.test.ts) carries the proof.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listenLocal } from './helpers/listen.js';
import { type Server, removeScratchDirs, scratchDir, startServer } from './helpers/server.js';
import { killAll } from './helpers/spawn.js';

/** Why a tmpfs cannot be mounted here, or undefined when it can (checked once, by mounting one). */
function tmpfsUnavailable(): string | undefined {
  const probe = scratchDir();
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { encoding: 'utf8' });
  if (mounted.error) return `cannot run mount: ${mounted.error.message}`;
  if (mounted.status !== 0) return `mount -t tmpfs is not permitted here: ${mounted.stderr.trim()}`;
  spawnSync('umount', [probe]);
  return undefined;
}
const unavailable = tmpfsUnavailable();
if (unavailable) console.log(`durability.test.ts: skipped: ${unavailable}`);

const mounts: string[] = [];
const targets: HttpServer[] = [];
afterEach(async () => {
  killAll();
  for (const t of targets.splice(0)) await new Promise((resolve) => t.close(resolve));
  for (const m of mounts.splice(0)) spawnSync('umount', ['-l', m]);
  removeScratchDirs();
});

/** A target exposing `n` series with long label values (big series records), counting its scrapes. */
async function bigTarget(n: number) {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(`fill_metric{idx="${i}",pad="${'x'.repeat(60)}"} ${i}`);
  const body = `${lines.join('\n')}\n`;
  let scrapes = 0;
  const waiters = new Set<() => void>();
  const server = createServer((_req, res) => {
    scrapes++;
    for (const w of waiters) w();
    // Prometheus 3 fails a scrape answered without a Content-Type.
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end(body);
  });
  targets.push(server);
  const address = `127.0.0.1:${await listenLocal(server)}`;
  return {
    address,
    /** Resolves once `more` further scrapes have been served. */
    scraped(more: number): Promise<void> {
      const until = scrapes + more;
      return new Promise((resolve) => {
        const check = () => {
          if (scrapes < until) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
  };
}

type Matrix = Array<{ metric: Record<string, string>; values: Array<[number, string]> }>;

/** Every raw sample of the last hour at `time`, keyed by series. */
async function allSamples(server: Server, time: number): Promise<Map<string, string[]>> {
  const query = encodeURIComponent('{__name__=~".+"}[1h]');
  const res = await fetch(`${server.base}/api/v1/query?query=${query}&time=${time}`);
  const { data } = (await res.json()) as { data: { result: Matrix } };
  return new Map(data.result.map((s) => [JSON.stringify(s.metric), s.values.map(([t, v]) => `${t} ${v}`)]));
}

const config = (target: string) => `global:
  scrape_interval: 200ms
  scrape_timeout: 200ms
scrape_configs:
  - job_name: fill
    static_configs:
      - targets: ['${target}']
`;

describe.skipIf(unavailable !== undefined)('a full disk', () => {
  it('loses no acknowledged sample: commits fail loudly while full, resume when space is back, survive a restart', async () => {
    const mnt = scratchDir();
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt], { encoding: 'utf8' });
    expect(mount.status, mount.stderr).toBe(0);
    mounts.push(mnt);
    const dataDir = join(mnt, 'data');
    mkdirSync(dataDir);
    const target = await bigTarget(2000);
    const dir = scratchDir();
    const args = [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      '--web.listen-address=127.0.0.1:0',
      '--log.format=json',
      '--web.enable-lifecycle',
      `--storage.tsdb.path=${dataDir}`,
    ];
    const listenLine = 'Start listening for connections';
    const start = async () => {
      const server = startServer({ dir, args, defaults: false });
      await server.untilLog(listenLine);
      server.base = `http://${String(server.logs().find((l) => l.msg === listenLine)?.address)}`;
      return server;
    };
    writeFileSync(join(dir, 'prometheus.yml'), config(target.address));
    let server = await start();
    // The second scrape begins only after the first one's commit: series records are on disk.
    await target.scraped(2);

    // Fill the filesystem but for a few scrapes' worth of samples (2000 × 20 bytes each).
    const { bavail, bsize } = statfsSync(mnt);
    const filler = join(mnt, 'filler');
    writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - 150_000)));
    await server.untilLog('Scrape commit failed', 3, 30_000);
    const failure = server.logs().find((l) => l.msg === 'Scrape commit failed');
    expect(failure?.level).toBe('ERROR');
    expect(failure?.err).toMatch(/^write to WAL: write .*\/wal\/\d{8}: no space left on device$/);

    // Space comes back: the next scrapes commit again.
    rmSync(filler);
    const freedAt = Date.now() / 1000;
    await target.scraped(4);
    const metrics = await (await fetch(`${server.base}/metrics`)).text();
    expect(metrics).toMatch(/^prometheus_tsdb_wal_writes_failed_total [1-9]\d*$/m);

    // Stop writing (no job left), then read everything that was acknowledged.
    writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1h\n');
    expect((await fetch(`${server.base}/-/reload`, { method: 'POST' })).status).toBe(200);
    const time = Date.now() / 1000;
    const before = await allSamples(server, time);
    // Writing resumed: scrapes after space came back were acknowledged.
    const upSamples = [...before].find(([k]) => JSON.parse(k).__name__ === 'up')?.[1] ?? [];
    expect(Math.max(...upSamples.map((s) => Number(s.split(' ')[0])))).toBeGreaterThan(freedAt);

    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
    server = await start();
    await server.untilLog('Server is ready to receive web requests.');
    expect(server.msgs()).not.toContain('Encountered WAL read error, attempting repair');
    expect(server.logs().filter((l) => l.level === 'WARN' || l.level === 'ERROR')).toEqual([]);
    const after = await allSamples(server, time);
    // Every acknowledged sample is there (a stale marker committed after the read may be added).
    for (const [series, samples] of before) expect(after.get(series)?.slice(0, samples.length)).toEqual(samples);
    server.child.kill('SIGTERM');
    await server.exited;
  });
});

describe('a damaged WAL', () => {
  it('starts after repairing damage in the middle of an older segment, saying what it dropped', async () => {
    const target = await bigTarget(10);
    const dir = scratchDir();
    writeFileSync(join(dir, 'prometheus.yml'), config(target.address));
    const run = async (scrapes: number) => {
      const server = startServer({ dir });
      await server.untilLog('Server is ready to receive web requests.');
      await target.scraped(scrapes);
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
      return server;
    };
    await run(6);
    await run(2); // segment 00000001 holds newer records
    const first = join(dir, 'data', 'wal', '00000000');
    const data = readFileSync(first);
    const middle = Math.floor(data.length / 2);
    data[middle] = (data[middle] as number) ^ 0xff;
    writeFileSync(first, data);

    const server = startServer({ dir });
    await server.untilLog('Server is ready to receive web requests.');
    const msgs = server.msgs();
    const repair = [
      'Encountered WAL read error, attempting repair',
      'Starting corruption repair',
      'Deleting all segments newer than corrupted segment',
      'Rewrite corrupted segment',
      'Successfully repaired WAL',
    ];
    expect(msgs.filter((m) => repair.includes(m))).toEqual(repair);
    const done = server.logs().find((l) => l.msg === 'Successfully repaired WAL');
    expect(done).toMatchObject({ component: 'tsdb', deleted_segments: expect.any(Number) });
    expect(done?.dropped_records).toBeGreaterThan(0);
    expect(readFileSync(first).length).toBeLessThan(data.length);
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
  });
});

describe('a stale lock', () => {
  it('is taken over when its pid is alive but belongs to an unrelated process (pid 1), with a warning', async () => {
    const dir = scratchDir();
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(join(dir, 'data', 'lock'), JSON.stringify({ pid: 1, startedAt: Date.UTC(2020, 0, 1) }));
    const server = startServer({ dir, config: 'global:\n  scrape_interval: 1h\n' });
    await server.untilLog('Server is ready to receive web requests.');
    const warning = server
      .logs()
      .find((l) => l.msg === 'Taking over a lock whose pid now belongs to another process (its start time differs)');
    expect(warning).toMatchObject({ level: 'WARN', pid: 1, lock_started: '2020-01-01T00:00:00.000Z' });
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
  });
});
