/**
 * src/web: the web handler. A fastify server with Prometheus's lifecycle endpoints (exact texts in
 * contract.md §5), /metrics from our own registry, the HTTP API v1 and /federate (src/web/api, in
 * upstream's envelope and words), and the teaching pages. What it shows of other modules comes in
 * through `WebSources` and `ApiSources`, small interfaces main fills: the web module imports no
 * engine, parser, scrape or storage implementation.
 */
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  type ApiRuleGroupView,
  type ApiSources,
  type CorsOrigin,
  methodNotAllowedAnswer,
  registerApi,
  type TargetsView,
} from './api/index.js';
import {
  answerErrorsAsGo,
  type BodyRouteConfig,
  clientErrorAsGo,
  frameworkErrorAsGo,
  readBodiesAsGo,
  requireHostAsGo,
} from './body.js';
import { guardRequests } from './auth.js';
import type { Server as TLSServer } from 'node:tls';
import { type ConnectionLimits, limitedServer } from './connections.js';
import { instrumentHttp } from './http-metrics.js';
import { liveStream } from './live.js';
import { registerPages } from './pages.js';
import { normalizeRoutePrefix, withRoutePrefix } from './prefix.js';
import {
  readWebConfig,
  TLSReloader,
  type TLSServerSettings,
  tlsServerSettings,
  validateWebConfig,
} from './webconfig.js';

export {
  type ApiRuleGroupView,
  type ApiRuleView,
  type ApiSources,
  type MetricMetadata,
  type PromQLParser,
  type RemoteWriteReceiver,
  type RemoteWriteRequest,
  type RemoteWriteResponse,
  StorageNotReadyError,
  type TargetMetadata,
  type TSDBStat,
  type TSDBStats,
  type WalReplayStatus,
} from './api/index.js';
// Go's formatting and parsing as the API answers with them; promtool's client side reads the same.
export { goQuote, parseGoFloat } from './api/go.js';
export { compareStrings, formatFloatF, goJsonString } from './api/json.js';
export { parseTime } from './api/params.js';
export { validateWebConfig, WebConfigError } from './webconfig.js';

/** `--web.config.file`, checked and its TLS settings read (`prepareWebConfig`). */
export interface PreparedWebConfig {
  file: string;
  /** undefined: the file configures no TLS, the server stays HTTP. */
  tls: TLSServerSettings | undefined;
  /** The file's http_server_config.http2 (logged; miniprom serves HTTP/1.1 only). */
  http2: boolean;
}

/**
 * Upstream's toolkit_web.Validate at startup, then the TLS settings the server starts with.
 * Throws WebConfigError in upstream's words.
 */
export async function prepareWebConfig(file: string): Promise<PreparedWebConfig> {
  await validateWebConfig(file);
  const config = await readWebConfig(file);
  return { file, tls: await tlsServerSettings(config.tls), http2: config.http2 };
}
export { type BuildInfo, registerRuntimeMetrics } from './runtime-metrics.js';

/** Upstream's three-state readiness; once Stopping, nothing sets it back. */
export type Readiness = 'NotReady' | 'Ready' | 'Stopping';

export interface WebSources {
  /** `{ activeTargets, droppedTargets }` as the scrape manager shows them, each with its `scrapePool`. */
  targets(): TargetsView;
  /** The scrape pools' names (one per scrape config of the running config). */
  scrapePools(): string[];
  alertmanagers(): unknown;
  lifecycle(): unknown;
  /** Calls `listener` after every lifecycle event or actor log line; returns the function that unsubscribes. */
  onLifecycleChange(listener: () => void): () => void;
  /** The running configuration as YAML, secrets masked. */
  configYAML(): string;
  /** The rule groups in upstream's /api/v1/rules shape, before the API's filters. */
  rules(): ApiRuleGroupView[];
  /** `{ alerts }` as /api/v1/alerts answers. */
  alerts(): unknown;
}

