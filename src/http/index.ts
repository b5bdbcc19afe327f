/**
 * src/http: the HTTP client behind scrapes, remote write and alert notifications. Without
 * tls_config it is Node's fetch. With one, requests go through an undici Agent that carries the
 * CA, client certificate, server name and verification setting: Node's fetch takes no per-request
 * TLS options. undici is loaded only when some config has a tls_config, to keep startup lean.
 */
import type { TLSSettings } from '../config/index.js';

export interface HTTPClient {
  fetch(url: string, init: RequestInit): Promise<Response>;
  /** Closes the client's connections at once; requests after close fail. Safe to call twice. */
  close(): Promise<void>;
}

const defaultClient: HTTPClient = {
  fetch: (url, init) => fetch(url, init),
  close: async () => {},
};

export function httpClient(tls: TLSSettings | undefined): HTTPClient {
  if (!tls) return defaultClient;
  let loaded: Promise<{ agent: import('undici').Agent; fetch: typeof import('undici').fetch }> | undefined;
  const load = () => {
    loaded ??= import('undici').then(({ Agent, fetch }) => ({ agent: new Agent({ connect: { ...tls } }), fetch }));
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
