/**
 * A discovery manager, as Prometheus runs two of them (scrape and notify): it holds one set of
 * providers per named config (a scrape job, an Alertmanager config) and publishes every set's
 * current target groups, as one map, to its consumer. Static groups are known when a config is
 * applied; file_sd providers run while the manager runs and publish again on every change.
 */
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { FileSDConfig, TargetGroup } from '../config/index.js';
import { runFileSD } from './file.js';
import { Mailbox } from './mailbox.js';

/** Every set's current target groups, keyed by set name (job name, or `config-N` for Alertmanagers). */
export type TargetSets = Map<string, TargetGroup[]>;

/** What discovery is configured with for one named set. */
export interface DiscoveryConfig {
  staticConfigs: TargetGroup[];
  fileSDConfigs?: FileSDConfig[];
}

/**
 * The discovery part of a scrape job's or an Alertmanager entry's config, and nothing else: the
 * manager compares these to decide which providers to restart, so other fields must not count.
 */
export function discoveryConfigOf(cfg: DiscoveryConfig): DiscoveryConfig {
  return { staticConfigs: cfg.staticConfigs, fileSDConfigs: cfg.fileSDConfigs ?? [] };
}

export interface DiscoveryManager {
  /** Phase one of a reload: checks the new sets and returns the function that applies them. */
  prepare(sets: ReadonlyMap<string, DiscoveryConfig>): () => void;
  /** Runs the providers until `signal` aborts. */
  run(signal: AbortSignal): Promise<void>;
  /** The consumer's end: the scrape manager or the notifier reads target sets from here. */
  readonly syncCh: AsyncIterable<TargetSets>;
  /** The sets last published, for status pages. */
  current(): TargetSets;
}

export function createDiscoveryManager(opts: {
  name: 'scrape' | 'notify';
  logger: Logger;
  registry?: Registry;
}): DiscoveryManager {
  const mailbox = new Mailbox<TargetSets>();
  let published: TargetSets = new Map();
  let configs = new Map<string, DiscoveryConfig>();
  /** The latest groups of each running file_sd provider, by set name and provider index. */
  let fileGroups = new Map<string, TargetGroup[][]>();
  let providers: AbortController | undefined;
  let runSignal: AbortSignal | undefined;
  const discovered = opts.registry ? discoveredTargets(opts.registry) : undefined;

  function publish(): void {
    const next: TargetSets = new Map();
    for (const [setName, cfg] of configs) {
      next.set(setName, [...cfg.staticConfigs, ...(fileGroups.get(setName) ?? []).flat()]);
    }
    for (const setName of published.keys())
      if (!next.has(setName)) discovered?.remove({ name: opts.name, config: setName });
    for (const [setName, groups] of next) {
      discovered?.set(
        { name: opts.name, config: setName },
        groups.reduce((n, g) => n + g.targets.length, 0),
      );
    }
    published = next;
    mailbox.publish(next);
    opts.logger.debug({ sets: next.size }, 'Discovery manager published target sets');
  }

  /** (Re)starts the file providers of the current configs; the old ones stop first. */
  function startProviders(): void {
    providers?.abort();
    if (!runSignal || runSignal.aborted) return;
    const ac = new AbortController();
    providers = ac;
    runSignal.addEventListener('abort', () => ac.abort(), { once: true, signal: ac.signal });
    fileGroups = new Map();
    for (const [setName, cfg] of configs) {
      const perProvider: TargetGroup[][] = [];
      fileGroups.set(setName, perProvider);
      (cfg.fileSDConfigs ?? []).forEach((fsd, i) => {
        runFileSD(fsd, opts.logger, ac.signal, (groups) => {
          if (ac.signal.aborted) return;
          perProvider[i] = groups;
          publish();
        });
      });
    }
  }

  return {
    prepare(sets) {
      // Copied now so a later edit of the config object cannot leak in.
      const next = new Map<string, DiscoveryConfig>();
      for (const [setName, cfg] of sets) {
        next.set(setName, {
          staticConfigs: cfg.staticConfigs.map((g) => ({
            source: g.source,
            labels: { ...g.labels },
            targets: g.targets.map((t) => ({ ...t })),
          })),
          fileSDConfigs: cfg.fileSDConfigs ?? [],
        });
      }
      return () => {
        configs = next;
        startProviders();
        publish();
      };
    },
    run(signal) {
      runSignal = signal;
      startProviders();
      return new Promise((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener('abort', () => resolve(), { once: true });
      });
    },
    syncCh: mailbox,
    current: () => published,
  };
}
/** Both managers (scrape and notify) share one metric, told apart by its `name` label. */
function discoveredTargets(registry: Registry): Gauge {
  const name = 'prometheus_sd_discovered_targets';
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Gauge;
  return new Gauge({
    name,
    help: 'Current number of discovered targets.',
    labelNames: ['name', 'config'],
    registers: [registry],
  });
}
