/**
 * Any target port can be scraped, as Prometheus scrapes any: fetch's "bad ports" (10080, 6000, …)
 * included, and the scrape request carries the headers Prometheus 3.5's does. Where the peer is
 * available it scrapes the same target, and its request is compared with ours.
 */
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROMETHEUS, startPrometheus, stopPrometheuses } from './helpers/prometheus.js';
import { listening, removeScratchDirs } from './helpers/server.js';
import { killAll } from './helpers/spawn.js';

if (PROMETHEUS.missing) console.log(`scrape-ports.test.ts: the reference is not asked: ${PROMETHEUS.missing}`);

/** Scrape requests the target saw, by the product of the User-Agent that sent them. */
const seen = new Map<string, IncomingMessage[]>();
const waiters = new Set<() => void>();
let target: HttpServer;
let address = '';

beforeAll(async () => {
  target = createServer((req, res) => {
    const agent = String(req.headers['user-agent']).split('/')[0] ?? '';
    seen.set(agent, [...(seen.get(agent) ?? []), req]);
    for (const w of waiters) w();
    // Prometheus 3 fails a scrape whose answer has no Content-Type.
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end('m 1\n');
  });
  // The first of the fetch standard's bad ports that is free here.
  for (const port of [10080, 6000, 6666, 5060, 2049, 6665, 6667, 6668, 6669]) {
    const ok = await new Promise<boolean>((resolve) => {
      target.once('error', () => resolve(false));
      target.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) {
      address = `127.0.0.1:${port}`;
      break;
    }
  }
});
afterAll(async () => {
  killAll();
  await stopPrometheuses();
  removeScratchDirs();
  target.closeAllConnections();
  await new Promise((resolve) => target.close(resolve));
});

const config = () => `global:
  scrape_interval: 1s
scrape_configs:
  - job_name: bad-port
    static_configs:
      - targets: ['${address}']
`;

/** Resolves to the `n`th scrape from `agent` (the User-Agent's product) once it has arrived. */
const scrapedBy = (agent: string, n = 1) =>
  new Promise<IncomingMessage>((resolve) => {
    const check = () => {
      const req = seen.get(agent)?.[n - 1];
      if (!req) return;
      waiters.delete(check);
      resolve(req);
    };
    waiters.add(check);
    check();
  });

/** The header names a request carried, lower case, sorted. */
const names = (req: IncomingMessage) => Object.keys(req.headers).sort();

describe('a target on a port fetch calls bad', () => {
  it('is scraped and up', async () => {
    expect(address, 'no bad port free to listen on').not.toBe('');
    const server = await listening({ config: config() });
    const req = await scrapedBy('miniprom');
    // A loop's next scrape starts only after the previous one was reported.
    await scrapedBy('miniprom', 2);
    const res = await fetch(`${server.base}/api/v1/targets`);
    const body = (await res.json()) as { data: { activeTargets: Array<{ health: string; lastError: string }> } };
    expect(body.data.activeTargets).toMatchObject([{ health: 'up', lastError: '' }]);
    // Exactly the headers Prometheus sends, plus undici's keep-alive; none of fetch's own.
    expect(names(req)).toEqual([
      'accept',
      'accept-encoding',
      'connection',
      'host',
      'user-agent',
      'x-prometheus-scrape-timeout-seconds',
    ]);
    expect(req.headers['accept-encoding']).toBe('gzip');
    expect(req.headers['x-prometheus-scrape-timeout-seconds']).toBe('1');
  });

  it.skipIf(!PROMETHEUS.path)('Prometheus 3.5 scrapes it too, with the same headers but for keep-alive', async () => {
    await startPrometheus({ config: config() });
    const theirs = await scrapedBy('Prometheus');
    const ours = await scrapedBy('miniprom');
    expect(names(ours).filter((n) => n !== 'connection')).toEqual(names(theirs));
    for (const name of ['accept', 'accept-encoding', 'x-prometheus-scrape-timeout-seconds'])
      expect(ours.headers[name]).toBe(theirs.headers[name]);
  });
});