/** How `POST /-/reload` asks for a reload and learns how it went. */
export interface ReloadRequests {
  request(): Promise<{ ok: true } | { ok: false; status: 500 | 503; message: string }>;
}

export interface WebOptions {
  logger: Logger;
  registry: Registry;
  listenAddress: string;
  enableLifecycle: boolean;
  mode: 'server' | 'agent';
  version: string;
  sources: WebSources;
  /** What the query API, the metadata and status endpoints and /federate serve from. */
  api: ApiSources;
  /** Where reload requests go (main's reload queue, which SIGHUP shares). */
  reloads: ReloadRequests;
  /** --web.read-timeout: to read a whole request, and to keep an idle connection (default 5m). */
  readTimeoutMs?: number;
  /** --web.max-connections: past it, connections wait to be served (default 512). */
  maxConnections?: number;
  /** --web.config.file: TLS, basic auth and extra headers for every route. */
  webConfig?: PreparedWebConfig;
  /** --web.route-prefix (main defaults it to the external URL's path): every route under it. */
  routePrefix?: string;
  /** The external URL's path ('' or `/x`): where upstream's redirects point. */
  externalPath?: string;
  /** --web.cors.origin, compiled through src/regex (anchored); every origin when absent. */
  corsOrigin?: CorsOrigin;
  /** --web.enable-admin-api: the TSDB admin endpoints act instead of answering "admin APIs disabled". */
  enableAdminApi?: boolean;
}

/** Upstream's defaults for --web.read-timeout and --web.max-connections. */
const DEFAULT_READ_TIMEOUT_MS = 5 * 60_000;
const DEFAULT_MAX_CONNECTIONS = 512;

export interface WebHandler {
  /** Opens the listener (before the run group starts, as upstream); resolves to the bound address. */
  listen(): Promise<string>;
  /** Serves until `signal` aborts. */
  run(signal: AbortSignal): Promise<void>;
  /** Closes the server, cutting idle and open connections. */
  close(): Promise<void>;
  readonly readiness: Readiness;
  setReadiness(next: Readiness): void;
  /** Resolves when `POST /-/quit` has been answered. */
  readonly quitRequested: Promise<void>;
}

/** Splits `host:port`, `:port` and `[v6]:port` as Go's net.SplitHostPort does. */
export function splitHostPort(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(address);
  if (!match) throw new Error(`address ${address}: missing port in address`);
  const port = Number(match[3]);
  if (port > 65535) throw new Error(`address ${address}: invalid port`);
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
}

/** The schema compilers fastify gets: miniprom's routes have no schemas to compile. */
function noSchemas(): () => never {
  return () => {
    throw new Error('miniprom routes declare no schemas');
  };
}

