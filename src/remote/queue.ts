/**
 * One remote_write endpoint's queue: samples committed to local storage come in (external labels
 * attached, write_relabel_configs applied), leave in batches of max_samples_per_send or every
 * batch_send_deadline, snappy-compressed protobuf POSTed as remote write 1.0 specifies, and are
 * retried with exponential backoff on recoverable errors.
 *
 * Miniature deviations from upstream's QueueManager, each visible in a metric or a log line:
 * - one shard (one request in flight), not 1..max_shards resharded by throughput;
 * - samples reach the queue when their scrape commits instead of being read back from the WAL, so
 *   the backlog lives in memory, bounded at capacity × max_shards samples (upstream's own bound on
 *   what its shards buffer); beyond it new samples are dropped and counted, where upstream would
 *   fall behind on its WAL instead;
 * - no metadata, exemplars or native histograms are sent (miniprom stores none of them).
 */
import type { Logger } from 'pino';
import { type RemoteWriteConfig, redactURL } from '../config/index.js';
import { type HTTPClient, requestFailure } from '../httpclient/index.js';
import { applyRelabel } from '../relabel/index.js';
import type { Labels } from '../storage/index.js';
import type { RemoteMetrics } from './metrics.js';
import { encodeWriteRequest, type QueuedSample } from './proto.js';
import { snappyCompress } from './snappy.js';

/** A queue's config, with everything that can fail at reload done (secret files read). */
export interface QueueSettings {
  cfg: RemoteWriteConfig;
  /** The remote_name label and log field: the config's name, or a hash of the config. */
  name: string;
  authorization: string | undefined;
  /** The queue's HTTP client: its own connections (kept alive, closed with the queue) and tls_config. */
  client: HTTPClient;
  /** Sorted by name; a series' own label of the same name wins, as upstream. */
  externalLabels: ReadonlyArray<readonly [string, string]>;
  /** Decides whether a reload replaces the running queue. */
  hash: string;
}

export interface QueueContext {
  logger: Logger;
  metrics: RemoteMetrics | undefined;
  userAgent: string;
  now: () => number;
}

/** A committed sample as local storage took it. */
export type Committed = QueuedSample;

export class WriteQueue {
  readonly settings: QueueSettings;
  readonly #ctx: QueueContext;
  readonly #log: Logger;
  readonly #labels: { remote_name: string; url: string };
  readonly #headers: Record<string, string>;
  /** Pending samples: a growing array read from #head, compacted when half of it is spent. */
  #pending: QueuedSample[] = [];
  #head = 0;
  /** Input label set → the labels to send (null: dropped by relabeling). Scrape loops reuse objects. */
  #processed = new WeakMap<Labels, Labels | null>();
  /** Resolves the run loop's current wait. */
  #wake: (() => void) | undefined;
  #deadline: NodeJS.Timeout | undefined;
  /** Set by the batch_send_deadline timer: send what is pending even if the batch is not full. */
  #due = false;
  #stopping = false;
  /** Aborted when the flush deadline passes: cancels the request in flight and any backoff wait. */
  readonly #giveUp = new AbortController();
  /** The part of the last batch that the flush deadline kept from being sent. */
  #unsent: QueuedSample[] = [];
  /** Whether the last append found the queue full (to log the drop once, not per sample). */
  #full = false;
  readonly #running: Promise<void>;
  #stopped: Promise<void> | undefined;

