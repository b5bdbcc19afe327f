/**
 * A recording rule (upstream's rules/recording.go): the expression's result, renamed to the rule's
 * name and given its labels, becomes new series. Two results that end up with the same labels, or
 * more series than the group's `limit`, fail the evaluation.
 */
import type { Labels } from '../storage/index.js';
import { labelsKey, METRIC_NAME, sorted } from './labels.js';
import { BaseRule, type RuleEvaluation, type RuleSample, ruleYAML } from './rule.js';
import { nsToMs } from './time.js';

export class RecordingRule extends BaseRule {
  async eval({ ts, queryOffset, query, limit }: RuleEvaluation): Promise<RuleSample[]> {
    const vector = await query(this.query, nsToMs(ts - queryOffset));
    const out = vector.map((s) => {
      const lb: Record<string, string> = { ...s.metric, [METRIC_NAME]: this.name };
      for (const [name, value] of Object.entries(this.labels)) {
        if (value === '') delete lb[name];
        else lb[name] = value;
      }
      return { metric: sorted(lb) as Labels, t: s.t, f: s.f };
    });
    const seen = new Set<string>();
    for (const s of out) {
      const key = labelsKey(s.metric);
      if (seen.has(key)) throw new Error('vector contains metrics with the same labelset after applying rule labels');
      seen.add(key);
    }
    if (limit > 0 && out.length > limit) throw new Error(`exceeded limit of ${limit} with ${out.length} series`);
    return out;
  }

  toString(): string {
    return ruleYAML({ record: this.name, expr: this.query, labels: this.labels });
  }
}
