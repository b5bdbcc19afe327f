/**
 * An alerting rule (upstream's rules/alerting.go): each evaluation turns the expression's result
 * into alerts, one per label set, which go inactive → pending → firing (after `for`), keep firing
 * for `keep_firing_for` once the condition clears, and are kept 15 minutes after resolving so the
 * resolution is resent. Labels and annotations are templates, expanded at every evaluation; a
 * template that fails still lets the alert fire, with the error as its text. Each evaluation also
 * yields the `ALERTS` and `ALERTS_FOR_STATE` samples of the active alerts.
 */
import type { Logger } from 'pino';
import type { Labels, Querier } from '../storage/index.js';
import {
  ALERT_TEMPLATE_DEFS,
  alertTemplateData,
  type ExternalURL,
  expandTemplate,
  parseExternalURL,
} from '../template/index.js';
import { ALERT_NAME, labelsKey, METRIC_NAME, sorted } from './labels.js';
import { BaseRule, type RuleEvaluation, type RuleSample, ruleYAML } from './rule.js';
import { type Nanos, nsToMs } from './time.js';

export const ALERT_METRIC_NAME = 'ALERTS';
export const ALERT_FOR_STATE_METRIC_NAME = 'ALERTS_FOR_STATE';
const ALERT_STATE_LABEL = 'alertstate';

export type AlertState = 'inactive' | 'pending' | 'firing';
const STATE_RANK: Record<AlertState, number> = { inactive: 0, pending: 1, firing: 2 };

/** How long a resolved alert is kept (and resent), as upstream's resolvedRetention. */
const RESOLVED_RETENTION: Nanos = 15n * 60n * 1_000_000_000n;

/** One alert of a rule: its identity (labels), its texts and where it stands. Zero times are undefined. */
export interface Alert {
  state: AlertState;
  labels: Labels;
  annotations: Labels;
  /** The expression's value at the last evaluation. */
  value: number;
  activeAt: Nanos;
  firedAt?: Nanos;
  resolvedAt?: Nanos;
  lastSentAt?: Nanos;
  validUntil?: Nanos;
  keepFiringSince?: Nanos;
}

/** Upstream's NotifyFunc: the alerts to send, produced by the expression `expr`. */
export type NotifyFunc = (expr: string, alerts: Alert[]) => void;

/** Counts template expansions, as prometheus_template_text_expansions(_failures)_total do. */
export interface TemplateCounters {
  expanded(ok: boolean): void;
}

export interface AlertingRuleOptions {
  name: string;
  expr: string;
  holdMs: number;
  keepFiringForMs: number;
  labels: Labels;
  annotations: Labels;
  externalLabels: Readonly<Record<string, string>>;
  externalURL: string;
  /** False until the `for` state has been restored from ALERTS_FOR_STATE (or needs no restoring). */
  restored: boolean;
  logger: Logger;
  templates?: TemplateCounters;
}

export class AlertingRule extends BaseRule {
  readonly holdDuration: Nanos;
  readonly keepFiringFor: Nanos;
  readonly annotations: Labels;
  restored: boolean;
  /** The active alerts by the key of their labels. */
  active = new Map<string, Alert>();
  private readonly externalLabels: Readonly<Record<string, string>>;
  private readonly externalURL: string;
  private readonly parsedURL: ExternalURL;
  private readonly logger: Logger;
  private readonly templates: TemplateCounters | undefined;

  constructor(o: AlertingRuleOptions) {
    super(o.name, o.expr, o.labels);
    this.holdDuration = BigInt(o.holdMs) * 1_000_000n;
    this.keepFiringFor = BigInt(o.keepFiringForMs) * 1_000_000n;
    this.annotations = sorted(o.annotations);
    this.externalLabels = o.externalLabels;
    this.externalURL = o.externalURL;
    this.parsedURL = parseExternalURL(o.externalURL);
    this.restored = o.restored;
    this.logger = o.logger;
    this.templates = o.templates;
  }

