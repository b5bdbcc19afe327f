/**
 * src/web/api: Prometheus's HTTP API v1 (upstream's web/api/v1 at v3.5.3) and /federate, on the
 * web handler's fastify instance. Routes are registered in upstream's order with upstream's
 * methods; what they serve comes from `ApiSources`, which main fills.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { HttpMetrics } from '../http-metrics.js';
import { cleanTombstones, deleteSeries, snapshot } from './admin.js';
import { federate } from './federate.js';
import {
  apiOptionsRoute,
  apiRoute,
  type ApiRouteOptions,
  type CorsOrigin,
  methodNotAllowed,
  type Readiness,
  readyGate,
} from './http.js';
import { metricMetadata, targetMetadata } from './metadata.js';
import { formatQuery, instantQuery, parseQuery, queryExemplars, rangeQuery } from './query.js';
import { ApiError } from './response.js';
import { type ApiRuleGroupView, alertsHandler, rulesHandler } from './rules.js';
import { labelNames, labelValues, series } from './series.js';
import { scrapePools, type TargetsView, targets } from './targets.js';
import { buildInfo, flags, runtimeInfo, tsdbStatus, walReplay } from './status.js';
import type { ApiSources } from './types.js';
import { remoteWrite } from './write.js';

export type { ApiHandler, CorsOrigin, Readiness } from './http.js';
export { methodNotAllowedAnswer } from './http.js';
export type { ApiRuleGroupView, ApiRuleView } from './rules.js';
export type { TargetsView } from './targets.js';
export * from './types.js';
export type { AdminSources } from './admin.js';

/** The largest remote write request body accepted (compressed). */
const MAX_WRITE_BYTES = 32 << 20;

export interface ApiOptions {
  sources: ApiSources;
  readiness: () => Readiness;
  agent: boolean;
  version: string;
  registry: Registry;
  logger: Logger;
  metrics: HttpMetrics;
  /** --web.cors.origin, compiled (every origin when absent). */
  corsOrigin?: CorsOrigin;
  /** --web.enable-admin-api. */
  enableAdmin?: boolean;
  /** When the web handler was made (runtimeinfo's startTime). */
  startTime: number;
  /** miniprom's other API data (targets, rules, Alertmanagers, config), served in the same envelope. */
  extra: {
    targets(): TargetsView;
    /** The scrape pools' names. */
    scrapePools(): string[];
    alertmanagers(): unknown;
    /** The rule groups in upstream's shape, unfiltered (server mode). */
    rules(): ApiRuleGroupView[];
    /** `{ alerts }`: the active alerts (server mode). */
    alerts(): unknown;
    configYAML(): string;
  };
}

