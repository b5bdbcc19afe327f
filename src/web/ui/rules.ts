/**
 * /rules: every rule group with its rules, as GET /api/v1/rules reports them (health, last
 * evaluation and its duration, last error), read again every few seconds to follow the
 * evaluations.
 */
import { apiGet, errorText } from './api.js';
import { el, replaceChildren } from './dom.js';
import { humanizeAgo, humanizeDuration } from './format.js';
import { alertBox, mountPage } from './layout.js';
import { neverEvaluated, pairs, type Rule, type RuleGroup } from './rules-data.js';

/** Shown while nothing has been evaluated yet. */
const NOT_EVALUATED =
  'Not evaluated yet: each group evaluates at its interval, the first time within one interval of the start. Until then every rule reports health unknown, as upstream reports a rule never evaluated.';

/** How often the page reads the rules again, to follow the evaluations. */
const REFRESH_MS = 5000;

function ruleRow(r: Rule, now: number): HTMLTableRowElement {
  const never = neverEvaluated(r.lastEvaluation);
  return el(
    'tr',
    { className: 'rule', data: { health: r.health } },
    el('td', {}, r.type === 'alerting' ? 'alert: ' : 'record: ', r.name),
    el('td', {}, el('code', {}, r.query)),
    el('td', {}, pairs(r.labels)),
    el('td', { className: r.health === 'ok' ? 'up' : r.health === 'err' ? 'down' : 'unknown' }, r.health),
    el('td', { title: r.lastEvaluation }, never ? 'never' : humanizeAgo(r.lastEvaluation, now)),
    el('td', {}, never ? '' : humanizeDuration(r.evaluationTime * 1000)),
    el('td', { className: 'error' }, r.lastError ?? ''),
  );
}

function groupSection(g: RuleGroup, now: number): HTMLElement {
  return el(
    'section',
    { className: 'group', data: { group: g.name } },
    el('h2', {}, g.name, ' ', el('span', { className: 'muted' }, `${g.file} · every ${g.interval}s`)),
    el(
      'table',
      {},
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ...['Rule', 'Expression', 'Labels', 'Health', 'Last evaluation', 'Took', 'Error'].map((h) => el('th', {}, h)),
        ),
      ),
      el('tbody', {}, ...g.rules.map((r) => ruleRow(r, now))),
    ),
  );
}

async function show(main: HTMLElement): Promise<void> {
  const groups = el('div', { id: 'groups' }, 'Loading…');
  replaceChildren(main, el('h1', {}, 'Rules'), groups);
  await render(groups);
  setInterval(() => void render(groups), REFRESH_MS);
}

async function render(groups: HTMLElement): Promise<void> {
  try {
    const { data } = await apiGet<{ groups: RuleGroup[] }>('/rules');
    const now = Date.now();
    const rules = data.groups.flatMap((g) => g.rules);
    replaceChildren(
      groups,
      rules.length > 0 && rules.every((r) => neverEvaluated(r.lastEvaluation))
        ? el('p', { className: 'muted note' }, NOT_EVALUATED)
        : null,
      ...data.groups.map((g) => groupSection(g, now)),
      data.groups.length === 0
        ? el(
            'p',
            { className: 'muted' },
            'No rule groups: the configuration names no rule files (or the agent runs, which has no rules).',
          )
        : null,
    );
  } catch (err) {
    replaceChildren(groups, alertBox('error', 'Error fetching rules', errorText(err)));
  }
}

void show(mountPage('/rules', 'Rules').main);
