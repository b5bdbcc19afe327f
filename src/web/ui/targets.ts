/**
 * /targets: the active targets by scrape pool (collapsible), each with its health, labels, the
 * last scrape's time, duration and error, as upstream's page shows them, and how many series its
 * last scrape returned (upstream's page has no such column; miniprom reads it from the
 * `scrape_samples_scraped` series every scrape writes).
 */
import { ApiError, apiGet, errorText } from './api.js';
import { el, replaceChildren } from './dom.js';
import { formatSeries, humanizeAgo, humanizeDuration } from './format.js';
import { alertBox, mountPage } from './layout.js';
import './targets.css';

interface Target {
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  lastError: string;
  lastScrape: string;
  lastScrapeDuration: number;
  health: string;
  scrapeInterval?: string;
}

interface TargetsData {
  activeTargets: Target[];
  droppedTargets: unknown[];
}

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

const HEALTH_CLASSES = new Set(['up', 'down', 'unknown']);

/** `job`/`instance` of a target, the labels its scrape_samples_scraped series carries. */
const seriesKey = (labels: Record<string, string>) => `${labels.job ?? ''}\u0000${labels.instance ?? ''}`;

/** Series per target from the last scrape, or undefined when the query cannot run (agent mode). */
async function scrapedSeries(): Promise<Map<string, string> | undefined> {
  try {
    const { data } = await apiGet<{ resultType: string; result: VectorSample[] }>('/query', {
      query: 'scrape_samples_scraped',
    });
    return new Map(data.result.map((s) => [seriesKey(s.metric), s.value[1]]));
  } catch (err) {
    if (err instanceof ApiError) return undefined;
    throw err;
  }
}

function targetRow(t: Target, series: Map<string, string> | undefined, now: number): HTMLTableRowElement {
  const labels = { ...t.labels };
  return el(
    'tr',
    { className: 'target', data: { health: t.health } },
    el('td', {}, el('a', { attrs: { href: t.scrapeUrl } }, t.scrapeUrl)),
    el('td', {}, el('code', {}, formatSeries(labels).replace(/^\{|\}$/g, ''))),
    el('td', { title: t.lastScrape }, humanizeAgo(t.lastScrape, now)),
    el('td', { title: 'Duration of the last scrape' }, humanizeDuration(t.lastScrapeDuration * 1000)),
    el(
      'td',
      { className: 'series', title: 'scrape_samples_scraped: samples in the last scrape, one per series' },
      series?.get(seriesKey(t.labels)) ?? '–',
    ),
    el('td', { className: HEALTH_CLASSES.has(t.health) ? t.health : 'unknown' }, t.health),
    el('td', { className: 'error' }, t.lastError),
  );
}

function poolSection(pool: string, targets: Target[], series: Map<string, string> | undefined, now: number) {
  const up = targets.filter((t) => t.health === 'up').length;
  return el(
    'details',
    { className: 'pool', attrs: { open: true }, data: { pool } },
    el('summary', {}, el('b', {}, pool), ' ', el('span', { className: 'muted' }, `(${up}/${targets.length} up)`)),
    el(
      'table',
      {},
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ...['Endpoint', 'Labels', 'Last scrape', 'Duration', 'Series', 'State', 'Error'].map((h) => el('th', {}, h)),
        ),
      ),
      el('tbody', {}, ...targets.map((t) => targetRow(t, series, now))),
    ),
  );
}

async function show(main: HTMLElement): Promise<void> {
  const dropped = el('span', { className: 'muted', id: 'dropped' });
  const list = el('div', { id: 'targets' }, 'Loading…');
  const toggle = (open: boolean) => {
    for (const d of list.querySelectorAll('details')) d.open = open;
  };
  replaceChildren(
    main,
    el('h1', {}, 'Targets ', dropped),
    el(
      'div',
      { className: 'bar' },
      el('button', { on: { click: () => toggle(true) } }, 'Expand all'),
      el('button', { on: { click: () => toggle(false) } }, 'Collapse all'),
    ),
    list,
  );
  try {
    const [{ data }, series] = await Promise.all([apiGet<TargetsData>('/targets'), scrapedSeries()]);
    const now = Date.now();
    const pools = new Map<string, Target[]>();
    for (const t of data.activeTargets) pools.set(t.scrapePool, [...(pools.get(t.scrapePool) ?? []), t]);
    dropped.textContent = `${data.droppedTargets.length} dropped by relabeling`;
    if (pools.size === 0) replaceChildren(list, el('p', { className: 'muted' }, 'No targets.'));
    else replaceChildren(list, ...[...pools].map(([pool, targets]) => poolSection(pool, targets, series, now)));
  } catch (err) {
    replaceChildren(list, alertBox('error', 'Error fetching targets', errorText(err)));
  }
}

void show(mountPage('/targets', 'Targets').main);
