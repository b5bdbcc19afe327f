/**
 * Applying a configuration: upstream's reloadConfig, in two phases. Every reloader first prepares
 * (checks the new config, reads what it needs, and may fail) and returns its commit; only when all
 * have prepared does every commit run, in the same order. So a reload that fails changes nothing
 * (a deviation: upstream applies reloaders one by one and may stop half-way). A prepare may be
 * async, so one with much to read (thousands of rules) gives the event loop its turns.
 *
 * It logs upstream's lines (`Loading configuration file`, `Completed loading of configuration
 * file` with each reloader's time, Go-formatted), records the reload on the timeline, and reports
 * the outcome for the reload metrics.
 */
import type { Logger } from 'pino';
import type { Timeline } from './timeline.js';

export interface Reloader<C> {
  /** As upstream names it in `Completed loading…` (`db_storage`, `scrape`, `rules`, …). */
  name: string;
  /** Checks and prepares `cfg`; throws to refuse it; returns the change to make once all agree. */
  prepare(cfg: C): (() => void) | Promise<() => void>;
}

export interface ReloadOptions<C> {
  /** The config file, as given on the command line. */
  file: string;
  /** Loads and validates the file (throws a one-line error). */
  load: () => C | Promise<C>;
  reloaders: readonly Reloader<C>[];
  /** The calling actor's logger: its lines show under that actor. */
  logger: Logger;
  timeline: Timeline;
  /** Told the outcome, for prometheus_config_last_reload_successful and its timestamp. */
  onOutcome?: (ok: boolean) => void;
}

/** Loads `file` and applies it through every reloader; resolves to the applied config. */
export async function reloadConfig<C>(opts: ReloadOptions<C>): Promise<C> {
  const { file, logger, timeline } = opts;
  const start = performance.now();
  timeline.reload('reload started');
  logger.info({ filename: file }, 'Loading configuration file');
  const fail = (err: Error, detail: string): never => {
    opts.onOutcome?.(false);
    timeline.reload('reload finished', { result: 'failure', error: detail });
    throw err;
  };
  let cfg: C;
  try {
    cfg = await opts.load();
  } catch (err) {
    const msg = `couldn't load configuration (--config.file="${file}"): ${(err as Error).message}`;
    return fail(new Error(msg), msg);
  }
  const timings: Record<string, number> = {};
  const commits: Array<() => void> = [];
  for (const reloader of opts.reloaders) {
    const t0 = performance.now();
    try {
      commits.push(await reloader.prepare(cfg));
    } catch (err) {
      logger.error({ reloader: reloader.name, err }, 'Failed to apply configuration');
      const msg = `one or more errors occurred while applying the new configuration (--config.file="${file}")`;
      return fail(new Error(msg), `${msg}: ${(err as Error).message}`);
    }
    timings[reloader.name] = performance.now() - t0;
  }
  opts.reloaders.forEach((reloader, i) => {
    const t0 = performance.now();
    commits[i]?.();
    timings[reloader.name] = (timings[reloader.name] ?? 0) + performance.now() - t0;
  });
  opts.onOutcome?.(true);
  const total = performance.now() - start;
  timeline.reload('reload finished', {
    result: 'success',
    totalMs: round(total),
    timingsMs: mapValues(timings, round),
  });
  logger.info(
    { file, totalDuration: goDuration(total), ...mapValues(timings, goDuration) },
    'Completed loading of configuration file',
  );
  return cfg;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

function mapValues<T, U>(record: Record<string, T>, fn: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fn(v)]));
}

/** Milliseconds as Go prints a time.Duration: `1.234567ms`, `512.3µs`, `2.5s`. */
export function goDuration(ms: number): string {
  if (ms >= 1000) return `${+(ms / 1000).toFixed(6)}s`;
  if (ms >= 1) return `${+ms.toFixed(6)}ms`;
  return `${+(ms * 1000).toFixed(3)}µs`;
}
