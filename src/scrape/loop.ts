/**
 * A scrape loop: one target, scraped on a fixed grid of its interval, starting at an offset
 * derived from the target's hash (upstream does this to spread scrapes over the interval, and to
 * keep each target in the same slot across restarts). Each scrape appends the samples and the
 * report series (`up`, `scrape_duration_seconds`, …) through one appender and commits it.
 */
import { clearTimeout as clearDeadlineTimer, setTimeout as deadlineTimer } from 'node:timers';
import type { Logger } from 'pino';
import type { ScrapeConfig, ScrapeLimits } from '../config/index.js';
import { goQuote } from '../golang/index.js';
import { nodeBody, requestFailure } from '../httpclient/index.js';
import type { Appendable, Appender, Labels, SeriesRefHolder } from '../storage/index.js';
import { goDuration, type ScrapeMetrics } from './metrics.js';
import { chooseParser, type ExpositionFormat, type ParserChoice } from './mediatype.js';
import { OpenMetricsScanner } from './openmetrics.js';
import { type CacheEntry, hashBytes, NEW, SEEN_AGAIN, SeriesCache } from './cache.js';
import {
  type ExpositionScanner,
  invalidLabelNames,
  type KnownSeries,
  type SampleVisitor,
  TextScanner,
} from './parser.js';
import type { PoolSettings } from './settings.js';
import { pause } from '../run/index.js';
import { fnv1a, get, type Target } from './target.js';
import type { ActiveTarget, MetricMetadata } from './types.js';

/** What every loop shares with its manager. */
export interface LoopContext {
  appendable: Appendable;
  logger: Logger;
  now: () => number;
  userAgent: string;
  metrics: ScrapeMetrics | undefined;
  /** The staleness marker value (see `staleNaN`), built once per manager. */
  staleNaN: number;
  /** True once the manager is stopping: loops then end without stale markers, as upstream. */
  shuttingDown: () => boolean;
}

/**
 * Prometheus's staleness marker: a NaN with a particular payload (value.StaleNaN upstream),
 * distinct from the NaN a target may expose. Built through a DataView because JavaScript has no
 * literal for a NaN payload.
 */
export function staleNaN(): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, 0x7ff0000000000002n);
  return view.getFloat64(0);
}

/** Go's zero time, which upstream's API shows for a target never scraped. */
const ZERO_TIME = '0001-01-01T00:00:00Z';
/** What Go's context reports on a timeout; upstream's lastError shows exactly this. */
const DEADLINE = 'context deadline exceeded';

/** The report series, in upstream's order (scrapeAndReport's `report`). */
const REPORT_SERIES = [
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'scrape_samples_post_metric_relabeling',
  'scrape_series_added',
] as const;

export class ScrapeLoop {
  readonly target: Target;
  /** Updated by the pool on every sync, as upstream keeps the freshest for the API. */
  discoveredLabels: Record<string, string>;
  /** Set by the pool while its job is over target_limit: each scrape then fails with it, unsent. */
  forcedError: string | undefined;

  readonly #settings: PoolSettings;
  readonly #ctx: LoopContext;
  /** The loop's logger, made on first use: a job of thousands of targets would pay for each up front. */
  #logger: Logger | undefined;
  /** Aborted by stop(): cancels the pending timer's scrape and any fetch in flight. */
  readonly #stop = new AbortController();
  /** The last Content-Type's parser (see #appendSamples). */
  #parserChoice: (ParserChoice & { contentType: string; fallback: ScrapeConfig['fallbackScrapeProtocol'] }) | undefined;
  /** prometheus_target_interval_length_seconds{interval=…}, once observed. */
  #intervalLength: { observe(value: number): void } | undefined;
  /** The request in flight, which stop() aborts. */
  #request: AbortController | undefined;
  readonly #headers: Record<string, string>;
  /**
   * The report series, built once (they are the same on every scrape): each label set with
   * storage's reference to its series (see SeriesRefHolder), as the cache keeps its entries.
   */
  readonly #report: SeriesRefHolder[];
  /** The target labels to attach, sorted by name (the order upstream resolves clashes in). */
  readonly #targetLabels: Array<[string, string]>;
  /** The `interval` label of prometheus_target_interval_length_seconds. */
  readonly #intervalLabel: string;

