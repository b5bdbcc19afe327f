/**
 * Black-box specs of main() (contract.md §2–§7): the built binary, real signals, real HTTP, JSON logs.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tlsFixture } from './helpers/connections.js';
import { listenLocal } from './helpers/listen.js';
import {
  http,
  type LogLine,
  listening,
  removeScratchDirs,
  SELF_CONFIG,
  SERVER_ADD_ORDER,
  scratchDir,
  startServer,
  subsequenceMissing,
} from './helpers/server.js';
import { killAll } from './helpers/spawn.js';
import { subscribe } from './helpers/sse.js';
import { applyFrame, type Frame } from '../src/web/live.js';

afterEach(() => {
  killAll();
  removeScratchDirs();
});

const READY = 'Server is ready to receive web requests.';
const SLOW = { MINIPROM_TEST_STORAGE_OPEN_DELAY: '1500ms' };

interface TimelineEvent {
  t: number;
  actor?: string;
  latch?: string;
  event: string;
  [field: string]: unknown;
}

async function lifecycle(base: string): Promise<{ actors: Array<{ name: string }>; events: TimelineEvent[] }> {
  return JSON.parse((await http(`${base}/api/v1/status/lifecycle`)).body).data;
}

describe('startup', () => {
  it('logs the startup sequence in upstream order, and /-/ready turns 200 only when ready', async () => {
    const s = await listening({ config: SELF_CONFIG, env: SLOW });
    const early = await http(`${s.base}/-/ready`);
    expect(early.status).toBe(503);
    expect(early.body).toBe('Service Unavailable');
    expect(early.headers.get('x-prometheus-stopping')).toBe('false');
    expect(s.msgs()).not.toContain(READY);

    await s.untilLog(READY);
    const ready = await http(`${s.base}/-/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body).toBe('Prometheus Server is Ready.\n');
    expect(
      subsequenceMissing(s.msgs(), [
        'Starting Prometheus Server',
        'Starting TSDB ...',
        'TSDB started',
        'Loading configuration file',
        'Completed loading of configuration file',
        READY,
      ]),
    ).toBeUndefined();
    const completed = s.logs().find((l) => l.msg === 'Completed loading of configuration file') as LogLine;
    const reloaders = Object.keys(completed).filter((k) => !['time', 'level', 'source', 'msg', 'file'].includes(k));
    expect(reloaders).toEqual([
      'totalDuration',
      'db_storage',
      'remote_storage',
      'web_handler',
      'query_engine',
      'scrape',
      'scrape_sd',
      'notify',
      'notify_sd',
      'rules',
      'tracing',
    ]);
    const healthy = await http(`${s.base}/-/healthy`);
    expect(healthy).toMatchObject({ status: 200, body: 'Prometheus Server is Healthy.\n' });
  });

  it('starts no scrape, notifier, rule or reload work before dbOpen and reloadReady open', async () => {
    const s = await listening({ config: SELF_CONFIG, env: SLOW });
    await s.untilLog(READY);
    const { actors, events } = await lifecycle(s.base);
    expect(actors.map((a) => a.name)).toEqual(SERVER_ADD_ORDER);
    const at = (pred: (e: TimelineEvent) => boolean) => events.find(pred)?.t ?? Number.NaN;
    const dbOpen = at((e) => e.latch === 'dbOpen' && e.event === 'opened');
    const reloadReady = at((e) => e.latch === 'reloadReady' && e.event === 'opened');
    const tsdbRunning = at((e) => e.actor === 'TSDB' && e.event === 'running');
    expect(dbOpen).toBeGreaterThan(tsdbRunning + 1000); // the slow open is visible
    expect(reloadReady).toBeGreaterThanOrEqual(dbOpen);
    expect(at((e) => e.actor === 'Initial configuration' && e.event === 'running')).toBeGreaterThanOrEqual(dbOpen);
    for (const actor of ['Scrape manager', 'Notifier', 'Rule manager', 'Reload handler', 'Tracing manager']) {
      expect(at((e) => e.actor === actor && e.event === 'waiting')).toBeLessThan(dbOpen);
      expect(at((e) => e.actor === actor && e.event === 'running')).toBeGreaterThanOrEqual(reloadReady);
    }
  });

  it("keeps each actor's own log lines with the timeline, for the page to show under its lane", async () => {
    const s = await listening({ config: SELF_CONFIG });
    await s.untilLog(READY);
    const { logs } = (await lifecycle(s.base)) as unknown as {
      logs: Record<string, { lines: Array<{ t: number; level: string; msg: string }> }>;
    };
    const msgs = (actor: string) => logs[actor]?.lines.map((l) => l.msg) ?? [];
    // main's lines of the actor's block and its module's lines alike, in the order they were written.
    expect(msgs('TSDB')).toEqual([
      'Starting TSDB ...',
      'Replaying WAL, this may take a while',
      'WAL replay completed',
      'filesystem information',
      'TSDB started',
    ]);
    expect(msgs('Initial configuration')).toEqual([
      'Loading configuration file',
      'Completed loading of configuration file',
      READY,
    ]);
    expect(msgs('Web handler')).toEqual(['Start listening for connections']);
    // Exactly what was written: no debug line at the default level.
    expect(Object.values(logs).flatMap((l) => l.lines.map((line) => line.level))).not.toContain('DEBUG');
  });

  it('queues a SIGHUP sent during a slow storage open and reloads exactly once after ready', async () => {
    const s = await listening({ config: SELF_CONFIG, env: SLOW });
    s.child.kill('SIGHUP');
    s.child.kill('SIGHUP'); // a second one while the first waits is dropped, like Go's 1-slot channel
    await s.untilLog(READY);
    await s.untilLog('Completed loading of configuration file', 2);
    expect(s.msgs().filter((m) => m === 'Loading configuration file')).toHaveLength(2);
    const second = s.msgs().lastIndexOf('Loading configuration file');
    expect(second).toBeGreaterThan(s.msgs().indexOf(READY));
    // Still alive and serving after the queued reload.
    expect((await http(`${s.base}/-/ready`)).status).toBe(200);
    s.child.kill('SIGTERM');
    expect((await s.exited).code).toBe(0);
    expect(s.msgs().filter((m) => m === 'Loading configuration file')).toHaveLength(2);
  });
});

/**
 * A target that answers at once and a remote write receiver that never answers: closing storage
 * then takes the whole flush deadline, a window in which a writer still running finds it closed.
 */
