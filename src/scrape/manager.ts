/**
 * The scrape manager: one pool per scrape job, one loop per target. Pools follow the config
 * (prepare/commit on reload); targets follow scrape discovery's target sets. Every loop scrapes on
 * its own timer, at an offset derived from its labels (as upstream, to spread load), appends what
 * it scraped plus the report series (`up`, `scrape_duration_seconds`, …) and commits.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { formatDuration } from '../config/units.js';
import type { Config, ScrapeConfig, TargetGroup } from '../config/types.js';
import { applyRelabel } from '../relabel/index.js';
import type { Appendable, Labels } from '../storage/types.js';
import { parseTextFormat } from './parser.js';

export interface ActiveTarget {
  discoveredLabels: Record<string, string>;
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  globalUrl: string;
  lastError: string;
  lastScrape: string;
  lastScrapeDuration: number;
  health: 'up' | 'down' | 'unknown';
  scrapeInterval: string;
  scrapeTimeout: string;
}

export interface ScrapeManager {
  prepare(cfg: Config): () => void;
  run(updates: AsyncIterable<Map<string, TargetGroup[]>>): Promise<void>;
  stop(): Promise<void>;
  targets(): { activeTargets: ActiveTarget[]; droppedTargets: DroppedTarget[] };
}

export interface ScrapeManagerOptions {
  logger: Logger;
  registry?: Registry;
  appendable: Appendable;
  userAgent?: string;
  now?: () => number;
}

/** A scrape job as the loops use it: the config plus what prepare() read from files. */
interface PoolConfig {
  cfg: ScrapeConfig;
  authorization?: string;
  /** Compared to decide whether a reload restarts the pool's loops. */
  fingerprint: string;
}

interface Loop {
  target: ActiveTarget;
  stop(markStale: boolean): Promise<void>;
}

interface Pool {
  config: PoolConfig;
  loops: Map<string, Loop>;
  /** Targets relabel_configs dropped, for /api/v1/targets. */
  dropped: DroppedTarget[];
}

export interface DroppedTarget {
  discoveredLabels: Record<string, string>;
  scrapePool: string;
}

/** The stale marker: a NaN with a particular payload (value.StaleNaN upstream). */
const STALE_NaN = (() => {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, 0x7ff0000000000002n);
  return view.getFloat64(0);
})();

const ZERO_TIME = '0001-01-01T00:00:00Z';

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * Target labels as upstream's PopulateLabels: the group's and target's labels plus the job's
 * defaults, then relabel_configs (which may drop the target), then `instance` defaults to the
 * address and `__`-prefixed labels leave the final set. The URL comes from the relabeled
 * `__scheme__`, `__address__`, `__metrics_path__` and `__param_*` labels.
 */
function targetLabels(cfg: ScrapeConfig, group: TargetGroup, target: Record<string, string>) {
  const discovered: Record<string, string> = {
    job: cfg.jobName,
    __scheme__: cfg.scheme,
    __metrics_path__: cfg.metricsPath,
    __scrape_interval__: formatDuration(cfg.scrapeInterval),
    __scrape_timeout__: formatDuration(cfg.scrapeTimeout),
    ...group.labels,
    ...target,
  };
  for (const [name, values] of Object.entries(cfg.params)) {
    if (values[0] !== undefined && discovered[`__param_${name}`] === undefined)
      discovered[`__param_${name}`] = values[0];
  }
  const relabeled = applyRelabel(discovered, cfg.relabelConfigs);
  if (!relabeled?.__address__) return { discovered, dropped: true as const };
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(relabeled)) if (!k.startsWith('__')) labels[k] = v;
  labels.instance ??= relabeled.__address__;
  const query = new URLSearchParams();
  for (const [name, values] of Object.entries(cfg.params)) {
    // A relabeled __param_<name> replaces the first value, as upstream.
    const first = relabeled[`__param_${name}`];
    for (const [i, v] of values.entries()) query.append(name, i === 0 && first !== undefined ? first : v);
  }
  for (const [k, v] of Object.entries(relabeled)) {
    const name = k.slice('__param_'.length);
    if (k.startsWith('__param_') && !(name in cfg.params)) query.append(name, v);
  }
  const qs = query.toString();
  const url = `${relabeled.__scheme__ ?? cfg.scheme}://${relabeled.__address__}${relabeled.__metrics_path__ ?? cfg.metricsPath}${qs ? `?${qs}` : ''}`;
  return { discovered, labels, url, dropped: false as const };
}

