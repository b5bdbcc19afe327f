/**
 * How upstream's API routes behave over HTTP, around the handlers (web/api/v1 Register's `wrap`):
 * the readiness gate (503 until Prometheus is ready), CORS headers, the form (a POSTed
 * `application/x-www-form-urlencoded` body before the URL's query), the envelope and its status,
 * 204 when there is no data, gzip or deflate when the client accepts it, and 405 with an `Allow`
 * header for a known path asked with another method (Go's router does that; fastify would 404).
 */
import { promisify } from 'node:util';
import { deflate, gzip } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { BODY_TOO_LARGE, contentTypeOf } from '../body.js';
import { GoForm } from './go.js';
import { ApiError, type ApiResult, errorBody, statusOf, successBody } from './response.js';

const gzipAsync = promisify(gzip);
const deflateAsync = promisify(deflate);

/** Go's http.ParseForm reads at most this much of a form body; more is "http: POST too large". */
const MAX_FORM_BYTES = 10 << 20;

export type Readiness = 'NotReady' | 'Ready' | 'Stopping';

/** What a handler sees of its request. */
export interface ApiRequest {
  form: GoForm;
  /** Path parameters (`:name`). */
  params: Record<string, string>;
  method: string;
  /** Aborts when the client goes away before the answer is written. */
  signal: AbortSignal;
}

export type ApiHandler = (req: ApiRequest) => ApiResult | Promise<ApiResult>;

/** The route's instrumentation label, when not its URL pattern; or no instrumentation at all. */
export interface RouteConfig {
  handlerName?: string;
  instrument?: boolean;
}

/** The methods Go's router can be asked for that a path may not have. */
const ALL_METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

/** A path's methods as Go's router knows them: what its 405 answers to, and its `Allow` header. */
interface KnownPath {
  pattern: RegExp;
  refused: ReadonlySet<string>;
  allow: string;
}

/** The paths each app has had registered through methodNotAllowed. */
const KNOWN_PATHS = new WeakMap<FastifyInstance, KnownPath[]>();

/**
 * Notes the methods `url` (a fastify pattern, `:param` segments allowed) has, so that a request
 * for it with another method gets Go's router's answer (`methodNotAllowedAnswer`): 405, `Allow:`
 * the methods it has (OPTIONS included, since Go's router answers OPTIONS for every known path),
 * not counted in the request metrics. These were routes of their own once; fastify's router builds
 * a tree per method, compiling code for each node, and the 405 routes cost ~10 ms of every start.
 */
export function methodNotAllowed(app: FastifyInstance, url: string, methods: readonly HTTPMethods[]): void {
  // Go's router has no implicit HEAD: a GET-only route answers HEAD with 405 too (the API's
  // routes are registered without fastify's automatic HEAD route).
  const have = new Set<HTTPMethods>(methods);
  const allow = [...new Set([...methods, 'OPTIONS'])].sort().join(', ');
  const refused = ALL_METHODS.filter((m) => !have.has(m) && !(m === 'OPTIONS' && url.startsWith('/api/v1/')));
  if (refused.length === 0) return;
  const segments = url.split('/').map((segment) => (segment.startsWith(':') ? '[^/]+' : escapeRegExp(segment)));
  const known = KNOWN_PATHS.get(app) ?? [];
  known.push({ pattern: new RegExp(`^${segments.join('/')}$`), refused: new Set(refused), allow });
  KNOWN_PATHS.set(app, known);
}

/**
 * For a request no route took (the not-found handler asks): Go's 405 when its path is one
 * methodNotAllowed noted and its method one the path lacks, answered and true; else false.
 */
export function methodNotAllowedAnswer(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply): boolean {
  const path = request.url.split('?', 1)[0] as string;
  const known = KNOWN_PATHS.get(app)?.find((k) => k.pattern.test(path));
  if (!known?.refused.has(request.method)) return false;
  reply.header('Allow', known.allow).header('X-Content-Type-Options', 'nosniff');
  sendText(reply, 405, 'Method Not Allowed\n');
  return true;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A plain-text answer, as Go's http.Error writes one (callers add the trailing newline). */
export function sendText(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type('text/plain; charset=utf-8').send(body);
}

/**
 * Upstream's testReady: the handler runs only once Prometheus is ready; before, and while it
 * stops, 503 "Service Unavailable" (with X-Prometheus-Stopping, as /-/ready answers here).
 */
export function readyGate(readiness: () => Readiness, reply: FastifyReply): boolean {
  const state = readiness();
  if (state === 'Ready') return true;
  reply.header('X-Prometheus-Stopping', String(state === 'Stopping'));
  sendText(reply, 503, 'Service Unavailable');
  return false;
}

/** What of --web.cors.origin the API needs: whether an origin matches the anchored regex. */
export interface CorsOrigin {
  test(origin: string): boolean;
}

/**
 * Upstream's SetCORS: with an Origin header, the CORS headers, and Allow-Origin when the origin
 * matches --web.cors.origin (fully anchored; the default `.*` allows every origin: upstream's
 * special case for `*` compares against `^(?:.*)$`, which its `^(?s:.*)$` never is).
 */
function setCORS(request: FastifyRequest, reply: FastifyReply, allowed: CorsOrigin | undefined): void {
  reply.header('Vary', 'Origin');
  const origin = request.headers.origin;
  if (!origin) return;
  reply.header('Access-Control-Allow-Headers', 'Accept, Authorization, Content-Type, Origin');
  reply.header('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
  reply.header('Access-Control-Expose-Headers', 'Date');
  if (!allowed || allowed.test(origin)) reply.header('Access-Control-Allow-Origin', origin);
}

/**
 * The request's form as Go's ParseForm builds it: the body's values (for a POST, PUT or PATCH
 * with a form content type), then the URL query's.
 */
export function readForm(request: FastifyRequest): GoForm {
  const url = request.raw.url ?? '';
  const q = url.indexOf('?');
  const query = q < 0 ? '' : url.slice(q + 1);
  const parts: string[] = [];
  let error: string | undefined;
  const mediaType = (contentTypeOf(request) ?? '').split(';')[0]?.trim().toLowerCase();
  if (['POST', 'PUT', 'PATCH'].includes(request.method) && mediaType === 'application/x-www-form-urlencoded') {
    const body = request.body instanceof Buffer ? request.body : Buffer.alloc(0);
    if (request.body === BODY_TOO_LARGE || body.length > MAX_FORM_BYTES) error = 'http: POST too large';
    else parts.push(body.toString('utf8'));
  }
  parts.push(query);
  return new GoForm(parts, error);
}

/** A signal that aborts when the client closes the connection before the answer is complete. */
function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('client closed the connection'));
  });
  return controller.signal;
}

