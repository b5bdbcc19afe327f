/**
 * Every route miniprom's web handler serves, each with a request that reaches it: the pages, their
 * assets, the lifecycle endpoints, /metrics, /federate and every /api/v1 endpoint. The web config
 * and route prefix tests walk this list; a route added to src/web belongs here too.
 */
export interface RouteRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'OPTIONS';
  path: string;
  /** Answers with a stream that never ends (server-sent events): read the head only. */
  stream?: boolean;
}

const get = (path: string, stream = false): RouteRequest => ({ method: 'GET', path, stream });
const post = (path: string): RouteRequest => ({ method: 'POST', path });

export const ROUTES: RouteRequest[] = [
  // The pages, the old expression browser's address and an asset.
  get('/'),
  get('/query'),
  get('/graph?g0.expr=up'),
  get('/targets'),
  get('/rules'),
  get('/alerts'),
  get('/config'),
  get('/assets/query.js'),
  get('/assets/lifecycle.css'),
  // Health, readiness and the lifecycle API.
  get('/-/healthy'),
  get('/-/ready'),
  get('/-/reload'),
  post('/-/reload'),
  { method: 'PUT', path: '/-/reload' },
  get('/-/quit'),
  get('/metrics'),
  get('/federate?match[]=up'),
  // The HTTP API v1.
  { method: 'OPTIONS', path: '/api/v1/query' },
  get('/api/v1/query?query=1'),
  post('/api/v1/query?query=1'),
  get('/api/v1/query_range?query=1&start=0&end=60&step=15'),
  get('/api/v1/query_exemplars?query=up&start=0&end=60'),
  get('/api/v1/format_query?query=up'),
  get('/api/v1/parse_query?query=up'),
  get('/api/v1/labels'),
  get('/api/v1/label/job/values'),
  get('/api/v1/series?match[]=up'),
  { method: 'DELETE', path: '/api/v1/series' },
  get('/api/v1/scrape_pools'),
  get('/api/v1/targets'),
  get('/api/v1/targets?state=active&scrapePool=self'),
  get('/api/v1/targets/metadata'),
  get('/api/v1/alertmanagers'),
  get('/api/v1/metadata'),
  get('/api/v1/status/config'),
  get('/api/v1/status/runtimeinfo'),
  get('/api/v1/status/buildinfo'),
  get('/api/v1/status/flags'),
  get('/api/v1/status/tsdb'),
  get('/api/v1/status/walreplay'),
  post('/api/v1/write'),
  get('/api/v1/alerts'),
  get('/api/v1/rules'),
  post('/api/v1/admin/tsdb/delete_series?match[]=nothing_here'),
  post('/api/v1/admin/tsdb/clean_tombstones'),
  post('/api/v1/admin/tsdb/snapshot'),
  get('/api/v1/status/lifecycle'),
  get('/api/v1/status/lifecycle/events', true),
  // No route: Go's 404.
  get('/no/such/page'),
  get('/api/v1/no_such_endpoint'),
];
