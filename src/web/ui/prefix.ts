/**
 * Where this server's routes are, seen from the browser: the page's own path without the page's
 * route, as upstream's UI finds its path prefix. It works under `--web.route-prefix` and behind a
 * proxy that serves the server at another path alike (`/p/query` → `/p`, `/p/` → `/p`, `/query` → '').
 */

/** Every page's route but the lifecycle's, which is the prefix itself (`<prefix>/`). */
const PAGE_ROUTES = ['/query', '/targets', '/rules', '/alerts', '/config'];

/** The path prefix of the page at `pathname` ('' when the server is at the root). */
export function pathPrefixOf(pathname: string): string {
  for (const route of PAGE_ROUTES) if (pathname.endsWith(route)) return pathname.slice(0, -route.length);
  return pathname.replace(/\/$/, '');
}

/** The path prefix of this page. */
export function pathPrefix(): string {
  return pathPrefixOf(location.pathname);
}