  constructor(settings: QueueSettings, ctx: QueueContext) {
    this.settings = settings;
    this.#ctx = ctx;
    this.#labels = { remote_name: settings.name, url: redactURL(settings.cfg.url) };
    this.#log = ctx.logger.child(this.#labels);
    this.#headers = {
      ...settings.cfg.headers,
      'Content-Encoding': 'snappy',
      'Content-Type': 'application/x-protobuf',
      'User-Agent': ctx.userAgent,
      'X-Prometheus-Remote-Write-Version': '0.1.0',
      ...(settings.authorization ? { Authorization: settings.authorization } : {}),
    };
    // Every per-queue series starts at zero, as upstream's queue metrics do from the queue's start.
    const m = ctx.metrics;
    for (const counter of [m?.samplesSent, m?.samplesFailed, m?.samplesRetried, m?.bytesSent])
      counter?.inc(this.#labels, 0);
    m?.highestSent.set(this.#labels, 0);
    m?.shards.set(this.#labels, 1);
    m?.maxSamplesPerSend.set(this.#labels, settings.cfg.queueConfig.maxSamplesPerSend);
    m?.samplesPending.set(this.#labels, 0);
    this.#log.info('Starting remote write queue');
    this.#running = this.#run();
  }

  get #size(): number {
    return this.#pending.length - this.#head;
  }

  /** Queues samples that local storage committed. Never blocks: a full queue drops and counts. */
  append(samples: readonly Committed[]): void {
    if (this.#stopping) return;
    const { cfg } = this.settings;
    const limit = cfg.queueConfig.capacity * cfg.queueConfig.maxShards;
    let dropped = 0;
    for (const s of samples) {
      const labels = this.#process(s.labels);
      if (labels === null || this.#size >= limit) {
        dropped++;
        if (labels !== null && !this.#full) {
          this.#full = true;
          this.#log.warn({ limit }, 'Remote write queue is full, dropping samples until it drains');
        }
        continue;
      }
      this.#pending.push({ labels, t: s.t, v: s.v });
    }
    if (dropped > 0) this.#ctx.metrics?.samplesDropped.inc(this.#labels, dropped);
    this.#ctx.metrics?.samplesPending.set(this.#labels, this.#size);
    if (this.#size >= cfg.queueConfig.maxSamplesPerSend) this.#wakeUp();
    else if (this.#size > 0) this.#armDeadline();
  }

  /**
   * Stops the queue: what is pending is still sent (with retries) until `flushDeadline` ms have
   * passed; then the request in flight is cancelled and the rest dropped, as upstream's
   * --storage.remote.flush-deadline. Later calls return the same promise.
   */
  stop(flushDeadline: number): Promise<void> {
    this.#stopped ??= (async () => {
      this.#log.info('Stopping remote storage...');
      this.#stopping = true;
      this.#wakeUp();
      const timer = setTimeout(() => this.#giveUp.abort(), flushDeadline);
      await this.#running;
      clearTimeout(timer);
      clearTimeout(this.#deadline);
      const left = this.#size + this.#unsent.length;
      if (left > 0) {
        this.#ctx.metrics?.samplesDropped.inc(this.#labels, left);
        this.#log.error({ count: left }, 'Failed to flush all samples on shutdown');
        this.#pending = [];
        this.#head = 0;
        this.#unsent = [];
      }
      this.#ctx.metrics?.samplesPending.remove(this.#labels);
      this.#ctx.metrics?.shards.remove(this.#labels);
      this.#ctx.metrics?.maxSamplesPerSend.remove(this.#labels);
      await this.settings.client.close();
      this.#log.info('Remote storage stopped.');
    })();
    return this.#stopped;
  }

  /** External labels first (a series' own label wins), then write_relabel_configs. */
  #process(input: Labels): Labels | null {
    const known = this.#processed.get(input);
    if (known !== undefined) return known;
    const { externalLabels, cfg } = this.settings;
    let labels: Record<string, string> | undefined = { ...input };
    for (const [name, value] of externalLabels) {
      if (labels[name] === undefined || labels[name] === '') labels[name] = value;
    }
    if (cfg.writeRelabelConfigs.length > 0) labels = applyRelabel(labels, cfg.writeRelabelConfigs);
    const out = labels && Object.keys(labels).length > 0 ? labels : null;
    this.#processed.set(input, out);
    return out;
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #armDeadline(): void {
    if (this.#deadline !== undefined) return;
    this.#deadline = setTimeout(() => {
      this.#deadline = undefined;
      this.#due = true;
      this.#wakeUp();
    }, this.settings.cfg.queueConfig.batchSendDeadline);
  }

  async #run(): Promise<void> {
    const max = this.settings.cfg.queueConfig.maxSamplesPerSend;
    while (!this.#giveUp.signal.aborted) {
      const ready = this.#size >= max || (this.#size > 0 && (this.#due || this.#stopping));
      if (!ready) {
        if (this.#stopping) return; // nothing left to flush
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        continue;
      }
      this.#due = false;
      clearTimeout(this.#deadline);
      this.#deadline = undefined;
      const batch = this.#pending.slice(this.#head, this.#head + max);
      this.#head += batch.length;
      if (this.#head > 4096 && this.#head * 2 > this.#pending.length) {
        this.#pending = this.#pending.slice(this.#head);
        this.#head = 0;
      }
      this.#ctx.metrics?.samplesPending.set(this.#labels, this.#size);
      if (this.#size > 0) this.#armDeadline();
      // Cut short by the flush deadline: stop() counts what was left of it as dropped.
      this.#unsent = await this.#send(batch);
    }
  }

  /**
   * Sends one batch, retrying recoverable errors (network errors, 5xx, and 429 when
   * retry_on_http_429) with exponential backoff or the server's Retry-After. Returns the samples
   * not sent when the flush deadline cut it short; otherwise [] (sent, failed or dropped).
   */
  async #send(batch: QueuedSample[]): Promise<QueuedSample[]> {
    const { cfg } = this.settings;
    const q = cfg.queueConfig;
    const metrics = this.#ctx.metrics;
    let samples = batch;
    let backoff = q.minBackoff;
    for (;;) {
      if (q.sampleAgeLimit > 0) {
        const oldest = this.#ctx.now() - q.sampleAgeLimit;
        const fresh = samples.filter((s) => s.t >= oldest);
        if (fresh.length < samples.length) metrics?.samplesDropped.inc(this.#labels, samples.length - fresh.length);
        samples = fresh;
        if (samples.length === 0) return [];
      }
      const body = snappyCompress(encodeWriteRequest(samples));
      const result = await this.#post(body);
      if (result.kind === 'aborted') return samples;
      if (result.kind === 'sent') {
        metrics?.samplesSent.inc(this.#labels, samples.length);
        metrics?.bytesSent.inc(this.#labels, body.length);
        let highest = 0;
        for (const s of samples) if (s.t > highest) highest = s.t;
        metrics?.highestSent.set(this.#labels, highest / 1000);
        return [];
      }
      if (result.kind === 'failed') {
        metrics?.samplesFailed.inc(this.#labels, samples.length);
        this.#log.error({ failedSampleCount: samples.length, err: result.error }, 'non-recoverable error');
        return [];
      }
      metrics?.samplesRetried.inc(this.#labels, samples.length);
      this.#log.warn({ err: result.error }, 'Failed to send batch, retrying');
      const wait = result.retryAfter ?? backoff;
      backoff = Math.min(backoff * 2, q.maxBackoff);
      if (!(await this.#sleep(wait))) return samples;
    }
  }

  async #post(
    body: Uint8Array<ArrayBuffer>,
  ): Promise<
    | { kind: 'sent' }
    | { kind: 'failed'; error: string }
    | { kind: 'retry'; error: string; retryAfter: number | undefined }
    | { kind: 'aborted' }
  > {
    const { cfg } = this.settings;
    // A per-request controller, fed by the give-up signal and the remote_timeout timer: combining
    // the long-lived signal with AbortSignal.any would leak one listener per request on Node 20.
    const request = new AbortController();
    const onGiveUp = () => request.abort();
    this.#giveUp.signal.addEventListener('abort', onGiveUp, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      request.abort();
    }, cfg.remoteTimeout);
    try {
      const res = await this.settings.client.fetch(cfg.url, {
        method: 'POST',
        headers: this.#headers,
        body,
        signal: request.signal,
        redirect: cfg.httpClient.followRedirects ? 'follow' : 'manual',
      });
      if (res.ok) {
        await res.arrayBuffer(); // read to the end, so the connection is released now
        return { kind: 'sent' };
      }
      // The first line of the body says why, as upstream reports it.
      const error = `server returned HTTP status ${res.status} ${res.statusText}: ${await firstLine(res)}`;
      const recoverable = res.status >= 500 || (res.status === 429 && cfg.queueConfig.retryOnRateLimit);
      if (!recoverable) return { kind: 'failed', error };
      return { kind: 'retry', error, retryAfter: retryAfter(res.headers.get('retry-after'), this.#ctx.now()) };
    } catch (err) {
      if (this.#giveUp.signal.aborted) return { kind: 'aborted' };
      const reason = timedOut ? 'context deadline exceeded' : requestFailure(err);
      return { kind: 'retry', error: `Post ${JSON.stringify(redactURL(cfg.url))}: ${reason}`, retryAfter: undefined };
    } finally {
      clearTimeout(timer);
      this.#giveUp.signal.removeEventListener('abort', onGiveUp);
    }
  }

  /** Waits `ms`; false when the flush deadline passed meanwhile. */
  #sleep(ms: number): Promise<boolean> {
    const signal = this.#giveUp.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(ok);
      };
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(true), ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

async function firstLine(res: Response): Promise<string> {
  try {
    const text = await res.text();
    return (text.split('\n')[0] ?? '').slice(0, 512);
  } catch {
    return '';
  }
}

/** Retry-After in seconds or as an HTTP date, in ms from now; undefined when absent or unreadable. */
function retryAfter(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
