/** The rule manager's metrics, with upstream's names, help texts and `rule_group` label (file;group). */
import { Counter, Gauge, type Registry, Summary } from 'prom-client';

export interface RuleMetrics {
  evalDuration: Summary;
  iterationDuration: Summary;
  iterationsMissed: Counter<'rule_group'>;
  iterationsScheduled: Counter<'rule_group'>;
  evalTotal: Counter<'rule_group'>;
  evalFailures: Counter<'rule_group'>;
  groupInterval: Gauge<'rule_group'>;
  groupLastEvalTime: Gauge<'rule_group'>;
  groupLastDuration: Gauge<'rule_group'>;
  groupLastRuleDurationSum: Gauge<'rule_group'>;
  groupLastRestoreDuration: Gauge<'rule_group'>;
  groupRules: Gauge<'rule_group'>;
  groupSamples: Gauge<'rule_group'>;
  templateExpansions: Counter;
  templateExpansionFailures: Counter;
}

export function ruleMetrics(registry: Registry): RuleMetrics {
  const registers = [registry];
  const labelNames = ['rule_group'] as const;
  const counter = (name: string, help: string) =>
    new Counter({ name: `prometheus_${name}`, help, labelNames, registers });
  const gauge = (name: string, help: string) => new Gauge({ name: `prometheus_${name}`, help, labelNames, registers });
  return {
    evalDuration: new Summary({
      name: 'prometheus_rule_evaluation_duration_seconds',
      help: 'The duration for a rule to execute.',
      percentiles: [0.5, 0.9, 0.99],
      registers,
    }),
    iterationDuration: new Summary({
      name: 'prometheus_rule_group_duration_seconds',
      help: 'The duration of rule group evaluations.',
      percentiles: [0.01, 0.05, 0.5, 0.9, 0.99],
      registers,
    }),
    iterationsMissed: counter(
      'rule_group_iterations_missed_total',
      'The total number of rule group evaluations missed due to slow rule group evaluation.',
    ),
    iterationsScheduled: counter(
      'rule_group_iterations_total',
      'The total number of scheduled rule group evaluations, whether executed or missed.',
    ),
    evalTotal: counter('rule_evaluations_total', 'The total number of rule evaluations.'),
    evalFailures: counter('rule_evaluation_failures_total', 'The total number of rule evaluation failures.'),
    groupInterval: gauge('rule_group_interval_seconds', 'The interval of a rule group.'),
    groupLastEvalTime: gauge(
      'rule_group_last_evaluation_timestamp_seconds',
      'The timestamp of the last rule group evaluation in seconds.',
    ),
    groupLastDuration: gauge('rule_group_last_duration_seconds', 'The duration of the last rule group evaluation.'),
    groupLastRuleDurationSum: gauge(
      'rule_group_last_rule_duration_sum_seconds',
      'The sum of time in seconds it took to evaluate each rule in the group regardless of concurrency. This should be higher than the group duration if rules are evaluated concurrently.',
    ),
    groupLastRestoreDuration: gauge(
      'rule_group_last_restore_duration_seconds',
      'The duration of the last alert rules alerts restoration using the `ALERTS_FOR_STATE` series.',
    ),
    groupRules: gauge('rule_group_rules', 'The number of rules.'),
    groupSamples: gauge(
      'rule_group_last_evaluation_samples',
      'The number of samples returned during the last rule group evaluation.',
    ),
    templateExpansions: new Counter({
      name: 'prometheus_template_text_expansions_total',
      help: 'The total number of template text expansions.',
      registers,
    }),
    templateExpansionFailures: new Counter({
      name: 'prometheus_template_text_expansion_failures_total',
      help: 'The total number of template text expansion failures.',
      registers,
    }),
  };
}

/** Drops a removed group's series, as upstream's Update does (restore duration and rule duration sum stay). */
export function deleteGroupMetrics(m: RuleMetrics, key: string): void {
  for (const metric of [
    m.iterationsMissed,
    m.iterationsScheduled,
    m.evalTotal,
    m.evalFailures,
    m.groupInterval,
    m.groupLastEvalTime,
    m.groupLastDuration,
    m.groupRules,
    m.groupSamples,
  ])
    metric.remove({ rule_group: key });
}
