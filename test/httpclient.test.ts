/**
 * The HTTP client scrapes, remote write and the notifier share: tls_config applied against a real
 * HTTPS server with the test PKI of test/fixtures/tls (see its generate.sh), and what it sends and
 * asks (any port, exactly the caller's headers, gzip, redirects) against plain HTTP servers.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { type HTTPClientConfig, tlsSettings } from '../src/config/index.js';
import { type HTTPClient, httpClient, requestFailure } from '../src/httpclient/index.js';
import { tlsFixture, trackConnections } from './helpers/connections.js';
import { listenLocal } from './helpers/listen.js';

const pem = (name: string) => readFileSync(tlsFixture(name));

const cleanup: Array<() => Promise<void>> = [];
/** The server side of the TLS connections to the latest httpsServer(). */
let connections: ReturnType<typeof trackConnections>;
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** An HTTPS server with the test server certificate (for miniprom.test only); `clientCerts` requires one. */
async function httpsServer(clientCerts = false): Promise<string> {
  const server: Server = createServer(
    {
      cert: pem('server.pem'),
      key: pem('server-key.pem'),
      ...(clientCerts && { ca: pem('ca.pem'), requestCert: true, rejectUnauthorized: true }),
    },
    (_req, res) => res.end('up 1\n'),
  );
  connections = trackConnections(server, 'secureConnection');
  const port = await listenLocal(server);
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `https://127.0.0.1:${port}/metrics`;
}

function client(tlsConfig: HTTPClientConfig['tlsConfig']): HTTPClient {
  const c = httpClient(tlsSettings({ followRedirects: true, tlsConfig }));
  cleanup.push(() => c.close());
  return c;
}

/** What a request made of it: the body, or the reason fetch gives (its cause, as scrape errors do). */
async function outcome(c: HTTPClient, url: string): Promise<string> {
  try {
    return await (await c.fetch(url, {})).text();
  } catch (err) {
    return `failed: ${((err as Error).cause as Error | undefined)?.message ?? (err as Error).message}`;
  }
}

const CA = { caFile: tlsFixture('ca.pem'), insecureSkipVerify: false };

