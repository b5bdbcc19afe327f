/**
 * /alerts: every alerting rule with its state and its active alerts, read from GET /api/v1/rules
 * as upstream's alerts page reads it. Nothing here assumes rules are never evaluated: the state,
 * the alerts and the last evaluation come from the API.
 */
import { apiGet, errorText } from './api.js';
import { el, replaceChildren } from './dom.js';
import { humanizeAgo } from './format.js';
import { alertBox, mountPage } from './layout.js';
import { neverEvaluated, pairs, type Rule, type RuleGroup } from './rules-data.js';

const NOT_EVALUATED =
  'miniprom loads and checks these rule files on every reload, but evaluates nothing yet: it has no PromQL engine. Every alerting rule therefore stays inactive, as upstream reports a rule never evaluated.';

function alertRows(r: Rule, group: string, now: number): HTMLTableRowElement[] {
  const never = neverEvaluated(r.lastEvaluation);
  const state = r.state ?? 'inactive';
  const rows = [
    el(
      'tr',
      { className: 'alert', data: { state } },
      el('td', {}, r.name),
      el('td', { className: 'muted' }, group),
      el('td', {}, el('code', {}, r.query)),
      el('td', {}, `${r.duration ?? 0}s`),
      el('td', {}, pairs(r.labels)),
      el('td', {}, pairs(r.annotations)),
      el(
        'td',
        { className: state === 'firing' ? 'down' : state === 'pending' ? 'unknown' : 'muted' },
        never ? `${state}, never evaluated` : `${state}, evaluated ${humanizeAgo(r.lastEvaluation, now)}`,
      ),
    ),
  ];
  // Each active alert under its rule: its labels, state, since when and the value that fired it.
  for (const a of r.alerts ?? []) {
    rows.push(
      el(
        'tr',
        { className: 'active-alert', data: { state: a.state } },
        el('td', {}),
        el('td', { attrs: { colspan: 4 } }, el('code', {}, pairs(a.labels))),
        el('td', {}, a.value === undefined ? '' : `value ${a.value}`),
        el('td', {}, a.state, a.activeAt ? ` since ${humanizeAgo(a.activeAt, now)}` : ''),
      ),
    );
  }
  return rows;
}

async function show(main: HTMLElement): Promise<void> {
  const note = el('div');
  const body = el('tbody', { id: 'alerts' });
  replaceChildren(
    main,
    el('h1', {}, 'Alerts'),
    note,
    el(
      'table',
      {},
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ...['Alert', 'Group', 'Expression', 'For', 'Labels', 'Annotations', 'State'].map((h) => el('th', {}, h)),
        ),
      ),
      body,
    ),
  );
  try {
    const { data } = await apiGet<{ groups: RuleGroup[] }>('/rules');
    const now = Date.now();
    const alerting = data.groups.flatMap((g) =>
      g.rules.filter((r) => r.type === 'alerting').map((r) => ({ rule: r, group: g.name })),
    );
    if (alerting.length > 0 && alerting.every(({ rule }) => neverEvaluated(rule.lastEvaluation))) {
      replaceChildren(note, el('p', { className: 'muted note' }, NOT_EVALUATED));
    }
    if (alerting.length === 0) {
      replaceChildren(
        body,
        el('tr', {}, el('td', { attrs: { colspan: 7 }, className: 'muted' }, 'No alerting rules.')),
      );
    } else replaceChildren(body, ...alerting.flatMap(({ rule, group }) => alertRows(rule, group, now)));
  } catch (err) {
    replaceChildren(note, alertBox('error', 'Error fetching rules', errorText(err)));
  }
}

void show(mountPage('/alerts', 'Alerts').main);
