/** The scrape module's public types. */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config, TargetGroup, TLSSettings } from '../config/index.js';
import type { HTTPClient } from '../httpclient/index.js';
import type { Appendable } from '../storage/index.js';
import type { Relabeler } from './settings.js';

export type { Relabeler } from './settings.js';

/** One scraped target, in upstream's `/api/v1/targets` JSON shape. */
export interface ActiveTarget {
  discoveredLabels: Record<string, string>;
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  /** Upstream swaps a loopback host for the server's external name; miniprom has none, so it is scrapeUrl. */
  globalUrl: string;
  lastError: string;
  /** RFC 3339; `0001-01-01T00:00:00Z` (Go's zero time) before the first scrape. */
  lastScrape: string;
  /** Seconds. */
  lastScrapeDuration: number;
  health: 'up' | 'down' | 'unknown';
  /** As Prometheus prints durations: `1m`, `10s`. */
  scrapeInterval: string;
  scrapeTimeout: string;
}

/**
 * One metric family's metadata as a target exposed it (upstream's scrape.MetricMetadata): the
 * family name, its type (`counter`, `gauge`, `histogram`, `summary`, or `unknown` when the TYPE
 * line said `untyped` or there was only a HELP line), its help text, and its unit (always empty:
 * the text format has no units).
 */
export interface MetricMetadata {
  metric: string;
  type: string;
  help: string;
  unit: string;
}

/** A target relabeling dropped. */
export interface DroppedTarget {
  discoveredLabels: Record<string, string>;
  scrapePool: string;
}

export interface ScrapeManagerOptions {
  logger: Logger;
  /** Where the manager's own metrics go; each manager registers them anew, so one registry per manager. */
  registry?: Registry;
  /** Where samples go. Main passes the storage handle; stop() guarantees no append after it resolves. */
  appendable: Appendable;
  /** The clock for sample timestamps and scrape offsets, in ms since the epoch. Default: Date.now. */
  now?: () => number;
  /** The User-Agent header. Default `miniprom`; main passes `miniprom/<version>`. */
  userAgent?: string;
  /**
   * The relabel step for relabel_configs and metric_relabel_configs. The scrape module does not
   * implement relabeling itself; without this, prepare() refuses jobs that configure either.
   */
  relabel?: Relabeler;
  /** Makes each pool's HTTP client. Default: src/httpclient's; specs pass one that needs no network. */
  httpClient?: (tls: TLSSettings | undefined) => HTTPClient;
}

export interface ScrapeManager {
  /**
   * Phase one of a reload: checks `cfg.scrapeConfigs` and reads their secret files; throws on a
   * problem, having changed nothing. The returned commit applies the result: pools of removed jobs
   * stop, pools whose config changed restart their loops, the others keep running untouched.
   */
  prepare(cfg: Config): () => void;
  /**
   * Follows target-set updates (job name → that job's full current target groups) until stop();
   * resolves once stop() has finished.
   */
  run(updates: AsyncIterable<Map<string, TargetGroup[]>>): Promise<void>;
  /**
   * Stops every loop and aborts in-flight scrapes; resolves when nothing can append any more.
   * Idempotent. Series are not marked stale on shutdown, as upstream.
   */
  stop(): Promise<void>;
  /** The targets for `/api/v1/targets`, active ones sorted by pool, then URL. */
  targets(): { activeTargets: ActiveTarget[]; droppedTargets: DroppedTarget[] };
  /**
   * Each active target's metric metadata, for `/api/v1/targets/metadata` and `/api/v1/metadata`:
   * the target's labels and its families in the order first seen, targets in `targets()`'s order.
   * A target not yet scraped has none.
   */
  metadata(): Array<{ target: Record<string, string>; metadata: MetricMetadata[] }>;
}
