/**
 * src/notifier: the notifier manager. It keeps the Alertmanagers that notify discovery finds, queues
 * the alerts the rule manager sends, and posts them in batches to every Alertmanager's v2 API
 * (`POST <scheme>://<address><path_prefix>/api/v2/alerts`), as Prometheus's notifier does.
 */
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import {
  type AlertmanagerConfig,
  authorizationHeader,
  type Config,
  type RelabelConfig,
  type TargetGroup,
  tlsSettings,
} from '../config/index.js';
import { type HTTPClient, httpClient, requestFailure } from '../http/index.js';
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

/** An alertmanagers entry as the sender uses it: its secrets and certificates are read at (re)load. */
interface AlertmanagerSet {
  cfg: AlertmanagerConfig;
  authorization: string | undefined;
  client: HTTPClient;
  /** What a reload compares: the same key keeps the running client (and its connections). */
  key: string;
}

/** One Alertmanager to post to, with the settings of the config entry that found it. */
interface Destination {
  url: string;
  set: AlertmanagerSet;
}

export function createNotifier(opts: NotifierOptions): Notifier {
  const capacity = opts.queueCapacity ?? 10_000;
  const batchSize = opts.maxBatchSize ?? 256;
  const queue: Alert[] = [];
  let configs = new Map<string, AlertmanagerSet>();
  let alertRelabel: RelabelConfig[] = [];
  let destinations: Destination[] = [];
  let lastSets = new Map<string, TargetGroup[]>();
  const stopping = new AbortController();
  let wake: (() => void) | undefined;
  let running: Promise<void> | undefined;
  /** The batch being sent (never rejects: sendBatch counts and logs its failures). */
  let sending: Promise<void> = Promise.resolve();

  const metrics = opts.registry ? notifierMetrics(opts.registry) : undefined;

  function rebuildURLs(): void {
    const next = new Map<string, Destination>();
    for (const [setName, groups] of lastSets) {
      const set = configs.get(setName);
      if (!set) continue;
      const am = set.cfg;
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
          if (!labels?.__address__) continue;
          const url = `${labels.__scheme__}://${labels.__address__}${labels.__alerts_path__}`;
          // The same URL found by two entries is posted to once, with the first entry's settings.
          if (!next.has(url)) next.set(url, { url, set });
        }
      }
    }
    destinations = [...next.keys()].sort().map((url) => next.get(url) as Destination);
    metrics?.discovered.set(destinations.length);
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

  async function post({ url, set }: Destination, alerts: Alert[]): Promise<void> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'miniprom' };
    if (set.authorization) headers.Authorization = set.authorization;
    const timeout = AbortSignal.timeout(set.cfg.timeout);
    let res: Response;
    try {
      res = await set.client.fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(alerts),
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
    if (!res.ok) throw new Error(`bad response status ${res.status} ${res.statusText}`);
  }

  /** Sends one batch to every Alertmanager; a batch counts as sent when at least one took it. */
  async function sendBatch(batch: Alert[]): Promise<void> {
    const targets = destinations;
    if (targets.length === 0) {
      metrics?.dropped.inc(batch.length);
      opts.logger.debug({ count: batch.length }, 'No Alertmanagers to send alerts to; dropped');
      return;
    }
    const results = await Promise.allSettled(targets.map((d) => post(d, batch)));
    results.forEach((r, i) => {
      const alertmanager = targets[i]?.url ?? '';
      if (r.status === 'rejected') {
        metrics?.errors.inc({ alertmanager });
        opts.logger.error({ alertmanager, count: batch.length, err: r.reason }, 'Error sending alerts');
      } else {
        metrics?.sent.inc({ alertmanager }, batch.length);
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
      sending = sendBatch(queue.splice(0, batchSize));
      await sending;
      metrics?.queueLength.set(queue.length);
    }
  }

  return {
    prepare(cfg) {
      // Secret and certificate files are read now: an unreadable one fails the reload, a renewed
      // one applies. A client opens nothing until its first request.
      const next = new Map(
        cfg.alerting.alertmanagers.map((am, i) => {
          const authorization = authorizationHeader(am.httpClient);
          const tls = tlsSettings(am.httpClient);
          const key = JSON.stringify([am.httpClient, authorization ?? null, tls ?? null]);
          const set: AlertmanagerSet = { cfg: am, authorization, client: httpClient(tls), key };
          return [`config-${i}`, set] as const;
        }),
      );
      return () => {
        const previous = configs;
        for (const [name, set] of next) {
          const old = previous.get(name);
          if (old?.key === set.key) set.client = old.client; // same settings: keep its connections
        }
        const kept = new Set([...next.values()].map((set) => set.client));
        const retired = [...previous.values()].filter((set) => !kept.has(set.client));
        // A batch may be on its way through a retired client: close it once that batch is done.
        if (retired.length > 0) void sending.then(() => Promise.all(retired.map((set) => set.client.close())));
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
      await sending;
      await Promise.all([...configs.values()].map((set) => set.client.close()));
    },
    alertmanagers: () => destinations.map(({ url }) => ({ url })),
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
