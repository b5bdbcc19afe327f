/**
 * What specs need to see a client let go: a server's open connections, and a promise that every
 * one open now has closed (the server saw the client hang up, so nothing of it is left).
 */
import type { Server, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

/** `event` is 'connection' for plain TCP, 'secureConnection' for TLS (after the handshake). */
export function trackConnections(server: Server, event: 'connection' | 'secureConnection' = 'connection') {
  const open = new Set<Socket>();
  server.on(event, (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  return {
    get count() {
      return open.size;
    },
    /** Resolves once every connection open now has closed. */
    closed: () => Promise.all([...open].map((socket) => new Promise((resolve) => socket.once('close', resolve)))),
  };
}

/** A file of the test PKI (test/fixtures/tls, see its generate.sh). */
export const tlsFixture = (name: string) => fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url));
