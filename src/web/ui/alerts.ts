/**
 * /alerts: every alerting rule with its state and its active alerts (labels, rendered annotations,
 * value, since when), read from GET /api/v1/rules as upstream's alerts page reads it, and read
 * again every few seconds to follow the evaluations.
 */
import { apiGet, errorText } from './api.js';
import { el, replaceChildren } from './dom.js';
import { humanizeAgo } from './format.js';
import { alertBox, mountPage } from './layout.js';
import { neverEvaluated, pairs, type Rule, type RuleGroup } from './rules-data.js';

const NOT_EVALUATED =
  'Not evaluated yet: each group evaluates at its interval, the first time within one interval of the start. Until then every alerting rule is inactive, as upstream reports a rule never evaluated.';

/** How often the page reads the rules again, to follow the evaluations. */
const REFRESH_MS = 5000;

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
  // Each active alert under its rule: its labels, its annotations as rendered, the value that
  // fired it, its state and since when.
  for (const a of r.alerts ?? []) {
    rows.push(
      el(
        'tr',
        { className: 'active-alert', data: { state: a.state } },
        el('td', {}),
        el('td', { attrs: { colspan: 3 } }, el('code', {}, pairs(a.labels))),
        el(
          'td',
          { className: 'annotations' },
          ...Object.entries(a.annotations).map(([k, v]) => el('div', {}, el('b', {}, `${k}: `), v)),
        ),
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
  await render(note, body);
  setInterval(() => void render(note, body), REFRESH_MS);
}

async function render(note: HTMLElement, body: HTMLElement): Promise<void> {
  try {
    const { data } = await apiGet<{ groups: RuleGroup[] }>('/rules');
    const now = Date.now();
    const alerting = data.groups.flatMap((g) =>
      g.rules.filter((r) => r.type === 'alerting').map((r) => ({ rule: r, group: g.name })),
    );
    if (alerting.length > 0 && alerting.every(({ rule }) => neverEvaluated(rule.lastEvaluation))) {
      replaceChildren(note, el('p', { className: 'muted note' }, NOT_EVALUATED));
    } else replaceChildren(note);
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
