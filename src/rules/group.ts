/**
 * A rule group (upstream's rules/group.go): its rules evaluated one after another, every
 * `interval`, at times slotted by a hash of the group's name and file so that groups spread over
 * the interval and every Prometheus evaluating the same file evaluates at the same instants. An
 * evaluation appends recording rules' samples and ALERTS/ALERTS_FOR_STATE through the appendable
 * (the fanout: local storage, then remote write), marks series a rule stopped producing as stale,
 * and sends alerts. Iterations missed because one took too long are counted, as upstream counts
 * them (and, as upstream, not logged).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { labelsHash, QueryCanceledError } from '../promql/index.js';
import { type Appendable, isStaleNaN, type Labels, type Queryable, STALE_NAN } from '../storage/index.js';
import { AlertingRule, type NotifyFunc } from './alerting.js';
import { labelsKey } from './labels.js';
import type { RuleMetrics } from './metrics.js';
import type { BaseRule, QueryFunc } from './rule.js';
import { msToNs, type Nanos, nsToMs } from './time.js';

/** What every group of a manager shares (upstream's ManagerOptions, as groups see them). */
export interface GroupContext {
  logger: Logger;
  metrics?: RuleMetrics;
  query: QueryFunc;
  appendable: Appendable;
  /** Where `for` state is restored from (local storage). */
  queryable: Queryable;
  notify: NotifyFunc;
  resendDelay: Nanos;
  outageTolerance: Nanos;
  forGracePeriod: Nanos;
  /** global.rule_query_offset, read at each evaluation (a reload may change it). */
  defaultQueryOffset: () => Nanos;
  now: () => Nanos;
  /** The test hook of MINIPROM_TEST_RULE_EVAL_HOLD: resolves when the rule may go on. */
  holdEvaluation?: (group: Group, rule: BaseRule) => Promise<void> | undefined;
}

export interface GroupOptions {
  name: string;
  file: string;
  intervalMs: number;
  /** Undefined: the global rule_query_offset applies. */
  queryOffsetMs?: number;
  limit: number;
  rules: BaseRule[];
  /** Whether `for` state is restored after the second evaluation (true for the first load). */
  shouldRestore: boolean;
}

/** upstream's GroupKey: group names are unique per file only. */
export const groupKey = (file: string, name: string) => `${file};${name}`;

export class Group {
  readonly name: string;
  readonly file: string;
  readonly interval: Nanos;
  readonly queryOffsetNs: Nanos | undefined;
  readonly limit: number;
  readonly rules: BaseRule[];
  /** Per rule: the series its last evaluation produced, by key, to mark the missing ones stale. */
  seriesInPreviousEval: Array<Map<string, Labels>>;
  staleSeries: Labels[] = [];
  shouldRestore: boolean;
  /** Set when a reload removed the group: its series are marked stale once it stopped. */
  markStale = false;
  /** How long the last evaluation took, in seconds. */
  evaluationTime = 0;
  /** When the last evaluation started (wall clock). */
  lastEvaluation: Nanos | undefined;
  /** The slot the last evaluation evaluated at. */
  lastEvalTimestamp: Nanos | undefined;
  private readonly done = new AbortController();
  private terminated: Promise<void> = Promise.resolve();
  private readonly logger: Logger;

  constructor(
    o: GroupOptions,
    private readonly ctx: GroupContext,
  ) {
    this.name = o.name;
    this.file = o.file;
    this.interval = msToNs(o.intervalMs);
    this.queryOffsetNs = o.queryOffsetMs === undefined ? undefined : msToNs(o.queryOffsetMs);
    this.limit = o.limit;
    this.rules = o.rules;
    this.shouldRestore = o.shouldRestore;
    this.seriesInPreviousEval = o.rules.map(() => new Map());
    this.logger = ctx.logger.child({ file: o.file, group: o.name });
    const m = ctx.metrics;
    if (m) {
      const key = this.key;
      for (const c of [m.iterationsMissed, m.iterationsScheduled, m.evalTotal, m.evalFailures])
        c.inc({ rule_group: key }, 0);
      for (const g of [m.groupLastEvalTime, m.groupLastDuration, m.groupLastRuleDurationSum, m.groupSamples])
        g.set({ rule_group: key }, 0);
      m.groupRules.set({ rule_group: key }, o.rules.length);
      m.groupInterval.set({ rule_group: key }, o.intervalMs / 1000);
    }
  }