  #timer: NodeJS.Timeout | undefined;
  /** The scrape in progress (including its commit), which stop() waits for. */
  #scraping: Promise<void> | undefined;
  #stopped: Promise<void> | undefined;
  /** When the next scrape is due, on the performance.now() clock (monotonic, unlike `now`). */
  #due = 0;
  #lastStart: number | undefined;
  /**
   * The series of the last successful scrape (and those the scrape in progress adds), by their
   * exposition text: a known series is not read, relabeled or checked again, and goes to storage
   * with the same Labels object as last time. It also tells which series are new
   * (`scrape_series_added`). See cache.ts.
   */
  #cache = new SeriesCache();
  /** The cache a change of format replaced, until the scrape that changed it has compared (see reread). */
  #replaced: SeriesCache | undefined;
  /**
   * The format the cache's series texts were read in: the same text means other labels in the
   * other format (OpenMetrics rewrites `le="1"` as `le="1.0"`), so a change of format empties it.
   */
  #cacheFormat: ExpositionFormat | undefined;
  /** The series to mark stale when they disappear: last scrape's, minus those with explicit timestamps. */
  #tracked: CacheEntry[] = [];
  /** The array the next scrape fills with its tracked series (two arrays, swapped: no garbage per scrape). */
  #trackedNext: CacheEntry[] = [];
  /**
   * The target's metric metadata by family name, from HELP and TYPE lines, as upstream's scrape
   * cache keeps it: set as lines are read (even by a scrape that then fails), kept for 10 scrapes
   * after a family was last seen, pruned only after a scrape that parsed a non-empty body.
   */
  readonly #metadata = new Map<string, MetaEntry>();
  /** The last body read: its buffer is the next one's (see readBody). */
  #buffer: ScrapedBody | undefined;
  /** The scrape count (upstream's cache iteration): every scrape, failed or not, ends one. */
  #iter = 0;

  #health: ActiveTarget['health'] = 'unknown';
  #lastError = '';
  #lastScrape: number | undefined;
  #lastDuration = 0;

