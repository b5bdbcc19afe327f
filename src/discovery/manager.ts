/**
 * A discovery manager, as Prometheus runs two of them (scrape and notify): it holds one set of
 * providers per named config (a scrape job, an Alertmanager config) and publishes every set's
 * current target groups, as one map, to its consumer. Today the only provider is static_configs:
 * its groups are known when the config is applied, so applying publishes them at once.
 */
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { TargetGroup } from '../config/index.js';
import { Mailbox } from './mailbox.js';

/** Every set's current target groups, keyed by set name (job name, or `config-N` for Alertmanagers). */
export type TargetSets = Map<string, TargetGroup[]>;

/** What discovery is configured with for one named set. */
export interface DiscoveryConfig {
  staticConfigs: TargetGroup[];
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
  const discovered = opts.registry ? discoveredTargets(opts.registry) : undefined;

  return {
    prepare(sets) {
      // Static groups are copied now so a later edit of the config object cannot leak in.
      const next: TargetSets = new Map();
      for (const [setName, cfg] of sets) {
        next.set(
          setName,
          cfg.staticConfigs.map((g) => ({
            source: g.source,
            labels: { ...g.labels },
            targets: g.targets.map((t) => ({ ...t })),
          })),
        );
      }
      return () => {
        for (const setName of published.keys())
          if (!next.has(setName)) discovered?.remove({ name: opts.name, config: setName });
        for (const [setName, groups] of next) {
          const count = groups.reduce((n, g) => n + g.targets.length, 0);
          discovered?.set({ name: opts.name, config: setName }, count);
        }
        published = next;
        mailbox.publish(next);
        opts.logger.debug({ sets: next.size }, 'Discovery manager published target sets');
      };
    },
    run(signal) {
      // Static providers have nothing to watch; file and service discovery will run here.
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
