/**
 * src/http: the HTTP client behind scrapes, remote write and alert notifications. Each scrape pool,
 * remote write queue and alertmanagers entry gets its own, an undici Agent behind undici's fetch:
 *  - its connections are kept alive between requests (a TLS handshake per scrape is not free) and
 *    closed when its owner stops, so nothing outlives a pool or a queue: Node's shared fetch pool
 *    offers no way to close idle sockets, which forced `Connection: close` on every request;
 *  - it carries the owner's tls_config (CA, client certificate, server name, verification), which
 *    Node's fetch cannot take per request.
 * undici is imported on the first request, not at startup, to keep the time to ready lean.
 */
import type { TLSSettings } from '../config/index.js';

export interface HTTPClient {
  fetch(url: string, init: RequestInit): Promise<Response>;
  /** Closes the client's connections at once; requests after close fail. Safe to call twice. */
  close(): Promise<void>;
}

type Undici = typeof import('undici');

export function httpClient(tls: TLSSettings | undefined): HTTPClient {
  let loaded: Promise<{ agent: InstanceType<Undici['Agent']>; fetch: Undici['fetch'] }> | undefined;
  const load = () => {
    loaded ??= import('undici').then(({ Agent, fetch }) => ({
      agent: new Agent(tls ? { connect: { ...tls } } : {}),
      fetch,
    }));
    return loaded;
  };
  let closed: Promise<void> | undefined;
  return {
    async fetch(url, init) {
      if (closed) throw new Error('HTTP client closed');
      const { agent, fetch } = await load();
      // undici's own fetch with its Agent: passing a dispatcher to Node's bundled fetch would mix
      // two copies of undici. Its Response is the same WHATWG Response, typed by undici.
      const res = await fetch(url, { ...(init as import('undici').RequestInit), dispatcher: agent });
      return res as unknown as Response;
    },
    close() {
      // Destroy, not a graceful close: callers close only once nothing of theirs is in flight (or
      // when giving up on it), and sockets must be gone when they resolve. Every caller shares
      // the first call: undici refuses a second.
      closed ??= loaded ? loaded.then(({ agent }) => agent.destroy()) : Promise.resolve();
      return closed;
    },
  };
}