async function peers() {
  let written!: () => void;
  // Resolves once a scrape was committed and its samples are stuck in a send: from then on,
  // closing storage must wait out the flush deadline.
  const firstWrite = new Promise<void>((resolve) => {
    written = resolve;
  });
  // Prometheus 3 fails a scrape answered without a Content-Type.
  const target = createHttpServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/plain' }).end('x 1\n'));
  const hanging = createHttpServer((req) => {
    req.resume();
    written();
  });
  const [targetPort, writePort] = [await listenLocal(target), await listenLocal(hanging)];
  const config = `global:
  scrape_interval: 200ms
scrape_configs:
  - job_name: fast
    static_configs:
      - targets: ['127.0.0.1:${targetPort}']
remote_write:
  - url: http://127.0.0.1:${writePort}/write
    queue_config:
      batch_send_deadline: 50ms
`;
  const close = () => {
    target.closeAllConnections();
    hanging.closeAllConnections();
    target.close();
    hanging.close();
  };
  return { config, firstWrite, close };
}

describe('shutdown', () => {
  it('stops on SIGTERM in add order, says goodbye last, and exits 0 by itself', async () => {
    const s = await listening({ config: SELF_CONFIG });
    await s.untilLog(READY);
    const t0 = Date.now();
    s.child.kill('SIGTERM');
    const { code } = await s.exited;
    expect(code).toBe(0);
    // Exiting at all shows nothing holds the event loop; the bound, far above what a stop takes
    // and far below the test's timeout, catches a shutdown that waits on a timer of seconds.
    expect(Date.now() - t0).toBeLessThan(20_000);
    const msgs = s.msgs();
    expect(
      subsequenceMissing(msgs, [
        'Received an OS signal, exiting gracefully...',
        'Stopping scrape discovery manager...',
        'Stopping notify discovery manager...',
        'Stopping rule manager...',
        'Stopping scrape manager...',
        'Stopping web handler...',
        'Stopping notifier manager...',
        'See you next time!',
      ]),
    ).toBeUndefined();
    expect(msgs.at(-1)).toBe('See you next time!');
    expect(s.logs().find((l) => l.msg === 'Received an OS signal, exiting gracefully...')?.signal).toBe('SIGTERM');
  });

  it('follows shutdown on the lifecycle event stream, ends the stream, and still exits 0 by itself', async () => {
    const s = await listening({ config: SELF_CONFIG });
    await s.untilLog(READY);
    type Snapshot = { readiness: string; events: TimelineEvent[] };
    const stream = await subscribe(`${s.base}/api/v1/status/lifecycle/events`);
    // The stream's frames: the snapshot, then changes (src/web/live.ts); applyFrame reads them.
    const state = () => (stream.events as Frame[]).reduce(applyFrame, undefined as never) as unknown as Snapshot;
    await stream.count(1);
    expect(state().readiness).toBe('Ready');

    s.child.kill('SIGTERM');
    // The server ends the stream itself (its web handler's interrupt): a connected page must not
    // hold the process open.
    await stream.ended;
    expect((await s.exited).code).toBe(0);
    const last = state();
    expect(last.readiness).toBe('Stopping');
    expect(last.events).toContainEqual(expect.objectContaining({ actor: 'Web handler', event: 'interrupted' }));
  });

  it('prints the timeline and its critical chains at exit with --startup.trace', async () => {
    const s = await listening({ config: SELF_CONFIG, args: ['--startup.trace'] });
    await s.untilLog(READY);
    s.child.kill('SIGTERM');
    expect((await s.exited).code).toBe(0);
    const err = s.stderr();
    expect(err).toMatch(/^Termination handler\s+[.=]+/m);
    expect(err).toMatch(/^dbOpen\s+\|?\s*opened at [\d.]+ ms$/m);
    expect(err).toMatch(/startup: reloadReady at [\d.]+ ms\n {2}← Initial configuration applied the config in/);
    expect(err).toMatch(/shutdown: [\d.]+ ms from the first interrupt to the last return/);
    expect(s.msgs().at(-1)).toBe('See you next time!');
  });

  it('stops on SIGINT too', async () => {
    const s = await listening({ config: SELF_CONFIG });
    await s.untilLog(READY);
    s.child.kill('SIGINT');
    expect((await s.exited).code).toBe(0);
    expect(s.msgs().at(-1)).toBe('See you next time!');
  });

  for (const how of ['SIGTERM', '/-/quit'] as const) {
    it(`exits 0 promptly on ${how} during a slow storage open, never claiming ready`, async () => {
      const s = await listening({
        config: SELF_CONFIG,
        args: ['--web.enable-lifecycle'],
        env: { MINIPROM_TEST_STORAGE_OPEN_DELAY: '1h' },
      });
      const t0 = Date.now();
      if (how === 'SIGTERM') s.child.kill('SIGTERM');
      else expect((await http(`${s.base}/-/quit`, 'POST')).body).toBe('Requesting termination... Goodbye!');
      const { code } = await s.exited;
      expect(code).toBe(0);
      // The open would take an hour: exiting within the test's time shows it was aborted.
      expect(Date.now() - t0).toBeLessThan(20_000);
      expect(s.msgs()).not.toContain(READY);
      expect(s.msgs()).not.toContain('TSDB started');
      expect(s.msgs().at(-1)).toBe('See you next time!');
    });
  }

  it('answers /-/quit, then a second quit with "already in progress", and exits 0', async () => {
    const s = await listening({ config: SELF_CONFIG, args: ['--web.enable-lifecycle'] });
    await s.untilLog(READY);
    const [first, second] = await Promise.all([http(`${s.base}/-/quit`, 'POST'), http(`${s.base}/-/quit`, 'PUT')]);
    expect([first.body, second.body].sort()).toEqual([
      'Requesting termination... Goodbye!',
      'Termination already in progress.',
    ]);
    expect((await s.exited).code).toBe(0);
    expect(s.msgs()).toContain('Received termination request via web service, exiting gracefully...');
  });

  it('ends at once, exit 1, on a second signal while a shutdown is stuck', async () => {
    // The hanging receiver keeps the remote flush, hence the shutdown, waiting a whole minute.
    const p = await peers();
    try {
      const s = await listening({ config: p.config, args: ['--storage.remote.flush-deadline=1m'] });
      await s.untilLog(READY);
      await p.firstWrite;
      s.child.kill('SIGTERM');
      await s.untilLog('Stopping remote storage...');
      const t0 = Date.now();
      s.child.kill('SIGTERM');
      expect((await s.exited).code).toBe(1);
      // The flush would wait a minute: exiting well before shows the second signal ended it.
      expect(Date.now() - t0).toBeLessThan(20_000);
      expect(s.logs().find((l) => l.msg === 'Received a second signal while shutting down, exiting now')).toMatchObject(
        {
          level: 'ERROR',
          signal: 'SIGTERM',
        },
      );
      expect(s.msgs()).not.toContain('See you next time!');
    } finally {
      p.close();
    }
  });
});