  async eval({ ts, queryOffset, query, limit }: RuleEvaluation): Promise<RuleSample[]> {
    const res = await query(this.query, nsToMs(ts - queryOffset));
    const resultKeys = new Set<string>();
    const alerts = new Map<string, Alert>();
    for (const smpl of res) {
      const data = alertTemplateData(smpl.metric, this.externalLabels, this.externalURL, smpl.f);
      const expand = async (text: string): Promise<string> => {
        try {
          const out = await expandTemplate({
            name: `__alert_${this.name}`,
            text: ALERT_TEMPLATE_DEFS + text,
            data,
            // A template's query runs at the evaluation's time, as upstream's expander does.
            query: async (q) => (await query(q, nsToMs(ts))).map((s) => ({ labels: s.metric, value: s.f })),
            externalURL: this.parsedURL,
          });
          this.templates?.expanded(true);
          return out;
        } catch (err) {
          this.templates?.expanded(false);
          this.logger.warn({ err }, 'Expanding alert template failed');
          return `<error expanding template: ${(err as Error).message}>`;
        }
      };
      const lb: Record<string, string> = { ...smpl.metric };
      delete lb[METRIC_NAME];
      for (const [name, value] of Object.entries(this.labels)) {
        const v = await expand(value);
        // A label builder drops a label set to "".
        if (v === '') delete lb[name];
        else lb[name] = v;
      }
      lb[ALERT_NAME] = this.name;
      const annotations: Record<string, string> = {};
      for (const [name, value] of Object.entries(this.annotations)) annotations[name] = await expand(value);
      const labels = sorted(lb);
      const key = labelsKey(labels);
      resultKeys.add(key);
      if (alerts.has(key))
        throw new Error('vector contains metrics with the same labelset after applying alert labels');
      alerts.set(key, { labels, annotations, activeAt: ts, state: 'pending', value: smpl.f });
    }

    for (const [key, a] of alerts) {
      // An alert already active keeps its state and clock; only its value and annotations change.
      const existing = this.active.get(key);
      if (existing && existing.state !== 'inactive') {
        existing.value = a.value;
        existing.annotations = a.annotations;
        continue;
      }
      this.active.set(key, a);
    }

    const vec: RuleSample[] = [];
    let numActivePending = 0;
    for (const [key, a] of this.active) {
      if (!resultKeys.has(key)) {
        // The condition no longer holds for this alert.
        let keepFiring = false;
        if (a.state === 'firing' && this.keepFiringFor > 0n) {
          a.keepFiringSince ??= ts;
          if (ts - a.keepFiringSince < this.keepFiringFor) keepFiring = true;
        }
        // A resolved alert is kept (and resent) for a while: a lost resolution gets another chance.
        if (a.state === 'pending' || (a.resolvedAt !== undefined && ts - a.resolvedAt > RESOLVED_RETENTION))
          this.active.delete(key);
        if (a.state !== 'inactive' && !keepFiring) {
          a.state = 'inactive';
          a.resolvedAt = ts;
        }
        if (!keepFiring) continue;
      } else {
        a.keepFiringSince = undefined;
      }
      numActivePending++;
      if (a.state === 'pending' && ts - a.activeAt >= this.holdDuration) {
        a.state = 'firing';
        a.firedAt = ts;
      }
      if (this.restored) {
        const t = nsToMs(ts - queryOffset);
        vec.push({ metric: this.alertSample(a), t, f: 1 });
        vec.push({ metric: this.forStateLabels(a), t, f: Number(a.activeAt / 1_000_000_000n) });
      }
    }

    if (limit > 0 && numActivePending > limit) {
      this.active = new Map();
      throw new Error(`exceeded limit of ${limit} with ${numActivePending} alerts`);
    }
    return vec;
  }

  private alertSample(a: Alert): Labels {
    return sorted({
      ...this.labels,
      ...a.labels,
      [METRIC_NAME]: ALERT_METRIC_NAME,
      [ALERT_NAME]: this.name,
      [ALERT_STATE_LABEL]: a.state,
    });
  }

  /** The ALERTS_FOR_STATE series of `a`; without an alert, the labels every such series of the rule has. */
  forStateLabels(a?: Alert): Labels {
    return sorted({
      ...this.labels,
      ...(a?.labels ?? {}),
      [METRIC_NAME]: ALERT_FOR_STATE_METRIC_NAME,
      [ALERT_NAME]: this.name,
    });
  }

  /** The ALERTS_FOR_STATE series of this rule in `querier`. */
  queryForStateSeries(querier: Querier) {
    const matchers = Object.entries(this.forStateLabels())
      .filter(([, value]) => value !== '')
      .map(([name, value]) => ({ type: '=' as const, name, value }));
    return querier.select(matchers);
  }

  /** The highest state of the rule's alerts: firing > pending > inactive. */
  state(): AlertState {
    let max: AlertState = 'inactive';
    for (const a of this.active.values()) if (STATE_RANK[a.state] > STATE_RANK[max]) max = a.state;
    return max;
  }

  /** Copies of the alerts not resolved (what the API and `promtool test rules` show). */
  activeAlerts(): Alert[] {
    return [...this.active.values()].filter((a) => a.resolvedAt === undefined).map((a) => ({ ...a }));
  }

  /** Sends what needs sending: firing alerts every `resendDelay`, a resolution once it happens. */
  sendAlerts(ts: Nanos, resendDelay: Nanos, interval: Nanos, notify: NotifyFunc): void {
    const alerts: Alert[] = [];
    for (const a of this.active.values()) {
      if (!needsSending(a, ts, resendDelay)) continue;
      a.lastSentAt = ts;
      // Valid for four intervals: two missed evaluations or sends do not resolve it at Alertmanager.
      const delta = interval > resendDelay ? interval : resendDelay;
      a.validUntil = ts + 4n * delta;
      alerts.push({ ...a });
    }
    notify(this.query, alerts);
  }

  toString(): string {
    return ruleYAML({
      alert: this.name,
      expr: this.query,
      for: Number(this.holdDuration / 1_000_000n),
      keep_firing_for: Number(this.keepFiringFor / 1_000_000n),
      labels: this.labels,
      annotations: this.annotations,
    });
  }
}

function needsSending(a: Alert, ts: Nanos, resendDelay: Nanos): boolean {
  if (a.state === 'pending') return false;
  // Resolved since it was last sent: send the resolution.
  if (a.resolvedAt !== undefined && (a.lastSentAt === undefined || a.resolvedAt > a.lastSentAt)) return true;
  return a.lastSentAt === undefined || a.lastSentAt + resendDelay < ts;
}
