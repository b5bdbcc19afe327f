/**
 * A scrape pool: one scrape job's loops, one per unique target. It follows its job's target
 * groups (sync) and its settings (restart), and stops as a whole.
 */
import type { Logger } from 'pino';
import type { TargetGroup } from '../config/index.js';
import { type LoopContext, ScrapeLoop } from './loop.js';
import type { PoolSettings } from './settings.js';
import { pause } from '../run/index.js';
import { populateLabels, type Target } from './target.js';
import type { DroppedTarget } from './types.js';

export class ScrapePool {
  settings: PoolSettings;
  /** Running loops by target key (the final label set). */
  readonly loops = new Map<string, ScrapeLoop>();
  dropped: DroppedTarget[] = [];

  readonly #ctx: LoopContext;
  readonly #log: Logger;
  /** The last target groups synced; undefined until discovery has sent this job's. */
  #groups: TargetGroup[] | undefined;
  /** Loops this pool has stopped that are still finishing (and may still append stale markers). */
  readonly #stopping = new Set<Promise<void>>();
  /** The syncs and restarts queued: one at a time, in order. */
  #queue: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(settings: PoolSettings, ctx: LoopContext) {
    this.settings = settings;
    this.#ctx = ctx;
    this.#log = ctx.logger.child({ scrape_pool: settings.cfg.jobName });
  }

  get job(): string {
    return this.settings.cfg.jobName;
  }

  /**
   * Reconciles the loops with the job's current target groups: new targets start, vanished ones
   * stop. Syncs and restarts run one after another, each in slices (relabeling and starting
   * thousands of targets would otherwise hold the event loop); the promise settles when this one
   * is done.
   */
  sync(groups: TargetGroup[]): Promise<void> {
    this.#groups = groups;
    return this.#enqueue(() => this.#sync(groups));
  }

  /** Applies changed settings: every loop stops (its series go stale) and the targets start anew. */
  restart(settings: PoolSettings): Promise<void> {
    return this.#enqueue(async () => {
      for (const loop of this.loops.values()) this.#retire(loop);
      this.loops.clear();
      // The old HTTP client closes once the old loops are done with it; new loops wait for that too.
      const old = this.settings.client;
      if (old !== settings.client) this.#track(this.#previousLoopsDone().then(() => old.close()));
      this.settings = settings;
      if (this.#groups) await this.#sync(this.#groups);
    });
  }

  #enqueue(work: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(() => (this.#stopped ? undefined : work()));
    this.#queue = run.catch((err) => this.#log.error({ err }, 'Syncing scrape pool failed'));
    return this.#queue;
  }

  async #sync(groups: TargetGroup[]): Promise<void> {
    const wanted = new Map<string, Target>();
    const dropped: DroppedTarget[] = [];
    for (const group of groups) {
      for (const discovered of group.targets) {
        const wait = pause();
        if (wait) await wait;
        if (this.#stopped) return;
        const result = populateLabels(this.settings, group, discovered);
        if (result.kind === 'dropped') {
          dropped.push({ discoveredLabels: result.discoveredLabels, scrapePool: this.job });
        } else if (result.kind === 'invalid') {
          this.#log.error({ err: result.error, target: discovered.__address__ ?? '' }, 'Creating target failed');
        } else if (!wanted.has(result.target.key)) {
          // The first of several targets with the same final labels wins: they would write the
          // same series, so scraping them all would only produce conflicting samples.
          wanted.set(result.target.key, result.target);
        }
      }
    }
    this.dropped = dropped;

    for (const [key, loop] of this.loops) {
      const next = wanted.get(key);
      // A target whose URL or interval changed under the same labels needs a new loop too.
      if (!next || !sameScrape(loop.target, next)) {
        this.loops.delete(key);
        this.#retire(loop);
      }
    }
    const after = this.#previousLoopsDone();
    for (const [key, target] of wanted) {
      const existing = this.loops.get(key);
      if (existing) {
        // Same target; only its discovered (pre-relabeling) labels may differ. Keep the freshest.
        existing.discoveredLabels = target.discoveredLabels;
        continue;
      }
      const wait = pause();
      if (wait) await wait;
      if (this.#stopped) return;
      const loop = new ScrapeLoop(target, this.settings, this.#ctx);
      this.loops.set(key, loop);
      loop.start(after);
    }
    this.#ctx.metrics?.poolTargets.set({ scrape_job: this.job }, this.loops.size);

    // Over target_limit, every loop of the job fails its scrapes (up 0, its series go stale)
    // until discovery or a reload brings the count back under: upstream's forced error.
    const limit = this.settings.cfg.targetLimit;
    let forcedError: string | undefined;
    if (limit > 0 && this.loops.size > limit) {
      this.#ctx.metrics?.exceededTargetLimit.inc();
      forcedError = `target_limit exceeded (number of targets: ${this.loops.size}, limit: ${limit})`;
    }
    for (const loop of this.loops.values()) loop.forcedError = forcedError;
  }

  /**
   * Stops every loop, then closes the pool's HTTP client; resolves when nothing of the pool can
   * append any more, and its connections are released.
   */
  async stop(markStale: boolean): Promise<void> {
    // A sync under way stops at its next slice and starts nothing more.
    this.#stopped = true;
    await this.#queue;
    const loops = [...this.loops.values()];
    await Promise.all([...loops.map((loop) => loop.stop(markStale)), ...this.#stopping]);
    await this.settings.client.close();
  }

  /**
   * Stops a loop in the background, marking its series stale. The pool remembers it until it is
   * done, so that stop() can wait for it and new loops can start after it.
   */
  #retire(loop: ScrapeLoop): void {
    this.#track(loop.stop(true));
  }

  /** Remembers work in the background until it is done (stop() and new loops wait for it). */
  #track(work: Promise<void>): void {
    const done: Promise<void> = work.finally(() => this.#stopping.delete(done));
    this.#stopping.add(done);
  }

  /**
   * Resolves when the loops being stopped now are done. New loops wait for it, so that an old
   * loop's stale markers never land after a new loop's first samples for the same series.
   */
  #previousLoopsDone(): Promise<unknown> {
    return Promise.all(this.#stopping);
  }
}

function sameScrape(a: Target, b: Target): boolean {
  return a.url === b.url && a.interval === b.interval && a.timeout === b.timeout;
}