describe('reload', () => {
  const withTarget = (extra: string) => `${SELF_CONFIG}  - job_name: extra
    static_configs:
      - targets: ['${extra}']
`;

  it('applies an edited config on POST /-/reload, and keeps the old one when the new one is broken', async () => {
    const s = await listening({ config: SELF_CONFIG, args: ['--web.enable-lifecycle'] });
    await s.untilLog(READY);
    writeFileSync(s.configFile, withTarget('127.0.0.1:2'));
    const ok = await http(`${s.base}/-/reload`, 'POST');
    expect(ok.status).toBe(200);
    const targets = JSON.parse((await http(`${s.base}/api/v1/targets`)).body);
    expect(targets.data.activeTargets.map((t: { labels: { job: string } }) => t.labels.job).sort()).toEqual([
      'extra',
      'self',
    ]);

    writeFileSync(s.configFile, 'global:\n  scrape_interval: [\n');
    const bad = await http(`${s.base}/-/reload`, 'POST');
    expect(bad.status).toBe(500);
    expect(bad.body).toMatch(/^failed to reload config: couldn't load configuration \(--config.file=".*"\): /);
    expect((await http(`${s.base}/metrics`)).body).toMatch(/^prometheus_config_last_reload_successful 0$/m);
    const after = JSON.parse((await http(`${s.base}/api/v1/targets`)).body);
    expect(after.data.activeTargets).toHaveLength(2);
    expect((await http(`${s.base}/-/ready`)).status).toBe(200);
  });

  it('changes nothing when one reloader fails (two-phase reload)', async () => {
    const s = await listening({ config: SELF_CONFIG, args: ['--web.enable-lifecycle'] });
    await s.untilLog(READY);
    // A valid config whose rule file is broken: the rules reloader fails to prepare, so the new
    // scrape job (prepared earlier in the order) must not be applied either.
    writeFileSync(join(s.dir, 'bad.rules.yml'), 'groups:\n  - name: g\n    rules:\n      - expr: up\n');
    writeFileSync(s.configFile, `rule_files: ['bad.rules.yml']\n${withTarget('127.0.0.1:3')}`);
    const bad = await http(`${s.base}/-/reload`, 'POST');
    expect(bad.status).toBe(500);
    expect(bad.body).toContain('one or more errors occurred while applying the new configuration');
    // As upstream's rule manager: each file error is logged, the reloader fails with one line
    // (written before the answer, but on another pipe: waited for).
    await s.untilLog('Failed to apply configuration');
    expect(s.logs().find((l) => l.msg === 'loading groups failed')?.err).toContain(
      "one of 'record' or 'alert' must be set",
    );
    expect(s.logs().find((l) => l.msg === 'Failed to apply configuration')?.err).toBe(
      'error loading rules, previous rule set restored',
    );
    const targets = JSON.parse((await http(`${s.base}/api/v1/targets`)).body);
    expect(targets.data.activeTargets.map((t: { labels: { job: string } }) => t.labels.job)).toEqual(['self']);
  });

  it('reloads on SIGHUP the same way, without dying', async () => {
    const s = await listening({ config: SELF_CONFIG });
    await s.untilLog(READY);
    writeFileSync(s.configFile, 'global:\n  scrape_interval: [\n');
    s.child.kill('SIGHUP');
    await s.untilLog('Error reloading config');
    expect((await http(`${s.base}/metrics`)).body).toMatch(/^prometheus_config_last_reload_successful 0$/m);
    writeFileSync(s.configFile, withTarget('127.0.0.1:4'));
    s.child.kill('SIGHUP');
    await s.untilLog('Completed loading of configuration file', 2);
    expect((await http(`${s.base}/metrics`)).body).toMatch(/^prometheus_config_last_reload_successful 1$/m);
    const targets = JSON.parse((await http(`${s.base}/api/v1/targets`)).body);
    expect(targets.data.activeTargets).toHaveLength(2);
  });

  it('answers a reload requested before ready with the result of the reload that runs once ready', async () => {
    const s = await listening({ config: SELF_CONFIG, args: ['--web.enable-lifecycle'], env: SLOW });
    const res = await http(`${s.base}/-/reload`, 'POST');
    expect(res.status).toBe(200);
    expect(s.msgs()).toContain(READY);
    expect(s.msgs().filter((m) => m === 'Completed loading of configuration file')).toHaveLength(2);
  });

  it('refuses with 503 a reload still waiting when shutdown begins', async () => {
    const s = await listening({
      config: SELF_CONFIG,
      args: ['--web.enable-lifecycle', '--log.level=debug'],
      env: { MINIPROM_TEST_STORAGE_OPEN_DELAY: '10s' },
    });
    const pending = http(`${s.base}/-/reload`, 'POST');
    await s.untilLog('Reload requested via web service');
    s.child.kill('SIGTERM');
    const res = await pending;
    expect(res.status).toBe(503);
    expect(res.body).toBe('Prometheus is shutting down; reload not performed.');
    expect((await s.exited).code).toBe(0);
  });

  it('answers 403 without --web.enable-lifecycle and 405 on GET', async () => {
    const s = await listening({ config: SELF_CONFIG });
    await s.untilLog(READY);
    for (const path of ['/-/reload', '/-/quit']) {
      expect(await http(`${s.base}${path}`, 'POST')).toMatchObject({
        status: 403,
        body: 'Lifecycle API is not enabled.',
      });
      expect(await http(`${s.base}${path}`, 'PUT')).toMatchObject({ status: 403 });
      expect(await http(`${s.base}${path}`)).toMatchObject({ status: 405, body: 'Only POST or PUT requests allowed' });
    }
  });
});

describe('storage section', () => {
  const withStorage = (tsdb: string) => `${SELF_CONFIG}storage:\n  tsdb:\n${tsdb}`;
  const retentionMetric = async (base: string) =>
    /^prometheus_tsdb_retention_limit_seconds (\d+)$/m.exec((await http(`${base}/metrics`)).body)?.[1];

  it("opens the TSDB with the config's retention, takes a new one on reload, and refuses what it cannot honour", async () => {
    const s = await listening({
      config: withStorage('    retention:\n      time: 2d\n'),
      args: ['--web.enable-lifecycle', '--storage.tsdb.retention.time=1d'],
    });
    await s.untilLog(READY);
    // The config's retention wins over the (deprecated) flag, and upstream logs it once applied.
    expect(s.logs().find((l) => l.msg === 'TSDB retention updated')).toMatchObject({ duration: '2d', size: '0B' });
    expect(await retentionMetric(s.base)).toBe('172800');

    writeFileSync(s.configFile, withStorage('    retention:\n      time: 3d\n'));
    expect((await http(`${s.base}/-/reload`, 'POST')).status).toBe(200);
    // The line is written before the answer, but on another pipe: wait for it to arrive.
    await s.untilLog('TSDB retention updated', 2);
    expect(
      s
        .logs()
        .filter((l) => l.msg === 'TSDB retention updated')
        .map((l) => l.duration),
    ).toEqual(['2d', '3d']);
    expect(await retentionMetric(s.base)).toBe('259200');

    // promtool accepts an out-of-order window, as upstream's does; this TSDB cannot honour one.
    writeFileSync(s.configFile, withStorage('    out_of_order_time_window: 10m\n    retention:\n      time: 4d\n'));
    const bad = await http(`${s.base}/-/reload`, 'POST');
    expect(bad.status).toBe(500);
    await s.untilLog('Failed to apply configuration');
    expect(s.logs().find((l) => l.msg === 'Failed to apply configuration')).toMatchObject({
      reloader: 'db_storage',
      err: expect.stringContaining('storage.tsdb.out_of_order_time_window is not supported by miniprom'),
    });
    expect(await retentionMetric(s.base)).toBe('259200');
  });

  it("without a retention section, runs with the flag's retention and prints it in the running config", async () => {
    const s = await listening({ config: SELF_CONFIG, args: ['--storage.tsdb.retention.time=36h'] });
    await s.untilLog(READY);
    expect(await retentionMetric(s.base)).toBe('129600');
    const yaml = JSON.parse((await http(`${s.base}/api/v1/status/config`)).body).data.yaml;
    expect(yaml).toContain('storage:\n  tsdb:\n    retention:\n      time: 1d12h\n');
  });
});

describe('teaching switch --debug.actor-order', () => {
  async function shutdownWith(order: string[]) {
    const p = await peers();
    try {
      const s = await listening({ config: p.config, args: ['--storage.remote.flush-deadline=1s', ...order] });
      await s.untilLog(READY);
      await p.firstWrite;
      s.child.kill('SIGTERM');
      expect((await s.exited).code).toBe(0);
      return s;
    } finally {
      p.close();
    }
  }

  it("in upstream's order, no scrape writes into storage that is closing", async () => {
    const s = await shutdownWith([]);
    expect(s.msgs()).toContain('Failed to flush all samples on shutdown'); // the window was there
    expect(s.msgs()).not.toContain('Scrape commit failed');
  });

  it('with TSDB added before the scrape manager, scrapes fail against closed storage until it stops', async () => {
    const s = await shutdownWith(['--debug.actor-order=TSDB before Scrape manager']);
    expect(s.logs().find((l) => l.msg.startsWith('Actors added in a debugging order'))?.order).toContain(
      'Rule manager, TSDB, Scrape manager',
    );
    const failed = s.logs().filter((l) => l.msg === 'Scrape commit failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]?.err).toBe('storage closed');
    // Only shutdown changed: storage still opened before the first configuration was applied.
    expect(subsequenceMissing(s.msgs(), ['TSDB started', 'Loading configuration file', READY])).toBeUndefined();
  });

  it('exits 2 naming the actors when a name is not one of them', async () => {
    const s = startServer({ config: SELF_CONFIG, args: ['--debug.actor-order=Scrape manger after TSDB'] });
    expect((await s.exited).code).toBe(2);
    expect(s.stderr()).toContain('no actor named \\"Scrape manger\\"; the actors are: Termination handler,');
  });

  it('is not listed by --help: it is a teaching aid', async () => {
    const s = startServer({ defaults: false, args: ['--help'] });
    expect((await s.exited).code).toBe(0);
    expect(s.stdout()).toContain('--[no-]startup.trace');
    expect(s.stdout()).not.toContain('debug.actor-order');
  });
});

describe('tls_config', () => {
  it('scrapes an HTTPS target that wants a client certificate, verified against ca_file, and exits 0 by itself', async () => {
    let scrapes = 0;
    let secondScrape!: () => void;
    const twice = new Promise<void>((resolve) => {
      secondScrape = resolve;
    });
    const target = createHttpsServer(
      {
        cert: readFileSync(tlsFixture('server.pem')),
        key: readFileSync(tlsFixture('server-key.pem')),
        ca: readFileSync(tlsFixture('ca.pem')),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('tls_ok 1\n');
        if (++scrapes === 2) secondScrape();
      },
    );
    const port = await listenLocal(target);
    try {
      const config = `global:
  scrape_interval: 200ms
scrape_configs:
  - job_name: secure
    scheme: https
    tls_config:
      ca_file: ${tlsFixture('ca.pem')}
      cert_file: ${tlsFixture('client.pem')}
      key_file: ${tlsFixture('client-key.pem')}
      server_name: miniprom.test
    static_configs:
      - targets: ['127.0.0.1:${port}']
`;
      const s = await listening({ config });
      await s.untilLog(READY);
      await twice; // a second scrape starts only once the first is done
      const [active] = JSON.parse((await http(`${s.base}/api/v1/targets`)).body).data.activeTargets;
      expect(active).toMatchObject({ scrapeUrl: `https://127.0.0.1:${port}/metrics`, health: 'up', lastError: '' });
      s.child.kill('SIGTERM');
      expect((await s.exited).code).toBe(0);
    } finally {
      target.closeAllConnections();
      target.close();
    }
  });
});

describe('discovery', () => {
  it('scrapes targets from file_sd files and follows their changes without a reload', async () => {
    const dir = scratchDir();
    writeFileSync(join(dir, 'targets.json'), JSON.stringify([{ targets: ['127.0.0.1:5'] }]));
    const config = `${SELF_CONFIG}  - job_name: files
    file_sd_configs:
      - files: ['targets.json']
`;
    const s = await listening({ dir, config });
    await s.untilLog(READY);
    const jobs = async () =>
      JSON.parse((await http(`${s.base}/api/v1/targets`)).body).data.activeTargets.map(
        (t: { labels: { instance: string } }) => t.labels.instance,
      );
    expect(await jobs()).toContain('127.0.0.1:5');
    writeFileSync(join(dir, 'targets.json'), JSON.stringify([{ targets: ['127.0.0.1:6'] }]));
    // The file watch republishes; the API is the only outside view, so ask it until it shows that.
    await vi.waitFor(
      async () => {
        const seen = await jobs();
        expect(seen).toContain('127.0.0.1:6');
        expect(seen).not.toContain('127.0.0.1:5');
      },
      { timeout: 20_000, interval: 50 },
    );
  });
});

describe('endpoints', () => {
  it('serves /metrics from its own registry in the text format', async () => {
    const s = await listening({ config: SELF_CONFIG });
    await s.untilLog(READY);
    const m = await http(`${s.base}/metrics`);
    expect(m.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(m.body).toMatch(/^prometheus_config_last_reload_successful 1$/m);
    expect(m.body).toMatch(/^prometheus_config_last_reload_success_timestamp_seconds \d+/m);
  });

  it('serves the running config with secrets masked', async () => {
    const config = `${SELF_CONFIG}    basic_auth:
      username: u
      password: hunter2
`;
    const s = await listening({ config });
    await s.untilLog(READY);
    const body = JSON.parse((await http(`${s.base}/api/v1/status/config`)).body);
    expect(body.status).toBe('success');
    expect(body.data.yaml).toContain('<secret>');
    expect(body.data.yaml).not.toContain('hunter2');
  });
});

describe('exit codes', () => {
  const exitOf = async (opts: Parameters<typeof startServer>[0]) => {
    const s = startServer(opts);
    const { code } = await s.exited;
    return { code, stderr: s.stderr() };
  };

  it('exits 2 on an unknown flag, with usage', async () => {
    const r = await exitOf({ config: SELF_CONFIG, args: ['--no-such-flag'] });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Error parsing command line arguments: unknown option '--no-such-flag'");
    expect(r.stderr).toContain('Usage: prometheus');
  });

  it('exits 2 on a bad flag value', async () => {
    const r = await exitOf({ config: SELF_CONFIG, args: ['--storage.tsdb.retention.time=15 days'] });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown unit " days" in duration "15 days"'); // upstream's exact words
  });

  it('exits 2 on an invalid config, with one line naming file, line and field, no stack', async () => {
    const r = await exitOf({ config: 'global:\n  scrape_intervall: 1s\n' });
    expect(r.code).toBe(2);
    const line = r.stderr.trim().split('\n').at(-1) as string;
    const record = JSON.parse(line);
    expect(record.msg).toMatch(/^Error loading config \(--config.file=.*prometheus\.yml\)$/);
    expect(record.file).toMatch(/prometheus\.yml$/);
    expect(record.err).toContain('2:3');
    expect(record.err).toContain('scrape_intervall');
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(r.stderr).not.toContain('"stack"');
  });

  it('exits 2 when the config file is missing', async () => {
    const dir = scratchDir();
    const r = await exitOf({ dir, args: [`--config.file=${join(dir, 'missing.yml')}`] });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Error loading config');
  });

  it('exits 2 when a rule file of the config does not parse', async () => {
    const dir = scratchDir();
    writeFileSync(join(dir, 'r.yml'), 'groups:\n  - name: a\n    rulez: []\n');
    const r = await exitOf({ dir, config: `rule_files: ['r.yml']\n` });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Error loading rule file patterns from config');
    expect(r.stderr).toContain('rulez');
  });

  it('exits 3 with upstream message for server-only flags in agent mode, and the reverse', async () => {
    const a = await exitOf({ config: '', defaults: false, args: ['--agent', '--storage.tsdb.path=x'] });
    expect(a.code).toBe(3);
    expect(a.stderr).toContain('The following flag(s) can not be used in agent mode: ["--storage.tsdb.path"]');
    const b = await exitOf({ config: '', defaults: false, args: ['--storage.agent.path=x'] });
    expect(b.code).toBe(3);
    expect(b.stderr).toContain('The following flag(s) can only be used in agent mode: ["--storage.agent.path"]');
  });

  it('exits 1 when the port is in use', async () => {
    const blocker = createServer();
    const port = await listenLocal(blocker);
    try {
      const r = await exitOf({ config: SELF_CONFIG, args: [`--web.listen-address=127.0.0.1:${port}`] });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('Unable to start web listener');
    } finally {
      blocker.close();
    }
  });

  it('exits 1 when another running instance holds the data dir', async () => {
    const first = await listening({ config: SELF_CONFIG });
    await first.untilLog(READY);
    const r = await exitOf({ config: SELF_CONFIG, args: [`--storage.tsdb.path=${join(first.dir, 'data')}`] });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('opening storage failed: lock DB directory');
  });

  it('exits 1 with the upstream message for a 5MB WAL segment size', async () => {
    const r = await exitOf({ config: SELF_CONFIG, args: ['--storage.tsdb.wal-segment-size=5MB'] });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("flag 'storage.tsdb.wal-segment-size' must be set between 10MB and 256MB");
    expect(r.stderr).toContain('Fatal error');
  });

  it('exits 0 for --version and --help', async () => {
    const v = startServer({ defaults: false, args: ['--version'] });
    expect((await v.exited).code).toBe(0);
    expect(v.stdout()).toMatch(/^miniprom, version \d+\.\d+\.\d+/);
    const h = startServer({ defaults: false, args: ['--help'] });
    expect((await h.exited).code).toBe(0);
    expect(h.stdout()).toContain('--config.file="prometheus.yml"');
  });
});

describe('agent mode', () => {
  it('runs WAL storage in place of TSDB, has no rule manager, and speaks as the Agent', async () => {
    const dir = scratchDir();
    const s = await listening({
      dir,
      config: SELF_CONFIG,
      args: ['--agent', `--storage.agent.path=${join(dir, 'wal')}`],
    });
    await s.untilLog(READY);
    expect((await http(`${s.base}/-/ready`)).body).toBe('Prometheus Agent is Ready.\n');
    expect((await http(`${s.base}/-/healthy`)).body).toBe('Prometheus Agent is Healthy.\n');
    const { actors } = await lifecycle(s.base);
    expect(actors.map((a) => a.name)).not.toContain('Rule manager');
    expect(actors.map((a) => a.name)).toContain('WAL storage');
    expect(actors).toHaveLength(10);
    expect(s.msgs()).toContain('Starting Prometheus Agent');
    expect(s.msgs()).toContain('Starting WAL storage ...');
    expect(s.msgs()).toContain('Agent WAL storage started');
    expect(s.msgs()).not.toContain('Starting TSDB ...');
    s.child.kill('SIGTERM');
    expect((await s.exited).code).toBe(0);
    expect(s.msgs()).not.toContain('Stopping rule manager...');
  });

  it('rejects alerting and rule_files in agent mode with exit 2', async () => {
    const s = startServer({ config: "rule_files: ['x.yml']\n", args: ['--agent'] });
    expect((await s.exited).code).toBe(2);
    expect(s.stderr()).toContain('field rule_files is not allowed in agent mode');
  });
});