  constructor(target: Target, settings: PoolSettings, ctx: LoopContext) {
    this.target = target;
    this.discoveredLabels = target.discoveredLabels;
    this.#settings = settings;
    this.#ctx = ctx;
    // Exactly the headers upstream's targetScraper sets (undici adds only host and connection).
    this.#headers = {
      Accept: settings.accept,
      'Accept-Encoding': settings.acceptEncoding,
      'User-Agent': ctx.userAgent,
      'X-Prometheus-Scrape-Timeout-Seconds': String(target.timeout / 1000),
      ...(settings.authorization ? { Authorization: settings.authorization } : {}),
    };
    this.#report = REPORT_SERIES.map((name) => ({
      labels: Object.freeze({ ...target.labels, __name__: name }),
      seriesRef: undefined,
      seriesRefOwner: undefined,
    }));
    this.#targetLabels = Object.entries(target.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.#intervalLabel = goDuration(target.interval);
  }

  get #log(): Logger {
    this.#logger ??= this.#ctx.logger.child({ scrape_pool: this.#settings.cfg.jobName, target: this.target.url });
    return this.#logger;
  }

  /** Schedules the first scrape once `after` settles (the pool's previous loops have finished). */
  start(after: Promise<unknown>): void {
    void after.then(() => {
      if (this.#stop.signal.aborted) return;
      const { interval } = this.target;
      const delay = firstDelay(this.#ctx.now(), interval, fnv1a(`${this.target.key}${this.target.url}`));
      this.#due = performance.now() + delay;
      this.#timer = setTimeout(() => this.#tick(), delay);
    });
  }

  /**
   * Stops the loop: no further scrape starts, the one in flight is aborted (and appends nothing).
   * With `markStale` (the target went away, or its job's config changed) the series it last
   * scraped get staleness markers — unless the manager is shutting down, as upstream. Resolves
   * once nothing of this loop can append any more. Later calls return the same promise.
   */
  stop(markStale: boolean): Promise<void> {
    this.#stopped ??= this.#shutdown(markStale);
    return this.#stopped;
  }

  /** The target's metadata, in the order families were first seen (copies). */
  metadata(): MetricMetadata[] {
    return [...this.#metadata].map(([metric, e]) => ({ metric, type: e.type, help: e.help, unit: e.unit }));
  }

  /** Records one HELP or TYPE line for this scrape (upstream's setHelp/setType). */
  readonly #onMetadata = (kind: 'help' | 'type' | 'unit', metric: string, text: string): void => {
    let e = this.#metadata.get(metric);
    if (!e) {
      e = { type: 'unknown', help: '', unit: '', lastIter: this.#iter };
      this.#metadata.set(metric, e);
    }
    e[kind] = text;
    e.lastIter = this.#iter;
  };

  /**
   * Ends a scrape's cache iteration (upstream's iterDone): after a scrape whose non-empty body
   * parsed, families not seen for more than 10 scrapes are forgotten; every scrape counts.
   */
  #iterDone(flush: boolean): void {
    if (flush) {
      for (const [metric, e] of this.#metadata) if (this.#iter - e.lastIter > 10) this.#metadata.delete(metric);
    }
    this.#iter++;
  }

  /** The loop's state in `/api/v1/targets` shape (copies: callers cannot change the loop). */
  snapshot(): ActiveTarget {
    return {
      discoveredLabels: { ...this.discoveredLabels },
      labels: { ...this.target.labels },
      scrapePool: this.#settings.cfg.jobName,
      scrapeUrl: this.target.url,
      globalUrl: this.target.url,
      lastError: this.#lastError,
      lastScrape: this.#lastScrape === undefined ? ZERO_TIME : new Date(this.#lastScrape).toISOString(),
      lastScrapeDuration: this.#lastDuration,
      health: this.#health,
      scrapeInterval: this.target.intervalText,
      scrapeTimeout: this.target.timeoutText,
    };
  }

  async #shutdown(markStale: boolean): Promise<void> {
    // One shared reason: aborting without one makes a DOMException (with its stack) per loop.
    this.#stop.abort(STOP_REASON);
    this.#request?.abort(STOP_REASON);
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#scraping;
    // Nothing to mark if the loop never scraped; nothing either when the whole server stops.
    if (!markStale || this.#lastScrape === undefined || this.#ctx.shuttingDown()) return;
    const app = this.#ctx.appendable.appender();
    const t = this.#ctx.now();
    for (const e of this.#tracked) app.append(e.labels as Labels, t, this.#ctx.staleNaN, e);
    for (const r of this.#report) app.append(r.labels as Labels, t, this.#ctx.staleNaN, r);
    try {
      await app.commit();
    } catch (err) {
      this.#log.warn({ err: message(err) }, 'Stale commit failed');
    }
  }

  #tick(): void {
    this.#timer = undefined;
    this.#scraping = this.#scrapeAndReport()
      .catch((err) => this.#log.error({ err: message(err) }, 'Scrape loop failed'))
      .then(() => this.#scheduleNext());
  }

  /**
   * The next scrape goes on the fixed grid of the interval (start + k·interval), like Go's
   * ticker; grid points that passed while this scrape ran are skipped, so scrapes never overlap.
   */
  #scheduleNext(): void {
    this.#scraping = undefined;
    if (this.#stop.signal.aborted) return;
    const { interval } = this.target;
    const now = performance.now();
    this.#due += interval;
    if (this.#due <= now) this.#due += (Math.floor((now - this.#due) / interval) + 1) * interval;
    this.#timer = setTimeout(() => this.#tick(), this.#due - now);
  }

  async #scrapeAndReport(): Promise<void> {
    const ctx = this.#ctx;
    const scrapeTime = ctx.now();
    const start = performance.now();
    if (this.#lastStart !== undefined) {
      // The labeled child, made once: observe() with labels checks them on every call.
      this.#intervalLength ??= ctx.metrics?.intervalLength.labels({ interval: this.#intervalLabel });
      this.#intervalLength?.observe((start - this.#lastStart) / 1000);
    }
    this.#lastStart = start;

    let error = this.forcedError;
    let body: ScrapedBody | undefined;
    if (error === undefined) {
      try {
        body = await this.#fetchBody();
      } catch (err) {
        error = message(err);
      }
    }
    // Stopped meanwhile: this scrape never happened as far as storage and the API are concerned.
    if (this.#stop.signal.aborted) return;

    let app: Appender = ctx.appendable.appender();
    const counts: Counts = { scraped: 0, postRelabel: 0, seriesAdded: 0 };
    const iter = this.#iter;
    const tracked = this.#trackedNext;
    tracked.length = 0;
    let parsed = false;
    /** The body came in another format than the last: the same series text may now be other labels. */
    let reread = false;
    const slices = new Slicer(this.#stop.signal);
    if (body !== undefined) {
      try {
        const format = await this.#appendSamples(app, body, scrapeTime, counts, tracked, slices, iter);
        reread = this.#cacheFormat !== undefined && format !== this.#cacheFormat;
        this.#cacheFormat = format;
        this.#cache.succeeded(iter);
        parsed = body.bytes.length > 0;
      } catch (err) {
        app.rollback();
        // Stopped while it yielded: this scrape never happened either.
        if (err === STOPPED) return;
        // A parse error or an exceeded limit fails the whole scrape: none of its samples land.
        // A fresh appender then carries the stale markers and the report, as upstream does.
        app = ctx.appendable.appender();
        tracked.length = 0;
        counts.seriesAdded = 0;
        error = message(err);
        this.#cache.failed(iter);
      }
    }

    this.#iterDone(parsed);

    // A failed scrape counts as an empty one: every series of the last scrape goes stale.
    try {
      const failed = error !== undefined;
      const last = this.#tracked;
      // By index: a for-of here (an async function, not optimized as a whole) makes an iterator
      // result per series, ~4 MB a scrape of 100k series.
      for (let i = 0; i < last.length; i++) {
        const e = last[i] as CacheEntry;
        if (!failed && e.tracked === iter) continue;
        // Read in another format, the same series (upstream tracks label sets) may be a new
        // entry now; a series whose text is still there but now means other labels is gone.
        if (!failed && reread) {
          const now = this.#replaced ? this.#cache.findKey(this.#replaced.keyOf(e)) : undefined;
          if (now?.tracked === iter && sameLabels(now.labels as Labels, e.labels as Labels)) continue;
        }
        app.append(e.labels as Labels, scrapeTime, ctx.staleNaN, e);
        const pause = slices.tick();
        if (pause) await pause; // (not `await` every time: each await is a turn of its own)
      }
    } catch (err) {
      app.rollback();
      if (err === STOPPED) return;
      throw err;
    }
    this.#replaced = undefined;
    this.#trackedNext = this.#tracked;
    this.#tracked = tracked;

    const duration = (performance.now() - start) / 1000;
    // In REPORT_SERIES's order.
    const values = [error === undefined ? 1 : 0, duration, counts.scraped, counts.postRelabel, counts.seriesAdded];
    this.#report.forEach((r, i) => {
      app.append(r.labels as Labels, scrapeTime, values[i] as number, r);
    });

    // The target's health is this scrape's outcome, set before committing as upstream does:
    // a storage problem is the server's, not the target's.
    this.#health = error === undefined ? 'up' : 'down';
    this.#lastError = error ?? '';
    this.#lastScrape = scrapeTime;
    this.#lastDuration = duration;
    if (error !== undefined) this.#log.debug({ err: error }, 'Scrape failed');

    try {
      await app.commit();
    } catch (err) {
      this.#log.error({ err: message(err) }, 'Scrape commit failed');
    }
  }

  /**
   * GETs the target; resolves to the body, or throws with upstream's wording of what failed. One
   * AbortController per scrape, aborted by its own timer (the scrape timeout) or by stop(): no
   * AbortSignal.timeout, AbortSignal.any or listener on the loop's signal, which cost a scrape of
   * 1000 series ~0.5 ms in the 10-jobs benchmark's profile.
   */
  async #fetchBody(): Promise<ScrapedBody> {
    const { url, timeout } = this.target;
    const { cfg } = this.#settings;
    const request = new AbortController();
    if (this.#stop.signal.aborted) request.abort(STOP_REASON);
    this.#request = request;
    let timedOut = false;
    // node:timers' own setTimeout, as AbortSignal.timeout has its own timer: a test that fakes
    // the global timers to drive the scrape schedule leaves the scrape timeout on the real clock.
    const timer = deadlineTimer(() => {
      timedOut = true;
      request.abort(DEADLINE_REASON);
    }, timeout);
    try {
      let res: Response;
      try {
        res = await this.#settings.client.fetch(url, {
          headers: this.#headers,
          signal: request.signal,
          redirect: cfg.httpClient.followRedirects ? 'follow' : 'manual',
        });
      } catch (err) {
        // Go's url.Error shape: `Get "<url>": <reason>`.
        throw new Error(`Get ${JSON.stringify(url)}: ${timedOut ? DEADLINE : requestFailure(err)}`);
      }
      try {
        if (res.status !== 200) throw new Error(`server returned HTTP status ${res.status} ${res.statusText}`);
        this.#buffer = await readBody(res, cfg.bodySizeLimit, this.#buffer);
        return this.#buffer;
      } catch (err) {
        if (timedOut && !this.#stop.signal.aborted) throw new Error(DEADLINE);
        throw err;
      } finally {
        // A body left unread (an error status) is cancelled, which releases the connection now.
        if (!res.bodyUsed) await res.body?.cancel().catch(() => {});
      }
    } finally {
      clearDeadlineTimer(timer);
      this.#request = undefined;
    }
  }

  /**
   * Parses `body` and appends its samples: target labels attached, metric relabeling applied,
   * limits enforced. Throws (after partial appends, which the caller rolls back) when the scrape
   * must fail. Marks the cache's entries seen by scrape `iter`, adds the new ones, and fills
   * `tracked` with those to watch for staleness. A large body is read in slices (see Slicer): the
   * event loop serves others between.
   * Resolves to the format the body was read in (see #cacheFormat).
   */
  async #appendSamples(
    app: Appender,
    body: ScrapedBody,
    scrapeTime: number,
    counts: Counts,
    tracked: CacheEntry[],
    slices: Slicer,
    iter: number,
  ): Promise<ExpositionFormat | undefined> {
    // An empty body is an empty scrape whatever its Content-Type, as upstream (which looks at
    // the Content-Type only to parse something).
    const { bytes, contentType } = body;
    if (bytes.length === 0) return this.#cacheFormat;
    const { cfg, relabel } = this.#settings;
    // A target answers with the same Content-Type scrape after scrape: parsed once.
    let choice = this.#parserChoice;
    if (choice?.contentType !== contentType || choice.fallback !== cfg.fallbackScrapeProtocol) {
      choice = {
        contentType,
        fallback: cfg.fallbackScrapeProtocol,
        ...chooseParser(contentType, cfg.fallbackScrapeProtocol),
      };
      this.#parserChoice = choice;
    }
    const { format, warning } = choice;
    if (warning !== undefined) {
      this.#log.debug(
        { content_type: contentType, fallback_media_type: cfg.fallbackScrapeProtocol, err: warning },
        'Invalid content type on scrape, using fallback setting.',
      );
    }
    if (format === 'protobuf') {
      throw new Error(
        'miniprom does not read the protobuf exposition format (Content-Type application/vnd.google.protobuf)',
      );
    }
    const metricRelabel = relabel && cfg.metricRelabelConfigs.length > 0 ? relabel : undefined;
    // The same text is other labels in the other format (OpenMetrics rewrites `le="1"` as `le="1.0"`).
    if (this.#cacheFormat !== undefined && format !== this.#cacheFormat) {
      this.#replaced = this.#cache;
      this.#replaced.clear(true);
      this.#cache = new SeriesCache();
    }
    const cache = this.#cache;
    const honorTimestamps = cfg.honorTimestamps;
    const sampleLimit = cfg.sampleLimit;
    let overLimit = false;

    const scanner: ExpositionScanner =
      format === 'openmetrics' ? new OpenMetricsScanner(bytes) : new TextScanner(withLineBreak(body));
    /** One sample of a series the cache knows (now). The hot path: no allocation, no lookup. */
    const sample = (e: CacheEntry, value: number, timestamp: number | undefined): void => {
      // The same series twice in one exposition: the first sample wins.
      const seen = cache.see(e, iter);
      if (seen === SEEN_AGAIN) return;
      // The series that followed it last time is the one the next line most likely holds.
      known.expected = e.after;
      const labels = e.labels;
      if (labels === null) return; // dropped by metric_relabel_configs
      counts.postRelabel++;
      // Past the limit the scrape fails, but parsing goes on so that the report counts every sample.
      if (sampleLimit > 0 && counts.postRelabel > sampleLimit) overLimit = true;
      if (overLimit) return;
      if (seen === NEW) counts.seriesAdded++;
      if (honorTimestamps && timestamp !== undefined) {
        // A sample with its own timestamp is not tracked for staleness, as upstream.
        app.append(labels, timestamp, value, e);
      } else {
        app.append(labels, scrapeTime, value, e);
        e.tracked = iter;
        tracked.push(e);
      }
    };
    const known: KnownSeries = {
      cache,
      expected: cache.first,
      hit: (e, value, timestamp) => {
        counts.scraped++;
        sample(e, value, timestamp);
      },
    };
    /** A sample whose labels the parser read: a series new to the cache, unless the parser could not tell. */
    const visit: SampleVisitor = (scraped, value, timestamp, seriesStart, seriesEnd, seriesHash) => {
      counts.scraped++;
      const hash = seriesHash ?? hashBytes(bytes, seriesStart, seriesEnd);
      let e = cache.find(bytes, seriesStart, seriesEnd, hash);
      if (e === undefined) {
        const attached = attachTargetLabels(scraped, this.#targetLabels, cfg.honorLabels);
        const labels = metricRelabel ? (metricRelabel(attached, cfg.metricRelabelConfigs) ?? null) : attached;
        if (labels) checkLabels(labels, cfg, this.#ctx.metrics);
        e = cache.add(bytes.subarray(seriesStart, seriesEnd), hash, labels);
      }
      sample(e, value, timestamp);
    };
    while (!scanner.scan(visit, this.#onMetadata, Slicer.STEP, known)) {
      const pause = slices.tick(Slicer.STEP);
      if (pause) await pause;
    }

    if (overLimit) {
      this.#ctx.metrics?.exceededSampleLimit.inc();
      throw new Error('sample limit exceeded');
    }
    return format;
  }
}

/** Whether two label sets are the same. */
function sameLabels(a: Labels, b: Labels): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) if (!Object.hasOwn(b, key) || a[key] !== b[key]) return false;
  return true;
}

/** One metric family's metadata, and the scrape that last gave a line of it. */
interface MetaEntry {
  type: string;
  help: string;
  unit: string;
  lastIter: number;
}

interface Counts {
  scraped: number;
  postRelabel: number;
  seriesAdded: number;
}

/**
 * Attaches the target's labels to a scraped label set (modified in place: the parser made it for
 * this sample alone). With honor_labels the scraped value of a clashing label wins; otherwise the
 * target's wins and the scraped one is kept as `exported_<name>` (`exported_exported_<name>` if
 * that is taken too…), shortest names first, as upstream's resolveConflictingExposedLabels.
 */
export function attachTargetLabels(
  scraped: Record<string, string>,
  target: ReadonlyArray<readonly [string, string]>,
  honorLabels: boolean,
): Record<string, string> {
  let clashes: Array<[string, string]> | undefined;
  for (const [name, value] of target) {
    const existing = get(scraped, name);
    if (honorLabels) {
      if (existing === '') scraped[name] = value;
      continue;
    }
    if (existing !== '') {
      clashes ??= [];
      clashes.push([name, existing]);
    }
    scraped[name] = value;
  }
  if (clashes) {
    clashes.sort((a, b) => a[0].length - b[0].length);
    for (const [name, value] of clashes) {
      let exported = `exported_${name}`;
      while (get(scraped, exported) !== '') exported = `exported_${exported}`;
      scraped[exported] = value;
    }
  }
  return scraped;
}

/**
 * What upstream checks of each sample's final labels (after relabeling); a failure fails the
 * scrape. Names are checked under the job's metric_name_validation_scheme (legacy refuses what
 * UTF-8 allows). Lengths are in bytes, as Go's len(); the label order is upstream's (sorted by
 * name), so the same label is named when several are too long. An exceeded label limit counts in
 * prometheus_target_scrape_pool_exceeded_label_limits_total, as upstream's does.
 */
function checkLabels(
  labels: Readonly<Record<string, string>>,
  cfg: LabelLimits & Pick<ScrapeConfig, 'metricNameValidationScheme'>,
  metrics: ScrapeMetrics | undefined,
): void {
  const name = get(labels, '__name__');
  if (!Object.hasOwn(labels, '__name__')) throw new Error('missing metric name (__name__ label)');
  const invalid = invalidLabelNames(labels, cfg.metricNameValidationScheme === 'legacy');
  if (invalid) throw new Error(invalid);
  const exceeded = (text: string) => {
    metrics?.exceededLabelLimits.inc();
    return new Error(text);
  };
  const { labelLimit, labelNameLengthLimit: nameLimit, labelValueLengthLimit: valueLimit } = cfg;
  if (labelLimit > 0) {
    const count = Object.keys(labels).length;
    if (count > labelLimit) {
      throw exceeded(`label_limit exceeded (metric: ${cut(name)}, number of labels: ${count}, limit: ${labelLimit})`);
    }
  }
  if (nameLimit === 0 && valueLimit === 0) return;
  for (const label of Object.keys(labels).sort()) {
    const value = labels[label] ?? '';
    const nameLength = Buffer.byteLength(label);
    if (nameLimit > 0 && nameLength > nameLimit) {
      throw exceeded(
        `label_name_length_limit exceeded (metric: ${cut(name)}, label name: ${cut(label)}, length: ${nameLength}, limit: ${nameLimit})`,
      );
    }
    const valueLength = Buffer.byteLength(value);
    if (valueLimit > 0 && valueLength > valueLimit) {
      throw exceeded(
        `label_value_length_limit exceeded (metric: ${cut(name)}, label name: ${cut(label)}, value: ${goQuote(cut(value))}, length: ${valueLength}, limit: ${valueLimit})`,
      );
    }
  }
}

type LabelLimits = Pick<ScrapeLimits, 'labelLimit' | 'labelNameLengthLimit' | 'labelValueLengthLimit'>;

/** Go's `%.50s`: at most 50 characters (runes, not bytes). */
function cut(text: string): string {
  return text.length <= 50 ? text : Array.from(text).slice(0, 50).join('');
}

/**
 * Reads the body as it arrives, giving up as soon as it exceeds `limit` bytes (0: no limit) — the
 * limit exists to protect the server from a huge response, so it must not be read whole first.
 * The chunks are copied once, into `reuse` when the body fits it (a target's bodies are about
 * the same size scrape after scrape: the memory is the last scrape's, already paged in), else into
 * a new buffer with some room to grow (always one byte at least: see withLineBreak).
 */
async function readBody(res: Response, limit: number, reuse: ScrapedBody | undefined): Promise<ScrapedBody> {
  // Go's Header.Get: the first value (undici's Headers join repeated ones with ", ").
  const contentType = res.headers.get('content-type')?.split(', ')[0] ?? '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const take = (chunk: Uint8Array) => {
    size += chunk.byteLength;
    if (limit > 0 && size > limit) return false;
    chunks.push(chunk);
    return true;
  };
  // This client's answers: straight from the Node stream (no web stream adapters per chunk).
  const stream = nodeBody(res);
  if (stream) {
    for await (const chunk of stream) {
      if (!take(chunk)) {
        stream.destroy();
        throw new Error('body size limit exceeded');
      }
    }
  } else if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!take(value)) {
        await reader.cancel().catch(() => {});
        throw new Error('body size limit exceeded');
      }
    }
  }
  const room = reuse?.buffer;
  // Reused while the body fits and fills more than a quarter of it: a target whose answers
  // shrank for good does not keep its largest buffer.
  const fits = room !== undefined && room.length > size && size >= room.length >> 2;
  const buffer = fits ? room : Buffer.allocUnsafeSlow(size + (size >> 3) + 1);
  let at = 0;
  for (const chunk of chunks) {
    buffer.set(chunk, at);
    at += chunk.byteLength;
  }
  return { buffer, bytes: buffer.subarray(0, size), contentType };
}

