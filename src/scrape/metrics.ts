/** The scrape manager's own metrics, with upstream's names and help texts. */
import { Counter, Gauge, type Registry, Summary } from 'prom-client';

export interface ScrapeMetrics {
  /** Counts pool creations, as upstream's counter does (not the current number of pools). */
  poolsCreated: Counter;
  poolTargets: Gauge<'scrape_job'>;
  exceededSampleLimit: Counter;
  exceededTargetLimit: Counter;
  exceededLabelLimits: Counter;
  intervalLength: Summary<'interval'>;
}

/** Registers the metrics on `registry`; called once per manager, so each manager needs its own registry. */
export function createScrapeMetrics(registry: Registry): ScrapeMetrics {
  const registers = [registry];
  return {
    poolsCreated: new Counter({
      name: 'prometheus_target_scrape_pools_total',
      help: 'Total number of scrape pool creation attempts.',
      registers,
    }),
    poolTargets: new Gauge({
      name: 'prometheus_target_scrape_pool_targets',
      help: 'Current number of targets in this scrape pool.',
      labelNames: ['scrape_job'],
      registers,
    }),
    exceededSampleLimit: new Counter({
      name: 'prometheus_target_scrapes_exceeded_sample_limit_total',
      help: 'Total number of scrapes that hit the sample limit and were rejected.',
      registers,
    }),
    exceededTargetLimit: new Counter({
      name: 'prometheus_target_scrape_pool_exceeded_target_limit_total',
      help: 'Total number of times scrape pools hit the target limit, during sync or config reload.',
      registers,
    }),
    exceededLabelLimits: new Counter({
      name: 'prometheus_target_scrape_pool_exceeded_label_limits_total',
      help: 'Total number of times scrape pools hit the label limits, during sync or config reload.',
      registers,
    }),
    intervalLength: new Summary({
      name: 'prometheus_target_interval_length_seconds',
      help: 'Actual intervals between scrapes.',
      labelNames: ['interval'],
      // Upstream's objectives. No maxAgeSeconds: its rotation is not needed and this keeps the
      // summary free of any timer.
      percentiles: [0.01, 0.05, 0.5, 0.9, 0.99],
      registers,
    }),
  };
}

/**
 * A duration as Go's time.Duration.String prints it (`15s`, `1m0s`, `1h0m0s`, `200ms`): upstream
 * labels prometheus_target_interval_length_seconds with it, so dashboards match on these values.
 */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = `${(ms % 60_000) / 1000}s`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${minutes}m${seconds}`;
  return seconds;
}
