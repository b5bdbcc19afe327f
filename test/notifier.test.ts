import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertmanagerConfig, Config, TargetGroup } from '../src/config/index.js';
import { Mailbox } from '../src/discovery/index.js';
import { type Alert, createNotifier } from '../src/notifier/index.js';
import { tlsFixture, trackConnections } from './helpers/connections.js';
import { listenLocal } from './helpers/listen.js';

const logger = pino({ level: 'silent' });
/** Lets every pending promise chain settle (one macrotask), without waiting on time. */
const settle = () => new Promise((resolve) => setImmediate(resolve));
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A fake Alertmanager: resolves `received` with each posted batch. */
async function alertmanager(status = 200) {
  const batches: Array<{ path: string; alerts: Alert[] }> = [];
  const authorizations: Array<string | undefined> = [];
  let onBatch: (() => void) | undefined;
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      batches.push({ path: req.url ?? '', alerts: JSON.parse(body) });
      authorizations.push(req.headers.authorization);
      res.writeHead(status).end();
      onBatch?.();
    });
  });
  servers.push(server);
  const port = await listenLocal(server);
  return {
    address: `127.0.0.1:${port}`,
    batches,
    authorizations,
    next: () =>
      new Promise<void>((resolve) => {
        onBatch = resolve;
      }),
  };
}

function config(pathPrefix = '/'): Config {
  return {
    alerting: {
      alertRelabelConfigs: [
        {
          sourceLabels: ['alertname'],
          separator: ';',
          regex: 'Ignored',
          modulus: 0,
          targetLabel: '',
          replacement: '$1',
          action: 'drop',
        },
      ],
      alertmanagers: [
        {
          scheme: 'http',
          pathPrefix,
          timeout: 10_000,
          apiVersion: 'v2',
          httpClient: { followRedirects: true },
          staticConfigs: [],
          relabelConfigs: [],
        },
      ],
    },
  } as unknown as Config;
}

const sets = (address: string) =>
  new Map<string, TargetGroup[]>([['config-0', [{ source: '0', labels: {}, targets: [{ __address__: address }] }]]]);
const alert = (name: string): Alert => ({ labels: { alertname: name }, annotations: {} });