  get key(): string {
    return groupKey(this.file, this.name);
  }

  /** The group's query offset: its own, else the global rule_query_offset. */
  queryOffset(): Nanos {
    return this.queryOffsetNs ?? this.ctx.defaultQueryOffset();
  }

  /**
   * Upstream's EvalTimestamp: the latest slot at or before `startNs`, where slots are the
   * interval's multiples shifted by hash(name, file) mod interval.
   */
  evalTimestamp(startNs: Nanos): Nanos {
    const offset = labelsHash({ name: this.name, file: this.file }) % this.interval;
    const adjNow = startNs - offset;
    const base = adjNow - (((adjNow % this.interval) + this.interval) % this.interval);
    return base + offset;
  }

  /** Starts the evaluation loop; `stop()` ends it. */
  start(managerDone: AbortSignal): void {
    this.terminated = this.run(managerDone);
  }

  /** Stops the loop and waits for an evaluation in progress to finish (as upstream's stop). */
  async stop(): Promise<void> {
    this.done.abort();
    await this.terminated;
  }

  /** Stops the loop without waiting. */
  stopAsync(): void {
    this.done.abort();
  }

  waitStopped(): Promise<void> {
    return this.terminated;
  }

  private async sleepUntil(ts: Nanos): Promise<boolean> {
    if (this.done.signal.aborted) return false;
    const delayMs = Math.ceil(Number(ts - this.ctx.now()) / 1e6);
    if (delayMs <= 0) return true;
    try {
      await sleep(delayMs, undefined, { signal: this.done.signal });
      return true;
    } catch {
      return false;
    }
  }

  /** The slot after `evalTimestamp` the loop evaluates next, counting the ones it missed. */
  private nextSlot(evalTimestamp: Nanos): Nanos {
    const missed = (this.ctx.now() - evalTimestamp) / this.interval - 1n;
    if (missed > 0n) {
      this.ctx.metrics?.iterationsMissed.inc({ rule_group: this.key }, Number(missed));
      this.ctx.metrics?.iterationsScheduled.inc({ rule_group: this.key }, Number(missed));
    }
    return evalTimestamp + ((missed > 0n ? missed : 0n) + 1n) * this.interval;
  }

  private async run(managerDone: AbortSignal): Promise<void> {
    try {
      // Wait for the first slot after now, so evaluations are consistently slotted.
      let evalTimestamp = this.evalTimestamp(this.ctx.now()) + this.interval;
      if (!(await this.sleepUntil(evalTimestamp))) return;
      await this.iterate(evalTimestamp);
      if (this.shouldRestore) {
        // Restore after a second evaluation: by then recording rules have fresh values for the alerts.
        if (!(await this.sleepUntil(evalTimestamp + this.interval))) return;
        evalTimestamp = this.nextSlot(evalTimestamp);
        await this.iterate(evalTimestamp);
        await this.restoreForState(this.ctx.now());
      }
      for (;;) {
        if (!(await this.sleepUntil(evalTimestamp + this.interval))) return;
        evalTimestamp = this.nextSlot(evalTimestamp);
        await this.iterate(evalTimestamp);
      }
    } finally {
      if (this.markStale) this.scheduleStaleCleanup(managerDone);
    }
  }

