/**
 * `/`: the lifecycle page. The run group's actors as lanes, followed live through startup,
 * reloads and shutdown, in one of four views (startup by default after a fresh start, shutdown
 * once the server stops, or whichever the reader picks); hover a lane for its events, its log
 * lines and why its interrupt sits where it does. Reload and Quit call the lifecycle endpoints.
 */
import { pathPrefix } from './prefix.js';
import { lifecyclePhases } from '../../lanes/index.js';
import { el, replaceChildren } from './dom.js';
import { formatMs } from './format.js';
import { mountPage } from './layout.js';
import './lifecycle/chart.css';
import { drawTimeline, VIEW_LABELS, type ViewName, viewPhase } from './lifecycle/chart.js';
import { followLifecycle, type LifecycleSnapshot } from './lifecycle/stream.js';

const VIEWS: readonly ViewName[] = ['startup', 'running', 'shutdown', 'all'];

const page = mountPage('/', 'Lifecycle');

const state = el('span', { className: 'muted', id: 'state' });
const result = el('span', { className: 'muted', id: 'result' });
const chart = el('div', { id: 'chart' }, el('p', { className: 'muted' }, ' Waiting for the lifecycle stream…'));
const axisNote = el('p', { className: 'muted', id: 'axis-note' });
const detail = el('div', { id: 'detail' }, 'Hover an actor.');
const chain = el('pre', { className: 'block', id: 'chain' });
const viewButtons = new Map(
  VIEWS.map((view) => [view, el('button', { data: { view }, on: { click: () => choose(view) } }, VIEW_LABELS[view])]),
);

let snapshot: LifecycleSnapshot | undefined;
let receivedAt = 0;
let ended = false;
let selected: string | undefined;
/** The view the reader picked; until then the page follows the run (startup, then shutdown). */
let chosen: ViewName | undefined;
let clock: ReturnType<typeof setInterval> | undefined;

/** The server's clock now: its last snapshot's, moved on by the time since it arrived. */
function serverNow(): number {
  if (!snapshot) return 0;
  const last = snapshot.events.reduce((max, e) => Math.max(max, e.t), 0);
  if (snapshot.now === undefined) return last;
  return Math.max(last, snapshot.now + (ended ? 0 : performance.now() - receivedAt));
}

function currentView(): ViewName {
  if (chosen) return chosen;
  const phases = snapshot && lifecyclePhases(snapshot.events);
  return phases?.shutdown ? 'shutdown' : 'startup';
}

function choose(view: ViewName): void {
  chosen = view;
  draw();
}

function draw(): void {
  if (!snapshot) return;
  const now = serverNow();
  const view = currentView();
  const phases = lifecyclePhases(snapshot.events, now);
  for (const [name, button] of viewButtons) {
    const phase = phases && viewPhase(phases, name, now);
    button.disabled = phase === undefined;
    button.classList.toggle('on', name === view);
    button.textContent =
      phase && name !== 'all' ? `${VIEW_LABELS[name]} ${formatMs(phase.to - phase.from)}` : VIEW_LABELS[name];
  }
  const svg = drawTimeline({ snapshot, view, now, width: chart.clientWidth - 2, selected, live: !ended });
  if (svg) {
    replaceChildren(chart, svg);
    for (const lane of svg.querySelectorAll<SVGGElement>('g.lane')) {
      lane.addEventListener('mouseenter', () => select(lane.dataset.actor));
    }
  }
  axisNote.textContent = phases ? axisText(view, phases.first, now) : '';
  chain.textContent = snapshot.chains;
  state.textContent = ended
    ? 'stopped (server gone)'
    : snapshot.readiness + (snapshot.readiness === 'Ready' ? '' : '…');
  // The running view's right edge is "now": keep it moving while the server runs.
  const moving = !ended && (view === 'running' || view === 'all') && phases?.running?.open === true;
  if (moving && !clock) clock = setInterval(draw, 1000);
  if (!moving && clock) {
    clearInterval(clock);
    clock = undefined;
  }
}

/** Says where the time axis starts and what it measures. */
function axisText(view: ViewName, first: number, now: number): string {
  const base = 'Times are milliseconds since the process started (0 ms).';
  switch (view) {
    case 'startup':
      return `${base} The band on the left is 0 → ${formatMs(first)}, not to scale: Node.js starting and loading modules, and main() reading flags and config and opening the listener, before the first actor event. From the break on, the axis is to scale.`;
    case 'running':
      return `${base} This view runs from ready to the first interrupt (or now, ${formatMs(now)}).`;
    case 'shutdown':
      return `${base} This view runs from the first interrupt to the last actor's return.`;
    case 'all':
      return `${base} The shaded stretch up to ${formatMs(first)} is Node.js start-up and main() before the run group.`;
  }
}