describe('notifier', () => {
  it("posts queued alerts to every Alertmanager that notify discovery found, at upstream's v2 path", async () => {
    const am = await alertmanager();
    const registry = new Registry();
    const n = createNotifier({ logger, registry });
    n.prepare(config('/prefix/'))();
    const updates = new Mailbox<Map<string, TargetGroup[]>>();
    const running = n.run(updates);
    updates.publish(sets(am.address));
    await settle();
    expect(n.alertmanagers()).toEqual([{ url: `http://${am.address}/prefix/api/v2/alerts` }]);
    const received = am.next();
    n.send([alert('A'), alert('Ignored'), alert('B')]);
    await received;
    expect(am.batches).toEqual([{ path: '/prefix/api/v2/alerts', alerts: [alert('A'), alert('B')] }]);
    await n.stop();
    await running;
    expect(await registry.metrics()).toContain(
      `prometheus_notifications_sent_total{alertmanager="http://${am.address}/prefix/api/v2/alerts"} 2`,
    );
  });

  it('sends what is still queued when stopped, so the last alerts are not lost', async () => {
    const am = await alertmanager();
    const n = createNotifier({ logger });
    n.prepare(config())();
    const updates = new Mailbox<Map<string, TargetGroup[]>>();
    const running = n.run(updates);
    updates.publish(sets(am.address));
    await settle();
    expect(n.alertmanagers()).toHaveLength(1);
    n.send([alert('Last')]);
    await n.stop();
    await running;
    expect(am.batches.flatMap((b) => b.alerts)).toEqual([alert('Last')]);
    n.send([alert('After stop')]);
    await n.stop();
    expect(am.batches.flatMap((b) => b.alerts)).toEqual([alert('Last')]);
  });

  it('drops the oldest alerts when the queue is full, and counts them', async () => {
    const registry = new Registry();
    const n = createNotifier({ logger, registry, queueCapacity: 2 });
    n.send([alert('1'), alert('2'), alert('3')]);
    expect(await registry.metrics()).toMatch(/^prometheus_notifications_dropped_total 1$/m);
    expect(await registry.metrics()).toMatch(/^prometheus_notifications_queue_length 2$/m);
    await n.stop();
  });

  it('counts errors when an Alertmanager refuses', async () => {
    const am = await alertmanager(500);
    const registry = new Registry();
    const n = createNotifier({ logger, registry });
    n.prepare(config())();
    const updates = new Mailbox<Map<string, TargetGroup[]>>();
    const running = n.run(updates);
    updates.publish(sets(am.address));
    await settle();
    const received = am.next();
    n.send([alert('A')]);
    await received;
    await n.stop();
    await running;
    expect(await registry.metrics()).toContain('prometheus_notifications_errors_total{alertmanager=');
  });

  it("sends each alertmanagers entry's own credentials", async () => {
    const [a, b] = [await alertmanager(), await alertmanager()];
    const n = createNotifier({ logger });
    const base = config().alerting.alertmanagers[0] as AlertmanagerConfig;
    const cfg = config();
    cfg.alerting.alertmanagers = [
      { ...base, httpClient: { followRedirects: true, basicAuth: { username: 'am', password: 'secret' } } },
      {
        ...base,
        httpClient: {
          followRedirects: true,
          authorization: { type: 'Bearer', credentials: 'token' },
        },
      },
    ];
    n.prepare(cfg)();
    const updates = new Mailbox<Map<string, TargetGroup[]>>();
    const running = n.run(updates);
    const group = (address: string) => [{ source: '0', labels: {}, targets: [{ __address__: address }] }];
    updates.publish(
      new Map([
        ['config-0', group(a.address)],
        ['config-1', group(b.address)],
      ]),
    );
    await settle();
    const received = Promise.all([a.next(), b.next()]);
    n.send([alert('A')]);
    await received;
    expect(a.authorizations).toEqual([`Basic ${Buffer.from('am:secret').toString('base64')}`]);
    expect(b.authorizations).toEqual(['Bearer token']);
    await n.stop();
    await running;
  });

  it("posts over HTTPS with the entry's tls_config, and closes its connections on stop", async () => {
    let received!: (alerts: Alert[]) => void;
    const posted = new Promise<Alert[]>((resolve) => {
      received = resolve;
    });
    const server = createHttpsServer(
      { cert: readFileSync(tlsFixture('server.pem')), key: readFileSync(tlsFixture('server-key.pem')) },
      (req, res) => {
        let body = '';
        req.on('data', (d) => {
          body += d;
        });
        req.on('end', () => {
          res.end();
          received(JSON.parse(body));
        });
      },
    );
    const connections = trackConnections(server, 'secureConnection');
    servers.push(server);
    const port = await listenLocal(server);
    const cfg = config();
    const base = cfg.alerting.alertmanagers[0] as AlertmanagerConfig;
    cfg.alerting.alertmanagers = [
      {
        ...base,
        scheme: 'https',
        httpClient: {
          followRedirects: true,
          tlsConfig: { caFile: tlsFixture('ca.pem'), serverName: 'miniprom.test', insecureSkipVerify: false },
        },
      },
    ];
    const n = createNotifier({ logger });
    n.prepare(cfg)();
    const updates = new Mailbox<Map<string, TargetGroup[]>>();
    const running = n.run(updates);
    updates.publish(sets(`127.0.0.1:${port}`));
    await settle();
    n.send([alert('A')]);
    expect(await posted).toEqual([alert('A')]);
    expect(connections.count).toBe(1);
    const closed = connections.closed();
    await n.stop();
    await running;
    await closed; // the notifier's connection is gone once it has stopped
  });
});
