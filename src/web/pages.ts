/**
 * The pages: `/` the lifecycle, `/query` the expression browser (`/graph` redirects there, as in
 * upstream 3.x), `/targets`, `/rules`, `/alerts` and `/config`. Each is a small HTML shell naming
 * its script and stylesheet, bundled from src/web/ui by `npm run build` into dist/web/assets and
 * served from there at /assets/. The shell holds no script and no text from anywhere but here;
 * the page's settings travel as `data-*` attributes. Nothing is loaded from outside this server.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { RouteConfig } from './api/http.js';
import { goRedirectBody } from './prefix.js';

/** The pages' bundles: `<root>/dist/web/assets`, whether this file runs from src/ or from dist/. */
export function assetsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return join(dir, 'dist', 'web', 'assets');
}

type PageName = 'lifecycle' | 'query' | 'targets' | 'rules' | 'alerts' | 'config';

const PAGES: ReadonlyArray<{ path: string; page: PageName; title: string }> = [
  { path: '/', page: 'lifecycle', title: 'Lifecycle' },
  { path: '/query', page: 'query', title: 'Query' },
  { path: '/targets', page: 'targets', title: 'Targets' },
  { path: '/rules', page: 'rules', title: 'Rules' },
  { path: '/alerts', page: 'alerts', title: 'Alerts' },
  { path: '/config', page: 'config', title: 'Config' },
];

export interface PageOptions {
  lifecycleEnabled: boolean;
  mode: 'server' | 'agent';
  /** The external URL's path ('' or `/x`), where upstream's redirects point. */
  externalPath?: string;
}

/** A page's HTML: its stylesheet and module script, and a line shown until the script runs. */
export function pageShell(page: PageName, title: string, opts: PageOptions): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · miniprom</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="./assets/${page}.css">
<script type="module" src="./assets/${page}.js"></script></head>
<body data-page="${page}" data-mode="${opts.mode}" data-lifecycle="${opts.lifecycleEnabled ? 'enabled' : 'disabled'}">
<main><p>Loading ${title}… If this stays, the page's script did not load: its bundle is built by <code>npm run build</code>.</p></main>
</body></html>
`;
}

/** Registers the pages, the /graph redirect and the assets they load. */
export function registerPages(app: FastifyInstance, opts: PageOptions): void {
  for (const { path, page, title } of PAGES) {
    const html = pageShell(page, title, opts); // built once, served as it is
    app.get(path, (_req, reply: FastifyReply) => reply.type('text/html; charset=utf-8').send(html));
  }
  // Upstream 3.x: the old expression browser's address, query string kept, so old links work;
  // the redirect points under the external URL's path, as upstream's path.Join(ExternalURL.Path, …).
  app.get('/graph', (req, reply) => {
    const url = req.raw.url ?? '';
    const at = url.indexOf('?');
    const location = `${opts.externalPath ?? ''}/query?${at < 0 ? '' : url.slice(at + 1)}`;
    return reply
      .code(302)
      .header('Location', location)
      .type('text/html; charset=utf-8')
      .send(goRedirectBody(location, 302));
  });
  // The bundles, as upstream serves its UI's (route /assets/*filepath). Missing only before
  // the first build: then the shells say so. The plugin only adds reply.sendFile (serve: false).
  app.register(fastifyStatic, {
    root: assetsDir(),
    serve: false,
    // Bundles are rebuilt in place: let the browser revalidate (ETag, Last-Modified).
    cacheControl: true,
    maxAge: 0,
  });
  const config: RouteConfig = { handlerName: '/assets/*filepath' };
  app.get('/assets/*', { config }, (req, reply) => {
    const file = (req.params as { '*': string })['*'];
    // Only names inside the assets folder: anything else is Go's 404, not send's 403.
    if (file.split(/[/\\]/).some((part) => part === '..' || part === '') || file.includes('\0')) {
      return reply.callNotFound();
    }
    return reply.sendFile(file);
  });
}
