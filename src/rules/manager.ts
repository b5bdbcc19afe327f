/**
 * The rule manager (upstream's rules/manager.go). On every (re)load it expands the config's
 * rule_files patterns, loads every group (refusing the whole set when one file is bad, so the
 * running groups stay), and swaps the groups in: a group that did not change keeps running as it
 * is; a changed one stops after its evaluation in progress and hands its alert states and `for`
 * clocks to its replacement; a removed one marks its series stale. Groups evaluate only once the
 * manager runs (after the initial configuration, so never against storage still opening).
 *
 * It sees the engine, storage and notifier only through what main passes in: a query function,
 * an appendable (the fanout, so remote write sends recording rules' samples too), a queryable
 * (local storage, for restoring `for` state) and a notify function.
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import { pause } from '../run/index.js';
import type { Appendable, Queryable } from '../storage/index.js';
import { AlertingRule, type NotifyFunc, type TemplateCounters } from './alerting.js';
import { glob, hasMeta, segmentRegExp } from './glob.js';
import { Group, type GroupContext, groupKey } from './group.js';
import { fromMaps } from './labels.js';
import { deleteGroupMetrics, ruleMetrics } from './metrics.js';
import { RecordingRule } from './recording.js';
import type { BaseRule, QueryFunc } from './rule.js';
import { loadRuleFile, RuleFileError, type RuleGroup } from './rulefile.js';
import { msToNs, type Nanos, nowNs } from './time.js';

/** The files the rule_files patterns name, in order (globs expanded, as filepath.Glob). */
export function ruleFilesOf(patterns: readonly string[]): string[] {
  return patterns.flatMap((pattern) => {
    for (const segment of pattern.split('/')) {
      if (!hasMeta(segment)) continue;
      try {
        segmentRegExp(segment);
      } catch (err) {
        throw new RuleFileError([`${pattern}: ${(err as Error).message}`]);
      }
    }
    return glob(pattern);
  });
}

/** Expands and loads every rule file the patterns name; throws a RuleFileError on the first bad one. */
export function loadRuleGroups(patterns: readonly string[]): RuleGroup[] {
  return ruleFilesOf(patterns).flatMap((file) => loadRuleFile(file));
}

/**
 * rules.ParseFiles, as main checks the rule files before anything starts: every file the patterns
 * name, by its absolute real path, must parse. Throws upstream's message (`parse rules from file
 * "…" (pattern: "…"): …`). Unlike Go's Glob, a pattern without wildcards naming a missing file is
 * an error (startup.md §2).
 */
export function checkRuleFiles(patterns: readonly string[]): void {
  const files = new Map<string, string>();
  for (const pattern of patterns) {
    let matched: string[];
    try {
      matched = ruleFilesOf([pattern]);
    } catch {
      throw new Error(`failed retrieving rule files for ${JSON.stringify(pattern)}: syntax error in pattern`);
    }
    for (const file of matched) {
      const abs = resolve(file);
      let clean: string;
      try {
        clean = realpathSync(abs);
      } catch {
        throw new Error(
          `failed evaluating rule file path ${JSON.stringify(abs)} (pattern: ${JSON.stringify(pattern)}): lstat ${abs}: no such file or directory`,
        );
      }
      files.set(clean, pattern);
    }
  }
  for (const [file, pattern] of files) {
    try {
      loadRuleFile(file);
    } catch (err) {
      throw new Error(
        `parse rules from file ${JSON.stringify(file)} (pattern: ${JSON.stringify(pattern)}): ${(err as Error).message}`,
      );
    }
  }
}

export interface GroupSettings {
  /** The interval of a group without its own (global.evaluation_interval). */
  defaultIntervalMs: number;
  externalLabels: Readonly<Record<string, string>>;
  externalURL: string;
  /** True on the first load: alerting rules then wait for their `for` state to be restored. */
  shouldRestore: boolean;
  logger: Logger;
  templates?: TemplateCounters;
}

/** The second half of upstream's LoadGroups: rules built from rule files' groups, in groups. */
export function buildGroups(loaded: readonly RuleGroup[], s: GroupSettings, ctx: GroupContext): Group[] {
  return loaded.map((rg) =>
    newGroup(
      rg,
      rg.rules.map((r) => newRule(rg, r, s)),
      s,
      ctx,
    ),
  );
}

/**
 * buildGroups in slices: a reload builds its rules (each parses its expression) while the server
 * serves, so it yields to the event loop by `pause`'s clock (ten thousand rules take a quarter
 * of a second to build).
 */