function preparePool(cfg: ScrapeConfig): PoolConfig {
  const http = cfg.httpClient;
  let authorization: string | undefined;
  if (http.basicAuth) {
    const password = http.basicAuth.passwordFile
      ? readFileSync(http.basicAuth.passwordFile, 'utf8').trim()
      : (http.basicAuth.password ?? '');
    authorization = `Basic ${Buffer.from(`${http.basicAuth.username}:${password}`).toString('base64')}`;
  } else if (http.authorization) {
    const a = http.authorization;
    const credentials = a.credentialsFile ? readFileSync(a.credentialsFile, 'utf8').trim() : (a.credentials ?? '');
    authorization = `${a.type} ${credentials}`;
  }
  return { cfg, ...(authorization ? { authorization } : {}), fingerprint: JSON.stringify([cfg, authorization]) };
}

export function createScrapeManager(opts: ScrapeManagerOptions): ScrapeManager {
  const now = opts.now ?? Date.now;
  const pools = new Map<string, Pool>();
  let sets = new Map<string, TargetGroup[]>();
  let stopped = false;
  let stopRunning!: () => void;
  const runStopped = new Promise<'stopped'>((resolve) => {
    stopRunning = () => resolve('stopped');
  });
  const metrics = opts.registry ? scrapeMetrics(opts.registry) : undefined;
  /** Loops being stopped by a reload; stop() waits for them too, so nothing appends after it. */
  const retiring = new Set<Promise<void>>();
  const retire = (loop: Loop) => {
    const done = loop.stop(true).finally(() => retiring.delete(done));
    retiring.add(done);
    return done;
  };

  function startLoop(pool: Pool, target: ActiveTarget): Loop {
    const { cfg } = pool.config;
    const ac = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let inflight: Promise<void> = Promise.resolve();
    let previous = new Map<string, Labels>();
    const reportLabels = target.labels;

    const schedule = (delay: number) => {
      timer = setTimeout(() => {
        const started = now();
        inflight = scrapeOnce(started).finally(() => {
          if (!ac.signal.aborted) schedule(Math.max(0, cfg.scrapeInterval - (now() - started)));
        });
      }, delay);
    };

    async function scrapeOnce(t: number): Promise<void> {
      const app = opts.appendable.appender();
      const seen = new Map<string, Labels>();
      let error = '';
      let scraped = 0;
      let postRelabel = 0;
      const t0 = performance.now();
      try {
        const headers: Record<string, string> = {
          Accept: 'text/plain;version=0.0.4;q=1,*/*;q=0.1',
          'User-Agent': opts.userAgent ?? 'miniprom',
          'X-Prometheus-Scrape-Timeout-Seconds': String(cfg.scrapeTimeout / 1000),
        };
        if (pool.config.authorization) headers.Authorization = pool.config.authorization;
        const res = await fetch(target.scrapeUrl, {
          headers,
          redirect: cfg.httpClient.followRedirects ? 'follow' : 'manual',
          signal: AbortSignal.any([ac.signal, AbortSignal.timeout(cfg.scrapeTimeout)]),
        });
        if (res.status !== 200) {
          await res.body?.cancel();
          throw new Error(`server returned HTTP status ${res.status} ${res.statusText}`);
        }
        const body = await res.text();
        if (cfg.bodySizeLimit > 0 && Buffer.byteLength(body) > cfg.bodySizeLimit) {
          throw new Error(`body size limit exceeded`);
        }
        const samples = parseTextFormat(body);
        scraped = samples.length;
        if (cfg.sampleLimit > 0 && samples.length > cfg.sampleLimit) {
          metrics?.exceededSampleLimit.inc();
          throw new Error('sample limit exceeded');
        }
        let kept = 0;
        for (const s of samples) {
          const merged = mergeLabels(s.labels, reportLabels, cfg.honorLabels);
          const labels = cfg.metricRelabelConfigs.length > 0 ? applyRelabel(merged, cfg.metricRelabelConfigs) : merged;
          if (!labels) continue; // dropped by metric_relabel_configs
          const count = Object.keys(labels).length;
          if (cfg.labelLimit > 0 && count > cfg.labelLimit) {
            throw new Error(
              `label_limit exceeded (metric: ${(labels.__name__ ?? '').slice(0, 50)}, number of labels: ${count}, limit: ${cfg.labelLimit})`,
            );
          }
          kept++;
          const key = JSON.stringify(labels);
          seen.set(key, labels);
          app.append(labels, cfg.honorTimestamps && s.timestamp !== undefined ? s.timestamp : t, s.value);
        }
        postRelabel = kept;
      } catch (err) {
        app.rollback();
        seen.clear();
        if (ac.signal.aborted) return; // stopped mid-scrape: nothing to report, nothing appended
        error =
          err instanceof Error && err.name === 'TimeoutError' ? 'context deadline exceeded' : (err as Error).message;
        opts.logger.debug({ target: target.scrapeUrl, err: error }, 'Scrape failed');
      }
      // Series that vanished since the last scrape are marked stale, as upstream.
      for (const [key, labels] of previous) if (!seen.has(key)) app.append(labels, t, STALE_NaN);
      previous = seen;
      const duration = (performance.now() - t0) / 1000;
      const report = (name: string, v: number) => app.append({ ...reportLabels, __name__: name }, t, v);
      report('up', error ? 0 : 1);
      report('scrape_duration_seconds', duration);
      report('scrape_samples_scraped', scraped);
      report('scrape_samples_post_metric_relabeling', error ? 0 : postRelabel);
      report('scrape_series_added', error ? 0 : seen.size);
      const record = (err: string) => {
        target.health = err ? 'down' : 'up';
        target.lastError = err;
        target.lastScrape = new Date(t).toISOString();
        target.lastScrapeDuration = duration;
      };
      // The target's state is what this scrape saw, whether or not storage takes the samples.
      record(error);
      try {
        await app.commit();
      } catch (err) {
        if (!error) record((err as Error).message);
      }
    }

    schedule(hash(JSON.stringify(target.labels)) % Math.max(1, cfg.scrapeInterval));
    return {
      target,
      async stop(markStale) {
        ac.abort();
        clearTimeout(timer);
        await inflight;
        if (!markStale || previous.size === 0) return;
        // The target went away (not a shutdown): its series end now, as upstream marks them.
        const app = opts.appendable.appender();
        const t = now();
        for (const labels of previous.values()) app.append(labels, t, STALE_NaN);
        for (const name of [
          'up',
          'scrape_duration_seconds',
          'scrape_samples_scraped',
          'scrape_samples_post_metric_relabeling',
          'scrape_series_added',
        ]) {
          app.append({ ...reportLabels, __name__: name }, t, STALE_NaN);
        }
        await app.commit().catch(() => {});
      },
    };
  }

  /** Starts loops for new targets and stops vanished ones, for every pool. */
  async function reconcile(): Promise<void> {
    const stopping: Array<Promise<void>> = [];
    for (const [job, pool] of pools) {
      const wanted = new Map<string, ActiveTarget>();
      const dropped: DroppedTarget[] = [];
      for (const group of sets.get(job) ?? []) {
        for (const t of group.targets) {
          const result = targetLabels(pool.config.cfg, group, t);
          if (result.dropped) {
            dropped.push({ discoveredLabels: result.discovered, scrapePool: job });
            continue;
          }
          const { discovered, labels, url } = result;
          const key = JSON.stringify([labels, url]);
          if (wanted.has(key)) continue; // the same target twice is scraped once
          wanted.set(key, {
            discoveredLabels: discovered,
            labels,
            scrapePool: job,
            scrapeUrl: url,
            globalUrl: url,
            lastError: '',
            lastScrape: ZERO_TIME,
            lastScrapeDuration: 0,
            health: 'unknown',
            scrapeInterval: formatDuration(pool.config.cfg.scrapeInterval),
            scrapeTimeout: formatDuration(pool.config.cfg.scrapeTimeout),
          });
        }
      }
      pool.dropped = dropped;
      for (const [key, loop] of pool.loops) {
        if (!wanted.has(key)) {
          pool.loops.delete(key);
          stopping.push(retire(loop));
        }
      }
      if (!stopped)
        for (const [key, target] of wanted) if (!pool.loops.has(key)) pool.loops.set(key, startLoop(pool, target));
      metrics?.poolTargets.set({ scrape_job: job }, pool.loops.size);
    }
    await Promise.all(stopping);
  }

  return {
    prepare(cfg) {
      const next = new Map(cfg.scrapeConfigs.map((sc) => [sc.jobName, preparePool(sc)] as const));
      return () => {
        for (const [job, pool] of pools) {
          const config = next.get(job);
          if (config && config.fingerprint === pool.config.fingerprint) continue;
          // Removed or changed: its loops stop (their series go stale); a changed pool restarts below.
          for (const loop of pool.loops.values()) void retire(loop);
          pools.delete(job);
          metrics?.poolTargets.remove({ scrape_job: job });
        }
        for (const [job, config] of next)
          if (!pools.has(job)) pools.set(job, { config, loops: new Map(), dropped: [] });
        metrics?.pools.set(pools.size);
        void reconcile();
      };
    },
    async run(updates) {
      const it = updates[Symbol.asyncIterator]();
      try {
        while (!stopped) {
          const next = await Promise.race([it.next(), runStopped]);
          if (next === 'stopped' || next.done) break;
          sets = next.value;
          await reconcile();
        }
      } finally {
        await it.return?.();
      }
    },
    async stop() {
      stopped = true;
      stopRunning();
      const loops = [...pools.values()].flatMap((p) => [...p.loops.values()]);
      for (const p of pools.values()) p.loops.clear();
      // On shutdown upstream does not mark series stale: they simply end with the server.
      await Promise.all([...loops.map((l) => l.stop(false)), ...retiring]);
    },
    targets() {
      const activeTargets = [...pools.values()]
        .flatMap((p) => [...p.loops.values()].map((l) => l.target))
        .sort((a, b) => a.scrapePool.localeCompare(b.scrapePool) || a.scrapeUrl.localeCompare(b.scrapeUrl));
      const droppedTargets = [...pools.values()].flatMap((p) => p.dropped);
      return { activeTargets, droppedTargets };
    },
  };
}

/** Attaches target labels; on a clash the target wins unless honor_labels, and the scraped one becomes exported_<name>. */
function mergeLabels(scraped: Record<string, string>, target: Record<string, string>, honorLabels: boolean): Labels {
  const out: Record<string, string> = { ...scraped };
  for (const [name, value] of Object.entries(target)) {
    const existing = out[name];
    if (existing === undefined) out[name] = value;
    else if (!honorLabels) {
      out[`exported_${name}`] = existing;
      out[name] = value;
    }
  }
  return out;
}

function scrapeMetrics(registry: Registry) {
  const registers = [registry];
  return {
    pools: new Gauge({
      name: 'prometheus_target_scrape_pools_total',
      help: 'Current number of scrape pools.',
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
  };
}
