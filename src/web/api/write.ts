/**
 * POST /api/v1/write: the remote write receiver when --web.enable-remote-write-receiver is set
 * (in agent mode too, as upstream), else upstream's 404 that says how to enable it.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BODY_TOO_LARGE, contentTypeOf } from '../body.js';
import { sendText } from './http.js';
import type { RemoteWriteReceiver } from './types.js';

export function remoteWrite(receiver: RemoteWriteReceiver | undefined) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!receiver) {
      reply.header('X-Content-Type-Options', 'nosniff');
      return sendText(
        reply,
        404,
        'remote write receiver needs to be enabled with --web.enable-remote-write-receiver\n',
      );
    }
    // Past the route's limit (upstream reads any size): Go's words for a body over a limit.
    if (request.body === BODY_TOO_LARGE) return sendText(reply, 400, 'http: request body too large\n');
    const header = (name: string) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const answer = await receiver.handle({
      contentType: contentTypeOf(request),
      contentEncoding: header('content-encoding'),
      body: request.body instanceof Buffer ? request.body : Buffer.alloc(0),
      headers: request.headers,
    });
    for (const [name, value] of Object.entries(answer.headers ?? {})) reply.header(name, value);
    reply.code(answer.status);
    const empty = typeof answer.body === 'string' ? answer.body === '' : answer.body.length === 0;
    // Go's http.Error answers in plain text; a receiver that says nothing else gets the same.
    if (!empty && !reply.hasHeader('content-type')) reply.type('text/plain; charset=utf-8');
    return reply.send(answer.body);
  };
}