export async function buildGroupsInSlices(
  loaded: readonly RuleGroup[],
  s: GroupSettings,
  ctx: GroupContext,
): Promise<Group[]> {
  const groups: Group[] = [];
  for (const rg of loaded) {
    const rules: BaseRule[] = [];
    for (const r of rg.rules) {
      const turn = pause();
      if (turn) await turn;
      rules.push(newRule(rg, r, s));
    }
    groups.push(newGroup(rg, rules, s, ctx));
  }
  return groups;
}

function newRule(rg: RuleGroup, r: RuleGroup['rules'][number], s: GroupSettings): BaseRule {
  const labels = fromMaps(rg.labels, r.labels);
  if (r.kind === 'alert')
    return new AlertingRule({
      name: r.name,
      expr: r.expr,
      holdMs: r.forMs,
      keepFiringForMs: r.keepFiringForMs,
      labels,
      annotations: r.annotations,
      externalLabels: s.externalLabels,
      externalURL: s.externalURL,
      restored: !s.shouldRestore,
      logger: s.logger.child({ alert: r.name }),
      templates: s.templates,
    });
  return new RecordingRule(r.name, r.expr, labels);
}

function newGroup(rg: RuleGroup, rules: BaseRule[], s: GroupSettings, ctx: GroupContext): Group {
  return new Group(
    {
      name: rg.name,
      file: rg.file,
      intervalMs: rg.intervalMs || s.defaultIntervalMs,
      queryOffsetMs: rg.queryOffsetMs,
      limit: rg.limit,
      rules,
      shouldRestore: s.shouldRestore,
    },
    ctx,
  );
}

export interface RuleManagerOptions {
  logger: Logger;
  registry?: Registry;
  /** Evaluates rules (upstream's EngineQueryFunc over the fanout). */
  query: QueryFunc;
  /** Where results go (the fanout). */
  appendable: Appendable;
  /** Where ALERTS_FOR_STATE is read back from (local storage). */
  queryable: Queryable;
  /** Receives the alerts to send (main's bridge to the notifier). */
  notify: NotifyFunc;
  /** --web.external-url as upstream computes it: `$externalURL` in templates. */
  externalURL: string;
  /** --rules.alert.for-outage-tolerance (ms); 1h. */
  outageToleranceMs?: number;
  /** --rules.alert.for-grace-period (ms); 10m. */
  forGracePeriodMs?: number;
  /** --rules.alert.resend-delay (ms); 1m. */
  resendDelayMs?: number;
  /** The wall clock, in ns; injected by tests. */
  now?: () => Nanos;
  /**
   * The test hook MINIPROM_TEST_RULE_EVAL_HOLD (read by main): the n-th rule evaluation (from 1,
   * across all groups) waits before its query until the manager is stopped, so a test can make
   * an evaluation be in flight when shutdown begins.
   */
  holdEvaluation?: number;
  /**
   * Reads the rule files the patterns name (throws or rejects with a RuleFileError); by default
   * `loadRuleGroups`, on this thread. Main's reloads pass `loadRuleGroupsInWorker`.
   */
  load?: (patterns: readonly string[]) => RuleGroup[] | Promise<RuleGroup[]>;
}

export interface RuleManager {
  /** Loads the config's rule files; rejects if any is bad. The returned function applies them. */
  prepare(cfg: Config): Promise<() => void>;
  /** Starts evaluating; resolves once `stop()` has stopped every group. */
  run(): Promise<void>;
  /** Stops every group, each after its evaluation in progress (whose alerts are sent). */
  stop(): Promise<void>;
  /** The groups, by file then name. */
  ruleGroups(): Group[];
  /** Every alerting rule of every group. */
  alertingRules(): AlertingRule[];
}

