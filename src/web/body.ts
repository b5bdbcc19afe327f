/**
 * Requests as Go's net/http hands them to Prometheus's handlers, whatever a client sends:
 *  - a body is never judged by its content type before the handler runs (Go has no such step):
 *    the header is set aside before fastify sees it, so an odd or invalid one (`garbage/;;;`)
 *    cannot answer 415, and the handler reads it through `contentTypeOf`;
 *  - a body is read raw, up to its route's limit; past it the route gets `BODY_TOO_LARGE` and the
 *    rest is discarded, so the handler answers as upstream's would (a form too large is Go's
 *    `http: POST too large`), never fastify's 413;
 *  - a route that takes no body (`ignoreBody`, as /-/reload and /-/quit) reads none of it;
 *  - what fastify or Node would answer on their own (a malformed URL or request, a header
 *    section too large, an error no handler caught) is answered in Go's words: no fastify error
 *    code (`FST_ERR_…`) or JSON error shape ever reaches a client.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

/** Stands in for a body larger than its route reads; the rest was discarded unread. */
export const BODY_TOO_LARGE: unique symbol = Symbol('body too large');

/** The route options `config` understood here. */
export interface BodyRouteConfig {
  /** The handler never reads the body (Go's lifecycle handlers): none of it is read. */
  ignoreBody?: boolean;
}

/** Each request's Content-Type header, set aside before fastify could judge it. */
const contentTypes = new WeakMap<object, string>();

/** The request's Content-Type header as the client sent it, or undefined. */
export function contentTypeOf(request: FastifyRequest): string | undefined {
  return contentTypes.get(request.raw);
}

/**
 * Installs Go's way with bodies on `app`: the content type set aside, every body read raw up to
 * its route's `bodyLimit` (a Buffer, `BODY_TOO_LARGE`, or undefined for none or an ignored one).
 */
export function readBodiesAsGo(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const type = request.headers['content-type'];
    if (type !== undefined) {
      contentTypes.set(request.raw, type);
      delete request.headers['content-type'];
    }
    done();
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (request, payload, done) => {
    const config = request.routeOptions.config as BodyRouteConfig | undefined;
    if (config?.ignoreBody) {
      done(null, undefined);
      return;
    }
    readUpTo(payload, request.routeOptions.bodyLimit ?? 0).then(
      (body) => done(null, body),
      (err: Error) => done(err, undefined),
    );
  });
}

/** Reads `payload` whole if it is at most `limit` bytes; else discards it and gives `BODY_TOO_LARGE`. */
function readUpTo(payload: Readable, limit: number): Promise<Buffer | typeof BODY_TOO_LARGE> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      // Go reads no further than its limit either; the rest drains unread so the answer can go.
      payload.off('data', onData);
      payload.off('end', onEnd);
      chunks.length = 0;
      payload.resume();
      resolve(BODY_TOO_LARGE);
    };
    const onEnd = () => resolve(Buffer.concat(chunks, size));
    payload.on('data', onData);
    payload.once('end', onEnd);
    payload.once('error', reject);
  });
}

/** What Go's server writes for a request it cannot serve: `400 Bad Request` in plain text, then it closes. */
function goProtocolError(reply: FastifyReply, status: number): FastifyReply {
  const text = `${status} ${STATUS_CODES[status] ?? ''}`;
  return reply.code(status).header('connection', 'close').type('text/plain; charset=utf-8').send(text);
}

/**
 * Answers, in Go's words, whatever fastify would otherwise answer itself: errors no handler
 * caught (a client's mistake in the request as Go's server answers one; anything else logged and
 * answered 500), malformed URLs, and requests Node's parser refuses.
 */
export function answerErrorsAsGo(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) logger.error({ err: err.message, path: request.url }, 'Error serving request');
    return goProtocolError(reply, status);
  });
}

/** An HTTP/1.1 request without a Host header gets Go's answer (Node, told not to, would send an empty 400). */
export function requireHostAsGo(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    const { raw } = request;
    if (raw.headers.host !== undefined || raw.httpVersionMajor !== 1 || raw.httpVersionMinor < 1) {
      done();
      return;
    }
    // Go puts the reason in the status line too; Node takes a status message set before the head.
    reply.raw.statusMessage = 'Bad Request: missing required Host header';
    // Answered here: the hook chain stops (done is not called), as fastify has hooks answer early.
    reply
      .code(400)
      .header('connection', 'close')
      .type('text/plain; charset=utf-8')
      .send('400 Bad Request: missing required Host header');
  });
}

/** fastify's `frameworkErrors`: a URL it cannot route (`/%zz`) is Go's `400 Bad Request`. */
export function frameworkErrorAsGo(_err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  goProtocolError(reply, 400);
}

/**
 * fastify's `clientErrorHandler`: a request Node's parser refuses gets Go's answer (`400 Bad
 * Request`, or `431 Request Header Fields Too Large`) and the connection closes; a request that
 * timed out (--web.read-timeout) is closed without an answer, as Go's server closes it.
 */
export function clientErrorAsGo(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const text = `${status} ${STATUS_CODES[status] ?? ''}`;
  socket.end(`HTTP/1.1 ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${text}`);
}