/** The selected actor's events and log lines in time order, under why it stops where it does. */
function select(actor: string | undefined): void {
  if (!actor || !snapshot) return;
  selected = actor;
  for (const lane of chart.querySelectorAll<SVGGElement>('g.lane')) {
    lane.classList.toggle('selected', lane.dataset.actor === actor);
  }
  showDetail();
}

function showDetail(): void {
  if (!selected || !snapshot) return;
  const rows = snapshot.events
    .filter((e) => e.actor === selected)
    .map((e) => ({
      t: e.t,
      text: `${e.event}${e.latch ? ` (${e.latch})` : ''}${e.error ? ` — ${e.error}` : ''}`,
    }));
  const log = snapshot.logs[selected] ?? { lines: [], omitted: 0 };
  for (const line of log.lines) rows.push({ t: line.t, text: `${line.level.padEnd(5)} ${line.msg}` });
  const lines = rows.sort((a, b) => a.t - b.t).map((r) => `${r.t.toFixed(1).padStart(8)} ms  ${r.text}`);
  if (log.omitted > 0) lines.push(`(${log.omitted} earlier log lines not kept)`);
  // Why its interrupt sits where it does: named once, in src/lanes' ACTORS, and sent with the lifecycle.
  const why = snapshot.actors.find((a) => a.name === selected)?.why ?? '';
  detail.textContent = `${selected}\n${why}\n\n${lines.join('\n')}`;
}

async function post(path: string, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  try {
    const res = await fetch(`${pathPrefix()}${path}`, { method: 'POST' });
    result.textContent = `${res.status} ${await res.text()}`;
  } catch (err) {
    result.textContent = String(err);
  }
  button.disabled = false;
}

function lifecycleButton(id: string, text: string, path: string, after?: () => void): HTMLButtonElement {
  const button = el('button', {
    id,
    attrs: {
      disabled: !page.lifecycleEnabled,
      title: page.lifecycleEnabled ? undefined : 'Start miniprom with --web.enable-lifecycle to use this',
    },
  });
  button.textContent = text;
  button.addEventListener('click', () => {
    after?.();
    void post(path, button);
  });
  return button;
}

replaceChildren(
  page.main,
  el('h1', {}, 'Lifecycle ', state),
  el(
    'div',
    { className: 'bar' },
    // A reload shows in the running view: go there, unless the reader picked a view.
    lifecycleButton('reload', 'Reload config', '/-/reload', () => {
      chosen ??= 'running';
    }),
    lifecycleButton('quit', 'Quit', '/-/quit'),
    page.lifecycleEnabled
      ? null
      : el(
          'span',
          { className: 'muted' },
          'Reload and quit are disabled: start with ',
          el('code', {}, '--web.enable-lifecycle'),
          '.',
        ),
    result,
  ),
  el(
    'div',
    { className: 'bar' },
    el('span', { className: 'muted' }, 'View:'),
    el('span', { className: 'segmented', id: 'views' }, ...viewButtons.values()),
  ),
  el(
    'div',
    { className: 'legend bar' },
    el('span', {}, el('i', { className: 'swatch waiting' }), 'waiting on a latch'),
    el('span', {}, el('i', { className: 'swatch running' }), 'running'),
    el('span', {}, el('i', { className: 'swatch interrupted' }), 'interrupted → returned'),
    el('span', {}, el('i', { className: 'swatch start' }), 'execute started'),
    el('span', {}, el('i', { className: 'swatch latch' }), 'latch opened'),
    el('span', {}, '● reload (green ok, red failed)'),
  ),
  chart,
  axisNote,
  el(
    'p',
    { className: 'muted' },
    'Lanes are in ',
    el('b', {}, 'add order'),
    ', which is the order actors ',
    el('b', {}, 'stop'),
    '; the latches decide when each ',
    el('b', {}, 'starts'),
    ' working. Hover a lane for its events, its log lines and why its interrupt sits where it does.',
  ),
  detail,
  el('h1', {}, 'Critical chains'),
  chain,
);

followLifecycle({
  snapshot(next, at) {
    snapshot = next;
    receivedAt = at;
    draw();
    showDetail();
  },
  status(status) {
    if (status === 'ended') {
      ended = true;
      draw();
    } else if (status === 'retrying') state.textContent = 'disconnected, retrying…';
  },
});
window.addEventListener('resize', draw);