export function createWebHandler(opts: WebOptions): WebHandler {
  const name = opts.mode === 'agent' ? 'Prometheus Agent' : 'Prometheus Server';
  const { reloads } = opts;
  let readiness: Readiness = 'NotReady';
  let quitting = false;
  let quitRequested!: () => void;
  const quitPromise = new Promise<void>((resolve) => {
    quitRequested = resolve;
  });

  const startTime = Date.now();
  const { webConfig } = opts;
  const routePrefix = normalizeRoutePrefix(opts.routePrefix ?? '/');
  // Typed as a plain instance: the routes registered elsewhere need nothing of pino's logger type.
  const app = Fastify({
    // fastify's own info lines (listening, every request) are not Prometheus's; keep its warnings.
    loggerInstance: opts.logger.child({ component: 'web' }, { level: 'warn' }),
    // No route declares a schema: left to its defaults, fastify would load ajv and
    // fast-json-stringify's compilers at every start (~4 ms and a few MB of heap) for nothing.
    schemaController: { compilersFactory: { buildValidator: noSchemas, buildSerializer: noSchemas } },
    // Idle keep-alive connections are cut at close; a request in flight is answered first.
    forceCloseConnections: 'idle',
    // As Go's http.Server.Shutdown: requests already on a connection are answered, not refused.
    return503OnClosing: false,
    // Go's ParseForm reads form bodies up to 10MB (one byte more tells it the form is too large);
    // the remote write route allows more itself.
    bodyLimit: (10 << 20) + 1,
    // Go's answers where fastify or Node would answer on their own (see body.ts).
    frameworkErrors: frameworkErrorAsGo,
    clientErrorHandler: clientErrorAsGo,
    // Upstream's --web.read-timeout and --web.max-connections (connections.ts).
    // The web config's guard sits outside fastify, around every route (auth.ts).
    // The route prefix inside it, around fastify's routes (prefix.ts).
    serverFactory: (fastifyHandler) => {
      const handler = withRoutePrefix(fastifyHandler, routePrefix);
      // With TLS, each new connection first brings the certificates up to date (TLSReloader).
      const tls = webConfig?.tls;
      const reloader =
        webConfig && tls
          ? new TLSReloader(webConfig.file, tls, (message) =>
              opts.logger.error({ err: message }, 'Unable to load the web configuration for a new TLS connection'),
            )
          : undefined;
      const limits: ConnectionLimits = {
        readTimeoutMs: opts.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS,
        maxConnections: opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
        tls,
      };
      if (reloader) {
        limits.beforeServe = async (server) => {
          const ok = await reloader.refresh(server as unknown as TLSServer);
          limits.tls = reloader.current;
          return ok;
        };
      }
      return limitedServer(webConfig ? guardRequests(handler, webConfig.file, opts.logger) : handler, limits);
    },
  }) as unknown as FastifyInstance;
  // Bodies are read as they are, whatever their type, as Go hands a handler its body: a form is
  // parsed by the API (only when its content type says form), a remote write by its receiver,
  // and anything else ignored, never refused with 415, 413 or a JSON parse error.
  readBodiesAsGo(app);
  answerErrorsAsGo(app, opts.logger);
  requireHostAsGo(app);
  // Counted from here on: every route registered below is instrumented.
  const metrics = instrumentHttp(app, opts.registry);
  // Go's answers for a path no route has, and for a known path asked with a method it lacks.
  app.setNotFoundHandler((request, reply) => {
    if (methodNotAllowedAnswer(app, request, reply)) return reply;
    return reply
      .header('X-Content-Type-Options', 'nosniff')
      .code(404)
      .type('text/plain; charset=utf-8')
      .send('404 page not found\n');
  });

  const text = (reply: FastifyReply, status: number, body: string) =>
    reply.code(status).type('text/plain; charset=utf-8').send(body);
  const envelope = (data: unknown) => ({ status: 'success', data });

  app.get('/-/healthy', (_req, reply) => text(reply, 200, `${name} is Healthy.\n`));
  app.get('/-/ready', (_req, reply) => {
    if (readiness === 'Ready') return text(reply, 200, `${name} is Ready.\n`);
    reply.header('X-Prometheus-Stopping', String(readiness === 'Stopping'));
    return text(reply, 503, 'Service Unavailable');
  });

  const lifecycleOnly = ['/-/reload', '/-/quit'];
  for (const url of lifecycleOnly) {
    app.get(url, (_req, reply) => text(reply, 405, 'Only POST or PUT requests allowed'));
  }
  // Upstream's lifecycle handlers never read the body: any body and content type will do (config
  // reloader sidecars send `curl -X POST -d ''`, a form).
  const noBody: BodyRouteConfig = { ignoreBody: true };
  app.route({
    method: ['POST', 'PUT'],
    url: '/-/reload',
    config: noBody,
    handler: async (_req, reply) => {
      if (!opts.enableLifecycle) return text(reply, 403, 'Lifecycle API is not enabled.');
      opts.logger.debug('Reload requested via web service');
      const outcome = await reloads.request();
      // Upstream writes nothing on success: an empty 200 with no Content-Type.
      if (outcome.ok) return reply.code(200).send();
      return text(
        reply,
        outcome.status,
        outcome.status === 500 ? `failed to reload config: ${outcome.message}` : outcome.message,
      );
    },
  });
  app.route({
    method: ['POST', 'PUT'],
    url: '/-/quit',
    config: noBody,
    handler: (_req, reply) => {
      if (!opts.enableLifecycle) return text(reply, 403, 'Lifecycle API is not enabled.');
      if (quitting) return text(reply, 200, 'Termination already in progress.');
      quitting = true;
      // Signal only once the answer has left, so shutting the server down cannot cut it off.
      reply.raw.once('finish', quitRequested);
      return text(reply, 200, 'Requesting termination... Goodbye!');
    },
  });

  app.get('/metrics', async (_req, reply) => {
    const body = await opts.registry.metrics();
    return reply.type(opts.registry.contentType).send(body);
  });
  registerApi(app, {
    sources: opts.api,
    corsOrigin: opts.corsOrigin,
    enableAdmin: opts.enableAdminApi ?? false,
    readiness: () => readiness,
    agent: opts.mode === 'agent',
    version: opts.version,
    registry: opts.registry,
    logger: opts.logger,
    metrics,
    startTime,
    extra: {
      targets: () => opts.sources.targets(),
      scrapePools: () => opts.sources.scrapePools(),
      alertmanagers: () => opts.sources.alertmanagers(),
      rules: () => opts.sources.rules(),
      alerts: () => opts.sources.alerts(),
      configYAML: () => opts.sources.configYAML(),
    },
  });
  // `now` (ms since process start, as the events' `t`) lets the page place "now" on its axis.
  const lifecycle = () => ({
    ...(opts.sources.lifecycle() as object),
    readiness,
    now: Math.round(performance.now() * 10) / 10,
  });
  app.get('/api/v1/status/lifecycle', () => envelope(lifecycle()));
  // The same data as server-sent events, for the page to follow startup, reloads and shutdown live.
  const live = liveStream(lifecycle);
  const unsubscribe = opts.sources.onLifecycleChange(() => live.changed());
  app.get('/api/v1/status/lifecycle/events', (_req, reply) => {
    reply.hijack(); // the stream is written by hand, and outlives this handler
    live.attach(reply.raw);
  });
  // The pages and their bundles.
  registerPages(app, {
    lifecycleEnabled: opts.enableLifecycle,
    mode: opts.mode,
    externalPath: opts.externalPath ?? '',
  });

  let boundAddress = '';
  return {
    async listen() {
      const { host, port } = splitHostPort(opts.listenAddress);
      await app.listen({ host, port });
      const address = app.server.address();
      boundAddress =
        address && typeof address === 'object'
          ? `${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
          : opts.listenAddress;
      return boundAddress;
    },
    run(signal) {
      opts.logger.info({ address: boundAddress }, 'Start listening for connections');
      if (routePrefix !== '/') opts.logger.info({ prefix: routePrefix }, 'Router prefix');
      // The exporter-toolkit's lines, only with a web config (without one, miniprom's startup
      // lines stay as contract.md has them); http2 is false: Node's server here speaks HTTP/1.1.
      if (webConfig) {
        opts.logger.info({ address: boundAddress }, 'Listening on');
        opts.logger.info(
          { http2: false, address: boundAddress },
          webConfig.tls ? 'TLS is enabled.' : 'TLS is disabled.',
        );
      }
      return new Promise((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener('abort', () => resolve(), { once: true });
      });
    },
    async close() {
      // Event streams never end by themselves: end them first, with the last snapshot.
      unsubscribe();
      live.close();
      await app.close();
    },
    get readiness() {
      return readiness;
    },
    setReadiness(next) {
      if (readiness === 'Stopping') return;
      readiness = next;
      metrics.ready.set(next === 'Ready' ? 1 : 0);
      live.changed();
    },
    quitRequested: quitPromise,
  };
}
