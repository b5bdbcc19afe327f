/**
 * src/http: the HTTP client behind scrapes, remote write and alert notifications. Each scrape pool,
 * remote write queue and alertmanagers entry gets its own, an undici Agent behind undici's
 * `request` (not fetch):
 *  - any port can be asked, as Go's client asks any: fetch refuses the fetch standard's "bad
 *    ports" (6000, 10080, 6666, 5060, 2049, …), so such a target could never be scraped;
 *  - the request carries exactly the headers its caller set, as Go's would: none of fetch's
 *    additions (`sec-fetch-mode`, `accept-language`, an `accept` of anything, its own user agent). Like Go's
 *    transport, it asks for gzip when the caller did not say otherwise, and undoes it; undici
 *    adds only `host` and `connection: keep-alive` (and `content-length` with a body);
 *  - its connections are kept alive between requests (a TLS handshake per scrape is not free) and
 *    closed when its owner stops, so nothing outlives a pool or a queue;
 *  - it carries the owner's tls_config (CA, client certificate, server name, verification).
 * The answer is a WHATWG Response, as callers had from fetch. undici is imported on the first
 * request, not at startup, to keep the time to ready lean.
 */
import { STATUS_CODES } from 'node:http';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { TLSSettings } from '../config/index.js';

/** What a caller may ask of a request. */
export interface HTTPRequestInit {
  method?: 'GET' | 'POST';
  /** Sent exactly as given (plus `Accept-Encoding: gzip` when absent, as Go's transport adds it). */
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  signal?: AbortSignal;
  /** `follow` follows up to 10 redirects, as Go's client does; `manual` hands the 3xx back. */
  redirect?: 'follow' | 'manual';
}

export interface HTTPClient {
  fetch(url: string, init: HTTPRequestInit): Promise<Response>;
  /** Closes the client's connections at once; requests after close fail. Safe to call twice. */
  close(): Promise<void>;
}

type Undici = typeof import('undici');

/** Go's client gives up after 10 redirects. */
const MAX_REDIRECTS = 10;
/** Statuses whose response has no body (a Response refuses one for them). */
const NULL_BODY = new Set([101, 204, 205, 304]);

export function httpClient(tls: TLSSettings | undefined): HTTPClient {
  let loaded: Promise<{ agent: InstanceType<Undici['Agent']>; request: Undici['request'] }> | undefined;
  const load = () => {
    loaded ??= import('undici').then((mod) => {
      // undici is CommonJS: Node gives its exports by name and as `default`; the bundled build
      // (scripts/build-cmd.mjs) as `default` only.
      const { Agent, request } = (mod as Undici & { default?: Undici }).default ?? mod;
      return { agent: new Agent(tls ? { connect: { ...tls } } : {}), request };
    });
    return loaded;
  };
  let closed: Promise<void> | undefined;
  return {
    async fetch(url, init) {
      if (closed) throw new Error('HTTP client closed');
      const { agent, request } = await load();
      const headers = { ...init.headers };
      if (!Object.keys(headers).some((name) => name.toLowerCase() === 'accept-encoding')) {
        headers['Accept-Encoding'] = 'gzip';
      }
      const res = await request(url, {
        dispatcher: agent,
        method: init.method ?? 'GET',
        headers,
        body: init.body,
        signal: init.signal,
        maxRedirections: init.redirect === 'manual' ? 0 : MAX_REDIRECTS,
      });
      return toResponse(res);
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

/**
 * undici's answer as a WHATWG Response: the body streamed (gunzipped when the server gzipped it),
 * the status text Go would print for the code (undici's `request` does not pass the server's).
 */
function toResponse(res: import('undici').Dispatcher.ResponseData): Response {
  const { statusCode, body } = res;
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  if (NULL_BODY.has(statusCode) || statusCode < 200 || statusCode > 599) {
    body.dump().catch(() => {});
    // A Response takes no other codes; Go would hand them over as they are, and callers only
    // ever accept 2xx, so an out-of-range code is reported as what it is.
    if (statusCode < 200 || statusCode > 599) throw new Error(`unexpected HTTP status ${statusCode}`);
    return new Response(null, { status: statusCode, statusText: STATUS_CODES[statusCode] ?? '', headers });
  }
  let stream: Readable = body;
  if (headers.get('content-encoding')?.trim().toLowerCase() === 'gzip') {
    const gunzip = createGunzip();
    // A gzip error ends the reader with it; the socket goes with the body.
    body.on('error', (err) => gunzip.destroy(err));
    gunzip.on('error', () => body.destroy());
    stream = body.pipe(gunzip);
  }
  // Errors reach whoever reads (the web stream's pull, or nodeBody's reader, each listens while
  // it reads); one that comes when nobody does (undici's abort error when an unread body is
  // cancelled, a reset after the last read) must not become an uncaught exception.
  stream.on('error', () => {});
  const response = new Response(lazyWebStream(stream), {
    status: statusCode,
    statusText: STATUS_CODES[statusCode] ?? '',
    headers,
  });
  nodeBodies.set(response, stream);
  return response;
}

/** The Node stream behind each answer's body (see nodeBody). */
const nodeBodies = new WeakMap<Response, Readable>();

/**
 * The body of an answer of this client as the Node stream it is (gunzipped), for a caller that
 * reads it whole and fast (the scrape loop): without the web stream adapters between, which cost
 * a 10 MB body a few ms and an object or two per chunk. Undefined for any other Response. Read it
 * this way or through `body`, not both.
 */
export function nodeBody(res: Response): Readable | undefined {
  return nodeBodies.get(res);
}

/**
 * A web stream over `stream` that touches it only once read: a caller that takes the Node stream
 * instead (nodeBody) pays nothing for it. Cancelling it destroys the Node stream, which gives
 * the connection back (or closes it, when the answer was not read to its end).
 */
function lazyWebStream(stream: Readable): ReadableStream<Uint8Array> {
  let chunks: AsyncIterator<Buffer> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        chunks ??= stream[Symbol.asyncIterator]();
        const { done, value } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      },
      cancel(reason) {
        stream.destroy(reason instanceof Error ? reason : undefined);
      },
    },
    // Nothing is read ahead: a stream with room in its queue pulls as soon as it is made.
    { highWaterMark: 0 },
  );
}

/**
 * A failed request's reason in Go's words where they are known (`dial tcp 127.0.0.1:1: connect:
 * connection refused`), else undici's message.
 */
export function requestFailure(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string };
  switch (e.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${e.address}:${e.port}: connect: connection refused`;
    case 'ENOTFOUND':
      return `dial tcp: lookup ${e.hostname}: no such host`;
    case 'ECONNRESET':
      return 'read: connection reset by peer';
  }
  return err instanceof Error ? err.message : String(err);
}