/** Registers every API route and /federate on `app`. */
export function registerApi(app: FastifyInstance, opts: ApiOptions): void {
  const { sources } = opts;
  const now = sources.now ?? Date.now;
  const route: ApiRouteOptions = { readiness: opts.readiness, agent: opts.agent, corsOrigin: opts.corsOrigin };
  const deps = { engine: sources.engine, parser: sources.parser, queryable: sources.queryable, now };
  const add = (url: string, methods: Array<'GET' | 'POST'>, handler: Parameters<typeof apiRoute>[2]['handler']) =>
    apiRoute(app, route, { url, methods, handler });
  const serverOnly = (
    url: string,
    methods: Array<'GET' | 'POST' | 'PUT' | 'DELETE'>,
    handler: Parameters<typeof add>[2],
  ) => apiRoute(app, route, { url, methods, handler, serverOnly: true });

  apiOptionsRoute(app, route);
  serverOnly('/api/v1/query', ['GET', 'POST'], instantQuery(deps));
  serverOnly('/api/v1/query_range', ['GET', 'POST'], rangeQuery(deps));
  serverOnly('/api/v1/query_exemplars', ['GET', 'POST'], queryExemplars(deps));
  serverOnly('/api/v1/format_query', ['GET', 'POST'], formatQuery(deps));
  serverOnly('/api/v1/parse_query', ['GET', 'POST'], parseQuery(deps));
  serverOnly('/api/v1/labels', ['GET', 'POST'], labelNames(deps));
  serverOnly('/api/v1/label/:name/values', ['GET'], labelValues(deps));
  const seriesHandler = series(deps);
  serverOnly('/api/v1/series', ['GET', 'POST', 'DELETE'], (req) =>
    // Upstream registers DELETE /api/v1/series and answers that it is not implemented.
    req.method === 'DELETE' ? { error: new ApiError('internal', 'not implemented') } : seriesHandler(req),
  );

  const targetSources = { targets: () => opts.extra.targets(), scrapePools: () => opts.extra.scrapePools() };
  add('/api/v1/scrape_pools', ['GET'], scrapePools(targetSources));
  add('/api/v1/targets', ['GET'], targets(targetSources));
  add(
    '/api/v1/targets/metadata',
    ['GET'],
    targetMetadata({ parser: sources.parser, targetMetadata: () => sources.targetMetadata() }),
  );
  serverOnly('/api/v1/alertmanagers', ['GET'], () => ({ data: opts.extra.alertmanagers() }));
  add('/api/v1/metadata', ['GET'], metricMetadata({ targetMetadata: () => sources.targetMetadata() }));

  add('/api/v1/status/config', ['GET'], () => ({ data: { yaml: opts.extra.configYAML() } }));
  add(
    '/api/v1/status/runtimeinfo',
    ['GET'],
    runtimeInfo({
      registry: opts.registry,
      startTime: opts.startTime,
      storageRetention: sources.storageRetention,
      now,
    }),
  );
  add('/api/v1/status/buildinfo', ['GET'], buildInfo(opts.version));
  add('/api/v1/status/flags', ['GET'], flags(sources.flags));
  serverOnly('/api/v1/status/tsdb', ['GET'], tsdbStatus(sources.tsdbStats?.bind(sources)));
  // Not behind the readiness gate: the replay's progress is what a starting server has to show.
  apiRoute(app, route, {
    url: '/api/v1/status/walreplay',
    methods: ['GET'],
    ungated: true,
    handler: walReplay(sources),
  });

  // Remote write: behind the readiness gate, without the API's envelope, CORS or compression.
  const write = remoteWrite(sources.remoteWrite);
  app.route({
    method: 'POST',
    url: '/api/v1/write',
    bodyLimit: MAX_WRITE_BYTES,
    handler: (request, reply) => (readyGate(opts.readiness, reply) ? write(request, reply) : reply),
  });
  methodNotAllowed(app, '/api/v1/write', ['POST']);

  // The TSDB admin API: registered always, acting only with --web.enable-admin-api (admin.ts).
  const admin = {
    enabled: opts.enableAdmin ?? false,
    parser: sources.parser,
    admin: sources.admin?.bind(sources),
    now,
  };
  serverOnly('/api/v1/admin/tsdb/delete_series', ['POST', 'PUT'], deleteSeries(admin));
  serverOnly('/api/v1/admin/tsdb/clean_tombstones', ['POST', 'PUT'], cleanTombstones(admin));
  serverOnly('/api/v1/admin/tsdb/snapshot', ['POST', 'PUT'], snapshot(admin));

  const rules = { rules: () => opts.extra.rules(), alerts: () => opts.extra.alerts(), parser: sources.parser };
  serverOnly('/api/v1/alerts', ['GET'], alertsHandler(rules));
  serverOnly('/api/v1/rules', ['GET'], rulesHandler(rules));

  const federation = federate({
    parser: sources.parser,
    queryable: sources.queryable,
    lookbackDeltaMs: sources.lookbackDeltaMs,
    externalLabels: () => sources.externalLabels(),
    now,
    agent: opts.agent,
    logger: opts.logger,
    errors: opts.metrics.federationErrors,
  });
  app.route({
    method: 'GET',
    url: '/federate',
    exposeHeadRoute: false,
    handler: (request, reply) => (readyGate(opts.readiness, reply) ? federation(request, reply) : reply),
  });
  methodNotAllowed(app, '/federate', ['GET']);
}