  /**
   * A removed group's series go stale after two intervals, unless the manager stops first: a rule
   * moved to another group has had the time to write its series again by then.
   */
  private scheduleStaleCleanup(managerDone: AbortSignal): void {
    for (const series of this.seriesInPreviousEval) this.staleSeries.push(...series.values());
    this.seriesInPreviousEval = [];
    const now = this.ctx.now();
    void sleep(Number((2n * this.interval) / 1_000_000n), undefined, { signal: managerDone }).then(
      () => this.cleanupStaleSeries(now),
      () => {},
    );
  }

  /** DefaultEvalIterationFunc: one evaluation at `ts`, with the group's metrics and times. */
  async iterate(ts: Nanos): Promise<void> {
    const m = this.ctx.metrics;
    m?.iterationsScheduled.inc({ rule_group: this.key });
    const start = this.ctx.now();
    const t0 = performance.now();
    await this.eval(ts);
    const seconds = (performance.now() - t0) / 1000;
    m?.iterationDuration.observe(seconds);
    const sum = this.rules.reduce((s, r) => s + r.evaluationDuration, 0);
    m?.groupLastRuleDurationSum.set({ rule_group: this.key }, sum);
    m?.groupLastDuration.set({ rule_group: this.key }, seconds);
    m?.groupLastEvalTime.set({ rule_group: this.key }, Number(start) / 1e9);
    this.evaluationTime = seconds;
    this.lastEvaluation = start;
    this.lastEvalTimestamp = ts;
  }

  /** Evaluates every rule at `ts`, in order; a stop between two rules ends it there. */
  async eval(ts: Nanos): Promise<void> {
    let samplesTotal = 0;
    const queryOffset = this.queryOffset();
    for (const [i, rule] of this.rules.entries()) {
      if (this.done.signal.aborted) return;
      samplesTotal += await this.evalRule(i, rule, ts, queryOffset);
    }
    this.ctx.metrics?.groupSamples.set({ rule_group: this.key }, samplesTotal);
    await this.cleanupStaleSeries(ts);
  }

  private async evalRule(i: number, rule: BaseRule, ts: Nanos, queryOffset: Nanos): Promise<number> {
    const m = this.ctx.metrics;
    const logger = this.logger.child({ name: rule.name, index: i });
    const start = this.ctx.now();
    const t0 = performance.now();
    const failed = (err: unknown) => {
      rule.health = 'err';
      rule.lastError = err instanceof Error ? err.message : String(err);
      m?.evalFailures.inc({ rule_group: this.key });
    };
    try {
      m?.evalTotal.inc({ rule_group: this.key });
      await this.ctx.holdEvaluation?.(this, rule);
      let vector: Awaited<ReturnType<BaseRule['eval']>>;
      try {
        vector = await rule.eval({ ts, queryOffset, query: this.ctx.query, limit: this.limit });
      } catch (err) {
        failed(err);
        // A cancelled query is a shutdown, not a failure worth a line.
        if (!(err instanceof QueryCanceledError)) logger.warn({ rule: rule.toString(), err }, 'Evaluating rule failed');
        return 0;
      }
      rule.health = 'ok';
      rule.lastError = undefined;
      if (rule instanceof AlertingRule) rule.sendAlerts(ts, this.ctx.resendDelay, this.interval, this.ctx.notify);

      const app = this.ctx.appendable.appender();
      const seriesReturned = new Map<string, Labels>();
      let numOutOfOrder = 0;
      let numDuplicates = 0;
      for (const s of vector) {
        const refused = app.append(s.metric, s.t, s.f);
        if (refused) {
          rule.health = 'err';
          rule.lastError = refused.message;
          if (refused.kind === 'out-of-order') numOutOfOrder++;
          else if (refused.kind === 'duplicate') numDuplicates++;
          if (refused.kind === 'out-of-order' || refused.kind === 'duplicate')
            logger.debug({ err: refused.message, sample: s }, 'Rule evaluation result discarded');
          else logger.warn({ err: refused.message, sample: s }, 'Rule evaluation result discarded');
        } else {
          seriesReturned.set(labelsKey(s.metric), s.metric);
        }
      }
      if (numOutOfOrder > 0)
        logger.warn({ num_dropped: numOutOfOrder }, 'Error on ingesting out-of-order result from rule evaluation');
      if (numDuplicates > 0)
        logger.warn(
          { num_dropped: numDuplicates },
          'Error on ingesting results from rule evaluation with different value but same timestamp',
        );
      // Series this rule produced last time but not now: mark them stale.
      for (const [key, lset] of this.seriesInPreviousEval[i] ?? []) {
        if (seriesReturned.has(key)) continue;
        const refused = app.append(lset, nsToMs(ts - queryOffset), STALE_NAN);
        if (refused && refused.kind !== 'out-of-order' && refused.kind !== 'duplicate')
          logger.warn({ sample: lset, err: refused.message }, 'Adding stale sample failed');
      }
      try {
        await app.commit();
        this.seriesInPreviousEval[i] = seriesReturned;
      } catch (err) {
        failed(err);
        logger.warn({ err }, 'Rule sample appending failed');
      }
      return vector.length;
    } finally {
      const seconds = (performance.now() - t0) / 1000;
      m?.evalDuration.observe(seconds);
      rule.evaluationDuration = seconds;
      rule.evaluationTimestamp = start;
    }
  }

