/**
 * The rule groups as upstream's GET /api/v1/rules shows them (web/api/v1/api.go's RuleGroup,
 * AlertingRule and RecordingRule). Nothing evaluates rules yet (no PromQL), so every rule reports
 * what upstream reports for a rule never evaluated: health "unknown", no alerts, evaluation time 0
 * and Go's zero time as its last evaluation.
 */
import type { RuleGroup } from './rulefile.js';

/** Go's zero time.Time as encoding/json writes it: upstream's "never evaluated". */
const NEVER = '0001-01-01T00:00:00Z';

export function rulesDiscovery(groups: readonly RuleGroup[], evaluationIntervalMs: number) {
  return {
    groups: groups.map((g) => ({
      name: g.name,
      file: g.file,
      // Fields in upstream's order; labels and annotations are objects even when empty, as there.
      rules: g.rules.map((r) =>
        r.kind === 'alert'
          ? {
              state: 'inactive',
              name: r.name,
              query: r.expr,
              duration: r.forMs / 1000,
              keepFiringFor: r.keepFiringForMs / 1000,
              labels: r.labels,
              annotations: r.annotations,
              alerts: [],
              health: 'unknown',
              evaluationTime: 0,
              lastEvaluation: NEVER,
              type: 'alerting',
            }
          : {
              name: r.name,
              query: r.expr,
              labels: r.labels,
              health: 'unknown',
              evaluationTime: 0,
              lastEvaluation: NEVER,
              type: 'recording',
            },
      ),
      // A group without its own interval runs at global.evaluation_interval, as upstream shows it.
      interval: (g.intervalMs || evaluationIntervalMs) / 1000,
      limit: g.limit,
      evaluationTime: 0,
      lastEvaluation: NEVER,
    })),
  };
}
