/**
 * How a scrape's body leaves the HTTP client: as the Node stream itself (nodeBody), gunzipped,
 * with the Response's web stream over it made lazily; and a body nobody reads any more (an error
 * status, cancelled) releases its connection without an uncaught error.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { type HTTPClient, httpClient, nodeBody } from '../../src/httpclient/index.js';
import { listenLocal } from '../helpers/listen.js';

const servers: Server[] = [];
const clients: HTTPClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

async function serve(handler: RequestListener): Promise<{ url: string; client: HTTPClient }> {
  const server = createServer(handler);
  servers.push(server);
  const port = await listenLocal(server);
  const client = httpClient(undefined);
  clients.push(client);
  return { url: `http://127.0.0.1:${port}/metrics`, client };
}

/** Every chunk of a Node stream, joined. */
async function readAll(stream: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

describe("the scrape body's way out of the HTTP client", () => {
  it('hands over the Node stream, gunzipped, with nothing read ahead into the web stream', async () => {
    const text = 'm{a="1"} 1\n'.repeat(10_000);
    const { url, client } = await serve((_req, res) =>
      res.writeHead(200, { 'Content-Encoding': 'gzip' }).end(gzipSync(text)),
    );
    const res = await client.fetch(url, { headers: {} });
    const stream = nodeBody(res);
    expect(stream).toBeDefined();
    expect(await readAll(stream as AsyncIterable<Buffer>)).toBe(text);
    expect(res.bodyUsed).toBe(false);
  });

  it('still serves the body as a web stream to callers that read it that way', async () => {
    const { url, client } = await serve((_req, res) => res.end('up 1\n'));
    const res = await client.fetch(url, { headers: {} });
    expect(await res.text()).toBe('up 1\n');
  });

  it('knows no Node stream for a Response it did not make', () => {
    expect(nodeBody(new Response('m 1\n'))).toBeUndefined();
  });

  it('cancels an unread body without an uncaught error, and the connection serves the next request', async () => {
    const uncaught: unknown[] = [];
    const record = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', record);
    try {
      const { url, client } = await serve((req, res) =>
        req.url === '/metrics' ? res.writeHead(503).end('x'.repeat(100_000)) : res.end('ok'),
      );
      const res = await client.fetch(url, { headers: {} });
      expect(res.status).toBe(503);
      await res.body?.cancel();
      await new Promise((resolve) => setImmediate(resolve));
      expect(uncaught).toEqual([]);
      expect(await (await client.fetch(url.replace('/metrics', '/next'), { headers: {} })).text()).toBe('ok');
    } finally {
      process.off('uncaughtException', record);
    }
  });
});