describe('tls_config', () => {
  it('verifies the server against ca_file, under server_name when the address is not in the certificate', async () => {
    const url = await httpsServer();
    expect(await outcome(client({ ...CA, serverName: 'miniprom.test' }), url)).toBe('up 1\n');
    expect(await outcome(client(CA), url)).toMatch(/^failed: Hostname\/IP does not match certificate's altnames/);
    // Without ca_file the system roots apply, and they do not know the test CA: never skipped silently.
    expect(await outcome(client({ serverName: 'miniprom.test', insecureSkipVerify: false }), url)).toMatch(
      /^failed: .*(self-signed|unable to (get|verify))/,
    );
  });

  it('skips verification only with insecure_skip_verify', async () => {
    const url = await httpsServer();
    expect(await outcome(client({ insecureSkipVerify: true }), url)).toBe('up 1\n');
  });

  it('presents cert_file and key_file to a server that requires a client certificate', async () => {
    const url = await httpsServer(true);
    const withCert = {
      ...CA,
      serverName: 'miniprom.test',
      certFile: tlsFixture('client.pem'),
      keyFile: tlsFixture('client-key.pem'),
    };
    expect(await outcome(client(withCert), url)).toBe('up 1\n');
    expect(await outcome(client({ ...CA, serverName: 'miniprom.test' }), url)).toMatch(/^failed: /);
  });

  it("reads the files at (re)load, with prometheus/common's messages", () => {
    const settings = (tlsConfig: HTTPClientConfig['tlsConfig']) => () =>
      tlsSettings({ followRedirects: true, tlsConfig });
    expect(settings({ caFile: '/nonexistent/ca.pem', insecureSkipVerify: false })).toThrow(
      'unable to read CA cert: unable to read file /nonexistent/ca.pem: open /nonexistent/ca.pem: no such file or directory',
    );
    expect(settings({ caFile: tlsFixture('generate.sh'), insecureSkipVerify: false })).toThrow(
      `unable to use specified CA cert file ${tlsFixture('generate.sh')}`,
    );
    expect(
      settings({
        certFile: tlsFixture('client.pem'),
        keyFile: tlsFixture('server-key.pem'),
        insecureSkipVerify: false,
      }),
    ).toThrow(
      `unable to use specified client cert (file ${tlsFixture('client.pem')}) & key (file ${tlsFixture('server-key.pem')}): `,
    );
    // Nothing that differs from the defaults: the client's Agent gets no TLS options at all.
    expect(tlsSettings({ followRedirects: true, tlsConfig: { insecureSkipVerify: false } })).toBeUndefined();
  });

  it('releases its connections on close, and refuses requests after it', async () => {
    const url = await httpsServer();
    const c = httpClient(tlsSettings({ followRedirects: true, tlsConfig: { ...CA, serverName: 'miniprom.test' } }));
    expect(await outcome(c, url)).toBe('up 1\n');
    expect(connections.count).toBe(1); // kept alive for the next scrape
    const gone = connections.closed();
    await c.close();
    await c.close(); // twice is fine
    await gone; // the server saw the client hang up: nothing of it is left open
    await expect(c.fetch(url, {})).rejects.toThrow('HTTP client closed');
  });
});

describe('requests', () => {
  /** A plain HTTP server on `port` (0: any) answering with `handler`; resolves to its base URL. */
  async function plainServer(handler: RequestListener, port = 0): Promise<string> {
    const server = createHttpServer(handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    cleanup.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  const plain = () => {
    const c = httpClient(undefined);
    cleanup.push(() => c.close());
    return c;
  };

  it('asks the ports the fetch standard calls bad (as Go asks any port)', async () => {
    // The first of the fetch standard's bad ports that is free here.
    let base: string | undefined;
    for (const port of [10080, 6000, 6666, 5060, 2049, 6665, 6667]) {
      base = await plainServer((_req, res) => res.end('up 1\n'), port).catch(() => undefined);
      if (base) break;
    }
    if (!base) throw new Error('no bad port free to listen on');
    expect(await outcome(plain(), `${base}/metrics`)).toBe('up 1\n');
  });

  it("sends exactly the caller's headers, plus host, keep-alive and Go's Accept-Encoding: gzip", async () => {
    const seen: string[][] = [];
    const base = await plainServer((req, res) => {
      seen.push(req.rawHeaders);
      res.end();
    });
    const c = plain();
    await (await c.fetch(`${base}/m`, { headers: { Accept: 'text/plain', 'User-Agent': 'miniprom/x' } })).text();
    await (
      await c.fetch(`${base}/w`, { method: 'POST', headers: { 'Accept-Encoding': 'identity' }, body: 'abc' })
    ).text();
    const names = (raw: string[] | undefined) => (raw ?? []).filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    expect(names(seen[0]).sort()).toEqual(['accept', 'accept-encoding', 'connection', 'host', 'user-agent']);
    expect(seen[0]).toEqual(expect.arrayContaining(['Accept-Encoding', 'gzip', 'User-Agent', 'miniprom/x']));
    // A caller's own Accept-Encoding stands.
    expect(names(seen[1]).sort()).toEqual(['accept-encoding', 'connection', 'content-length', 'host']);
    expect(seen[1]).toEqual(expect.arrayContaining(['Accept-Encoding', 'identity']));
  });

  it('undoes gzip, and reports the status as Go prints it', async () => {
    const base = await plainServer((req, res) => {
      if (req.url === '/gone') {
        res.statusCode = 410;
        res.end();
        return;
      }
      res.setHeader('Content-Encoding', 'gzip');
      res.end(gzipSync('up 1\n'));
    });
    const c = plain();
    expect(await (await c.fetch(`${base}/m`, {})).text()).toBe('up 1\n');
    const gone = await c.fetch(`${base}/gone`, {});
    expect([gone.status, gone.statusText]).toEqual([410, 'Gone']);
  });

  it('follows redirects only when told to', async () => {
    const base = await plainServer((req, res) => {
      if (req.url === '/from') {
        res.writeHead(302, { Location: '/to' });
        res.end();
      } else res.end('here');
    });
    const c = plain();
    expect(await (await c.fetch(`${base}/from`, { redirect: 'follow' })).text()).toBe('here');
    const manual = await c.fetch(`${base}/from`, { redirect: 'manual' });
    expect(manual.status).toBe(302);
    await manual.text();
  });

  it("words a refused connection as Go's client does", async () => {
    const base = await plainServer((_req, res) => res.end());
    const { port } = new URL(base);
    await cleanup.pop()?.(); // closed again: nothing listens there now
    const err = await plain()
      .fetch(`${base}/m`, {})
      .catch((e: unknown) => e);
    expect(requestFailure(err)).toBe(`dial tcp 127.0.0.1:${port}: connect: connection refused`);
  });
});
