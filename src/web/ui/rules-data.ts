/**
 * The rule groups as GET /api/v1/rules answers (upstream's RuleGroup, AlertingRule and
 * RecordingRule), shared by /rules and /alerts, and what both pages derive from them.
 */
import { escapeString, maybeQuoteLabelName } from './format.js';

/** An active alert of an alerting rule. */
export interface ActiveAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
  activeAt?: string;
  value?: string;
}

/** A rule as the API lists it; the fields of the other type are absent. */
export interface Rule {
  type: 'alerting' | 'recording';
  name: string;
  query: string;
  labels?: Record<string, string>;
  health: string;
  lastError?: string;
  evaluationTime: number;
  lastEvaluation: string;
  // alerting only
  state?: string;
  duration?: number;
  keepFiringFor?: number;
  annotations?: Record<string, string>;
  alerts?: ActiveAlert[];
}

export interface RuleGroup {
  name: string;
  file: string;
  interval: number;
  rules: Rule[];
  evaluationTime: number;
  lastEvaluation: string;
}

/** A rule's labels (or annotations) as `name="value"` pairs. */
export function pairs(labels: Record<string, string> | undefined): string {
  return Object.entries(labels ?? {})
    .map(([k, v]) => `${maybeQuoteLabelName(k)}="${escapeString(v)}"`)
    .join(', ');
}

/** Go's zero time, which the API reports for a rule never evaluated. */
export function neverEvaluated(lastEvaluation: string): boolean {
  const t = Date.parse(lastEvaluation);
  return Number.isNaN(t) || t < 0;
}
