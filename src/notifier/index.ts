/**
 * src/notifier: the notifier manager (upstream's notifier/manager.go). It keeps the Alertmanagers
 * that notify discovery finds, one set per `alertmanagers` entry; queues the alerts the rule
 * manager sends (external labels added, `alert_relabel_configs` applied; the queue bounded by
 * --alertmanager.notification-queue-capacity, the oldest dropped first); and posts them in
 * batches to every Alertmanager's v2 API (`POST <scheme>://<address><path_prefix>/api/v2/alerts`),
 * each set after its own `alert_relabel_configs`. A batch that no Alertmanager of some set took is
 * counted as dropped. On stop it drains the queue (--alertmanager.drain-notification-queue-on-
 * shutdown, default true) and sends nothing after.
 */
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry, Summary } from 'prom-client';
import {
  type AlertmanagerConfig,
  authorizationHeader,
  type Config,
  type RelabelConfig,
  type TargetGroup,
  tlsSettings,
} from '../config/index.js';
import { type HTTPClient, httpClient, requestFailure } from '../httpclient/index.js';
import { applyRelabel } from '../relabel/index.js';

/** An alert in Alertmanager's v2 "postable alert" shape. */
export interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

export interface NotifierOptions {
  logger: Logger;
  registry?: Registry;
  /** --alertmanager.notification-queue-capacity; 10000. */
  queueCapacity?: number;
  /** --alertmanager.notification-batch-size: alerts per request; 256. */
  maxBatchSize?: number;
  /** --alertmanager.drain-notification-queue-on-shutdown; true. */
  drainOnShutdown?: boolean;
}

export interface Notifier {
  prepare(cfg: Config): () => void;
  /** Follows notify discovery's Alertmanager sets and sends queued alerts until `stop()`. */
  run(updates: AsyncIterable<Map<string, TargetGroup[]>>): Promise<void>;
  /** Queues alerts; when the queue is full the oldest are dropped (and counted), as upstream. */
  send(alerts: Alert[]): void;
  /** Stops following discovery, drains (or drops) what is queued, then returns; nothing is sent after. */
  stop(): Promise<void>;
  alertmanagers(): Array<{ url: string }>;
  droppedAlertmanagers(): Array<{ url: string }>;
}

/** An alertmanagers entry as the sender uses it: its secrets and certificates are read at (re)load. */
interface AlertmanagerSet {
  cfg: AlertmanagerConfig;
  authorization: string | undefined;
  client: HTTPClient;
  /** What a reload compares: the same key keeps the running client (and its connections). */
  key: string;
  /** The Alertmanagers discovery found for it, after its relabel_configs. */
  urls: string[];
  dropped: string[];
}

/** relabelAlerts: external labels added where an alert lacks them, then the relabel rules. */
function relabelAlerts(configs: readonly RelabelConfig[], externalLabels: Record<string, string>, alerts: Alert[]) {
  const out: Alert[] = [];
  for (const a of alerts) {
    let labels: Record<string, string> = { ...a.labels };
    for (const [name, value] of Object.entries(externalLabels)) if (!labels[name]) labels[name] = value;
    if (configs.length > 0) {
      const relabeled = applyRelabel(labels, configs);
      if (!relabeled) continue;
      labels = relabeled;
    }
    out.push({ ...a, labels });
  }
  return out;
}

/** The body upstream posts: go-openapi's PostableAlert fields, in their JSON order. */
function payload(alerts: readonly Alert[]): string {
  return JSON.stringify(
    alerts.map((a) => ({
      annotations: a.annotations,
      ...(a.endsAt !== undefined && { endsAt: a.endsAt }),
      ...(a.startsAt !== undefined && { startsAt: a.startsAt }),
      ...(a.generatorURL && { generatorURL: a.generatorURL }),
      labels: a.labels,
    })),
  );
}

