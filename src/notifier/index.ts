/**
 * src/notifier: the notifier manager. It keeps the Alertmanagers that notify discovery finds, queues
 * the alerts the rule manager sends, and posts them in batches to every Alertmanager's v2 API
 * (`POST <scheme>://<address><path_prefix>/api/v2/alerts`), as Prometheus's notifier does.
 */
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AlertmanagerConfig, Config, RelabelConfig, TargetGroup } from '../config/index.js';
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
  /** Upstream's --alertmanager.notification-queue-capacity default. */
  queueCapacity?: number;
  /** Upstream sends at most 256 alerts per request. */
  maxBatchSize?: number;
}

export interface Notifier {
  prepare(cfg: Config): () => void;
  /** Follows notify discovery's Alertmanager sets and sends queued alerts until `stop()`. */
  run(updates: AsyncIterable<Map<string, TargetGroup[]>>): Promise<void>;
  /** Queues alerts; when the queue is full the oldest are dropped (and counted), as upstream. */
  send(alerts: Alert[]): void;
  /** Stops following discovery, tries once to send what is queued, then returns. */
  stop(): Promise<void>;
  alertmanagers(): Array<{ url: string }>;
}

export function createNotifier(opts: NotifierOptions): Notifier {
  const capacity = opts.queueCapacity ?? 10_000;
  const batchSize = opts.maxBatchSize ?? 256;
  const queue: Alert[] = [];
  let configs = new Map<string, AlertmanagerConfig>();
  let alertRelabel: RelabelConfig[] = [];
  let urls: string[] = [];
  let lastSets = new Map<string, TargetGroup[]>();
  const stopping = new AbortController();
  let wake: (() => void) | undefined;
  let running: Promise<void> | undefined;

  const metrics = opts.registry ? notifierMetrics(opts.registry) : undefined;

  function rebuildURLs(): void {
    const next: string[] = [];
    for (const [setName, groups] of lastSets) {
      const am = configs.get(setName);
      if (!am) continue;
      for (const group of groups) {
        for (const target of group.targets) {
          // As upstream: an Alertmanager's URL comes from labels that its relabel_configs may rewrite.
          const labels = applyRelabel(
            {
              __scheme__: am.scheme,
              __alerts_path__: `${am.pathPrefix.replace(/\/$/, '')}/api/v2/alerts`,
              ...group.labels,
              ...target,
            },
            am.relabelConfigs,
          );
          if (labels?.__address__) next.push(`${labels.__scheme__}://${labels.__address__}${labels.__alerts_path__}`);
        }
      }
    }
    urls = [...new Set(next)].sort();
    metrics?.discovered.set(urls.length);
  }

  async function follow(updates: AsyncIterable<Map<string, TargetGroup[]>>): Promise<void> {
    const it = updates[Symbol.asyncIterator]();
    const stopped = new Promise<'stopped'>((resolve) =>
      stopping.signal.addEventListener('abort', () => resolve('stopped'), { once: true }),
    );
    try {
      for (;;) {
        const next = await Promise.race([it.next(), stopped]);
        if (next === 'stopped' || next.done) return;
        lastSets = next.value;
        rebuildURLs();
      }
    } finally {
      await it.return?.();
    }
  }

  async function post(url: string, alerts: Alert[], timeoutMs: number): Promise<void> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'miniprom' },
      body: JSON.stringify(alerts),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`bad response status ${res.status} ${res.statusText}`);
  }

  /** Sends one batch to every Alertmanager; a batch counts as sent when at least one took it. */
  async function sendBatch(batch: Alert[]): Promise<void> {
    const targets = urls;
    if (targets.length === 0) {
      metrics?.dropped.inc(batch.length);
      opts.logger.debug({ count: batch.length }, 'No Alertmanagers to send alerts to; dropped');
      return;
    }
    const timeoutMs = Math.max(...[...configs.values()].map((c) => c.timeout), 1000);
    const results = await Promise.allSettled(targets.map((url) => post(url, batch, timeoutMs)));
    results.forEach((r, i) => {
      if (r.status === 'rejected') {
        metrics?.errors.inc({ alertmanager: targets[i] ?? '' });
        opts.logger.error({ alertmanager: targets[i], count: batch.length, err: r.reason }, 'Error sending alerts');
      } else {
        metrics?.sent.inc({ alertmanager: targets[i] ?? '' }, batch.length);
      }
    });
    if (results.every((r) => r.status === 'rejected')) metrics?.dropped.inc(batch.length);
  }

  async function sendLoop(): Promise<void> {
    while (!stopping.signal.aborted) {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      await sendBatch(queue.splice(0, batchSize));
      metrics?.queueLength.set(queue.length);
    }
  }

  return {
    prepare(cfg) {
      const next = new Map(cfg.alerting.alertmanagers.map((am, i) => [`config-${i}`, am] as const));
      return () => {
        configs = next;
        alertRelabel = cfg.alerting.alertRelabelConfigs;
        rebuildURLs();
      };
    },
    run(updates) {
      running ??= Promise.all([follow(updates), sendLoop()]).then(() => undefined);
      return running;
    },
    send(alerts) {
      if (stopping.signal.aborted) return;
      for (const alert of alerts) {
        const labels = alertRelabel.length > 0 ? applyRelabel(alert.labels, alertRelabel) : alert.labels;
        if (labels) queue.push(labels === alert.labels ? alert : { ...alert, labels });
      }
      const overflow = queue.length - capacity;
      if (overflow > 0) {
        queue.splice(0, overflow);
        metrics?.dropped.inc(overflow);
        opts.logger.warn({ count: overflow }, 'Alert notification queue full, dropping alerts');
      }
      metrics?.queueLength.set(queue.length);
      wake?.();
      wake = undefined;
    },
    async stop() {
      if (stopping.signal.aborted) return running;
      stopping.abort();
      wake?.();
      wake = undefined;
      await running;
      // Drain once, as upstream's drain-on-shutdown: the last rule evaluation's alerts are not lost.
      while (queue.length > 0) await sendBatch(queue.splice(0, batchSize));
      metrics?.queueLength.set(0);
    },
    alertmanagers: () => urls.map((url) => ({ url })),
  };
}

function notifierMetrics(registry: Registry) {
  const registers = [registry];
  return {
    queueLength: new Gauge({
      name: 'prometheus_notifications_queue_length',
      help: 'The number of alert notifications in the queue.',
      registers,
    }),
    dropped: new Counter({
      name: 'prometheus_notifications_dropped_total',
      help: 'Total number of alerts dropped due to errors when sending to Alertmanager.',
      registers,
    }),
    discovered: new Gauge({
      name: 'prometheus_notifications_alertmanagers_discovered',
      help: 'The number of alertmanagers discovered and active.',
      registers,
    }),
    sent: new Counter({
      name: 'prometheus_notifications_sent_total',
      help: 'Total number of alerts sent.',
      labelNames: ['alertmanager'],
      registers,
    }),
    errors: new Counter({
      name: 'prometheus_notifications_errors_total',
      help: 'Total number of sent alerts affected by errors.',
      labelNames: ['alertmanager'],
      registers,
    }),
  };
}
