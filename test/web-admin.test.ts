/**
 * `--web.enable-admin-api` and `--web.cors.origin`: delete_series leaves tombstones that queries
 * honour and that a restart replays from the WAL; a snapshot is a WAL copy another server replays;
 * with the API off, upstream's 500. CORS allows only origins the anchored regex matches.
 * Answers are held to Prometheus 3.5's where they do not depend on what was scraped.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { snapshotTime } from '../src/web/api/admin.js';
import { PROMETHEUS, startPrometheus, stopPrometheuses } from './helpers/prometheus.js';
import { listening, removeScratchDirs, type Server, startServer } from './helpers/server.js';
import { killAll } from './helpers/spawn.js';

const READY = 'Server is ready to receive web requests.';
const CONFIG = 'global:\n  scrape_interval: 1h\n';

afterEach(async () => {
  killAll();
  await stopPrometheuses();
  removeScratchDirs();
});

async function call(base: string, method: string, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, { method, headers, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

/** A ready server with the admin API and nothing scraped. */
async function adminServer(): Promise<Server> {
  const server = await listening({ config: CONFIG, args: ['--web.enable-admin-api'] });
  await server.untilLog(READY);
  return server;
}

/** The `job` of each series `expr` selects at `time` (seconds), sorted. */
async function seriesAt(base: string, expr: string, time: number): Promise<string[]> {
  const { body } = await call(base, 'GET', `/api/v1/query?query=${encodeURIComponent(expr)}&time=${time}`);
  const result = (JSON.parse(body) as { data: { result: Array<{ metric: Record<string, string> }> } }).data.result;
  return result.map((r) => r.metric.job ?? '').sort();
}

/**
 * Samples to delete: miniprom scrapes itself, so `up` of two jobs (one scraping miniprom, one
 * refused) appears in the head after the first scrape, without any client of ours writing.
 */
function scrapingConfig(port: number): string {
  return `global:
  scrape_interval: 1s
scrape_configs:
  - job_name: self
    static_configs:
      - targets: ['127.0.0.1:${port}']
  - job_name: down
    static_configs:
      - targets: ['127.0.0.1:1']
`;
}

async function scrapedServer(args: string[] = [], dir?: string): Promise<Server> {
  const { freePort } = await import('../scripts/free-port.mjs');
  const port = await freePort();
  const server = await listening({
    config: scrapingConfig(port),
    dir,
    args: [`--web.listen-address=127.0.0.1:${port}`, '--web.enable-admin-api', ...args],
  });
  await server.untilLog(READY);
  return server;
}