export function createNotifier(opts: NotifierOptions): Notifier {
  const capacity = opts.queueCapacity ?? 10_000;
  const batchSize = opts.maxBatchSize && opts.maxBatchSize > 0 ? opts.maxBatchSize : 256;
  const drainOnShutdown = opts.drainOnShutdown ?? true;
  let queue: Alert[] = [];
  let sets = new Map<string, AlertmanagerSet>();
  let alertRelabel: RelabelConfig[] = [];
  let externalLabels: Record<string, string> = {};
  let lastSets = new Map<string, TargetGroup[]>();
  const stopping = new AbortController();
  /** True once stop() has drained: from then on nothing is sent. */
  let finished = false;
  let wake: (() => void) | undefined;
  let running: Promise<void> | undefined;
  let stopped: Promise<void> | undefined;
  /** The batch being sent (never rejects). */
  let sending: Promise<void> = Promise.resolve();

  const metrics = opts.registry
    ? notifierMetrics(
        opts.registry,
        () => queue.length,
        () => urls().length,
      )
    : undefined;
  metrics?.queueCapacity.set(capacity);

  const urls = () => [...sets.values()].flatMap((s) => s.urls);

  /** An entry's Alertmanagers from discovery's target groups, after its relabel_configs. */
  function sync(set: AlertmanagerSet, groups: readonly TargetGroup[]): void {
    const am = set.cfg;
    const found: string[] = [];
    const dropped: string[] = [];
    for (const group of groups) {
      for (const target of group.targets) {
        const base: Record<string, string> = {
          __scheme__: am.scheme,
          __alerts_path__: `${am.pathPrefix.replace(/\/$/, '')}/api/v2/alerts`,
          ...group.labels,
          ...target,
        };
        // As upstream: an Alertmanager's URL comes from labels that its relabel_configs may rewrite.
        const labels = applyRelabel(base, am.relabelConfigs);
        if (!labels?.__address__) {
          dropped.push(`${base.__scheme__}://${base.__address__ ?? ''}${base.__alerts_path__}`);
          continue;
        }
        const url = `${labels.__scheme__}://${labels.__address__}${labels.__alerts_path__}`;
        if (!found.includes(url)) found.push(url);
      }
    }
    set.urls = found;
    set.dropped = dropped;
  }

  function resync(): void {
    for (const [name, set] of sets) sync(set, lastSets.get(name) ?? []);
  }

  async function follow(updates: AsyncIterable<Map<string, TargetGroup[]>>): Promise<void> {
    const it = updates[Symbol.asyncIterator]();
    const aborted = new Promise<'stopped'>((resolve) =>
      stopping.signal.addEventListener('abort', () => resolve('stopped'), { once: true }),
    );
    try {
      for (;;) {
        const next = await Promise.race([it.next(), aborted]);
        if (next === 'stopped' || next.done) return;
        lastSets = next.value;
        for (const name of lastSets.keys())
          if (!sets.has(name)) opts.logger.error({ err: `invalid id:${name}` }, "couldn't sync alert manager set");
        resync();
      }
    } finally {
      await it.return?.();
    }
  }

  async function post(set: AlertmanagerSet, url: string, body: string): Promise<void> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'miniprom' };
    if (set.authorization) headers.Authorization = set.authorization;
    const timeout = AbortSignal.timeout(set.cfg.timeout);
    let res: Response;
    try {
      res = await set.client.fetch(url, {
        method: 'POST',
        headers,
        body,
        // Each Alertmanager entry's own timeout, as upstream's per-alertmanagers client.
        signal: timeout,
        redirect: set.cfg.httpClient.followRedirects ? 'follow' : 'manual',
      });
    } catch (err) {
      // Go's url.Error shape, as upstream logs it.
      throw new Error(
        `Post ${JSON.stringify(url)}: ${timeout.aborted ? 'context deadline exceeded' : requestFailure(err)}`,
      );
    }
    await res.arrayBuffer();
    if (Math.floor(res.status / 100) !== 2) throw new Error(`bad response status ${res.status} ${res.statusText}`);
  }

  /** sendAll: true when every entry that had Alertmanagers to try got the batch into at least one. */
  async function sendAll(alerts: Alert[]): Promise<boolean> {
    if (alerts.length === 0) return true;
    const begin = performance.now();
    const attempts: Array<Promise<boolean>> = [];
    for (const set of sets.values()) {
      if (set.urls.length === 0) continue;
      const relabeled = relabelAlerts(set.cfg.alertRelabelConfigs ?? [], {}, alerts);
      if (relabeled.length === 0) continue;
      const body = payload(relabeled);
      const count = relabeled.length;
      const results = set.urls.map((url) =>
        post(set, url, body)
          .then(
            () => true,
            (err: unknown) => {
              opts.logger.error({ alertmanager: url, count, err }, 'Error sending alerts');
              metrics?.errors.inc({ alertmanager: url }, count);
              return false;
            },
          )
          .finally(() => {
            metrics?.latency.observe({ alertmanager: url }, (performance.now() - begin) / 1000);
            // Upstream counts the alerts of every attempt as sent, whether or not it succeeded.
            metrics?.sent.inc({ alertmanager: url }, count);
          }),
      );
      attempts.push(Promise.all(results).then((ok) => ok.some(Boolean)));
    }
    return (await Promise.all(attempts)).every(Boolean);
  }

  async function sendOneBatch(): Promise<void> {
    const batch = queue.splice(0, batchSize);
    sending = sendAll(batch).then((ok) => {
      if (!ok) metrics?.dropped.inc(batch.length);
    });
    await sending;
  }

  async function sendLoop(): Promise<void> {
    while (!stopping.signal.aborted) {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      await sendOneBatch();
    }
  }

  async function drainQueue(): Promise<void> {
    if (!drainOnShutdown) {
      if (queue.length > 0) {
        opts.logger.warn(
          { count: queue.length },
          'Draining remaining notifications on shutdown is disabled, and some notifications have been dropped',
        );
        metrics?.dropped.inc(queue.length);
        queue = [];
      }
      return;
    }
    opts.logger.info('Draining any remaining notifications...');
    while (queue.length > 0) await sendOneBatch();
    opts.logger.info('Remaining notifications drained');
  }

  return {
    prepare(cfg) {
      // Secret and certificate files are read now: an unreadable one fails the reload, a renewed
      // one applies. A client opens nothing until its first request.
      const next = new Map(
        cfg.alerting.alertmanagers.map((am, i) => {
          const authorization = authorizationHeader(am.httpClient);
          const tls = tlsSettings(am.httpClient);
          const key = JSON.stringify([am, authorization ?? null, tls ?? null]);
          const set: AlertmanagerSet = {
            cfg: am,
            authorization,
            client: httpClient(tls),
            key,
            urls: [],
            dropped: [],
          };
          return [`config-${i}`, set] as const;
        }),
      );
      return () => {
        const previous = sets;
        for (const [name, set] of next) {
          const old = previous.get(name);
          if (old?.key === set.key) set.client = old.client; // same settings: keep its connections
        }
        const kept = new Set([...next.values()].map((set) => set.client));
        const retired = [...previous.values()].filter((set) => !kept.has(set.client));
        // A batch may be on its way through a retired client: close it once that batch is done.
        if (retired.length > 0) void sending.then(() => Promise.all(retired.map((set) => set.client.close())));
        sets = next;
        alertRelabel = cfg.alerting.alertRelabelConfigs;
        externalLabels = cfg.global?.externalLabels ?? {};
        resync();
      };
    },
    run(updates) {
      // As upstream's Run: it returns once stopped and drained.
      running ??= Promise.all([follow(updates), sendLoop().then(drainQueue)]).then(() => {
        finished = true;
      });
      return running;
    },
    send(alerts) {
      if (finished) {
        // The notifier has stopped: these alerts would sit in a queue nobody sends.
        opts.logger.warn({ count: alerts.length }, 'Notifier already stopped, dropping alerts');
        metrics?.dropped.inc(alerts.length);
        return;
      }
      let batch = relabelAlerts(alertRelabel, externalLabels, alerts);
      if (batch.length === 0) return;
      const tooMany = batch.length - capacity;
      if (tooMany > 0) {
        batch = batch.slice(tooMany);
        opts.logger.warn({ num_dropped: tooMany }, 'Alert batch larger than queue capacity, dropping alerts');
        metrics?.dropped.inc(tooMany);
      }
      const overflow = queue.length + batch.length - capacity;
      if (overflow > 0) {
        queue.splice(0, overflow);
        opts.logger.warn({ num_dropped: overflow }, 'Alert notification queue full, dropping alerts');
        metrics?.dropped.inc(overflow);
      }
      queue.push(...batch);
      wake?.();
      wake = undefined;
    },
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        wake?.();
        wake = undefined;
        // The rule manager has stopped by now (it stops first): its last alerts are in the queue,
        // and the run drains it before it returns.
        if (running) await running;
        else await drainQueue();
        finished = true;
        await Promise.all([...sets.values()].map((set) => set.client.close()));
      })();
      return stopped;
    },
    alertmanagers: () => urls().map((url) => ({ url })),
    droppedAlertmanagers: () => [...sets.values()].flatMap((s) => s.dropped).map((url) => ({ url })),
  };
}