/**
 * Sends `body` compressed as upstream's CompressionHandler does: the first of `gzip` or `deflate`
 * named (exactly) in Accept-Encoding, else as it is.
 */
export async function sendCompressed(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  contentType: string,
  body: string,
): Promise<FastifyReply> {
  reply.code(status).type(contentType);
  const accepted = acceptedEncoding(request);
  // A Buffer, so that fastify sends the content type as it is (it would add a charset to JSON text).
  if (!accepted) return reply.send(Buffer.from(body));
  reply.header('Content-Encoding', accepted);
  return reply.send(await (accepted === 'gzip' ? gzipAsync(body) : deflateAsync(body)));
}

/** The first of `gzip` and `deflate` named exactly in Accept-Encoding (upstream does not read q-values). */
function acceptedEncoding(request: FastifyRequest): 'gzip' | 'deflate' | undefined {
  for (const e of String(request.headers['accept-encoding'] ?? '').split(',')) {
    const name = e.trim();
    if (name === 'gzip' || name === 'deflate') return name;
  }
  return undefined;
}

export interface ApiRouteOptions {
  readiness: () => Readiness;
  /** Agent mode: routes marked `serverOnly` answer `unavailable with Prometheus Agent`. */
  agent: boolean;
  /** --web.cors.origin (every origin when absent). */
  corsOrigin?: CorsOrigin;
}

/**
 * Registers one API route as upstream's `wrap` (and `wrapAgent` when `serverOnly`): readiness,
 * CORS, compression, the envelope; and 405 for its other methods.
 */
export function apiRoute(
  app: FastifyInstance,
  opts: ApiRouteOptions,
  spec: {
    url: string;
    methods: HTTPMethods[];
    serverOnly?: boolean;
    /** Served before Prometheus is ready (upstream registers /status/walreplay without `wrap`). */
    ungated?: boolean;
    handler: ApiHandler;
  },
): void {
  app.route({
    method: spec.methods,
    url: spec.url,
    exposeHeadRoute: false,
    handler: async (request, reply) => {
      if (!spec.ungated && !readyGate(opts.readiness, reply)) return reply;
      setCORS(request, reply, opts.corsOrigin);
      let result: ApiResult;
      if (spec.serverOnly && opts.agent) {
        result = { error: new ApiError('execution', 'unavailable with Prometheus Agent') };
      } else {
        try {
          result = await spec.handler({
            form: readForm(request),
            params: request.params as Record<string, string>,
            method: request.method,
            signal: clientGone(reply),
          });
        } catch (err) {
          // A handler's own failure is a bug, but it is still answered in the envelope.
          request.log.error({ err }, 'API handler failed');
          result = { error: new ApiError('internal', (err as Error).message ?? String(err)) };
        }
      }
      if (result.error) {
        return sendCompressed(request, reply, statusOf(result.error.type), 'application/json', errorBody(result.error));
      }
      if (result.data === undefined) {
        // Go's compression wrapper has set Content-Encoding before the handler answers 204.
        const encoding = acceptedEncoding(request);
        if (encoding) reply.header('Content-Encoding', encoding);
        return reply.code(204).send();
      }
      return sendCompressed(request, reply, 200, 'application/json', successBody(result));
    },
  });
  methodNotAllowed(app, spec.url, spec.methods);
}

/** `OPTIONS /api/v1/*`: upstream's options handler, 204 with CORS headers, after the readiness gate. */
export function apiOptionsRoute(app: FastifyInstance, opts: ApiRouteOptions): void {
  app.route({
    method: 'OPTIONS',
    url: '/api/v1/*',
    config: { handlerName: '/api/v1/*path' } satisfies RouteConfig,
    handler: (request, reply) => {
      if (!readyGate(opts.readiness, reply)) return reply;
      setCORS(request, reply, opts.corsOrigin);
      return reply.code(204).send();
    },
  });
}