/**
 * The body with the line break the text format's parser appends (upstream's `append(b, '\n')`)
 * when it has none, written into the byte of room readBody leaves (the parser would copy it all).
 */
function withLineBreak({ buffer, bytes }: ScrapedBody): Buffer {
  const size = bytes.length;
  if (bytes[size - 1] === LINE_BREAK) return bytes;
  buffer[size] = LINE_BREAK;
  return buffer.subarray(0, size + 1);
}

const LINE_BREAK = 10;

/**
 * A body as the parser reads it, with the Content-Type it came with ('' when there was none),
 * which picks the parser. `bytes` are the body's, at the start of `buffer` (which has room for
 * one byte more, and which the loop's next scrape reuses).
 */
type ScrapedBody = { buffer: Buffer; bytes: Buffer; contentType: string };

/**
 * The first delay: until the next moment, on the `now` clock, at which `now mod interval` equals
 * the target's slot `hash mod interval` — upstream's scrape offset.
 */
export function firstDelay(now: number, interval: number, hash: number): number {
  const slot = hash % interval;
  const into = ((now % interval) + interval) % interval;
  return (slot - into + interval) % interval;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Why a loop's stop signal aborted. */
const STOP_REASON = new Error('scrape loop stopped');
/** Why a scrape's request was aborted at its timeout (shared, as STOP_REASON is). */
const DEADLINE_REASON = new Error(DEADLINE);

/** Thrown out of a slice wait when the loop was stopped meanwhile. */
const STOPPED = Symbol('scrape loop stopped');

/**
 * Long work of a scrape in slices (see slice.ts): the work calls `tick()` after each item (or
 * `tick(n)` after n), which costs a counter until STEP items have passed, then a look at the
 * shared clock. Rejects with STOPPED when `signal` aborted while it yielded.
 */
class Slicer {
  /** Items between two looks at the clock. */
  static readonly STEP = 1000;
  #count = 0;

  constructor(private readonly signal: AbortSignal) {}

  tick(items = 1): Promise<void> | undefined {
    this.#count += items;
    if (this.#count < Slicer.STEP) return undefined;
    this.#count = 0;
    const wait = pause();
    return wait?.then(() => {
      if (this.signal.aborted) throw STOPPED;
    });
  }
}