function notifierMetrics(registry: Registry, queueLength: () => number, discovered: () => number) {
  const registers = [registry];
  return {
    latency: new Summary({
      name: 'prometheus_notifications_latency_seconds',
      help: 'Latency quantiles for sending alert notifications.',
      labelNames: ['alertmanager'],
      percentiles: [0.5, 0.9, 0.99],
      registers,
    }),
    errors: new Counter({
      name: 'prometheus_notifications_errors_total',
      help: 'Total number of sent alerts affected by errors.',
      labelNames: ['alertmanager'],
      registers,
    }),
    sent: new Counter({
      name: 'prometheus_notifications_sent_total',
      help: 'Total number of alerts sent.',
      labelNames: ['alertmanager'],
      registers,
    }),
    dropped: new Counter({
      name: 'prometheus_notifications_dropped_total',
      help: 'Total number of alerts dropped due to errors when sending to Alertmanager.',
      registers,
    }),
    queueLength: new Gauge({
      name: 'prometheus_notifications_queue_length',
      help: 'The number of alert notifications in the queue.',
      registers,
      collect() {
        this.set(queueLength());
      },
    }),
    queueCapacity: new Gauge({
      name: 'prometheus_notifications_queue_capacity',
      help: 'The capacity of the alert notifications queue.',
      registers,
    }),
    discovered: new Gauge({
      name: 'prometheus_notifications_alertmanagers_discovered',
      help: 'The number of alertmanagers discovered and active.',
      registers,
      collect() {
        this.set(discovered());
      },
    }),
  };
}
