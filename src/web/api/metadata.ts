/**
 * Metadata as scrapes saw it, as upstream's web/api/v1 serves it: /api/v1/metadata (per metric
 * name, the distinct type/help/unit triples over all targets) and /api/v1/targets/metadata (per
 * target, optionally filtered by `match_target` and `metric`).
 */
import { compileRegex } from '../../regex/index.js';
import type { Labels, Matcher } from '../../storage/index.js';
import type { ApiHandler } from './http.js';
import { compareStrings, encodeJSON, GoMap, RawJSON } from './json.js';
import { invalidParam } from './query.js';
import { ApiError, encodeLabels } from './response.js';
import type { PromQLParser, TargetMetadata } from './types.js';

export interface MetadataApiDeps {
  parser?: PromQLParser;
  targetMetadata(): TargetMetadata[];
}

/** An optional integer parameter: -1 (no limit) when absent, else upstream's `<name> must be a number`. */
function optionalInt(text: string, name: string): number | ApiError {
  if (text === '') return -1;
  if (!/^[+-]?\d+$/.test(text)) return new ApiError('bad_data', `${name} must be a number`);
  return Number(text);
}

/** GET /api/v1/metadata. */
export function metricMetadata(deps: MetadataApiDeps): ApiHandler {
  return ({ form }) => {
    const limit = optionalInt(form.get('limit'), 'limit');
    if (limit instanceof ApiError) return { error: limit };
    const perMetric = optionalInt(form.get('limit_per_metric'), 'limit_per_metric');
    if (perMetric instanceof ApiError) return { error: perMetric };
    const metric = form.get('metric');

    // Per metric name, its distinct triples (upstream: a set keyed by the metadata struct).
    const byName = new Map<string, Map<string, { type: string; unit: string; help: string }>>();
    for (const target of deps.targetMetadata()) {
      for (const md of target.metadata) {
        if (metric !== '' && md.metric !== metric) continue;
        const set = byName.get(md.metric) ?? new Map();
        if (perMetric > 0 && set.size >= perMetric) continue;
        set.set(JSON.stringify([md.type, md.help, md.unit]), { type: md.type, unit: md.unit, help: md.help });
        byName.set(md.metric, set);
      }
    }
    // Upstream keeps `limit` names in the order of Go's map iteration (random); miniprom keeps
    // the first in name order, so the same request gives the same answer.
    const names = [...byName.keys()].sort(compareStrings);
    const kept = limit >= 0 ? names.slice(0, limit) : names;
    return { data: new GoMap(kept.map((name) => [name, [...(byName.get(name)?.values() ?? [])]])) };
  };
}

/** GET /api/v1/targets/metadata. */
export function targetMetadata(deps: MetadataApiDeps): ApiHandler {
  return ({ form }) => {
    const limit = optionalInt(form.get('limit'), 'limit');
    if (limit instanceof ApiError) return { error: limit };
    const matchTarget = form.get('match_target');
    let matchers: Matcher[] = [];
    if (matchTarget !== '') {
      try {
        matchers = deps.parser?.parseMetricSelector(matchTarget) ?? [];
      } catch (err) {
        return invalidParam('match_target', (err as Error).message);
      }
    }
    const matches = labelsMatcher(matchers);
    const metric = form.get('metric');
    const out: string[] = [];
    for (const target of deps.targetMetadata()) {
      // As upstream, the limit is checked per target: a target's metadata is added whole.
      if (limit >= 0 && out.length >= limit) break;
      if (!matches(target.labels)) continue;
      const labels = encodeLabels(target.labels);
      for (const md of target.metadata) {
        if (metric === '') {
          out.push(
            `{"target":${labels},${fields({ metric: md.metric, type: md.type, help: md.help, unit: md.unit })}}`,
          );
        } else if (md.metric === metric) {
          // For one metric upstream leaves out the (known) metric name.
          out.push(`{"target":${labels},${fields({ type: md.type, help: md.help, unit: md.unit })}}`);
        }
      }
    }
    return { data: new RawJSON(`[${out.join(',')}]`) };
  };
}

/** Encoded object fields without their braces (upstream's `metric` is omitempty). */
function fields(record: Record<string, string>): string {
  const { metric, ...rest } = record;
  return encodeJSON(metric ? record : rest).slice(1, -1);
}

function labelsMatcher(matchers: readonly Matcher[]): (labels: Labels) => boolean {
  const tests = matchers.map((m) => {
    const re = m.type === '=~' || m.type === '!~' ? compileRegex(m.value) : undefined;
    return (v: string) => {
      switch (m.type) {
        case '=':
          return v === m.value;
        case '!=':
          return v !== m.value;
        case '=~':
          return re?.test(v) === true;
        case '!~':
          return re?.test(v) !== true;
      }
    };
  });
  return (labels) => matchers.every((m, i) => (tests[i] as (v: string) => boolean)(labels[m.name] ?? ''));
}
