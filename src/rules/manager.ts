/**
 * The rule manager: on every (re)load it expands the config's rule_files patterns and loads every
 * group, keeping the old groups when anything fails. Evaluating rules needs PromQL, which miniprom
 * does not have yet; until it does, the manager holds and reports its groups and evaluates nothing.
 */
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import { glob, hasMeta, segmentRegExp } from './glob.js';
import { loadRuleFile, RuleFileError, type RuleGroup } from './rulefile.js';

/** The files the rule_files patterns name, in order (globs expanded, as filepath.Glob). */
export function ruleFilesOf(patterns: readonly string[]): string[] {
  return patterns.flatMap((pattern) => {
    for (const segment of pattern.split('/')) {
      if (!hasMeta(segment)) continue;
      try {
        segmentRegExp(segment);
      } catch (err) {
        throw new RuleFileError(`${pattern}: ${(err as Error).message}`);
      }
    }
    return glob(pattern);
  });
}

/** Expands and loads every rule file the patterns name; throws on the first bad one. */
export function loadRuleGroups(patterns: readonly string[]): RuleGroup[] {
  return ruleFilesOf(patterns).flatMap((file) => loadRuleFile(file));
}

export interface RuleManager {
  prepare(cfg: Config): () => void;
  /** Runs until `stop()`. */
  run(): Promise<void>;
  stop(): Promise<void>;
  groups(): readonly RuleGroup[];
}

export function createRuleManager(opts: { logger: Logger; registry?: Registry }): RuleManager {
  let groups: RuleGroup[] = [];
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => {
    stopped = resolve;
  });
  const groupRules = opts.registry
    ? new Gauge({
        name: 'prometheus_rule_group_rules',
        help: 'The number of rules.',
        labelNames: ['rule_group'],
        registers: [opts.registry],
      })
    : undefined;

  return {
    prepare(cfg) {
      const next = loadRuleGroups(cfg.ruleFiles);
      return () => {
        groups = next;
        groupRules?.reset();
        for (const g of next) groupRules?.set({ rule_group: `${g.file};${g.name}` }, g.rules.length);
      };
    },
    run() {
      opts.logger.info('Starting rule manager...');
      return done;
    },
    async stop() {
      opts.logger.info('Stopping rule manager...');
      stopped();
    },
    groups: () => groups,
  };
}
