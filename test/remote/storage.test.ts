/**
 * Remote write end to end within the process: parsed configs, the fanout storage in front of a
 * fake local storage, and a real HTTP receiver that decodes what arrives (test/helpers/remote.ts).
 * Batch deadlines, backoffs and the flush deadline run on fake timers; network I/O is real.
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { createRemoteStorage, type RemoteStorage } from '../../src/remote/index.js';
import { fanoutStorage, type Labels, type Storage } from '../../src/storage/index.js';
import { remoteWriteReceiver } from '../helpers/remote.js';

const NOW = 1_700_000_000_000;
type Receiver = Awaited<ReturnType<typeof remoteWriteReceiver>>;

const receivers: Receiver[] = [];
const storages: RemoteStorage[] = [];

/** Log lines as objects, to assert on what an operator would read. */
function captureLogs() {
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  const logger = pino(
    { level: 'debug' },
    {
      write: (line: string) => {
        lines.push(JSON.parse(line));
        for (const wake of waiters.splice(0)) wake();
      },
    },
  );
  const count = (msg: string) => lines.filter((l) => l.msg === msg).length;
  return {
    logger,
    lines,
    messages: () => lines.map((l) => l.msg),
    /** Resolves once `msg` has been logged `times` times (the queue logs before it backs off). */
    async waitFor(msg: string, times = 1) {
      while (count(msg) < times) await new Promise<void>((resolve) => waiters.push(resolve));
    },
  };
}

async function receiver(...args: Parameters<typeof remoteWriteReceiver>) {
  const r = await remoteWriteReceiver(...args);
  receivers.push(r);
  return r;
}

function setup(yaml: string, opts: { flushDeadline?: number } = {}) {
  const logs = captureLogs();
  const registry = new Registry();
  const remote = createRemoteStorage({
    logger: logs.logger,
    registry,
    flushDeadline: opts.flushDeadline ?? 60_000,
    userAgent: 'miniprom/test',
    now: () => NOW,
  });
  storages.push(remote);
  const committed: number[] = [];
  const local: Storage = {
    appender() {
      let n = 0;
      return {
        append() {
          n++;
        },
        async commit() {
          committed.push(n);
        },
        rollback() {
          n = 0;
        },
      };
    },
    close: async () => {},
  };
  const storage = fanoutStorage(local, remote);
  const apply = (text: string) => remote.prepare(parseConfig(text, '/etc/prometheus.yml', { agentMode: false }))();
  apply(yaml);
  /** Appends and commits one batch, as a scrape does. */
  const write = async (samples: Array<[Labels, number, number]>) => {
    const app = storage.appender();
    for (const [labels, t, v] of samples) app.append(labels, t, v);
    await app.commit();
  };
  return { remote, storage, apply, write, logs, registry, committed };
}

