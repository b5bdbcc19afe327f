/**
 * The rule manager's state in the shapes of upstream's HTTP API (web/api/v1/api.go's RuleGroup,
 * AlertingRule, RecordingRule and Alert): field order, Go's time format, values as
 * strconv.FormatFloat(v, 'e', -1). The web handler filters them (`type`, `rule_name[]`, …).
 */
import { goFormatFloat } from '../golang/index.js';
import type { Labels } from '../storage/index.js';
import { type Alert, AlertingRule } from './alerting.js';
import type { RuleManager } from './manager.js';
import { rfc3339Nano } from './time.js';

export interface ApiAlert {
  labels: Labels;
  annotations: Labels;
  state: string;
  activeAt?: string;
  keepFiringSince?: string;
  value: string;
}

export interface ApiAlertingRule {
  state: string;
  name: string;
  query: string;
  duration: number;
  keepFiringFor: number;
  labels: Labels;
  annotations: Labels;
  alerts: ApiAlert[] | null;
  health: string;
  lastError?: string;
  evaluationTime: number;
  lastEvaluation: string;
  type: 'alerting';
}

export interface ApiRecordingRule {
  name: string;
  query: string;
  labels?: Labels;
  health: string;
  lastError?: string;
  evaluationTime: number;
  lastEvaluation: string;
  type: 'recording';
}

export type ApiRule = ApiAlertingRule | ApiRecordingRule;

export interface ApiRuleGroup {
  name: string;
  file: string;
  rules: ApiRule[];
  interval: number;
  limit: number;
  evaluationTime: number;
  lastEvaluation: string;
}

/** rulesAlertsToAPIAlerts. */
export function apiAlerts(alerts: readonly Alert[]): ApiAlert[] {
  return alerts.map((a) => ({
    labels: a.labels,
    annotations: a.annotations,
    state: a.state,
    activeAt: rfc3339Nano(a.activeAt),
    ...(a.keepFiringSince !== undefined && { keepFiringSince: rfc3339Nano(a.keepFiringSince) }),
    value: goFormatFloat(a.value, 'e', -1),
  }));
}

/** Every group with every rule, as /api/v1/rules shows them before filtering. */
export function apiRuleGroups(manager: RuleManager): ApiRuleGroup[] {
  return manager.ruleGroups().map((g) => ({
    name: g.name,
    file: g.file,
    rules: g.rules.map((r): ApiRule => {
      const common = {
        health: r.health,
        ...(r.lastError !== undefined && { lastError: r.lastError }),
        evaluationTime: r.evaluationDuration,
        lastEvaluation: rfc3339Nano(r.evaluationTimestamp),
      };
      if (r instanceof AlertingRule)
        return {
          state: r.state(),
          name: r.name,
          query: r.query,
          duration: Number(r.holdDuration) / 1e9,
          keepFiringFor: Number(r.keepFiringFor) / 1e9,
          labels: r.labels,
          annotations: r.annotations,
          alerts: apiAlerts(r.activeAlerts()),
          ...common,
          type: 'alerting',
        };
      // The API's JSON encoder leaves a recording rule's empty labels out (omitempty).
      return {
        name: r.name,
        query: r.query,
        ...(Object.keys(r.labels).length > 0 && { labels: r.labels }),
        ...common,
        type: 'recording',
      };
    }),
    interval: Number(g.interval) / 1e9,
    limit: g.limit,
    evaluationTime: g.evaluationTime,
    lastEvaluation: rfc3339Nano(g.lastEvaluation),
  }));
}

/** /api/v1/alerts: every active (not resolved) alert. */
export function apiAlertList(manager: RuleManager): { alerts: ApiAlert[] } {
  return { alerts: manager.alertingRules().flatMap((r) => apiAlerts(r.activeAlerts())) };
}
