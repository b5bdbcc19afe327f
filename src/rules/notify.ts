/**
 * Upstream's rules.SendAlerts: the bridge main puts between the rule manager and the notifier.
 * Alerts become Alertmanager's postable alerts (startsAt when it fired, endsAt when it resolved or
 * until when it stays valid, a link back to the expression), and only non-empty batches are sent.
 * The rule manager never imports the notifier: main passes this function the notifier's `send`.
 */
import { queryEscape } from '../template/index.js';
import type { Alert, NotifyFunc } from './alerting.js';
import { rfc3339Millis } from './time.js';

/** An alert as Alertmanager's v2 API takes it (`POST /api/v2/alerts`). */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
}

/** strutil.TableLinkForExpression: the table view of `expr` in Prometheus's UI. */
export function tableLinkForExpression(expr: string): string {
  return `/graph?g0.expr=${queryEscape(expr)}&g0.tab=1`;
}

/** rules.SendAlerts(s, externalURL). */
export function sendAlerts(send: (alerts: PostableAlert[]) => void, externalURL: string): NotifyFunc {
  return (expr: string, alerts: Alert[]) => {
    if (alerts.length === 0) return;
    send(
      alerts.map((a) => ({
        labels: { ...a.labels },
        annotations: { ...a.annotations },
        startsAt: rfc3339Millis(a.firedAt),
        endsAt: rfc3339Millis(a.resolvedAt ?? a.validUntil),
        generatorURL: externalURL + tableLinkForExpression(expr),
      })),
    );
  };
}
