/**
 * The pages over HTTP, from the built server: HTML shells that load only bundles served here,
 * no inline script, the bundles themselves, and upstream 3.x's /graph → /query redirect.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, listening, removeScratchDirs, SELF_CONFIG, type Server } from '../helpers/server.js';
import { killAll } from '../helpers/spawn.js';

const PAGES = ['/', '/query', '/targets', '/rules', '/alerts', '/config'];

let server: Server;
beforeAll(async () => {
  server = await listening({ config: SELF_CONFIG });
});
afterAll(() => {
  killAll();
  removeScratchDirs();
});

describe('the pages over HTTP', () => {
  it.each(PAGES)(
    'serves %s as a shell with no inline script, loading only its own bundle and stylesheet',
    async (path) => {
      const { status, body, headers } = await http(`${server.base}${path}`);
      expect(status).toBe(200);
      expect(headers.get('content-type')).toBe('text/html; charset=utf-8');
      const scripts = [...body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts).toHaveLength(1);
      // Relative to the page, so the same shell works under --web.route-prefix and behind a proxy.
      expect(scripts[0]?.[1]).toMatch(/ src="\.\/assets\/[a-z]+\.js"/);
      expect(scripts[0]?.[2]).toBe('');
      // No inline handlers either, and every reference stays on this server.
      expect(body).not.toMatch(/\son[a-z]+=/i);
      for (const [, ref] of body.matchAll(/(?:src|href)="([^"]*)"/g)) expect(ref).toMatch(/^(\.\/|data:)/);
    },
  );

  it.each(PAGES)('serves the script and stylesheet %s names', async (path) => {
    const { body } = await http(`${server.base}${path}`);
    const refs = [...body.matchAll(/(?:src|href)="(\.\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
    expect(refs).toHaveLength(2);
    for (const ref of refs) {
      const asset = await http(new URL(ref, `${server.base}${path}`).href);
      expect(asset.status, ref).toBe(200);
      expect(asset.headers.get('content-type')).toMatch(ref?.endsWith('.js') ? /javascript/ : /text\/css/);
      expect(asset.body.length).toBeGreaterThan(100);
    }
  });

  it('answers a missing asset with Go’s 404, and counts assets under upstream’s route name', async () => {
    const missing = await http(`${server.base}/assets/nothing-here.js`);
    expect(missing.status).toBe(404);
    expect(missing.body).toBe('404 page not found\n');
    const outside = await http(`${server.base}/assets/..%2f..%2fpackage.json`);
    expect(outside.status).toBe(404);
    const metrics = await http(`${server.base}/metrics`);
    expect(metrics.body).toContain('prometheus_http_requests_total{code="200",handler="/assets/*filepath"}');
  });

  it('redirects /graph to /query with its query string, as upstream 3.x does', async () => {
    const res = await fetch(`${server.base}/graph?g0.expr=up&g0.tab=0`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/query?g0.expr=up&g0.tab=0');
  });
});