  /** Marks the series of rules that no longer exist stale (at the evaluation time). */
  async cleanupStaleSeries(ts: Nanos): Promise<void> {
    if (this.staleSeries.length === 0) return;
    const app = this.ctx.appendable.appender();
    const t = nsToMs(ts - this.queryOffset());
    for (const s of this.staleSeries) {
      const refused = app.append(s, t, STALE_NAN);
      if (refused && refused.kind !== 'out-of-order' && refused.kind !== 'duplicate')
        this.logger.warn({ sample: s, err: refused.message }, 'Adding stale sample for previous configuration failed');
    }
    try {
      await app.commit();
      this.staleSeries = [];
    } catch (err) {
      this.logger.warn({ err }, 'Stale sample appending for previous configuration failed');
    }
  }

  /**
   * Upstream's RestoreForState: an alert that was pending (or firing) before a restart gets its
   * `activeAt` back from ALERTS_FOR_STATE, so `for` does not start over, within the outage
   * tolerance, and never firing sooner than the grace period after the restart.
   */
  async restoreForState(ts: Nanos): Promise<void> {
    const t0 = performance.now();
    try {
      const maxt = nsToMs(ts);
      const mint = nsToMs(ts - this.ctx.outageTolerance);
      let querier: ReturnType<Queryable['querier']>;
      try {
        querier = this.ctx.queryable.querier(mint, maxt);
      } catch (err) {
        this.logger.error({ err }, 'Failed to get Querier');
        return;
      }
      for (const rule of this.rules) {
        if (!(rule instanceof AlertingRule)) continue;
        const hold = rule.holdDuration;
        if (hold < this.ctx.forGracePeriod) {
          // Restoring would make it wait at least the grace period: it waits its `for` instead.
          rule.restored = true;
          continue;
        }
        let selected: ReturnType<AlertingRule['queryForStateSeries']>;
        try {
          selected = rule.queryForStateSeries(querier);
        } catch (err) {
          this.logger.error({ alertname: rule.name, stage: 'Select', err }, "Failed to restore 'for' state");
          rule.restored = true;
          continue;
        }
        const byLabels = new Map<string, (typeof selected)[number]>();
        for (const s of selected) {
          const { __name__: _, ...rest } = s.labels;
          byLabels.set(labelsKey(rest), s);
        }
        if (byLabels.size === 0) {
          this.logger.debug({ alertname: rule.name }, "No series found to restore the 'for' state of the alert rule");
          rule.restored = true;
          continue;
        }
        for (const a of rule.active.values()) {
          const s = byLabels.get(labelsKey(a.labels));
          if (!s) continue;
          let t: number | undefined;
          let v = 0;
          for (const it = s.iterator(); it.next(); ) {
            t = it.t;
            v = it.v;
          }
          if (t === undefined || isStaleNaN(v)) continue; // the alert was not active
          const second = 1_000_000_000n;
          const downAt = BigInt(Math.trunc(t / 1000)) * second;
          let restoredActiveAt = BigInt(Math.trunc(v)) * second;
          const timeRemainingPending = hold - (downAt - restoredActiveAt);
          if (timeRemainingPending <= 0n) {
            // It was firing when Prometheus went down: the next evaluation decides.
          } else if (timeRemainingPending < this.ctx.forGracePeriod) {
            restoredActiveAt = ts + this.ctx.forGracePeriod - hold;
          } else {
            // Shift by the time Prometheus was down: that time does not count as pending.
            restoredActiveAt += ts - downAt;
          }
          a.activeAt = restoredActiveAt;
          this.logger.debug(
            { alertname: rule.name, restored_time: new Date(nsToMs(restoredActiveAt)).toISOString(), labels: a.labels },
            "'for' state restored",
          );
        }
        rule.restored = true;
      }
    } finally {
      const seconds = (performance.now() - t0) / 1000;
      this.ctx.metrics?.groupLastRestoreDuration.set({ rule_group: this.key }, seconds);
      this.logger.debug({ duration_seconds: seconds }, "'for' state restoration completed");
      this.shouldRestore = false;
    }
  }

