/**
 * The scrape manager: one pool per scrape job, one loop per target. Pools follow the config
 * (prepare/commit on reload); their targets follow the target sets that run() receives from
 * scrape discovery, which main passes in (this module never imports discovery).
 */
import type { TargetGroup } from '../config/index.js';
import { type LoopContext, staleNaN } from './loop.js';
import { createScrapeMetrics } from './metrics.js';
import { ScrapePool } from './pool.js';
import { httpClient } from '../httpclient/index.js';
import { buildSettings, type PoolSettings } from './settings.js';
import type { ActiveTarget, DroppedTarget, ScrapeManager, ScrapeManagerOptions } from './types.js';

type TargetSets = Map<string, TargetGroup[]>;

export function createScrapeManager(opts: ScrapeManagerOptions): ScrapeManager {
  const { logger } = opts;
  /** Set by stop(): from then on nothing starts, and stopping loops skip their stale markers. */
  let shuttingDown = false;
  const ctx: LoopContext = {
    appendable: opts.appendable,
    logger,
    now: opts.now ?? Date.now,
    userAgent: opts.userAgent ?? 'miniprom',
    metrics: opts.registry ? createScrapeMetrics(opts.registry) : undefined,
    staleNaN: staleNaN(),
    shuttingDown: () => shuttingDown,
  };
  const pools = new Map<string, ScrapePool>();
  /** Pools a reload removed that are still stopping; stop() waits for them too. */
  const removing = new Set<Promise<void>>();
  /** The latest target sets from run(), for pools that a later commit creates or restarts. */
  let targetSets: TargetSets = new Map();
  /** Aborted by stop(): wakes run() out of its wait for the next update. */
  const stopRequested = new AbortController();
  let stopped: Promise<void> | undefined;
  let running = false;

  function commit(next: Map<string, PoolSettings>): void {
    // After stop() a commit must not start anything: storage is about to close.
    if (shuttingDown) return;
    for (const [job, pool] of pools) {
      const settings = next.get(job);
      if (!settings) {
        pools.delete(job);
        const done: Promise<void> = pool.stop(true).finally(() => removing.delete(done));
        removing.add(done);
        ctx.metrics?.poolTargets.remove({ scrape_job: job });
        logger.info({ scrape_pool: job }, 'Stopping scrape pool');
      } else if (settings.fingerprint !== pool.settings.fingerprint) {
        logger.info({ scrape_pool: job }, 'Reloading scrape pool');
        void pool.restart(settings);
      }
    }
    for (const [job, settings] of next) {
      if (pools.has(job)) continue;
      const pool = new ScrapePool(settings, ctx);
      pools.set(job, pool);
      ctx.metrics?.poolsCreated.inc();
      ctx.metrics?.poolTargets.set({ scrape_job: job }, 0);
      // Discovery may already have sent this job's targets (e.g. a job that was renamed back).
      const groups = targetSets.get(job);
      if (groups) void pool.sync(groups);
    }
  }

  /**
   * A target-set update: every pool named in it syncs; as upstream, pools not named keep their
   * targets. Resolves when they have (the next update waits for that).
   */
  async function applyTargetSets(sets: TargetSets): Promise<void> {
    targetSets = sets;
    await Promise.all([...sets].map(([job, groups]) => pools.get(job)?.sync(groups)));
  }

  return {
    prepare(cfg) {
      const next = buildSettings(cfg, opts.relabel, opts.httpClient ?? httpClient);
      return () => commit(next);
    },

    async run(updates) {
      if (running) throw new Error('scrape manager: run() is already running');
      running = true;
      const it = updates[Symbol.asyncIterator]();
      try {
        while (!shuttingDown) {
          const next = await nextOrStop(it, stopRequested.signal);
          if (next === 'stopped' || next.done) break;
          if (!shuttingDown) await applyTargetSets(next.value);
        }
      } finally {
        // Lets the source forget us (a Mailbox drops its waiter). Not awaited: an async
        // generator's return() would wait behind the next() still pending on it.
        Promise.resolve()
          .then(() => it.return?.())
          .catch(() => {});
      }
      // Like upstream's Run, return only once the manager has stopped, even if the updates end.
      if (!stopRequested.signal.aborted) {
        await new Promise((resolve) => stopRequested.signal.addEventListener('abort', resolve, { once: true }));
      }
      await stopped;
    },

    stop() {
      stopped ??= (async () => {
        shuttingDown = true;
        stopRequested.abort();
        await Promise.all([...[...pools.values()].map((pool) => pool.stop(false)), ...removing]);
      })();
      return stopped;
    },

    targets() {
      const activeTargets: ActiveTarget[] = [];
      const droppedTargets: DroppedTarget[] = [];
      for (const job of [...pools.keys()].sort(compare)) {
        const pool = pools.get(job);
        if (!pool) continue;
        for (const loop of pool.loops.values()) activeTargets.push(loop.snapshot());
        for (const d of pool.dropped) droppedTargets.push({ ...d, discoveredLabels: { ...d.discoveredLabels } });
      }
      activeTargets.sort((a, b) => compare(a.scrapePool, b.scrapePool) || compare(a.scrapeUrl, b.scrapeUrl));
      return { activeTargets, droppedTargets };
    },

    metadata() {
      const loops = [...pools.entries()].flatMap(([job, pool]) =>
        [...pool.loops.values()].map((loop) => ({ job, loop })),
      );
      loops.sort((a, b) => compare(a.job, b.job) || compare(a.loop.target.url, b.loop.target.url));
      return loops.map(({ loop }) => ({ target: { ...loop.target.labels }, metadata: loop.metadata() }));
    },
  };
}

/**
 * The iterator's next value, or 'stopped' as soon as `signal` aborts. The abort listener is
 * removed after each wait, so a long run does not pile up listeners.
 */
function nextOrStop<T>(it: AsyncIterator<T>, signal: AbortSignal): Promise<IteratorResult<T> | 'stopped'> {
  if (signal.aborted) return Promise.resolve('stopped');
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve('stopped');
    signal.addEventListener('abort', onAbort, { once: true });
    it.next().then(
      (result) => {
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** Code-unit order: stable across locales, unlike localeCompare. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
