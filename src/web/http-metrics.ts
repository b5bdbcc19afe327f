/**
 * The web handler's own metrics, as upstream's web.go registers them: requests by route pattern
 * and status code, latency and response size by route pattern, and whether Prometheus is ready.
 * `handler` is the route as registered (`/api/v1/label/:name/values`), never the concrete path,
 * and every route starts with a zero `code="200"` series, as upstream's instrumentHandler does.
 * Requests nobody routed (404) and Go-router-style 405 answers are not counted, as upstream.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RouteConfig } from './api/http.js';

export interface HttpMetrics {
  ready: Gauge;
  federationErrors: Counter;
  federationWarnings: Counter;
}

const started = new WeakMap<FastifyRequest, { start: bigint; bytes: number }>();

/** The route's instrumentation label, or undefined when it is not counted. */
function handlerName(config: RouteConfig | undefined, url: string | undefined): string | undefined {
  if (config?.instrument === false || url === undefined) return undefined;
  return config?.handlerName ?? url;
}

/** Registers the metrics and the hooks that keep them; call before any route is added. */
export function instrumentHttp(app: FastifyInstance, registry: Registry): HttpMetrics {
  const requests = new Counter({
    name: 'prometheus_http_requests_total',
    help: 'Counter of HTTP requests.',
    labelNames: ['code', 'handler'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'prometheus_http_request_duration_seconds',
    help: 'Histogram of latencies for HTTP requests.',
    labelNames: ['handler'],
    buckets: [0.1, 0.2, 0.4, 1, 3, 8, 20, 60, 120],
    registers: [registry],
  });
  const size = new Histogram({
    name: 'prometheus_http_response_size_bytes',
    help: 'Histogram of response size for HTTP requests.',
    labelNames: ['handler'],
    buckets: [100, 1000, 10000, 100000, 1e6, 1e7, 1e8, 1e9],
    registers: [registry],
  });
  const ready = new Gauge({
    name: 'prometheus_ready',
    help: 'Whether Prometheus startup was fully completed and the server is ready for normal operation.',
    registers: [registry],
  });
  const federationWarnings = new Counter({
    name: 'prometheus_web_federation_warnings_total',
    help: 'Total number of warnings that occurred while sending federation responses.',
    registers: [registry],
  });
  const federationErrors = new Counter({
    name: 'prometheus_web_federation_errors_total',
    help: 'Total number of errors that occurred while sending federation responses.',
    registers: [registry],
  });

  app.addHook('onRoute', (route) => {
    const name = handlerName(route.config as RouteConfig | undefined, route.url);
    if (name !== undefined) requests.inc({ code: '200', handler: name }, 0);
  });
  app.addHook('onRequest', async (request) => {
    started.set(request, { start: process.hrtime.bigint(), bytes: 0 });
  });
  app.addHook('onSend', async (request, _reply, payload) => {
    const entry = started.get(request);
    if (entry) {
      if (typeof payload === 'string') entry.bytes = Buffer.byteLength(payload);
      else if (payload instanceof Buffer) entry.bytes = payload.length;
    }
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    const name = handlerName(request.routeOptions.config as RouteConfig | undefined, request.routeOptions.url);
    const entry = started.get(request);
    if (name === undefined || !entry) return;
    const seconds = Number(process.hrtime.bigint() - entry.start) / 1e9;
    requests.inc({ code: String(reply.statusCode), handler: name });
    duration.observe({ handler: name }, seconds);
    size.observe({ handler: name }, entry.bytes);
  });
  return { ready, federationErrors, federationWarnings };
}