export function createRuleManager(opts: RuleManagerOptions): RuleManager {
  const metrics = opts.registry ? ruleMetrics(opts.registry) : undefined;
  const managerDone = new AbortController();
  let groups = new Map<string, Group>();
  let running = false;
  let stopped = false;
  /** Whether a load has happened: only the first load's groups restore `for` state. */
  let restored = false;
  let ruleQueryOffset: Nanos = 0n;
  let updating: Promise<void> = Promise.resolve();
  let finished!: () => void;
  const done = new Promise<void>((resolve) => {
    finished = resolve;
  });
  let releaseHold!: () => void;
  const holdReleased = new Promise<void>((resolve) => {
    releaseHold = resolve;
  });
  let evaluations = 0;
  const started = new WeakSet<Group>();
  const start = (g: Group) => {
    if (started.has(g)) return;
    started.add(g);
    g.start(managerDone.signal);
  };

  const ctx: GroupContext = {
    logger: opts.logger,
    metrics,
    query: opts.query,
    appendable: opts.appendable,
    queryable: opts.queryable,
    notify: opts.notify,
    resendDelay: msToNs(opts.resendDelayMs ?? 60_000),
    outageTolerance: msToNs(opts.outageToleranceMs ?? 3_600_000),
    forGracePeriod: msToNs(opts.forGracePeriodMs ?? 600_000),
    defaultQueryOffset: () => ruleQueryOffset,
    now: opts.now ?? nowNs,
    holdEvaluation:
      opts.holdEvaluation === undefined
        ? undefined
        : (group, rule) => {
            if (++evaluations !== opts.holdEvaluation) return undefined;
            opts.logger.warn(
              { group: group.name, name: rule.name },
              'Holding this rule evaluation until the rule manager stops (MINIPROM_TEST_RULE_EVAL_HOLD)',
            );
            return holdReleased;
          },
  };
  const templates = metrics && {
    expanded(ok: boolean) {
      metrics.templateExpansions.inc();
      if (!ok) metrics.templateExpansionFailures.inc();
    },
  };

  /** LoadGroups: the groups of every file, rules built, nothing started. */
  async function loadGroups(cfg: Config, shouldRestore: boolean): Promise<Group[]> {
    const loaded = await (opts.load ?? loadRuleGroups)(cfg.ruleFiles);
    return buildGroupsInSlices(
      loaded,
      {
        defaultIntervalMs: cfg.global.evaluationInterval,
        externalLabels: cfg.global.externalLabels,
        externalURL: opts.externalURL,
        shouldRestore,
        logger: opts.logger,
        templates,
      },
      ctx,
    );
  }

  /** Update: swaps the loaded groups in (the part upstream runs after loading succeeded). */
  function update(next: Group[]): void {
    if (stopped) return;
    restored = true;
    const old = new Map(groups);
    const result = new Map<string, Group>();
    const replaced: Array<{ newg: Group; oldg: Group | undefined }> = [];
    for (const newg of next) {
      const key = groupKey(newg.file, newg.name);
      const oldg = old.get(key);
      old.delete(key);
      if (oldg?.equals(newg)) {
        result.set(key, oldg);
        continue;
      }
      result.set(key, newg);
      replaced.push({ newg, oldg });
    }
    const removed = [...old.entries()];
    // Upstream's reload waits here for the changed and removed groups to finish their evaluation
    // in progress; ours goes on, and the swap happens once they have (in order, reload by reload).
    updating = updating.then(async () => {
      await Promise.all(
        replaced.map(async ({ newg, oldg }) => {
          if (!oldg) return;
          await oldg.stop();
          newg.copyState(oldg);
        }),
      );
      await Promise.all(
        removed.map(async ([key, g]) => {
          g.markStale = true;
          await g.stop();
          if (metrics) deleteGroupMetrics(metrics, key);
        }),
      );
      if (stopped) return;
      groups = result;
      if (running) for (const g of result.values()) start(g);
    });
  }

  return {
    async prepare(cfg) {
      let next: Group[];
      try {
        next = await loadGroups(cfg, !restored);
      } catch (err) {
        const errors = err instanceof RuleFileError ? err.errors : [(err as Error).message];
        for (const e of errors) opts.logger.error({ err: e }, 'loading groups failed');
        throw new Error('error loading rules, previous rule set restored');
      }
      return () => {
        ruleQueryOffset = msToNs(cfg.global.ruleQueryOffset ?? 0);
        update(next);
      };
    },
    async run() {
      opts.logger.info('Starting rule manager...');
      if (!stopped) {
        running = true;
        await updating;
        if (!stopped) for (const g of groups.values()) start(g);
      }
      return done;
    },
    async stop() {
      if (stopped) return done;
      opts.logger.info('Stopping rule manager...');
      stopped = true;
      // A held evaluation goes on now, as a slow query would finish: its alerts are sent.
      releaseHold();
      await updating;
      const all = [...groups.values()];
      for (const g of all) g.stopAsync();
      await Promise.all(all.map((g) => g.waitStopped()));
      // Removed groups waiting to write staleness markers give up.
      managerDone.abort();
      finished();
      return done;
    },
    ruleGroups: () =>
      [...groups.values()].sort((a, b) =>
        a.file !== b.file ? (a.file < b.file ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      ),
    alertingRules: () => [...groups.values()].flatMap((g) => g.rules.filter((r) => r instanceof AlertingRule)),
  };
}
