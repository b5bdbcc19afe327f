/**
 * What recording and alerting rules share (upstream's rules.Rule): a name, labels, a PromQL
 * expression evaluated through the manager's query function, and the health, last error and
 * timing the API shows.
 */
import { stringify } from 'yaml';
import { formatDuration } from '../config/index.js';
import { type Expr, exprToString, parseExpr, type QueryEngine } from '../promql/index.js';
import type { Labels, Queryable } from '../storage/index.js';
import type { Nanos } from './time.js';

/** One element of a rule's result: a series' labels, a time (ms) and a value. */
export interface RuleSample {
  metric: Labels;
  t: number;
  f: number;
}

/**
 * Upstream's rules.QueryFunc: evaluates `query` at `timeMs` and answers a vector (a scalar is one
 * sample without labels). Rejects with the engine's error.
 */
export type QueryFunc = (query: string, timeMs: number) => Promise<RuleSample[]>;

/** rules.EngineQueryFunc: instant queries against `queryable` through `engine`. */
export function engineQueryFunc(engine: QueryEngine, queryable: Queryable): QueryFunc {
  return async (query, timeMs) => {
    const { value } = await engine.instantQuery(queryable, query, timeMs);
    if (value.resultType === 'vector') return value.result.map((s) => ({ metric: s.metric, t: s.t, f: s.f }));
    if (value.resultType === 'scalar') return [{ metric: {}, t: value.result.t, f: value.result.v }];
    throw new Error('rule result is not a vector or scalar');
  };
}

export type RuleHealth = 'unknown' | 'ok' | 'err';

/** The evaluation of one rule at one time, as a group asks for it. */
export interface RuleEvaluation {
  ts: Nanos;
  queryOffset: Nanos;
  query: QueryFunc;
  limit: number;
}

/** The state every rule keeps between evaluations (what /api/v1/rules shows). */
export abstract class BaseRule {
  health: RuleHealth = 'unknown';
  lastError: string | undefined;
  /** How long the last evaluation took, in seconds. */
  evaluationDuration = 0;
  /** When the last evaluation started (wall clock); undefined before the first. */
  evaluationTimestamp: Nanos | undefined;
  /** The expression as upstream prints its parsed form (what it queries and what the API shows). */
  readonly query: string;

  constructor(
    readonly name: string,
    expr: string,
    /** The rule's labels, the group's merged in, names sorted. */
    readonly labels: Labels,
  ) {
    this.query = exprToString(parseExpr(expr) as Expr);
  }

  abstract eval(e: RuleEvaluation): Promise<RuleSample[]>;

  /** The rule as rulefmt YAML: what reloads compare to decide whether a group changed. */
  abstract toString(): string;
}

/** rulefmt.Rule marshalled to YAML, fields in upstream's order, empty ones left out. */
export function ruleYAML(fields: {
  record?: string;
  alert?: string;
  expr: string;
  for?: number;
  keep_firing_for?: number;
  labels: Labels;
  annotations?: Labels;
}): string {
  const out: Record<string, unknown> = {};
  if (fields.record) out.record = fields.record;
  if (fields.alert) out.alert = fields.alert;
  out.expr = fields.expr;
  if (fields.for) out.for = formatDuration(fields.for);
  if (fields.keep_firing_for) out.keep_firing_for = formatDuration(fields.keep_firing_for);
  if (Object.keys(fields.labels).length > 0) out.labels = fields.labels;
  if (fields.annotations && Object.keys(fields.annotations).length > 0) out.annotations = fields.annotations;
  return stringify(out);
}
