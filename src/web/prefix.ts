/**
 * `--web.route-prefix` (which defaults to `--web.external-url`'s path): every route is served under
 * the prefix, as upstream's router.WithPrefix and its API mux at `<prefix>/api/v1/` serve them.
 * Wrapped around fastify (below the web config's guard, as upstream's mux sits inside it): a
 * request under the prefix reaches the routes with the prefix taken off; outside it, only `GET /`
 * answers (302 to the prefix), and the prefix itself without its slash is Go's router's 301 to
 * `<prefix>/`. Anything else is Go's plain 404.
 */
import type { RequestListener, ServerResponse } from 'node:http';

/** The HTML body Go's http.Redirect writes for a GET: a link to the target. */
export function goRedirectBody(location: string, code: 301 | 302): string {
  const text = code === 301 ? 'Moved Permanently' : 'Found';
  const href = location.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;');
  return `<a href="${href}">${text}</a>.\n\n`;
}

/** Go's http.Redirect: Location, and for GET and HEAD a small HTML body naming the target. */
export function goRedirect(res: ServerResponse, method: string | undefined, location: string, code: 301 | 302): void {
  res.statusCode = code;
  res.setHeader('Location', location);
  if (method === 'GET' || method === 'HEAD') {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(method === 'HEAD' ? undefined : goRedirectBody(location, code));
    return;
  }
  res.end();
}

/** Go's http.NotFound. */
function notFound(res: ServerResponse): void {
  res.statusCode = 404;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end('404 page not found\n');
}

/** Upstream's normalisation: `/` + the prefix without slashes at either end (`/` for none). */
export function normalizeRoutePrefix(prefix: string): string {
  return `/${prefix.replace(/^\/+|\/+$/g, '')}`;
}

/** Serves `handler`'s routes under `prefix` (normalised; `/` serves them as they are). */
export function withRoutePrefix(handler: RequestListener, prefix: string): RequestListener {
  if (prefix === '/') return handler;
  return (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? '' : url.slice(q);
    if (path.startsWith(`${prefix}/`)) {
      req.url = url.slice(prefix.length);
      handler(req, res);
      return;
    }
    if (path === prefix && req.method === 'GET') {
      // Go's router redirects a path missing its trailing slash when the slashed one has a route.
      goRedirect(res, req.method, `${prefix}/${query}`, 301);
      return;
    }
    if (path === '/') {
      // Upstream registers GET / outside the prefix: "If the prefix is missing for the root path, prepend it."
      if (req.method === 'GET') return goRedirect(res, req.method, prefix, 302);
      res.setHeader('Allow', 'GET, OPTIONS');
      if (req.method === 'OPTIONS') {
        res.statusCode = 200;
        res.end();
        return;
      }
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.statusCode = 405;
      res.end('Method Not Allowed\n');
      return;
    }
    notFound(res);
  };
}