  /**
   * CopyState: on reload, the new group takes the old one's alert states, staleness bookkeeping
   * and last evaluation, matching rules by name and labels (the n-th duplicate with the n-th).
   */
  copyState(from: Group): void {
    this.evaluationTime = from.evaluationTime;
    this.lastEvaluation = from.lastEvaluation;
    const ruleMap = new Map<string, number[]>();
    from.rules.forEach((r, i) => {
      const k = nameAndLabels(r);
      ruleMap.set(k, [...(ruleMap.get(k) ?? []), i]);
    });
    this.rules.forEach((rule, i) => {
      const k = nameAndLabels(rule);
      const indexes = ruleMap.get(k) ?? [];
      const fi = indexes[0];
      if (fi === undefined) return;
      this.seriesInPreviousEval[i] = from.seriesInPreviousEval[fi] ?? new Map();
      ruleMap.set(k, indexes.slice(1));
      const old = from.rules[fi];
      if (rule instanceof AlertingRule && old instanceof AlertingRule) {
        for (const [key, a] of old.active) rule.active.set(key, a);
      }
    });
    // Rules deleted (or unmatched duplicates): their series go stale.
    this.staleSeries = [...from.staleSeries];
    from.rules.forEach((r, fi) => {
      if ((ruleMap.get(nameAndLabels(r)) ?? []).length > 0)
        this.staleSeries.push(...(from.seriesInPreviousEval[fi]?.values() ?? []));
    });
  }

  /** Whether a reload leaves the group as it is (then it keeps running untouched). */
  equals(other: Group): boolean {
    return (
      this.name === other.name &&
      this.file === other.file &&
      this.interval === other.interval &&
      this.limit === other.limit &&
      this.queryOffsetNs === other.queryOffsetNs &&
      this.rules.length === other.rules.length &&
      this.rules.every((r, i) => r.toString() === other.rules[i]?.toString())
    );
  }

  /** The group's alerting rules by state (firing first), then name, as upstream's AlertingRules. */
  alertingRules(): AlertingRule[] {
    const rank = { firing: 2, pending: 1, inactive: 0 } as const;
    return this.rules
      .filter((r): r is AlertingRule => r instanceof AlertingRule)
      .sort((a, b) => rank[b.state()] - rank[a.state()] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

const nameAndLabels = (r: BaseRule) => `${r.name}${labelsKey(r.labels)}`;