const series = (name: string, extra: Record<string, string> = {}): Labels => ({ __name__: name, job: 'app', ...extra });
const settle = () => new Promise((resolve) => setImmediate(resolve));

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(async () => {
  // A queue still retrying gives up at its flush deadline, which is on the fake clock.
  const closing = Promise.all(storages.splice(0).map((s) => s.close()));
  if (vi.isFakeTimers()) await vi.advanceTimersByTimeAsync(60_000);
  await closing;
  vi.useRealTimers();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

describe('sending', () => {
  it('sends full batches at once and the rest at batch_send_deadline, with remote write 1.0 headers', async () => {
    const r = await receiver();
    const { write } = setup(`
remote_write:
  - url: ${r.url}
    headers: { X-Scope-OrgID: team-a }
    basic_auth: { username: u, password: p }
    queue_config: { max_samples_per_send: 2, batch_send_deadline: 5s }
`);
    await write([1, 2, 3, 4, 5].map((i) => [series('m', { i: String(i) }), NOW + i, i]));
    await r.waitForRequests(2);
    expect(r.requests.map((q) => q.samples.length)).toEqual([2, 2]);

    await vi.advanceTimersByTimeAsync(5_000);
    await r.waitForRequests(3);
    expect(r.samples().map((s) => s.v)).toEqual([1, 2, 3, 4, 5]);
    expect(r.samples()[0]).toMatchObject({ labels: { __name__: 'm', job: 'app', i: '1' }, t: NOW + 1 });
    expect(r.requests[0]?.headers).toMatchObject({
      'content-encoding': 'snappy',
      'content-type': 'application/x-protobuf',
      'x-prometheus-remote-write-version': '0.1.0',
      'user-agent': 'miniprom/test',
      'x-scope-orgid': 'team-a',
      authorization: `Basic ${Buffer.from('u:p').toString('base64')}`,
    });
  });

  it('attaches external labels (a series’ own label wins), then applies write_relabel_configs', async () => {
    const r = await receiver();
    const { write, registry } = setup(`
global:
  external_labels: { cluster: eu1, job: never }
remote_write:
  - url: ${r.url}
    write_relabel_configs:
      - { source_labels: [__name__], regex: go_.*, action: drop }
      - { target_label: sent_by, replacement: '\${1}miniprom' }
    queue_config: { batch_send_deadline: 1s }
`);
    await write([
      [series('up'), NOW, 1],
      [series('go_goroutines'), NOW, 9],
    ]);
    await vi.advanceTimersByTimeAsync(1_000);
    await r.waitForRequests(1);
    expect(r.samples().map((s) => s.labels)).toEqual([
      { __name__: 'up', job: 'app', cluster: 'eu1', sent_by: 'miniprom' },
    ]);
    expect(await registry.metrics()).toMatch(
      /^prometheus_remote_storage_samples_dropped_total\{remote_name="\w{6}",url="[^"]+"\} 1$/m,
    );
  });

  it('keeps the staleness marker bit for bit', async () => {
    const r = await receiver();
    const { write } = setup(`remote_write:\n  - url: ${r.url}\n    queue_config: { max_samples_per_send: 1 }\n`);
    const view = new DataView(new ArrayBuffer(8));
    view.setBigUint64(0, 0x7ff0000000000002n);
    await write([[series('m'), NOW, view.getFloat64(0)]]);
    await r.waitForRequests(1);
    expect(r.samples()[0]?.bits).toBe(0x7ff0000000000002n);
  });

  it('forwards only what local storage committed: nothing from a rolled-back batch', async () => {
    const r = await receiver();
    const { storage, write } = setup(
      `remote_write:\n  - url: ${r.url}\n    queue_config: { max_samples_per_send: 1 }\n`,
    );
    const app = storage.appender();
    app.append(series('rolled_back'), NOW, 1);
    app.rollback();
    await app.commit();
    await write([[series('kept'), NOW, 1]]);
    await r.waitForRequests(1);
    await settle();
    expect(r.samples().map((s) => s.labels.__name__)).toEqual(['kept']);
  });
});

describe('errors', () => {
  it('retries 5xx with exponential backoff, then succeeds; counts retried and sent samples', async () => {
    let calls = 0;
    const r = await receiver((_req, res) => {
      calls++;
      if (calls <= 2) res.writeHead(503).end('overloaded\nmore');
      else res.writeHead(204).end();
    });
    const { remote, write, logs, registry } = setup(`
remote_write:
  - url: ${r.url}
    name: q
    queue_config: { max_samples_per_send: 1, min_backoff: 100ms, max_backoff: 1s }
`);
    await write([[series('m'), NOW, 1]]);
    await logs.waitFor('Failed to send batch, retrying');
    await vi.advanceTimersByTimeAsync(99);
    expect(r.requests).toHaveLength(1); // the first backoff is min_backoff
    await vi.advanceTimersByTimeAsync(1);
    await logs.waitFor('Failed to send batch, retrying', 2);
    await vi.advanceTimersByTimeAsync(199);
    expect(r.requests).toHaveLength(2); // then it doubles
    await vi.advanceTimersByTimeAsync(1);
    await r.waitForRequests(3);
    await remote.close(); // waits for the request in flight: the counters are final
    const warn = logs.lines.find((l) => l.msg === 'Failed to send batch, retrying');
    expect(warn).toMatchObject({
      remote_name: 'q',
      err: 'server returned HTTP status 503 Service Unavailable: overloaded',
    });
    const text = await registry.metrics();
    expect(text).toMatch(/^prometheus_remote_storage_samples_retried_total\{remote_name="q",url="[^"]+"\} 2$/m);
    expect(text).toMatch(/^prometheus_remote_storage_samples_total\{remote_name="q",url="[^"]+"\} 1$/m);
    expect(text).toMatch(
      /^prometheus_remote_storage_queue_highest_sent_timestamp_seconds\{remote_name="q",url="[^"]+"\} 1700000000$/m,
    );
  });

  it('honors Retry-After on 429 only with retry_on_http_429; otherwise a 4xx fails the batch for good', async () => {
    const r = await receiver((_req, res) => res.writeHead(429, { 'Retry-After': '3' }).end('slow down'));
    const { write, registry, logs } = setup(`
remote_write:
  - url: ${r.url}
    name: strict
    queue_config: { max_samples_per_send: 1 }
  - url: ${r.url}
    name: patient
    queue_config: { max_samples_per_send: 1, retry_on_http_429: true }
`);
    await write([[series('m'), NOW, 1]]);
    await logs.waitFor('non-recoverable error');
    await logs.waitFor('Failed to send batch, retrying');
    expect(logs.lines.find((l) => l.msg === 'non-recoverable error')).toMatchObject({
      remote_name: 'strict',
      failedSampleCount: 1,
      err: 'server returned HTTP status 429 Too Many Requests: slow down',
    });
    await vi.advanceTimersByTimeAsync(2_999);
    expect(r.requests).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    await r.waitForRequests(3); // only "patient" came back, after Retry-After
    const text = await registry.metrics();
    expect(text).toMatch(/^prometheus_remote_storage_samples_failed_total\{remote_name="strict",url="[^"]+"\} 1$/m);
    expect(text).toMatch(/^prometheus_remote_storage_samples_retried_total\{remote_name="patient",url="[^"]+"\} 1$/m);
  });
});

describe('reload and close', () => {
  it('keeps an unchanged queue on reload, replaces a changed one, and stops a removed one', async () => {
    const r = await receiver();
    const a = `  - url: ${r.url}\n    name: a\n`;
    const { apply, logs } = setup(`remote_write:\n${a}`);
    apply(`remote_write:\n${a}`);
    const started = () => logs.lines.filter((l) => l.msg === 'Starting remote write queue').map((l) => l.remote_name);
    expect(started()).toEqual(['a']);
    apply(`remote_write:\n${a}    remote_timeout: 5s\n`);
    expect(started()).toEqual(['a', 'a']);
    apply('');
    await settle();
    expect(logs.messages().filter((m) => m === 'Remote storage stopped.')).toHaveLength(2);
  });

  it('refuses two identical remote_write configs, as upstream does', () => {
    const { remote } = setup('');
    const cfg = parseConfig('remote_write:\n  - url: http://a/w\n  - url: http://a/w\n', '/p.yml', {
      agentMode: false,
    });
    expect(() => remote.prepare(cfg)).toThrow(
      'duplicate remote write configs are not allowed, found duplicate for URL: http://a/w',
    );
  });

  it('refuses to apply a URL that Go parses but nothing can send to (promtool accepts it)', () => {
    const { remote } = setup('');
    const cfg = parseConfig('remote_write:\n  - url: localhost:9090\n', '/p.yml', { agentMode: false });
    expect(() => remote.prepare(cfg)).toThrow(
      'remote_write URL "localhost:9090" cannot be sent to: want an absolute http or https URL',
    );
  });

  it('flushes what is pending when storage closes, without waiting for the batch deadline', async () => {
    const r = await receiver();
    const { storage, write, logs } = setup(`remote_write:\n  - url: ${r.url}\n`);
    await write([[series('m'), NOW, 1]]);
    await storage.close();
    expect(r.samples()).toHaveLength(1);
    expect(logs.messages()).toEqual(expect.arrayContaining(['Stopping remote storage...', 'Remote storage stopped.']));
  });

  it('gives up at the flush deadline when the endpoint keeps failing, and says how much was lost', async () => {
    const r = await receiver((_req, res) => res.writeHead(500).end());
    const { storage, write, logs, registry } = setup(
      `remote_write:\n  - url: ${r.url}\n    name: down\n    queue_config: { max_samples_per_send: 1, min_backoff: 1s, max_backoff: 1s }\n`,
      { flushDeadline: 5_000 },
    );
    await write([
      [series('a'), NOW, 1],
      [series('b'), NOW, 2],
    ]);
    await r.waitForRequests(1);
    const closing = storage.close();
    await vi.advanceTimersByTimeAsync(5_000);
    await closing;
    expect(logs.lines.find((l) => l.msg === 'Failed to flush all samples on shutdown')).toMatchObject({ count: 2 });
    expect(await registry.metrics()).toMatch(
      /^prometheus_remote_storage_samples_dropped_total\{remote_name="down",url="[^"]+"\} 2$/m,
    );
  });

  it('leaves no timer of its own behind once closed', async () => {
    vi.useRealTimers();
    // Compared with before: the test runner holds timers of its own. (Sockets close a round trip
    // after the last response, when the receiver's FIN arrives; the black-box spec checks that the
    // server process then exits by itself.)
    const timers = () => process.getActiveResourcesInfo().filter((k) => k === 'Timeout').length;
    const before = timers();
    const r = await receiver((_req, res) => res.writeHead(500).end());
    const { storage, write } = setup(
      `remote_write:\n  - url: ${r.url}\n    queue_config: { batch_send_deadline: 1m, max_samples_per_send: 1, min_backoff: 1m, max_backoff: 1m }\n`,
      { flushDeadline: 50 },
    );
    await write([
      [series('a'), NOW, 1],
      [series('b'), NOW, 1],
    ]);
    await r.waitForRequests(1);
    expect(timers()).toBeGreaterThan(before); // the batch deadline and a remote_timeout at least
    await storage.close(); // gives up after 50 ms of backoff
    expect(timers()).toBeLessThanOrEqual(before);
  });

  it('warns that remote_read has nothing to read for it', () => {
    const { logs } = setup('remote_read:\n  - url: http://a/read\n    name: archive\n');
    expect(logs.lines.find((l) => l.msg?.toString().startsWith('remote_read is configured'))).toMatchObject({
      level: 40,
      remote_name: 'archive',
    });
  });
});
