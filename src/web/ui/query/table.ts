/**
 * The table tab's result: one row per series with its value (a vector), its values with their
 * times (a matrix), or the scalar or string, as upstream's DataTable shows them. At most 10,000
 * rows are drawn at first, as upstream, with a link to show them all.
 */
import { el } from '../dom.js';
import { escapeString, maybeQuoteLabelName, metricNeedsQuoting } from '../format.js';

/** An instant query's `data`. */
export type QueryData =
  | { resultType: 'vector'; result: Array<{ metric: Record<string, string>; value?: [number, string] }> }
  | { resultType: 'matrix'; result: Array<{ metric: Record<string, string>; values?: Array<[number, string]> }> }
  | { resultType: 'scalar' | 'string'; result: [number, string] };

const MAX_DISPLAYED = 10_000;

/** A series' name and labels, each part styled (metric name, label names, values), as text. */
export function seriesName(labels: Record<string, string>): HTMLElement {
  const name = labels.__name__ ?? '';
  const quoted = metricNeedsQuoting(name);
  const parts: Array<HTMLElement | string> = [];
  if (!quoted) parts.push(el('span', { className: 'metric-name' }, name));
  parts.push('{');
  const pairs = Object.entries(labels).filter(([k]) => k !== '__name__');
  if (quoted) parts.push(el('span', { className: 'label-value' }, `"${escapeString(name)}"`), pairs.length ? ', ' : '');
  pairs.forEach(([k, v], i) => {
    if (i > 0) parts.push(', ');
    parts.push(
      el('span', { className: 'label-name' }, maybeQuoteLabelName(k)),
      '=',
      el('span', { className: 'label-value' }, `"${escapeString(v)}"`),
    );
  });
  parts.push('}');
  return el('span', { className: 'series-name' }, ...parts);
}

/** The rows for `data`; `all` draws every series even past the limit. */
export function resultTable(data: QueryData, showAll: () => void, all = false): HTMLElement {
  const body = el('tbody');
  const notices: HTMLElement[] = [];
  if (data.resultType === 'vector' || data.resultType === 'matrix') {
    const shown = all ? data.result : data.result.slice(0, MAX_DISPLAYED);
    if (shown.length < data.result.length) {
      notices.push(
        el(
          'div',
          { className: 'notice warning' },
          `Fetched ${data.result.length} series, only displaying the first ${MAX_DISPLAYED} for performance reasons. `,
          el('button', { className: 'link', on: { click: showAll } }, 'Show all results'),
        ),
      );
    }
    for (const s of shown) {
      const value =
        'value' in s
          ? el('td', { className: 'number' }, s.value?.[1] ?? '')
          : el(
              'td',
              { className: 'number' },
              ...('values' in s ? (s.values ?? []) : []).map(([t, v]) =>
                el(
                  'div',
                  {},
                  `${v} `,
                  el('span', { className: 'muted', title: new Date(t * 1000).toISOString() }, `@${t}`),
                ),
              ),
            );
      body.append(el('tr', {}, el('td', {}, seriesName(s.metric)), value));
    }
  } else {
    body.append(
      el(
        'tr',
        {},
        el('td', {}, data.resultType === 'scalar' ? 'Scalar value' : 'String value'),
        el('td', { className: 'number' }, data.result[1]),
      ),
    );
  }
  return el('div', {}, ...notices, el('table', { className: 'result' }, body));
}
