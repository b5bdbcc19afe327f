// A TCP port on 127.0.0.1 that nobody listens on right now: for servers that must be told their
// address up front (Prometheus logs the address it was given, not the one it got for :0).
import { createServer } from 'node:net';

export function freePort() {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
