/**
 * The web server's connection limits, as upstream sets them on its http.Server and listener:
 *
 *  - `--web.max-connections` (default 512): upstream's listener (netconnlimit) stops accepting
 *    while that many connections are open; a connection past the limit waits to be accepted until
 *    one closes — it is not refused. Node has no way to pause accepting, so a connection past the
 *    limit is accepted but left unread (its bytes wait in the kernel, as they would in the accept
 *    queue), and handed to the HTTP server when a slot frees, oldest first.
 *  - `--web.read-timeout` (default 5m): Go's ReadTimeout, the time to read a whole request (its
 *    headers too, since upstream sets no header timeout), and with no IdleTimeout set, the time an
 *    idle keep-alive connection is kept. Past it Go closes the connection without an answer
 *    (body.ts's clientErrorAsGo does that for Node's request timeout).
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { TLSServerSettings } from './webconfig.js';


/** node:https (and with it node:tls), loaded only for a TLS web config: ~2 ms at every start. */
const httpsModule = (): typeof import('node:https') => createRequire(import.meta.url)('node:https');

export interface ConnectionLimits {
  readTimeoutMs: number;
  maxConnections: number;
  /** The web config's TLS: HTTPS instead of HTTP. */
  tls?: TLSServerSettings;
  /**
   * Run before each new connection is served (upstream's GetConfigForClient reads the web config
   * and certificates again for every handshake); resolves to false to refuse the connection.
   */
  beforeServe?: (server: Server) => Promise<boolean>;
}

/** An HTTP (or HTTPS) server with upstream's limits (fastify's `serverFactory`). */
export function limitedServer(handler: RequestListener, limits: ConnectionLimits): Server {
  const timeout = limits.readTimeoutMs;
  const options = {
    // Node would answer a request without Host itself (an empty 400); body.ts answers in Go's words.
    requireHostHeader: false,
    // How often Node looks for requests past their time: often enough for a short timeout.
    connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(timeout / 4))),
  };
  const { tls } = limits;
  let server: Server;
  if (tls) {
    server = httpsModule().createServer({ ...options, ...tls.options }, handler) as unknown as Server;
    // What Node's handshake cannot decide (a certificate required but not verified, allowed
    // SANs) is decided before the first request is read: a refused client gets no answer, as
    // Go's failed handshake gives none.
    server.prependListener('secureConnection', (socket: TLSSocket) => {
      if ((limits.tls ?? tls).verify(socket) !== undefined) socket.destroy();
    });
  } else {
    server = createServer(options, handler);
  }
  server.requestTimeout = timeout;
  server.headersTimeout = timeout;
  server.keepAliveTimeout = timeout;
  limitConnections(server, limits.maxConnections, limits.beforeServe);
  return server;
}

/**
 * Holds connections past `max` unread until open ones close (see the module comment). Returns
 * nothing: the server's close() ends the ones still waiting (they were never served).
 */
function limitConnections(server: Server, max: number, beforeServe?: (server: Server) => Promise<boolean>): void {
  const serve = server.listeners('connection') as Array<(socket: Socket) => void>;
  server.removeAllListeners('connection');
  let open = 0;
  const waiting: Socket[] = [];

  const admit = (socket: Socket) => {
    open++;
    socket.once('close', () => {
      open--;
      next();
    });
    const hand = () => {
      for (const listener of serve) listener.call(server, socket);
      socket.resume();
    };
    if (!beforeServe) return hand();
    // Its bytes wait unread (nothing reads the socket yet) until the check has run.
    beforeServe(server).then(
      (ok) => {
        if (socket.destroyed) return;
        if (ok) hand();
        else socket.destroy();
      },
      () => socket.destroy(),
    );
  };
  const next = () => {
    while (open < max && waiting.length > 0) {
      const socket = waiting.shift() as Socket;
      if (!socket.destroyed) admit(socket);
    }
  };
  server.on('connection', (socket: Socket) => {
    if (open < max) {
      admit(socket);
      return;
    }
    socket.pause();
    waiting.push(socket);
    socket.once('close', () => {
      const i = waiting.indexOf(socket);
      if (i >= 0) waiting.splice(i, 1);
    });
  });
  // Connections never admitted would keep close() waiting for ever: they go first.
  const close = server.close.bind(server);
  server.close = (callback?: (err?: Error) => void) => {
    for (const socket of waiting.splice(0)) socket.destroy();
    return close(callback);
  };
}
