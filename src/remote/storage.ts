/**
 * Remote storage: the remote_write queues, kept in step with the config on every reload
 * (upstream's remote.Storage.ApplyConfig) and flushed when storage closes. Samples arrive through
 * `committed()`, which the fanout storage calls after each local commit.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  authorizationHeader,
  type Config,
  type RemoteWriteConfig,
  remoteWriteToYAML,
  tlsSettings,
} from '../config/index.js';
import { httpClient } from '../httpclient/index.js';
import { createRemoteMetrics } from './metrics.js';
import { type Committed, type QueueContext, type QueueSettings, WriteQueue } from './queue.js';

export interface RemoteStorageOptions {
  logger: Logger;
  registry?: Registry;
  /** How long closing may spend sending what is still queued (--storage.remote.flush-deadline). */
  flushDeadline: number;
  userAgent?: string;
  now?: () => number;
}

export interface RemoteStorage {
  /** Phase one of a reload: checks every remote_write config; the returned commit cannot fail. */
  prepare(cfg: Config): () => void;
  /** True when some queue wants samples (the fanout storage collects nothing otherwise). */
  readonly wantsSamples: boolean;
  /** Samples that local storage committed, for every queue. */
  committed(samples: readonly Committed[]): void;
  /** Stops every queue, each flushing within the flush deadline. Safe to call twice. */
  close(): Promise<void>;
}

export function createRemoteStorage(opts: RemoteStorageOptions): RemoteStorage {
  const ctx: QueueContext = {
    logger: opts.logger,
    metrics: opts.registry ? createRemoteMetrics(opts.registry) : undefined,
    userAgent: opts.userAgent ?? 'miniprom',
    now: opts.now ?? Date.now,
  };
  let queues = new Map<string, WriteQueue>();
  /** Queues a reload replaced that are still flushing; close() waits for them too. */
  const retiring = new Set<Promise<void>>();
  let closed: Promise<void> | undefined;
  /** prometheus_remote_storage_highest_timestamp_in_seconds: only ever rises. */
  let highestIn = 0;
  ctx.metrics?.highestIn.set(0);

  const retire = (queue: WriteQueue) => {
    const done: Promise<void> = queue.stop(opts.flushDeadline).finally(() => retiring.delete(done));
    retiring.add(done);
  };

  return {
    prepare(cfg) {
      const externalLabels = Object.entries(cfg.global.externalLabels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const wanted = new Map<string, QueueSettings>();
      for (const rw of cfg.remoteWrite) {
        // The loader accepts what Go's url.Parse does (promtool's verdict); what is sent must be
        // a real http(s) URL. Upstream would start and retry such a queue forever.
        if (!sendable(rw.url))
          throw new Error(
            `remote_write URL ${JSON.stringify(rw.url)} cannot be sent to: want an absolute http or https URL`,
          );
        const settings = queueSettings(rw, externalLabels);
        // Two identical configs would send every sample twice; upstream refuses them the same way.
        if (wanted.has(settings.hash))
          throw new Error(`duplicate remote write configs are not allowed, found duplicate for URL: ${rw.url}`);
        wanted.set(settings.hash, settings);
      }
      return () => {
        if (closed) return; // storage is closing: nothing new may start
        const next = new Map<string, WriteQueue>();
        for (const [hash, settings] of wanted) {
          const running = queues.get(hash);
          if (running) {
            next.set(hash, running);
            continue;
          }
          next.set(hash, new WriteQueue(settings, ctx));
        }
        for (const [hash, queue] of queues) if (!next.has(hash)) retire(queue);
        queues = next;
        for (const rr of cfg.remoteRead) {
          // Accepted as upstream accepts it, but said plainly: without PromQL nothing queries it.
          opts.logger.warn(
            { remote_name: rr.name || undefined, url: rr.url },
            'remote_read is configured, but miniprom has no query engine yet: nothing reads from it',
          );
        }
      };
    },
    get wantsSamples() {
      return queues.size > 0;
    },
    committed(samples) {
      if (ctx.metrics) {
        ctx.metrics.samplesIn.inc(samples.length);
        let highest = -Infinity;
        for (const s of samples) if (s.t > highest) highest = s.t;
        if (highest / 1000 > highestIn) {
          highestIn = highest / 1000;
          ctx.metrics.highestIn.set(highestIn);
        }
      }
      for (const queue of queues.values()) queue.append(samples);
    },
    close() {
      closed ??= (async () => {
        const stopping = [...queues.values()].map((queue) => queue.stop(opts.flushDeadline));
        queues = new Map();
        await Promise.all([...stopping, ...retiring]);
      })();
      return closed;
    },
  };
}

function queueSettings(
  cfg: RemoteWriteConfig,
  externalLabels: ReadonlyArray<readonly [string, string]>,
): QueueSettings {
  const authorization = authorizationHeader(cfg.httpClient);
  const tls = tlsSettings(cfg.httpClient);
  // Upstream hashes the config (with its external labels, which change every series sent); the
  // secret and certificates read from files count too, so a rotated one restarts the queue.
  const hash = createHash('md5')
    .update(JSON.stringify([cfg, externalLabels, authorization ?? null, tls ?? null]))
    .digest('hex');
  // An unnamed queue is named as upstream names it: the md5 of the entry's YAML (storage.go toHash),
  // so remote_name matches Prometheus's for the same config.
  const name = cfg.name || createHash('md5').update(remoteWriteToYAML(cfg)).digest('hex').slice(0, 6);
  // The client opens nothing until its first request: one a failed reload discards costs nothing.
  return { cfg, name, authorization, client: httpClient(tls), externalLabels, hash };
}

function sendable(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '';
  } catch {
    return false;
  }
}
