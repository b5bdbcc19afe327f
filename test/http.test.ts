/**
 * tls_config applied: the HTTP client scrapes, remote write and the notifier share, against a real
 * HTTPS server with the test PKI of test/fixtures/tls (see its generate.sh).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { type HTTPClientConfig, tlsSettings } from '../src/config/index.js';
import { type HTTPClient, httpClient } from '../src/http/index.js';
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
