/// <reference lib="dom" />
/**
 * `--web.external-url` and `--web.route-prefix`: every route answers under the prefix exactly as
 * it answers at the root without one, nothing answers outside it but upstream's redirects (held
 * to Prometheus 3.5's, byte for byte), and the pages' browser code asks only under the prefix.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pathPrefixOf } from '../src/web/ui/prefix.js';
import { PROMETHEUS, type ReferencePrometheus, startPrometheus, stopPrometheuses } from './helpers/prometheus.js';
import { ROUTES, type RouteRequest } from './helpers/routes.js';
import { listening, removeScratchDirs, type Server } from './helpers/server.js';
import { killAll } from './helpers/spawn.js';

const READY = 'Server is ready to receive web requests.';
const CONFIG = `global:
  scrape_interval: 1h
scrape_configs:
  - job_name: self
    static_configs:
      - targets: ['127.0.0.1:1']
`;
const PREFIX_ARGS = ['--web.external-url=http://example.com:9/ext/', '--web.route-prefix=/rp'];

let plain: Server;
let prefixed: Server;
let real: ReferencePrometheus | undefined;

beforeAll(async () => {
  [plain, prefixed] = await Promise.all([
    listening({ config: CONFIG, args: ['--web.enable-lifecycle', '--web.enable-admin-api'] }),
    listening({ config: CONFIG, args: ['--web.enable-lifecycle', '--web.enable-admin-api', ...PREFIX_ARGS] }),
  ]);
  await Promise.all([plain.untilLog(READY), prefixed.untilLog(READY)]);
  if (PROMETHEUS.missing) {
    console.log(`web-prefix.test.ts: peer comparisons skipped: ${PROMETHEUS.missing}`);
    return;
  }
  real = await startPrometheus({ config: CONFIG, args: PREFIX_ARGS });
}, 30_000);

afterAll(async () => {
  killAll();
  await stopPrometheuses();
  removeScratchDirs();
});

interface Answer {
  status: number;
  location: string | null;
  type: string | null;
  body: string;
}

async function ask(base: string, method: string, path: string): Promise<Answer> {
  const controller = new AbortController();
  const res = await fetch(`${base}${path}`, { method, redirect: 'manual', signal: controller.signal });
  const stream = res.headers.get('content-type')?.startsWith('text/event-stream');
  const body = stream ? '' : await res.text();
  if (stream) controller.abort();
  return { status: res.status, location: res.headers.get('location'), type: res.headers.get('content-type'), body };
}

describe('every route under --web.route-prefix', () => {
  // Reloading or deleting under one server and not the other would make the answers differ for
  // reasons of their own: the walk skips nothing, since both servers get the same requests.
  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s answers under the prefix as it does at the root without one',
    async (_name, route: RouteRequest) => {
      const [atRoot, underPrefix] = await Promise.all([
        ask(plain.base, route.method, route.path),
        ask(prefixed.base, route.method, `/rp${route.path}`),
      ]);
      expect(underPrefix.status).toBe(atRoot.status);
      expect(underPrefix.type).toBe(atRoot.type);
    },
  );

  it.each(ROUTES.filter((r) => r.path !== '/').map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s is not served outside the prefix',
    async (_name, route: RouteRequest) => {
      const outside = await ask(prefixed.base, route.method, route.path);
      expect(outside.status).toBe(404);
      expect(outside.body).toBe('404 page not found\n');
    },
  );

  it('logs the prefix as upstream does', () => {
    expect(prefixed.logs().find((l) => l.msg === 'Router prefix')?.prefix).toBe('/rp');
  });
});

describe('the redirects, as Prometheus 3.5 answers them', () => {
  const REDIRECTS: Array<[string, string]> = [
    ['GET', '/'],
    ['GET', '/rp'],
    ['GET', '/rp?x=1'],
    ['GET', '/rp/graph?g0.expr=up&g0.tab=0'],
    ['POST', '/'],
    ['POST', '/rp'],
    ['GET', '/ext/-/healthy'],
    ['GET', '/-/healthy'],
  ];

  it('sends / to the prefix and the old /graph to /query under the external URL', async () => {
    expect(await ask(prefixed.base, 'GET', '/')).toMatchObject({ status: 302, location: '/rp' });
    expect(await ask(prefixed.base, 'GET', '/rp/graph?g0.expr=up')).toMatchObject({
      status: 302,
      location: '/ext/query?g0.expr=up',
    });
  });

  it.each(REDIRECTS)('%s %s', async (method, path) => {
    if (!real) return;
    const [ours, theirs] = await Promise.all([ask(prefixed.base, method, path), ask(real.base, method, path)]);
    expect(ours).toEqual(theirs);
  });
});

describe('--web.external-url alone', () => {
  it('serves under its path, as the route prefix defaults to it', async () => {
    const server = await listening({ config: CONFIG, args: ['--web.external-url=http://example.com/ext/'] });
    await server.untilLog(READY);
    expect((await ask(server.base, 'GET', '/ext/-/healthy')).status).toBe(200);
    expect((await ask(server.base, 'GET', '/ext/api/v1/status/buildinfo')).status).toBe(200);
    expect((await ask(server.base, 'GET', '/-/healthy')).status).toBe(404);
    expect(await ask(server.base, 'GET', '/')).toMatchObject({ status: 302, location: '/ext' });
    // The flags endpoint shows the prefix as upstream's main leaves it: defaulted and normalised.
    const flags = JSON.parse((await ask(server.base, 'GET', '/ext/api/v1/status/flags')).body) as {
      data: Record<string, string>;
    };
    expect(flags.data['web.route-prefix']).toBe('/ext');
  });
});

describe('the pages find the prefix from where they are', () => {
  it.each([
    ['/rp/query', '/rp'],
    ['/rp/', '/rp'],
    ['/rp', '/rp'],
    ['/a/b/targets', '/a/b'],
    ['/query', ''],
    ['/', ''],
  ])('%s → %j', (pathname, prefix) => {
    expect(pathPrefixOf(pathname)).toBe(prefix);
  });
});

const CHROMIUM = '/usr/bin/chromium';
describe.skipIf(!existsSync(CHROMIUM))('the pages under the prefix (Chromium)', () => {
  // The query page asks the API once it has an expression: its URL state gives it one.
  it.each(['/rp/', '/rp/query?g0.expr=up&g0.tab=1', '/rp/targets', '/rp/rules', '/rp/alerts', '/rp/config'])(
    '%s loads its bundle and asks the API only under the prefix, all answered',
    async (path) => {
      const { chromium } = await import('playwright-core');
      const profile = mkdtempSync(join(tmpdir(), 'miniprom-chromium-'));
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
      });
      try {
        const page = context.pages()[0] ?? (await context.newPage());
        const asked: Array<{ url: string; status: number }> = [];
        page.on('response', (res) => asked.push({ url: res.url(), status: res.status() }));
        await page.goto(`${prefixed.base}${path}`);
        // The page's script has run once it has replaced the shell's loading line with its header.
        await page.waitForSelector('header a');
        await page.waitForLoadState('networkidle');
        const links = await page.$$eval('header a', (as) => as.map((a) => (a as HTMLAnchorElement).pathname));
        expect(links.every((l) => l.startsWith('/rp/'))).toBe(true);
        const ours = asked.filter((a) => a.url.startsWith(prefixed.base));
        expect(ours.some((a) => a.url.includes('/rp/api/v1/'))).toBe(true);
        for (const a of ours) {
          expect(new URL(a.url).pathname.startsWith('/rp/'), a.url).toBe(true);
          expect(a.status, a.url).toBeLessThan(400);
        }
      } finally {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      }
    },
    30_000,
  );
});
