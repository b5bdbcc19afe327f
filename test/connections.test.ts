/**
 * Upstream's connection limits, with small values: --web.max-connections=3 (past it, a connection
 * waits to be served until another closes: it is not refused) and --web.read-timeout=2s (a request
 * not read whole in time, and an idle keep-alive connection, are closed without an answer). The
 * same steps run against Prometheus 3.5 where it is available, and must go the same way.
 */
import { get } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROMETHEUS, startPrometheus, stopPrometheuses } from './helpers/prometheus.js';
import { listening, removeScratchDirs } from './helpers/server.js';
import { killAll } from './helpers/spawn.js';

if (PROMETHEUS.missing) console.log(`connections.test.ts: the reference is not asked: ${PROMETHEUS.missing}`);

const ARGS = ['--web.max-connections=3', '--web.read-timeout=2s'];
const CONFIG = 'global:\n  scrape_interval: 1h\n';
const HEALTHY = 'GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n';

/** A raw connection that collects what the server writes. */
interface Conn {
  socket: Socket;
  received: () => string;
  /** Resolves once the server has written `text` (since the last `clear`). */
  until: (text: string) => Promise<void>;
  clear: () => void;
  closed: Promise<void>;
}

const conns: Socket[] = [];

function open(port: number): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    conns.push(socket);
    let buffer = '';
    const waiters = new Set<() => void>();
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      buffer += d;
      for (const w of waiters) w();
    });
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('error', reject);
    socket.once('connect', () =>
      resolve({
        socket,
        received: () => buffer,
        clear: () => {
          buffer = '';
        },
        closed,
        until: (text) =>
          new Promise<void>((r) => {
            const check = () => {
              if (!buffer.includes(text)) return;
              waiters.delete(check);
              r();
            };
            waiters.add(check);
            check();
          }),
      }),
    );
  });
}

const servers: Array<[string, () => Promise<number>]> = [
  [
    'miniprom',
    async () => {
      const s = await listening({ config: CONFIG, args: ARGS });
      await s.untilLog('Server is ready to receive web requests.');
      return Number(new URL(s.base).port);
    },
  ],
];
if (PROMETHEUS.path)
  servers.push(['Prometheus 3.5', async () => (await startPrometheus({ config: CONFIG, args: ARGS })).port]);

afterAll(async () => {
  for (const s of conns) s.destroy();
  killAll();
  await stopPrometheuses();
  removeScratchDirs();
});

describe.each(servers)('%s', (_name, start) => {
  let port: number;
  beforeAll(async () => {
    port = await start();
  });

  it('shows both flags in /api/v1/status/flags', async () => {
    // On a connection of its own, closed after the answer (agent: false): a pooled keep-alive
    // connection (fetch's) would hold one of the three slots the next test counts on.
    const body = await new Promise<string>((resolve, reject) =>
      get(`http://127.0.0.1:${port}/api/v1/status/flags`, { agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve(text));
      }).on('error', reject),
    );
    const { data } = JSON.parse(body) as { data: Record<string, string> };
    expect({ readTimeout: data['web.read-timeout'], maxConnections: data['web.max-connections'] }).toEqual({
      readTimeout: '2s',
      maxConnections: '3',
    });
  });

  it('keeps a 4th connection waiting, unrefused, until one of the 3 open ones closes', async () => {
    const three: Conn[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await open(port);
      c.socket.write(HEALTHY);
      await c.until('is Healthy.');
      three.push(c); // kept open: keep-alive
    }
    const fourth = await open(port); // the TCP connection itself is not refused
    fourth.socket.write(HEALTHY);
    // A request sent after the 4th's is answered on an admitted connection, the 4th's is not.
    const [first, second] = three as [Conn, Conn, Conn];
    first.clear();
    first.socket.write(HEALTHY);
    await first.until('is Healthy.');
    expect(fourth.received()).toBe('');
    second.socket.destroy();
    await fourth.until('is Healthy.');
    for (const c of [...three, fourth]) c.socket.destroy();
    await Promise.all([...three, fourth].map((c) => c.closed));
  });

  it('closes a request not read whole within the read timeout, without an answer', async () => {
    const slow = await open(port);
    slow.socket.write('GET /-/healthy HTTP/1.1\r\nHost: x\r\n'); // and never the blank line
    await slow.closed;
    expect(slow.received()).toBe('');
  });

  it('closes an idle keep-alive connection after the read timeout', async () => {
    const idle = await open(port);
    idle.socket.write(HEALTHY);
    await idle.until('is Healthy.');
    // Still open for a second request at once…
    idle.clear();
    idle.socket.write(HEALTHY);
    await idle.until('is Healthy.');
    // …then closed by the server once idle for longer than the timeout.
    await idle.closed;
  });
});