/** Resolves once `up` of both jobs has a sample at or before now (waiting on the scrapes' results). */
async function scraped(base: string): Promise<number> {
  for (;;) {
    const now = Date.now() / 1000;
    if ((await seriesAt(base, 'up', now)).length === 2) return now;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('--web.enable-admin-api off', () => {
  it.each([
    ['POST', '/api/v1/admin/tsdb/delete_series?match[]=up'],
    ['PUT', '/api/v1/admin/tsdb/delete_series'],
    ['POST', '/api/v1/admin/tsdb/clean_tombstones'],
    ['PUT', '/api/v1/admin/tsdb/snapshot'],
    ['GET', '/api/v1/admin/tsdb/snapshot'],
  ])('%s %s answers as Prometheus 3.5', async (method, path) => {
    const server = await listening({ config: CONFIG });
    await server.untilLog(READY);
    const ours = await call(server.base, method, path);
    if (method !== 'GET') {
      expect(ours).toMatchObject({
        status: 500,
        body: '{"status":"error","errorType":"unavailable","error":"admin APIs disabled"}',
      });
    }
    if (PROMETHEUS.missing) return;
    const peer = await startPrometheus({ config: CONFIG });
    const theirs = await call(peer.base, method, path);
    expect({ status: ours.status, body: ours.body, allow: ours.headers.get('allow') }).toEqual({
      status: theirs.status,
      body: theirs.body,
      allow: theirs.headers.get('allow'),
    });
  });
});

describe('--web.enable-admin-api parameter errors, as Prometheus 3.5', () => {
  it.each([
    '/api/v1/admin/tsdb/delete_series',
    '/api/v1/admin/tsdb/delete_series?match[]=up&start=x',
    '/api/v1/admin/tsdb/delete_series?match[]=up&end=y',
    `/api/v1/admin/tsdb/delete_series?match[]=${encodeURIComponent('{')}`,
    '/api/v1/admin/tsdb/delete_series?match[]=nothing_matches',
    '/api/v1/admin/tsdb/snapshot?skip_head=maybe',
    '/api/v1/admin/tsdb/clean_tombstones',
  ])('POST %s', async (path) => {
    const server = await adminServer();
    const ours = await call(server.base, 'POST', path);
    if (PROMETHEUS.missing) return;
    const peer = await startPrometheus({ config: CONFIG, args: ['--web.enable-admin-api'] });
    const theirs = await call(peer.base, 'POST', path);
    expect({ status: ours.status, body: ours.body }).toEqual({ status: theirs.status, body: theirs.body });
  });
});

describe('delete_series', () => {
  it('hides the deleted samples from queries, keeps the others, and the restart replays the tombstones', async () => {
    const server = await scrapedServer();
    const at = await scraped(server.base);
    const deleted = await call(
      server.base,
      'POST',
      `/api/v1/admin/tsdb/delete_series?match[]=up{job="down"}&end=${at}`,
    );
    expect(deleted.status).toBe(204);
    // The deleted range is gone; the other series stays.
    expect(await seriesAt(server.base, 'up', at)).toEqual(['self']);
    const series = await call(server.base, 'GET', `/api/v1/series?match[]=up&start=0&end=${at}`);
    expect(series.body).not.toContain('"down"');
    // Later scrapes of the deleted series are not deleted (the interval ended at `at`).
    server.child.kill('SIGTERM');
    await server.exited;
    const again = await scrapedServer([], server.dir);
    expect(again.logs().find((l) => l.msg === 'WAL replay completed')).toBeDefined();
    expect(await seriesAt(again.base, 'up', at)).toEqual(['self']);
  });

  it('writes each deletion as one tombstone record (type 3) in the WAL', async () => {
    const server = await scrapedServer();
    const at = await scraped(server.base);
    await call(server.base, 'POST', `/api/v1/admin/tsdb/delete_series?match[]=up&start=0&end=${at}`);
    server.child.kill('SIGTERM');
    await server.exited;
    const { readFileSync } = await import('node:fs');
    const walDir = join(server.dir, 'data', 'wal');
    const types = readdirSync(walDir)
      .sort()
      .flatMap((name) => {
        const data = readFileSync(join(walDir, name));
        const out: number[] = [];
        for (let off = 0; off + 9 <= data.length; off += 9 + data.readUInt32BE(off + 1)) out.push(data[off] as number);
        return out;
      });
    expect(types.filter((t) => t === 3)).toHaveLength(1);
  });
});

describe('snapshot', () => {
  it('copies the WAL under snapshots/<time>-<16 hex digits>, and a server started on it replays the same data', async () => {
    const server = await scrapedServer();
    const at = await scraped(server.base);
    await call(server.base, 'POST', `/api/v1/admin/tsdb/delete_series?match[]=up{job="down"}&end=${at}`);
    const res = await call(server.base, 'POST', '/api/v1/admin/tsdb/snapshot');
    expect(res.status).toBe(200);
    const { name } = (JSON.parse(res.body) as { data: { name: string } }).data;
    expect(name).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{16}$/);
    const snapshotDir = join(server.dir, 'data', 'snapshots', name);
    expect(readdirSync(join(snapshotDir, 'wal')).length).toBeGreaterThan(0);
    server.child.kill('SIGTERM');
    await server.exited;
    // A second server on the snapshot: the same series, the tombstone included.
    const copy = startServer({
      config: CONFIG,
      args: [`--storage.tsdb.path=${snapshotDir}`, '--web.listen-address=127.0.0.1:0'],
    });
    await copy.untilLog(READY);
    copy.base = `http://${String(copy.logs().find((l) => l.msg === 'Start listening for connections')?.address)}`;
    expect(await seriesAt(copy.base, 'up', at)).toEqual(['self']);
  });

  it('with skip_head copies no head, as upstream copies only persisted blocks (miniprom has none)', async () => {
    const server = await scrapedServer();
    await scraped(server.base);
    const res = await call(server.base, 'POST', '/api/v1/admin/tsdb/snapshot?skip_head=true');
    const { name } = (JSON.parse(res.body) as { data: { name: string } }).data;
    const dir = join(server.dir, 'data', 'snapshots', name);
    expect(existsSync(dir)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('names snapshots with Go layout 20060102T150405Z0700 in UTC', () => {
    expect(snapshotTime(Date.UTC(2026, 10, 29, 23, 59, 58, 123))).toBe('20261129T235958Z');
  });
});

describe('--web.cors.origin', () => {
  it('allows an origin the anchored regex matches, and only that', async () => {
    const server = await listening({ config: CONFIG, args: ['--web.cors.origin=https?://(a|b)\\.example\\.com'] });
    await server.untilLog(READY);
    const allowed = await call(server.base, 'GET', '/api/v1/status/buildinfo', { origin: 'https://a.example.com' });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://a.example.com');
    expect(allowed.headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS');
    // Anchored: a longer origin containing a match does not match.
    for (const origin of ['https://a.example.com.evil.org', 'https://c.example.com', 'xhttps://a.example.com']) {
      const refused = await call(server.base, 'GET', '/api/v1/status/buildinfo', { origin });
      expect(refused.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect(refused.headers.get('vary')).toBe('Origin');
    }
  });

  it('answers OPTIONS preflights with the same rule, as Prometheus 3.5', async () => {
    const args = ['--web.cors.origin=https://ok\\.example'];
    const server = await listening({ config: CONFIG, args });
    await server.untilLog(READY);
    const headersOf = (r: { status: number; headers: Headers }) => ({
      status: r.status,
      origin: r.headers.get('access-control-allow-origin'),
      headers: r.headers.get('access-control-allow-headers'),
    });
    const ours = await Promise.all(
      ['https://ok.example', 'https://no.example'].map((origin) =>
        call(server.base, 'OPTIONS', '/api/v1/query', { origin }).then(headersOf),
      ),
    );
    expect(ours[0]?.origin).toBe('https://ok.example');
    expect(ours[1]?.origin).toBeNull();
    if (PROMETHEUS.missing) return;
    const peer = await startPrometheus({ config: CONFIG, args });
    const theirs = await Promise.all(
      ['https://ok.example', 'https://no.example'].map((origin) =>
        call(peer.base, 'OPTIONS', '/api/v1/query', { origin }).then(headersOf),
      ),
    );
    expect(ours).toEqual(theirs);
  });

  it('refuses a regex that does not compile, in upstream words, exit 2', async () => {
    const server = startServer({ config: CONFIG, args: ['--web.cors.origin=(a'] });
    expect((await server.exited).code).toBe(2);
    expect(server.stderr()).toContain(
      'could not compile CORS regex string "(a": error parsing regexp: missing closing ): `^(?s:(a)$`',
    );
  });
});
