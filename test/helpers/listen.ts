/** Listens on 127.0.0.1 with a port the kernel picks; resolves to that port. */
import type { Server } from 'node:net';

export async function listenLocal(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('server has no TCP address');
  return address.port;
}
